// SPDX-License-Identifier: MIT
#include "localstore.h"

#include <QDir>
#include <QLockFile>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>
#include <QVariant>

namespace ui {

namespace {

// Replicas claimed by this process (a QLockFile does not refuse its own process reliably).
QSet<qint64> &claimedHere()
{
    static QSet<qint64> claimed;
    return claimed;
}

QVariant opJson(const std::optional<collab::TextOperation> &op)
{
    return op ? QVariant(QString::fromUtf8(op->toJsonBytes())) : QVariant(QMetaType(QMetaType::QString));
}

std::optional<collab::TextOperation> opFromJson(const QVariant &value)
{
    if (value.isNull() || value.toString().isEmpty())
        return std::nullopt;
    collab::Expected<collab::TextOperation> op = collab::TextOperation::fromJsonBytes(value.toString().toUtf8());
    if (!op)
        return std::nullopt;
    return op.value();
}

} // namespace

std::optional<QString> LocalStore::Replica::localText() const
{
    QString text = snapshot;
    if (outstanding) {
        collab::Expected<QString> next = outstanding->operation.apply(text);
        if (!next)
            return std::nullopt;
        text = std::move(next.value());
    }
    if (buffer) {
        collab::Expected<QString> next = buffer->apply(text);
        if (!next)
            return std::nullopt;
        text = std::move(next.value());
    }
    return text;
}

LocalStore::LocalStore(QString directory)
    : m_directory(std::move(directory)),
      m_connectionName(QStringLiteral("coscribe-localstore-%1").arg(QUuid::createUuid().toString(QUuid::Id128)))
{
}

LocalStore::~LocalStore()
{
    for (const auto &lock : m_locks)
        claimedHere().remove(lock.first);
    m_locks.clear();
    if (m_open) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

QString LocalStore::defaultDirectory()
{
    const QString fromEnvironment = qEnvironmentVariable("COSCRIBE_LOCAL_STORE_DIR");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

bool LocalStore::open(QString *error)
{
    if (m_open)
        return true;
    if (!QDir().mkpath(m_directory + QStringLiteral("/locks"))) {
        if (error)
            *error = QStringLiteral("cannot create %1").arg(m_directory);
        return false;
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    db.setDatabaseName(m_directory + QStringLiteral("/coscribe-local.sqlite"));
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open()) {
        if (error)
            *error = db.lastError().text();
        return false;
    }
    m_open = true;
    const bool ok = exec(QStringLiteral("PRAGMA journal_mode=WAL"))
        && exec(QStringLiteral("PRAGMA synchronous=NORMAL"))
        && exec(QStringLiteral("CREATE TABLE IF NOT EXISTS replicas ("
                               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                               " server TEXT NOT NULL, document TEXT NOT NULL, client_id TEXT NOT NULL,"
                               " synced INTEGER NOT NULL DEFAULT 0, revision INTEGER NOT NULL DEFAULT 0,"
                               " snapshot TEXT, last_sequence INTEGER NOT NULL DEFAULT 0,"
                               " outstanding_revision INTEGER, outstanding_sequence INTEGER, outstanding_op TEXT,"
                               " buffer_op TEXT, pending_edits INTEGER NOT NULL DEFAULT 0,"
                               " updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"))
        && exec(QStringLiteral("CREATE INDEX IF NOT EXISTS replicas_document ON replicas(server, document)"));
    if (!ok && error)
        *error = QSqlDatabase::database(m_connectionName).lastError().text();
    return ok;
}

bool LocalStore::exec(const QString &sql)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    if (!query.exec(sql)) {
        qWarning("LocalStore: %s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return false;
    }
    return true;
}

std::optional<LocalStore::Replica> LocalStore::claim(const QString &server, const QString &document)
{
    if (!m_open)
        return std::nullopt;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QSqlQuery query(db);
    query.prepare(QStringLiteral(
        "SELECT id, client_id, synced, revision, snapshot, last_sequence, outstanding_revision,"
        " outstanding_sequence, outstanding_op, buffer_op, pending_edits FROM replicas"
        " WHERE server = ? AND document = ? ORDER BY (outstanding_op IS NULL AND buffer_op IS NULL), updated_at DESC"));
    query.addBindValue(server);
    query.addBindValue(document);
    if (!query.exec())
        return std::nullopt;
    while (query.next()) {
        const qint64 id = query.value(0).toLongLong();
        if (claimedHere().contains(id))
            continue;
        auto lock = std::make_unique<QLockFile>(QStringLiteral("%1/locks/replica-%2.lock").arg(m_directory).arg(id));
        lock->setStaleLockTime(0);
        if (!lock->tryLock(0))
            continue;
        Replica r;
        r.id = id;
        r.server = server;
        r.document = document;
        r.clientId = query.value(1).toString();
        r.synced = query.value(2).toBool();
        r.revision = query.value(3).toInt();
        r.snapshot = query.value(4).toString();
        r.lastSequence = query.value(5).toLongLong();
        if (std::optional<collab::TextOperation> op = opFromJson(query.value(8)))
            r.outstanding = collab::Client::Outgoing{query.value(6).toInt(), query.value(7).toLongLong(), *op};
        r.buffer = opFromJson(query.value(9));
        r.pendingEdits = query.value(10).toInt();
        if (!r.localText()) {
            qWarning("LocalStore: replica %lld of %s is damaged; its pending edits are dropped", id,
                     qPrintable(document));
            r.outstanding.reset();
            r.buffer.reset();
            r.pendingEdits = 0;
        }
        claimedHere().insert(id);
        m_locks.emplace_back(id, std::move(lock));
        return r;
    }

    Replica r;
    r.server = server;
    r.document = document;
    r.clientId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QSqlQuery insert(db);
    insert.prepare(QStringLiteral("INSERT INTO replicas (server, document, client_id) VALUES (?, ?, ?)"));
    insert.addBindValue(server);
    insert.addBindValue(document);
    insert.addBindValue(r.clientId);
    if (!insert.exec()) {
        qWarning("LocalStore: cannot add a replica: %s", qPrintable(insert.lastError().text()));
        return std::nullopt;
    }
    r.id = insert.lastInsertId().toLongLong();
    auto lock = std::make_unique<QLockFile>(QStringLiteral("%1/locks/replica-%2.lock").arg(m_directory).arg(r.id));
    lock->setStaleLockTime(0);
    lock->tryLock(0);
    claimedHere().insert(r.id);
    m_locks.emplace_back(r.id, std::move(lock));
    return r;
}

void LocalStore::release(qint64 replicaId)
{
    claimedHere().remove(replicaId);
    std::erase_if(m_locks, [&](const auto &lock) { return lock.first == replicaId; });
}

bool LocalStore::save(const Replica &r, bool withSnapshot)
{
    if (!m_open || r.id < 0)
        return false;
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    const QString pending = QStringLiteral(
        "last_sequence = :seq, outstanding_revision = :orev, outstanding_sequence = :oseq, outstanding_op = :oop,"
        " buffer_op = :buf, pending_edits = :pending, updated_at = CURRENT_TIMESTAMP");
    if (withSnapshot)
        query.prepare(QStringLiteral("UPDATE replicas SET synced = :synced, revision = :rev, snapshot = :snap, %1"
                                     " WHERE id = :id").arg(pending));
    else
        query.prepare(QStringLiteral("UPDATE replicas SET %1 WHERE id = :id").arg(pending));
    if (withSnapshot) {
        query.bindValue(QStringLiteral(":synced"), r.synced ? 1 : 0);
        query.bindValue(QStringLiteral(":rev"), r.revision);
        query.bindValue(QStringLiteral(":snap"), r.snapshot);
    }
    query.bindValue(QStringLiteral(":seq"), r.lastSequence);
    const QVariant nullInt(QMetaType(QMetaType::LongLong));
    query.bindValue(QStringLiteral(":orev"), r.outstanding ? QVariant(r.outstanding->revision) : nullInt);
    query.bindValue(QStringLiteral(":oseq"), r.outstanding ? QVariant(r.outstanding->sequence) : nullInt);
    query.bindValue(QStringLiteral(":oop"),
                    opJson(r.outstanding ? std::optional(r.outstanding->operation) : std::nullopt));
    query.bindValue(QStringLiteral(":buf"), opJson(r.buffer));
    query.bindValue(QStringLiteral(":pending"), r.pendingEdits);
    query.bindValue(QStringLiteral(":id"), r.id);
    if (!query.exec()) {
        qWarning("LocalStore: cannot save replica %lld: %s", r.id, qPrintable(query.lastError().text()));
        return false;
    }
    return true;
}

bool LocalStore::remove(qint64 replicaId)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    query.prepare(QStringLiteral("DELETE FROM replicas WHERE id = ?"));
    query.addBindValue(replicaId);
    release(replicaId);
    return query.exec();
}

QList<LocalStore::CachedDocument> LocalStore::cachedDocuments() const
{
    QList<CachedDocument> result;
    if (!m_open)
        return result;
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    if (!query.exec(QStringLiteral("SELECT server, document, MAX(revision), MAX(length(snapshot)), SUM(pending_edits)"
                                   " FROM replicas GROUP BY server, document ORDER BY MAX(updated_at) DESC")))
        return result;
    while (query.next())
        result.append(CachedDocument{query.value(0).toString(), query.value(1).toString(), query.value(2).toInt(),
                                     query.value(3).toLongLong(), query.value(4).toInt()});
    return result;
}

} // namespace ui
