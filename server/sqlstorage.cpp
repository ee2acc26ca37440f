// SPDX-License-Identifier: MIT
#include "sqlstorage.h"

#include <QAtomicInteger>
#include <QCryptographicHash>
#include <QSysInfo>
#include <QtEndian>
#include <QDateTime>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <algorithm>
#include <climits>
#include <concepts>

Q_DECLARE_LOGGING_CATEGORY(lcStorage)
Q_LOGGING_CATEGORY(lcStorage, "coscribe.relay.storage")

namespace relay {

namespace {

QAtomicInteger<int> connectionCounter;

qint64 now() { return QDateTime::currentMSecsSinceEpoch(); }

QString describe(const QString &what) { return what; }
template<std::invocable What>
QString describe(const What &what) { return what(); }

} // namespace

SqlStorage::SqlStorage(Options options)
    : m_options(std::move(options)),
      m_connectionName(QStringLiteral("coscribe-relay-%1").arg(connectionCounter.fetchAndAddRelaxed(1)))
{
}

SqlStorage::~SqlStorage()
{
    m_appendQuery.reset(); // before its connection goes
    if (QSqlDatabase::contains(m_connectionName)) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

QSqlDatabase SqlStorage::database() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

bool SqlStorage::fail(const QString &what, const QSqlError &error)
{
    const bool lost = lostConnection(error); // logs the outage itself, once
    m_lastError = what + QStringLiteral(": ") + (lost ? QStringLiteral("database connection lost: ") : QString())
            + error.text().simplified();
    if (!lost)
        qCWarning(lcStorage).noquote() << m_lastError;
    return false;
}

// QPSQL reports a dead connection as a StatementError ("Unable to create query", SQLSTATE 57P01 when the
// server said goodbye first, nothing when the socket just broke), as a TransactionError from COMMIT, and
// QSqlError::ConnectionError only from open(). What is reliable is the driver's own state: QPSQLDriver::isOpen()
// is PQstatus() == CONNECTION_OK, false once libpq saw the connection break. The SQLSTATE classes are a second
// opinion: 08 (connection exception) and 57P (operator intervention: shutdown, terminated, starting up) end the
// session. SQLite has no connection to lose (and QSQLITE reports a failed step, a constraint violation
// included, as a ConnectionError): never a lost connection there.
bool SqlStorage::lostConnection(const QSqlError &error)
{
    if (m_disconnected)
        return true;
    if (m_options.driver == u"QSQLITE")
        return false;
    const QString state = error.nativeErrorCode();
    const bool lost = !database().isOpen() || error.type() == QSqlError::ConnectionError
            || state.startsWith(QLatin1StringView("08")) || state.startsWith(QLatin1StringView("57P"));
    if (!lost)
        return false;
    m_disconnected = true;
    m_transactionLost = m_inTransaction;
    m_outageReason = error.databaseText().simplified();
    if (m_outageReason.endsWith(QLatin1StringView(" ()"))) // QPSQL's empty "(SQLSTATE)"
        m_outageReason.chop(3);
    m_outage.start();
    m_backoff = std::chrono::milliseconds(0);
    m_nextAttempt = QDeadlineTimer(0); // the first attempt: at once
    qCWarning(lcStorage).noquote() << "lost the database connection:" << m_outageReason
                                   << (m_transactionLost ? "(the open transaction is lost);" : ";")
                                   << "storage calls fail until it is back, reconnecting with a backoff up to"
                                   << m_options.reconnectBackoffMax.count() << "ms";
    return true;
}

bool SqlStorage::ensureConnected(const QString &what)
{
    if (ensureConnected())
        return true;
    m_lastError.prepend(what + QStringLiteral(": "));
    return false;
}

bool SqlStorage::ensureConnected()
{
    if (!m_open) {
        m_lastError = QStringLiteral("storage is not open");
        return false;
    }
    if (m_transactionLost) {
        m_lastError = QStringLiteral("the transaction was lost with the database connection (%1); nothing of it "
                                     "is stored").arg(m_outageReason);
        return false;
    }
    if (!m_disconnected)
        return true;
    if (!m_nextAttempt.hasExpired()) {
        m_lastError = QStringLiteral("database unavailable for %1 s (%2); next reconnect attempt in %3 ms")
                              .arg(double(m_outage.elapsed()) / 1000.0, 0, 'f', 1)
                              .arg(m_outageReason)
                              .arg(m_nextAttempt.remainingTime());
        return false;
    }
    ++m_reconnectAttempts;
    if (!connectDatabase()) {
        m_outageReason = m_lastError;
        m_backoff = std::clamp(2 * m_backoff, m_options.reconnectBackoff, m_options.reconnectBackoffMax);
        m_nextAttempt = QDeadlineTimer(m_backoff);
        m_lastError = QStringLiteral("database unavailable for %1 s (%2); next reconnect attempt in %3 ms")
                              .arg(double(m_outage.elapsed()) / 1000.0, 0, 'f', 1)
                              .arg(m_outageReason)
                              .arg(m_backoff.count());
        qCDebug(lcStorage).noquote() << "reconnect failed:" << m_outageReason;
        return false;
    }
    m_disconnected = false;
    qCInfo(lcStorage).noquote() << "database connection restored after"
                                << double(m_outage.elapsed()) / 1000.0 << "s";
    return true;
}

bool SqlStorage::exec(const QString &sql)
{
    QSqlQuery q(database());
    if (!q.exec(sql)) {
        m_lastError = sql.left(60) + QStringLiteral(": ") + q.lastError().text().simplified();
        return false;
    }
    return true;
}

// (Re)open the connection and run the per-connection setup; false + lastError() on failure. Used by open()
// and by every reconnect: closing and reopening the same QSqlDatabase replaces its PGconn (no query of the
// old one is alive between calls).
bool SqlStorage::connectDatabase()
{
    m_appendQuery.reset();
    QSqlDatabase db = database();
    db.close();
    if (!db.open()) {
        m_lastError = QStringLiteral("opening database: ") + db.lastError().text().simplified();
        return false;
    }
    if (m_options.driver == u"QSQLITE") {
        return exec(QStringLiteral("PRAGMA journal_mode=WAL"))
                && exec(m_options.synchronousFull ? QStringLiteral("PRAGMA synchronous=FULL")
                                                  : QStringLiteral("PRAGMA synchronous=NORMAL"));
    }
    return exec(QStringLiteral("SET client_min_messages TO WARNING")); // no "already exists" notices
}

bool SqlStorage::open()
{
    // SQLite takes an empty file for a new database and would start from nothing: an empty file where a
    // database should be is a truncated copy or a failed restore, and silently starting over loses every
    // document. Refuse, saying so.
    if (m_options.driver == u"QSQLITE") {
        const QFileInfo file(m_options.databaseName);
        if (file.exists() && file.isFile() && file.size() == 0) {
            m_lastError = QStringLiteral("the database file %1 is empty (0 bytes): it is not a Coscribe database. "
                                         "Restore it from a backup, or remove it to start with no documents")
                                  .arg(m_options.databaseName);
            qCWarning(lcStorage).noquote() << m_lastError;
            return false;
        }
    }
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
        // A reconnect must not block the relay's event loop for minutes on an unreachable host (libpq's default
        // is to wait for TCP); application_name lets operators (and tests) find this connection in
        // pg_stat_activity.
        db.setConnectOptions(QStringLiteral("connect_timeout=5;application_name=coscribe-relay"));
    } else {
        // Wait for a lock held by another process (a second relay on the same file) instead of failing.
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    }
    m_disconnected = false;
    m_inTransaction = m_transactionLost = false;
    if (!connectDatabase()) {
        qCWarning(lcStorage).noquote() << m_lastError;
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
        QStringLiteral("CREATE TABLE IF NOT EXISTS versions ("
                       " doc VARCHAR(64) NOT NULL,"
                       " name VARCHAR(256) NOT NULL,"
                       " revision INTEGER NOT NULL,"
                       " user_name VARCHAR(64) NOT NULL,"
                       " created BIGINT NOT NULL,"
                       " PRIMARY KEY (doc, name))"),
        QStringLiteral("CREATE TABLE IF NOT EXISTS clients ("
                       " client_id VARCHAR(128) NOT NULL PRIMARY KEY,"
                       " secret_digest VARCHAR(64) NOT NULL,"
                       " user_name VARCHAR(64) NOT NULL,"
                       " created BIGINT NOT NULL)"),
    };
    for (const QString &sql : schema) {
        if (!exec(sql)) {
            qCWarning(lcStorage).noquote() << m_lastError;
            return false;
        }
    }
    // Migrations in place: columns added since the first schema (a database of an older relay lacks them;
    // its snapshots, without a checksum, are not used: the document is replayed from its log instead).
    const struct { const char *table; const char *column; const char *type; } added[] = {
        {"snapshots", "length", "BIGINT"},
        {"snapshots", "checksum", "VARCHAR(64)"},
        {"documents", "created_by", "VARCHAR(64)"},
        {"operations", "author_user", "VARCHAR(64)"},
        {"operations", "author_name", "VARCHAR(128)"},
        {"operations", "author_color", "VARCHAR(7)"},
        {"snapshots", "authors", "TEXT"},
    };
    for (const auto &a : added) {
        QSqlQuery probe(database());
        if (probe.exec(QStringLiteral("SELECT %1 FROM %2 WHERE 1 = 0").arg(QLatin1String(a.column), QLatin1String(a.table))))
            continue;
        if (!exec(QStringLiteral("ALTER TABLE %1 ADD COLUMN %2 %3")
                          .arg(QLatin1String(a.table), QLatin1String(a.column), QLatin1String(a.type)))) {
            qCWarning(lcStorage).noquote() << m_lastError;
            return false;
        }
        qCInfo(lcStorage).noquote() << "migrated: added" << a.table << "." << a.column;
    }
    m_open = true;
    return true;
}

template<typename What>
std::optional<QSqlQuery> SqlStorage::run(const What &what, const QString &sql,
                                         std::initializer_list<QVariant> values, Kind kind)
{
    for (int attempt = 0;; ++attempt) {
        if (!ensureConnected()) {
            m_lastError.prepend(describe(what) + QStringLiteral(": "));
            return std::nullopt;
        }
        QSqlQuery q(database());
        q.setForwardOnly(kind == Kind::StreamedRead);
        const bool prepared = q.prepare(sql);
        if (prepared) {
            for (const QVariant &value : values)
                q.addBindValue(value);
            if (q.exec())
                return q;
        }
        // Once, on a connection found dead by this very call, and only if running it twice cannot apply it
        // twice. Inside a transaction never: the transaction died with the connection.
        const bool retry = attempt == 0 && !m_inTransaction && lostConnection(q.lastError())
                && (kind != Kind::Write || !prepared);
        if (!retry) {
            fail(describe(what), q.lastError());
            return std::nullopt;
        }
        qCDebug(lcStorage).noquote() << describe(what) << "found the connection dead before running; running it again";
    }
}

std::optional<std::vector<Storage::DocumentRecord>> SqlStorage::documents()
{
    auto q = run(QStringLiteral("listing documents"),
                 // Index lookups per document ((doc, revision) is the key of both tables), not a scan of every
                 // operation: the join and GROUP BY this replaced cost a list ~10 ms per 100,000 operations
                 // (tst_soak).
                 QStringLiteral("SELECT d.id, d.name, d.created,"
                                " (SELECT COALESCE(MAX(o.revision), 0) FROM operations o WHERE o.doc = d.id),"
                                " (SELECT o.created FROM operations o WHERE o.doc = d.id ORDER BY o.revision DESC LIMIT 1),"
                                " (SELECT s.revision FROM snapshots s WHERE s.doc = d.id ORDER BY s.revision DESC LIMIT 1),"
                                " (SELECT s.length FROM snapshots s WHERE s.doc = d.id ORDER BY s.revision DESC LIMIT 1)"
                                " FROM documents d ORDER BY d.id"),
                 {}, Kind::Read);
    if (!q)
        return std::nullopt;
    std::vector<DocumentRecord> list;
    while (q->next()) {
        DocumentRecord r{q->value(0).toString(), q->value(1).toString(), q->value(2).toLongLong(), q->value(3).toInt()};
        r.modified = q->value(4).isNull() ? 0 : q->value(4).toLongLong();
        r.snapshotRevision = q->value(5).isNull() ? -1 : q->value(5).toInt();
        r.snapshotLength = q->value(6).isNull() ? -1 : q->value(6).toLongLong();
        list.push_back(std::move(r));
    }
    return list;
}

std::optional<Storage::DocumentRecord> SqlStorage::document(const QString &id)
{
    m_lastError.clear();
    auto q = run(QStringLiteral("reading document"),
                 QStringLiteral("SELECT d.name, d.created, (SELECT COALESCE(MAX(revision), 0) FROM operations"
                                " WHERE doc = ?) FROM documents d WHERE d.id = ?"),
                 {id, id}, Kind::Read);
    if (!q || !q->next())
        return std::nullopt;
    return DocumentRecord{id, q->value(0).toString(), q->value(1).toLongLong(), q->value(2).toInt()};
}

bool SqlStorage::createDocument(const QString &id, const QString &name)
{
    return run(QStringLiteral("creating document"),
               QStringLiteral("INSERT INTO documents (id, name, created) VALUES (?, ?, ?)"), {id, name, now()},
               Kind::Write)
            .has_value();
}

bool SqlStorage::recordCreator(const QString &id, const QString &user)
{
    return run(QStringLiteral("recording creator"), QStringLiteral("UPDATE documents SET created_by = ? WHERE id = ?"),
               {user, id}, Kind::Write)
            .has_value();
}

std::optional<int> SqlStorage::documentsCreatedBy(const QString &user)
{
    m_lastError.clear();
    auto q = run(QStringLiteral("counting documents"),
                 QStringLiteral("SELECT COUNT(*) FROM documents WHERE created_by = ?"), {user}, Kind::Read);
    if (!q || !q->next())
        return std::nullopt;
    return q->value(0).toInt();
}

bool SqlStorage::renameDocument(const QString &id, const QString &name)
{
    return run(QStringLiteral("renaming document"), QStringLiteral("UPDATE documents SET name = ? WHERE id = ?"),
               {name, id}, Kind::Write)
            .has_value();
}

bool SqlStorage::deleteDocument(const QString &id)
{
    const QString what = QStringLiteral("deleting document");
    if (!begin(what))
        return false;
    for (const char *sql : {"DELETE FROM operations WHERE doc = ?", "DELETE FROM snapshots WHERE doc = ?",
                            "DELETE FROM versions WHERE doc = ?", "DELETE FROM documents WHERE id = ?"}) {
        if (!run(what, QLatin1StringView(sql), {id}, Kind::Write)) {
            const QString error = m_lastError;
            rollback(what);
            m_lastError = error;
            return false;
        }
    }
    if (!commit(what)) {
        const QString error = m_lastError;
        rollback(what);
        m_lastError = error;
        return false;
    }
    return true;
}

bool SqlStorage::appendOperation(const QString &doc, const OperationRecord &op)
{
    // Outside a transaction one statement in autocommit mode: committed (and with synchronous=FULL, fsynced)
    // when exec returns. Inside one (group commit), durable when commitTransaction() returns.
    const auto what = [&] { return QStringLiteral("committing operation %1 of %2").arg(op.revision).arg(doc); };
    const QString &text = op.operation;
    if (ensureConnected() && m_appendQuery) { // (a reconnect drops the prepared query)
        QSqlQuery &q = *m_appendQuery;
        q.bindValue(0, doc);
        q.bindValue(1, op.revision);
        q.bindValue(2, text);
        q.bindValue(3, op.clientId);
        q.bindValue(4, op.sequence);
        q.bindValue(5, now());
        q.bindValue(6, op.user);
        q.bindValue(7, op.name);
        q.bindValue(8, op.color);
        if (q.exec())
            return true;
        const QSqlError error = q.lastError();
        m_appendQuery.reset();
        // A connection found dead outside a transaction: reconnect and run the insert once more (below). Safe
        // even if the first attempt did reach the database: (doc, revision) is the primary key, so a second
        // copy cannot be stored — it would fail as a duplicate, which the relay handles as a lost race.
        if (m_inTransaction || !lostConnection(error))
            return fail(what(), error);
        qCDebug(lcStorage).noquote() << what() << "found the connection dead; reconnecting and running it again";
    }
    std::optional<QSqlQuery> q = run(what,
                                     QStringLiteral("INSERT INTO operations (doc, revision, op, client_id, seq, created,"
                                                    " author_user, author_name, author_color)"
                                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                                     {doc, op.revision, text, op.clientId, op.sequence, now(), op.user, op.name,
                                      op.color},
                                     Kind::Write);
    if (!q)
        return false;
    m_appendQuery = std::move(q);
    return true;
}

bool SqlStorage::beginTransaction()
{
    return begin(QStringLiteral("starting a transaction"));
}

bool SqlStorage::commitTransaction()
{
    return commit(QStringLiteral("committing a transaction"));
}

bool SqlStorage::rollbackTransaction()
{
    return rollback(QStringLiteral("rolling back a transaction"));
}

bool SqlStorage::begin(const QString &what)
{
    // A caller that never rolled back a transaction lost with the connection: that one is gone anyway.
    m_inTransaction = m_transactionLost = false;
    for (int attempt = 0;; ++attempt) {
        if (!ensureConnected(what))
            return false;
        QSqlDatabase db = database();
        if (db.transaction()) {
            m_inTransaction = true;
            return true;
        }
        // BEGIN changes nothing: if it found the connection dead, run it again on a new one.
        if (attempt > 0 || !lostConnection(db.lastError()))
            return fail(what, db.lastError());
    }
}

bool SqlStorage::commit(const QString &what)
{
    if (!ensureConnected(what))
        return false; // lost before COMMIT: nothing of the transaction is stored
    QSqlDatabase db = database();
    if (!db.commit()) {
        fail(what, db.lastError());
        if (m_disconnected)
            m_lastError += QStringLiteral(" (lost during COMMIT: reported as not committed, though the server may "
                                          "have committed it)");
        return false;
    }
    m_inTransaction = false;
    return true;
}

bool SqlStorage::rollback(const QString &what)
{
    const bool lost = m_transactionLost || m_disconnected;
    m_inTransaction = m_transactionLost = false;
    if (lost)
        return true; // the server discarded the transaction with the session; nothing to send
    QSqlDatabase db = database();
    if (!db.rollback())
        return fail(what, db.lastError());
    return true;
}

bool SqlStorage::addVersion(const QString &doc, const VersionRecord &v)
{
    const QString what = QStringLiteral("naming a version of %1").arg(doc);
    {
        auto existing = run(what, QStringLiteral("SELECT 1 FROM versions WHERE doc = ? AND name = ?"), {doc, v.name},
                            Kind::Read);
        if (!existing)
            return false;
        if (existing->next()) {
            m_lastError.clear();
            return false; // the name is taken
        }
    }
    return run(what, QStringLiteral("INSERT INTO versions (doc, name, revision, user_name, created) VALUES (?, ?, ?, ?, ?)"),
               {doc, v.name, v.revision, v.user, now()}, Kind::Write)
        .has_value();
}

std::optional<std::vector<Storage::VersionRecord>> SqlStorage::versions(const QString &doc)
{
    auto q = run(QStringLiteral("reading the versions of %1").arg(doc),
                 QStringLiteral("SELECT name, revision, user_name, created FROM versions WHERE doc = ?"
                                " ORDER BY revision DESC, created DESC"),
                 {doc}, Kind::Read);
    if (!q)
        return std::nullopt;
    std::vector<VersionRecord> list;
    while (q->next())
        list.push_back({q->value(0).toString(), q->value(1).toInt(), q->value(2).toString(), q->value(3).toLongLong()});
    return list;
}

bool SqlStorage::removeVersion(const QString &doc, const QString &name)
{
    auto q = run(QStringLiteral("deleting a version of %1").arg(doc),
                 QStringLiteral("DELETE FROM versions WHERE doc = ? AND name = ?"), {doc, name}, Kind::Write);
    if (!q)
        return false;
    if (q->numRowsAffected() <= 0) {
        m_lastError.clear();
        return false;
    }
    return true;
}

std::optional<std::vector<Storage::OperationRecord>> SqlStorage::operations(const QString &doc, int after, int upTo)
{
    const QString what = QStringLiteral("reading operations");
    auto q = run(what,
                 QStringLiteral("SELECT revision, op, client_id, seq, author_user, author_name, author_color, created"
                                " FROM operations WHERE doc = ? AND revision > ? AND revision <= ? ORDER BY revision"),
                 {doc, after, upTo}, Kind::StreamedRead);
    if (!q)
        return std::nullopt;
    std::vector<OperationRecord> list;
    while (q->next())
        list.push_back({q->value(0).toInt(), q->value(1).toString(), q->value(2).toString(), q->value(3).toLongLong(),
                        q->value(4).toString(), q->value(5).toString(), q->value(6).toString(),
                        q->value(7).toLongLong()});
    if (q->lastError().isValid()) { // rows are streamed: the connection may die after the first ones
        fail(what, q->lastError());
        return std::nullopt;
    }
    return list;
}

std::optional<Storage::Applied> SqlStorage::lastApplied(const QString &doc, const QString &clientId)
{
    m_lastError.clear();
    auto q = run(QStringLiteral("reading client sequence"),
                 QStringLiteral("SELECT seq, revision FROM operations WHERE doc = ? AND client_id = ?"
                                " ORDER BY seq DESC LIMIT 1"),
                 {doc, clientId}, Kind::Read);
    if (!q || !q->next())
        return std::nullopt;
    return Applied{q->value(0).toLongLong(), q->value(1).toInt()};
}

std::optional<int> SqlStorage::revisionOf(const QString &doc, const QString &clientId, qint64 sequence)
{
    m_lastError.clear();
    auto q = run(QStringLiteral("reading client sequence"),
                 QStringLiteral("SELECT revision FROM operations WHERE doc = ? AND client_id = ? AND seq = ?"),
                 {doc, clientId, sequence}, Kind::Read);
    if (!q || !q->next())
        return std::nullopt;
    return q->value(0).toInt();
}

bool SqlStorage::saveSnapshot(const QString &doc, int revision, const QString &text, const QString &authorship)
{
    return run([&] { return QStringLiteral("saving snapshot %1 of %2").arg(revision).arg(doc); },
               QStringLiteral("INSERT INTO snapshots (doc, revision, content, created, length, checksum, authors)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)"),
               {doc, revision, text, now(), qint64(text.size()), QString::fromLatin1(snapshotChecksum(text)),
                authorship},
               Kind::Write)
            .has_value();
}

std::optional<Storage::ClientRecord> SqlStorage::client(const QString &clientId)
{
    m_lastError.clear();
    auto q = run(QStringLiteral("reading client"),
                 QStringLiteral("SELECT secret_digest, user_name FROM clients WHERE client_id = ?"), {clientId},
                 Kind::Read);
    if (!q || !q->next())
        return std::nullopt;
    return ClientRecord{clientId, q->value(0).toString().toLatin1(), q->value(1).toString()};
}

bool SqlStorage::registerClient(const ClientRecord &client)
{
    if (run(QStringLiteral("registering client"),
            QStringLiteral("INSERT INTO clients (client_id, secret_digest, user_name, created) VALUES (?, ?, ?, ?)"),
            {client.clientId, QString::fromLatin1(client.secretDigest), client.user, now()}, Kind::Write))
        return true;
    // Taken (by another relay a moment ago, say) rather than failed: say so with an empty lastError.
    const QString error = m_lastError;
    if (this->client(client.clientId))
        m_lastError.clear();
    else if (m_lastError.isEmpty())
        m_lastError = error;
    return false;
}

std::optional<Storage::Snapshot> SqlStorage::latestSnapshot(const QString &doc, int atOrBefore)
{
    m_lastError.clear();
    const QString what = QStringLiteral("reading snapshot");
    auto q = run(what,
                 QStringLiteral("SELECT revision, content, length, checksum, authors FROM snapshots"
                                " WHERE doc = ? AND revision <= ? AND checksum IS NOT NULL"
                                " ORDER BY revision DESC LIMIT 1"),
                 {doc, atOrBefore < 0 ? INT_MAX : atOrBefore}, Kind::StreamedRead);
    if (!q)
        return std::nullopt;
    if (!q->next()) {
        if (q->lastError().isValid()) // streamed: "no row" may be a connection that died meanwhile
            fail(what, q->lastError());
        return std::nullopt;
    }
    return Snapshot{q->value(0).toInt(), q->value(1).toString(), q->value(2).toLongLong(),
                    q->value(3).toString().toLatin1(), q->value(4).toString()};
}

namespace {
QByteArray hashOf(QStringView text, QCryptographicHash::Algorithm algorithm)
{
    QCryptographicHash hash(algorithm);
    if constexpr (QSysInfo::ByteOrder == QSysInfo::LittleEndian) {
        hash.addData(QByteArrayView(reinterpret_cast<const char *>(text.utf16()), text.size() * 2));
    } else {
        QByteArray le(text.size() * 2, Qt::Uninitialized);
        for (qsizetype i = 0; i < text.size(); ++i)
            qToLittleEndian<quint16>(text.at(i).unicode(), le.data() + 2 * i);
        hash.addData(le);
    }
    return hash.result();
}
constexpr QByteArrayView ChecksumPrefix = "b2:";
} // namespace

QByteArray Storage::snapshotChecksum(QStringView text)
{
    return ChecksumPrefix.toByteArray() + hashOf(text, QCryptographicHash::Blake2b_256).toBase64();
}

bool Storage::checksumMatches(QStringView text, const QByteArray &stored)
{
    if (stored.startsWith(ChecksumPrefix))
        return snapshotChecksum(text) == stored;
    return hashOf(text, QCryptographicHash::Sha256).toHex() == stored;
}

} // namespace relay
