// SPDX-License-Identifier: MIT
#include "sqlstorage.h"

#include <QAtomicInteger>
#include <QDateTime>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

Q_DECLARE_LOGGING_CATEGORY(lcStorage)
Q_LOGGING_CATEGORY(lcStorage, "coscribe.relay.storage")

namespace relay {

namespace {

QAtomicInteger<int> connectionCounter;

qint64 now() { return QDateTime::currentMSecsSinceEpoch(); }

} // namespace

SqlStorage::SqlStorage(Options options)
    : m_options(std::move(options)),
      m_connectionName(QStringLiteral("coscribe-relay-%1").arg(connectionCounter.fetchAndAddRelaxed(1)))
{
}

SqlStorage::~SqlStorage()
{
    if (QSqlDatabase::contains(m_connectionName)) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

bool SqlStorage::fail(const QString &what, const QSqlError &error)
{
    m_lastError = what + QStringLiteral(": ") + error.text();
    qCWarning(lcStorage).noquote() << m_lastError;
    return false;
}

bool SqlStorage::exec(const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.exec(sql))
        return fail(sql.left(60), q.lastError());
    return true;
}

bool SqlStorage::open()
{
    QSqlDatabase db = QSqlDatabase::addDatabase(m_options.driver, m_connectionName);
    if (!db.isValid()) {
        m_lastError = QStringLiteral("SQL driver %1 is not available").arg(m_options.driver);
        return false;
    }
    db.setDatabaseName(m_options.databaseName);
    const bool sqlite = m_options.driver == u"QSQLITE";
    if (!sqlite) {
        db.setHostName(m_options.host);
        db.setPort(m_options.port);
        db.setUserName(m_options.user);
        db.setPassword(m_options.password);
    } else {
        // Wait for a lock held by another process (a second relay on the same file) instead of failing.
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    }
    if (!db.open())
        return fail(QStringLiteral("opening database"), db.lastError());
    if (!sqlite && !exec(QStringLiteral("SET client_min_messages TO WARNING"))) // no "already exists" notices
        return false;
    if (sqlite) {
        if (!exec(QStringLiteral("PRAGMA journal_mode=WAL"))
            || !exec(m_options.synchronousFull ? QStringLiteral("PRAGMA synchronous=FULL")
                                               : QStringLiteral("PRAGMA synchronous=NORMAL")))
            return false;
    }
    const QString schema[] = {
        QStringLiteral("CREATE TABLE IF NOT EXISTS documents ("
                       " id VARCHAR(64) NOT NULL PRIMARY KEY,"
                       " name VARCHAR(256) NOT NULL,"
                       " created BIGINT NOT NULL)"),
        QStringLiteral("CREATE TABLE IF NOT EXISTS operations ("
                       " doc VARCHAR(64) NOT NULL,"
                       " revision INTEGER NOT NULL,"
                       " op TEXT NOT NULL,"
                       " client_id VARCHAR(128) NOT NULL,"
                       " seq BIGINT NOT NULL,"
                       " created BIGINT NOT NULL,"
                       " PRIMARY KEY (doc, revision))"),
        QStringLiteral("CREATE INDEX IF NOT EXISTS operations_client ON operations (doc, client_id, seq)"),
        QStringLiteral("CREATE TABLE IF NOT EXISTS snapshots ("
                       " doc VARCHAR(64) NOT NULL,"
                       " revision INTEGER NOT NULL,"
                       " content TEXT NOT NULL,"
                       " created BIGINT NOT NULL,"
                       " PRIMARY KEY (doc, revision))"),
    };
    for (const QString &sql : schema)
        if (!exec(sql))
            return false;
    m_open = true;
    return true;
}

std::optional<std::vector<Storage::DocumentRecord>> SqlStorage::documents()
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    if (!q.exec(QStringLiteral("SELECT d.id, d.name, d.created, COALESCE(MAX(o.revision), 0) FROM documents d"
                               " LEFT JOIN operations o ON o.doc = d.id GROUP BY d.id, d.name, d.created"
                               " ORDER BY d.id"))) {
        fail(QStringLiteral("listing documents"), q.lastError());
        return std::nullopt;
    }
    std::vector<DocumentRecord> list;
    while (q.next())
        list.push_back({q.value(0).toString(), q.value(1).toString(), q.value(2).toLongLong(), q.value(3).toInt()});
    return list;
}

std::optional<Storage::DocumentRecord> SqlStorage::document(const QString &id)
{
    m_lastError.clear();
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT d.name, d.created, (SELECT COALESCE(MAX(revision), 0) FROM operations"
                             " WHERE doc = ?) FROM documents d WHERE d.id = ?"));
    q.addBindValue(id);
    q.addBindValue(id);
    if (!q.exec()) {
        fail(QStringLiteral("reading document"), q.lastError());
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return DocumentRecord{id, q.value(0).toString(), q.value(1).toLongLong(), q.value(2).toInt()};
}

bool SqlStorage::createDocument(const QString &id, const QString &name)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("INSERT INTO documents (id, name, created) VALUES (?, ?, ?)"));
    q.addBindValue(id);
    q.addBindValue(name);
    q.addBindValue(now());
    if (!q.exec())
        return fail(QStringLiteral("creating document"), q.lastError());
    return true;
}

bool SqlStorage::renameDocument(const QString &id, const QString &name)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("UPDATE documents SET name = ? WHERE id = ?"));
    q.addBindValue(name);
    q.addBindValue(id);
    if (!q.exec())
        return fail(QStringLiteral("renaming document"), q.lastError());
    return true;
}

bool SqlStorage::deleteDocument(const QString &id)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction())
        return fail(QStringLiteral("deleting document"), db.lastError());
    for (const char *sql : {"DELETE FROM operations WHERE doc = ?", "DELETE FROM snapshots WHERE doc = ?",
                            "DELETE FROM documents WHERE id = ?"}) {
        QSqlQuery q(db);
        q.prepare(QLatin1StringView(sql));
        q.addBindValue(id);
        if (!q.exec()) {
            fail(QStringLiteral("deleting document"), q.lastError());
            db.rollback();
            return false;
        }
    }
    if (!db.commit())
        return fail(QStringLiteral("deleting document"), db.lastError());
    return true;
}

bool SqlStorage::appendOperation(const QString &doc, const OperationRecord &op)
{
    // Outside a transaction one statement in autocommit mode: committed (and with synchronous=FULL, fsynced)
    // when exec returns. Inside one (group commit), durable when commitTransaction() returns.
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("INSERT INTO operations (doc, revision, op, client_id, seq, created)"
                             " VALUES (?, ?, ?, ?, ?, ?)"));
    q.addBindValue(doc);
    q.addBindValue(op.revision);
    q.addBindValue(QString::fromUtf8(op.operation));
    q.addBindValue(op.clientId);
    q.addBindValue(op.sequence);
    q.addBindValue(now());
    if (!q.exec())
        return fail(QStringLiteral("committing operation %1 of %2").arg(op.revision).arg(doc), q.lastError());
    return true;
}

bool SqlStorage::beginTransaction()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction())
        return fail(QStringLiteral("starting a transaction"), db.lastError());
    return true;
}

bool SqlStorage::commitTransaction()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.commit())
        return fail(QStringLiteral("committing a transaction"), db.lastError());
    return true;
}

bool SqlStorage::rollbackTransaction()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.rollback())
        return fail(QStringLiteral("rolling back a transaction"), db.lastError());
    return true;
}

std::optional<std::vector<Storage::OperationRecord>> SqlStorage::operations(const QString &doc, int after, int upTo)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT revision, op, client_id, seq FROM operations"
                             " WHERE doc = ? AND revision > ? AND revision <= ? ORDER BY revision"));
    q.addBindValue(doc);
    q.addBindValue(after);
    q.addBindValue(upTo);
    if (!q.exec()) {
        fail(QStringLiteral("reading operations"), q.lastError());
        return std::nullopt;
    }
    std::vector<OperationRecord> list;
    while (q.next())
        list.push_back({q.value(0).toInt(), q.value(1).toString().toUtf8(), q.value(2).toString(),
                        q.value(3).toLongLong()});
    return list;
}

std::optional<Storage::Applied> SqlStorage::lastApplied(const QString &doc, const QString &clientId)
{
    m_lastError.clear();
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT seq, revision FROM operations WHERE doc = ? AND client_id = ?"
                             " ORDER BY seq DESC LIMIT 1"));
    q.addBindValue(doc);
    q.addBindValue(clientId);
    if (!q.exec()) {
        fail(QStringLiteral("reading client sequence"), q.lastError());
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return Applied{q.value(0).toLongLong(), q.value(1).toInt()};
}

std::optional<int> SqlStorage::revisionOf(const QString &doc, const QString &clientId, qint64 sequence)
{
    m_lastError.clear();
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT revision FROM operations WHERE doc = ? AND client_id = ? AND seq = ?"));
    q.addBindValue(doc);
    q.addBindValue(clientId);
    q.addBindValue(sequence);
    if (!q.exec()) {
        fail(QStringLiteral("reading client sequence"), q.lastError());
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return q.value(0).toInt();
}

bool SqlStorage::saveSnapshot(const QString &doc, int revision, const QString &text)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("INSERT INTO snapshots (doc, revision, content, created) VALUES (?, ?, ?, ?)"));
    q.addBindValue(doc);
    q.addBindValue(revision);
    q.addBindValue(text);
    q.addBindValue(now());
    if (!q.exec())
        return fail(QStringLiteral("saving snapshot %1 of %2").arg(revision).arg(doc), q.lastError());
    return true;
}

std::optional<Storage::Snapshot> SqlStorage::latestSnapshot(const QString &doc, int atOrBefore)
{
    m_lastError.clear();
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT revision, content FROM snapshots WHERE doc = ? AND revision <= ?"
                             " ORDER BY revision DESC LIMIT 1"));
    q.addBindValue(doc);
    q.addBindValue(atOrBefore < 0 ? INT_MAX : atOrBefore);
    if (!q.exec()) {
        fail(QStringLiteral("reading snapshot"), q.lastError());
        return std::nullopt;
    }
    if (!q.next())
        return std::nullopt;
    return Snapshot{q.value(0).toInt(), q.value(1).toString()};
}

} // namespace relay
