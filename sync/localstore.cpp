// SPDX-License-Identifier: MIT
#include "localstore.h"

#include <message.h>
#include <rope.h>

#include <QDir>
#include <QLockFile>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>
#include <QVariant>

namespace syncing {

namespace {

// Replicas claimed by this process, by lock file (a QLockFile does not refuse its own process reliably).
// The path, not the replica id: two stores in one process (two windows in tests) number their replicas alike.
QSet<QString> &claimedHere()
{
    static QSet<QString> claimed;
    return claimed;
}

QVariant opJson(const std::optional<collab::TextOperation> &op)
{
    return op ? QVariant(op->toJsonText()) : QVariant(QMetaType(QMetaType::QString));
}

std::optional<collab::TextOperation> opFromJson(const QVariant &value)
{
    if (value.isNull() || value.toString().isEmpty())
        return std::nullopt;
    collab::Expected<collab::TextOperation> op = collab::TextOperation::fromJsonText(value.toString());
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
        claimedHere().remove(lockPath(lock.first));
    m_locks.clear();
    if (QSqlDatabase::contains(m_connectionName)) {
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
    // replicas.snapshot is the version-0 place of the snapshot; it stays in the table (NULL) so that the
    // CREATE statement is the same for old and new databases.
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
        && exec(QStringLiteral("CREATE INDEX IF NOT EXISTS replicas_document ON replicas(server, document)"))
        && exec(QStringLiteral("CREATE TABLE IF NOT EXISTS replica_snapshots ("
                               " replica_id INTEGER PRIMARY KEY, revision INTEGER NOT NULL,"
                               " length INTEGER NOT NULL, text TEXT)"))
        && exec(QStringLiteral("CREATE TABLE IF NOT EXISTS replica_secrets ("
                               " client_id TEXT PRIMARY KEY, secret TEXT NOT NULL)"))
        // The journal of local edits after the stored buffer: emptied whenever the pending edits are written.
        && exec(QStringLiteral("CREATE TABLE IF NOT EXISTS replica_edits ("
                               " n INTEGER PRIMARY KEY, replica_id INTEGER NOT NULL, op TEXT NOT NULL)"))
        && exec(QStringLiteral("CREATE INDEX IF NOT EXISTS replica_edits_replica ON replica_edits(replica_id, n)"))
        && exec(QStringLiteral("CREATE TRIGGER IF NOT EXISTS replica_edits_written AFTER UPDATE OF buffer_op ON replicas"
                               " BEGIN DELETE FROM replica_edits WHERE replica_id = NEW.id; END"))
        && exec(QStringLiteral("CREATE TABLE IF NOT EXISTS replica_operations ("
                               " replica_id INTEGER NOT NULL, revision INTEGER NOT NULL,"
                               " length INTEGER NOT NULL, op TEXT NOT NULL,"
                               " PRIMARY KEY (replica_id, revision)) WITHOUT ROWID"))
        && migrate();
    if (!ok && error)
        *error = QSqlDatabase::database(m_connectionName).lastError().text();
    m_open = ok;
    return ok;
}

// Version 0 kept the snapshot in replicas.snapshot, rewritten with every save. It moves to replica_snapshots
// as the snapshot at the replica's revision, with an empty log. One transaction (taking the write lock first,
// so that two editors opening an old database at once migrate it once).
bool LocalStore::migrate()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    if (!exec(QStringLiteral("BEGIN IMMEDIATE")))
        return false;
    QSqlQuery version(db);
    if (!version.exec(QStringLiteral("PRAGMA user_version")) || !version.next()) {
        exec(QStringLiteral("ROLLBACK"));
        return false;
    }
    const int found = version.value(0).toInt();
    version.finish();
    if (found >= SchemaVersion) {
        exec(QStringLiteral("ROLLBACK"));
        if (found > SchemaVersion)
            qWarning("LocalStore: %s has schema version %d, newer than this editor's %d", qPrintable(m_directory),
                     found, SchemaVersion);
        return found == SchemaVersion;
    }
    bool ok = true;
    {
        QSqlQuery rows(db);
        rows.setForwardOnly(true);
        QSqlQuery insert(db);
        ok = rows.exec(QStringLiteral("SELECT id, revision, snapshot FROM replicas"))
            && insert.prepare(QStringLiteral("INSERT OR REPLACE INTO replica_snapshots (replica_id, revision, length, text)"
                                             " VALUES (?, ?, ?, ?)"));
        while (ok && rows.next()) {
            const QString text = rows.value(2).toString();
            insert.bindValue(0, rows.value(0).toLongLong());
            insert.bindValue(1, rows.value(1).toInt());
            insert.bindValue(2, qint64(text.size()));
            insert.bindValue(3, text);
            ok = insert.exec();
        }
    }
    ok = ok && exec(QStringLiteral("UPDATE replicas SET snapshot = NULL WHERE snapshot IS NOT NULL"))
        && exec(QStringLiteral("PRAGMA user_version = %1").arg(SchemaVersion)) && exec(QStringLiteral("COMMIT"));
    if (!ok)
        exec(QStringLiteral("ROLLBACK"));
    return ok;
}

QString LocalStore::lockPath(qint64 replicaId) const
{
    return QStringLiteral("%1/locks/replica-%2.lock").arg(m_directory).arg(replicaId);
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

// The secret that proves a client id is ours to the relay (collab::Message::Hello::secret): made once per
// client id from the system's random source and kept beside it (replicas of an older store get theirs on
// their first claim). Empty on failure.
QString LocalStore::secretFor(const QString &clientId)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QSqlQuery read(db);
    read.prepare(QStringLiteral("SELECT secret FROM replica_secrets WHERE client_id = ?"));
    read.addBindValue(clientId);
    if (read.exec() && read.next())
        return read.value(0).toString();
    const QString secret = collab::Message::Hello::newSecret();
    QSqlQuery insert(db);
    insert.prepare(QStringLiteral("INSERT INTO replica_secrets (client_id, secret) VALUES (?, ?)"));
    insert.addBindValue(clientId);
    insert.addBindValue(secret);
    if (!insert.exec()) {
        qWarning("LocalStore: cannot keep a client secret: %s", qPrintable(insert.lastError().text()));
        return {};
    }
    return secret;
}

std::optional<LocalStore::Replica> LocalStore::claim(const QString &server, const QString &document)
{
    if (!m_open)
        return std::nullopt;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QSqlQuery query(db);
    query.prepare(QStringLiteral(
        "SELECT id, client_id, synced, revision, last_sequence, outstanding_revision,"
        " outstanding_sequence, outstanding_op, buffer_op, pending_edits FROM replicas"
        " WHERE server = ? AND document = ? ORDER BY (outstanding_op IS NULL AND buffer_op IS NULL), updated_at DESC"));
    query.addBindValue(server);
    query.addBindValue(document);
    if (!query.exec())
        return std::nullopt;
    while (query.next()) {
        const qint64 id = query.value(0).toLongLong();
        if (claimedHere().contains(lockPath(id)))
            continue;
        auto lock = std::make_unique<QLockFile>(lockPath(id));
        lock->setStaleLockTime(0);
        if (!lock->tryLock(0))
            continue;
        Replica r;
        r.id = id;
        r.server = server;
        r.document = document;
        r.clientId = query.value(1).toString();
        r.secret = secretFor(r.clientId);
        if (r.secret.isEmpty())
            return std::nullopt;
        r.synced = query.value(2).toBool();
        r.revision = query.value(3).toInt();
        r.lastSequence = query.value(4).toLongLong();
        if (std::optional<collab::TextOperation> op = opFromJson(query.value(7)))
            r.outstanding = collab::Client::Outgoing{query.value(5).toInt(), query.value(6).toLongLong(), *op};
        r.buffer = opFromJson(query.value(8));
        r.pendingEdits = query.value(9).toInt();
        const bool journalFits = addJournal(r);
        if (!loadBase(r)) {
            // Without the exact base text the pending edits cannot be placed, and building on a wrong base
            // would diverge from the relay unnoticed: start over as never synced (the relay's text replaces
            // this one on the next connection).
            qWarning("LocalStore: the stored text of replica %lld of %s cannot be rebuilt at revision %d; it"
                     " will be resynchronised and its pending edits are dropped", id, qPrintable(document),
                     r.revision);
            r.damaged = true;
            r.synced = false;
            r.revision = 0;
            r.outstanding.reset();
            r.buffer.reset();
            r.pendingEdits = 0;
        } else if (!journalFits || !r.localText()) {
            qWarning("LocalStore: replica %lld of %s is damaged; its pending edits are dropped", id,
                     qPrintable(document));
            r.damaged = true;
            r.outstanding.reset();
            r.buffer.reset();
            r.pendingEdits = 0;
        }
        claimedHere().insert(lockPath(id));
        m_locks.emplace_back(id, std::move(lock));
        return r;
    }

    Replica r;
    r.server = server;
    r.document = document;
    r.clientId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    r.secret = secretFor(r.clientId);
    if (r.secret.isEmpty())
        return std::nullopt;
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
    auto lock = std::make_unique<QLockFile>(lockPath(r.id));
    lock->setStaleLockTime(0);
    lock->tryLock(0);
    claimedHere().insert(lockPath(r.id));
    m_locks.emplace_back(r.id, std::move(lock));
    return r;
}

// Snapshot (none yet: the empty text at revision 0, where every replica starts) plus the log, replayed on a
// rope: O(n + k log n) for k logged operations, once per claim.
bool LocalStore::loadBase(Replica &r)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    int revision = 0;
    QString text;
    {
        QSqlQuery snapshot(db);
        snapshot.prepare(QStringLiteral("SELECT revision, text FROM replica_snapshots WHERE replica_id = ?"));
        snapshot.addBindValue(r.id);
        if (!snapshot.exec())
            return false;
        if (snapshot.next()) {
            revision = snapshot.value(0).toInt();
            text = snapshot.value(1).toString();
        }
    }
    QSqlQuery log(db);
    log.setForwardOnly(true);
    log.prepare(QStringLiteral("SELECT revision, length, op FROM replica_operations"
                               " WHERE replica_id = ? AND revision > ? ORDER BY revision"));
    log.addBindValue(r.id);
    log.addBindValue(revision);
    if (!log.exec()) {
        r.snapshot = text;
        return false;
    }
    std::optional<collab::Rope> base;
    bool ok = true;
    r.loggedOperations = 0;
    r.loggedBytes = 0;
    while (log.next()) {
        if (!base)
            base.emplace(text);
        const QString json = log.value(2).toString();
        collab::Expected<collab::TextOperation> op = collab::TextOperation::fromJsonText(json);
        // A gap, an undecodable row, an operation that does not fit, or a result of the wrong length.
        if (log.value(0).toInt() != revision + 1 || !op || op.value().targetLength() != log.value(1).toLongLong()
            || base->apply(op.value())) {
            ok = false;
            break;
        }
        revision = log.value(0).toInt();
        ++r.loggedOperations;
        r.loggedBytes += collab::utf8Size(json);
    }
    r.snapshot = base ? base->toString() : std::move(text);
    return ok && revision == r.revision;
}

void LocalStore::release(qint64 replicaId)
{
    claimedHere().remove(lockPath(replicaId));
    std::erase_if(m_locks, [&](const auto &lock) { return lock.first == replicaId; });
}

bool LocalStore::updateReplica(const Replica &r, ReplicaFields fields)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    QString set = QStringLiteral(
        "last_sequence = :seq, outstanding_revision = :orev, outstanding_sequence = :oseq, outstanding_op = :oop,"
        " buffer_op = :buf, pending_edits = :pending, updated_at = CURRENT_TIMESTAMP");
    if (fields != ReplicaFields::Pending)
        set.prepend(QStringLiteral("revision = :rev, "));
    if (fields == ReplicaFields::Base)
        set.prepend(QStringLiteral("synced = :synced, client_id = :cid, "));
    query.prepare(QStringLiteral("UPDATE replicas SET %1 WHERE id = :id").arg(set));
    if (fields != ReplicaFields::Pending)
        query.bindValue(QStringLiteral(":rev"), r.revision);
    if (fields == ReplicaFields::Base) {
        query.bindValue(QStringLiteral(":synced"), r.synced ? 1 : 0);
        query.bindValue(QStringLiteral(":cid"), r.clientId);
    }
    query.bindValue(QStringLiteral(":seq"), r.lastSequence);
    const QVariant nullInt{QMetaType(QMetaType::LongLong)};
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

bool LocalStore::save(const Replica &r, bool withSnapshot)
{
    if (!m_open || r.id < 0)
        return false;
    if (!withSnapshot)
        return updateReplica(r, ReplicaFields::Pending);

    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    if (!exec(QStringLiteral("BEGIN IMMEDIATE")))
        return false;
    QSqlQuery snapshot(db);
    snapshot.prepare(QStringLiteral("INSERT OR REPLACE INTO replica_snapshots (replica_id, revision, length, text)"
                                    " VALUES (?, ?, ?, ?)"));
    snapshot.addBindValue(r.id);
    snapshot.addBindValue(r.revision);
    snapshot.addBindValue(qint64(r.snapshot.size()));
    snapshot.addBindValue(r.snapshot);
    QSqlQuery clearLog(db);
    clearLog.prepare(QStringLiteral("DELETE FROM replica_operations WHERE replica_id = ?"));
    clearLog.addBindValue(r.id);
    if (!updateReplica(r, ReplicaFields::Base) || !snapshot.exec() || !clearLog.exec()
        || !exec(QStringLiteral("COMMIT"))) {
        if (snapshot.lastError().isValid() || clearLog.lastError().isValid())
            qWarning("LocalStore: cannot save the snapshot of replica %lld: %s%s", r.id,
                     qPrintable(snapshot.lastError().text()), qPrintable(clearLog.lastError().text()));
        exec(QStringLiteral("ROLLBACK"));
        return false;
    }
    return true;
}

std::optional<qint64> LocalStore::appendOperations(const Replica &r, const std::vector<LoggedOperation> &operations)
{
    if (!m_open || r.id < 0 || operations.empty() || operations.back().revision != r.revision)
        return std::nullopt;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    if (!exec(QStringLiteral("BEGIN IMMEDIATE")))
        return std::nullopt;
    const auto fail = [this](const char *why) -> std::optional<qint64> {
        qWarning("LocalStore: cannot log operations: %s", why);
        exec(QStringLiteral("ROLLBACK"));
        return std::nullopt;
    };
    int revision = 0;
    {
        QSqlQuery stored(db);
        stored.prepare(QStringLiteral("SELECT revision, synced FROM replicas WHERE id = ?"));
        stored.addBindValue(r.id);
        if (!stored.exec() || !stored.next())
            return fail("no such replica");
        if (!stored.value(1).toBool())
            return fail("the stored text is not the relay's");
        revision = stored.value(0).toInt();
    }
    QSqlQuery insert(db);
    insert.prepare(QStringLiteral("INSERT INTO replica_operations (replica_id, revision, length, op) VALUES (?, ?, ?, ?)"));
    qint64 bytes = 0;
    for (const LoggedOperation &o : operations) {
        if (o.revision != revision + 1)
            return fail("the operations do not follow on from the stored revision");
        const QString json = o.operation.toJsonText();
        insert.bindValue(0, r.id);
        insert.bindValue(1, o.revision);
        insert.bindValue(2, qint64(o.operation.targetLength()));
        insert.bindValue(3, json);
        if (!insert.exec())
            return fail(qPrintable(insert.lastError().text()));
        revision = o.revision;
        bytes += collab::utf8Size(json);
    }
    if (!updateReplica(r, ReplicaFields::Revision) || !exec(QStringLiteral("COMMIT")))
        return fail("the replica cannot be updated");
    return bytes;
}

bool LocalStore::appendEdit(const Replica &r, const collab::TextOperation &edit)
{
    if (!m_open || r.id < 0 || !r.outstanding)
        return false;
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    query.prepare(QStringLiteral("INSERT INTO replica_edits (replica_id, op) VALUES (?, ?)"));
    query.addBindValue(r.id);
    query.addBindValue(edit.toJsonText());
    if (!query.exec()) {
        qWarning("LocalStore: cannot journal an edit of replica %lld: %s", r.id, qPrintable(query.lastError().text()));
        return false;
    }
    return true;
}

bool LocalStore::addJournal(Replica &r)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    query.prepare(QStringLiteral("SELECT op FROM replica_edits WHERE replica_id = ? ORDER BY n"));
    query.addBindValue(r.id);
    if (!query.exec())
        return false;
    collab::OperationComposer journal;
    int edits = 0;
    while (query.next()) {
        const collab::Expected<collab::TextOperation> op = collab::TextOperation::fromJsonText(query.value(0).toString());
        if (!op || journal.add(op.value()))
            return false;
        ++edits;
    }
    if (edits == 0)
        return true;
    if (!r.outstanding)
        return false; // journaled only beside a written outstanding edit
    collab::TextOperation edited = journal.take();
    if (r.buffer) {
        collab::Expected<collab::TextOperation> composed = r.buffer->compose(edited);
        if (!composed)
            return false;
        edited = std::move(composed.value());
    } else if (edited.baseLength() != r.outstanding->operation.targetLength()) {
        return false;
    }
    r.buffer = std::move(edited);
    r.pendingEdits += edits;
    return true;
}

bool LocalStore::remove(qint64 replicaId)
{
    release(replicaId);
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    if (!exec(QStringLiteral("BEGIN IMMEDIATE")))
        return false;
    bool ok = true;
    for (const char *table : {"replica_operations", "replica_snapshots", "replica_edits"}) {
        QSqlQuery query(db);
        query.prepare(QStringLiteral("DELETE FROM %1 WHERE replica_id = ?").arg(QLatin1String(table)));
        query.addBindValue(replicaId);
        ok = ok && query.exec();
    }
    QSqlQuery query(db);
    query.prepare(QStringLiteral("DELETE FROM replicas WHERE id = ?"));
    query.addBindValue(replicaId);
    ok = ok && query.exec() && exec(QStringLiteral("COMMIT"));
    if (!ok)
        exec(QStringLiteral("ROLLBACK"));
    return ok;
}

QList<LocalStore::CachedDocument> LocalStore::cachedDocuments() const
{
    QList<CachedDocument> result;
    if (!m_open)
        return result;
    // The length after the last logged operation, else the snapshot's.
    QSqlQuery query(QSqlDatabase::database(m_connectionName));
    if (!query.exec(QStringLiteral(
            "SELECT r.server, r.document, MAX(r.revision),"
            " MAX(COALESCE((SELECT o.length FROM replica_operations o WHERE o.replica_id = r.id"
            "               ORDER BY o.revision DESC LIMIT 1), s.length, 0)),"
            " SUM(r.pending_edits + (SELECT COUNT(*) FROM replica_edits e WHERE e.replica_id = r.id)),"
            " MAX((SELECT COUNT(*) FROM replica_operations o WHERE o.replica_id = r.id))"
            " FROM replicas r LEFT JOIN replica_snapshots s ON s.replica_id = r.id"
            " GROUP BY r.server, r.document ORDER BY MAX(r.updated_at) DESC")))
        return result;
    while (query.next())
        result.append(CachedDocument{query.value(0).toString(), query.value(1).toString(), query.value(2).toInt(),
                                     query.value(3).toLongLong(), query.value(4).toInt(), query.value(5).toInt()});
    return result;
}

} // namespace syncing
