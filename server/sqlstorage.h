// SPDX-License-Identifier: MIT
#pragma once

#include "storage.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>

#include <chrono>
#include <initializer_list>
#include <optional>

namespace relay {

// SqlStorage: Storage on QtSql. SQLite (QSQLITE, a file in the data directory) by default, PostgreSQL
// (QPSQL) for several relays over one database; the SQL is the common subset both accept (no AUTOINCREMENT,
// no INSERT OR ..., BIGINT timestamps in ms, VARCHAR/TEXT/INTEGER/BIGINT only).
//
// SQLite runs in WAL mode with synchronous=FULL. WAL lets readers proceed during a write and makes each
// commit one sequential append; FULL makes that commit fsync the WAL, so an acknowledged operation survives
// not only a killed relay but also an OS crash or power loss. (synchronous=NORMAL in WAL mode survives a
// killed process but may lose the last commits on power loss, which would break "acknowledged means
// stored".) The cost is one fsync per commit; the relay commits all operations of an event-loop pass in one
// transaction (group commit), so that is one fsync per batch, not per operation (docs/SCALING.md).
//
// Losing the connection (PostgreSQL restarted or failed over, pg_terminate_backend, a network cut) is not
// fatal. A failure after which the driver reports the connection closed (QPSQL's isOpen() is libpq's
// PQstatus) marks the storage disconnected and is logged once. From then on every call first reconnects —
// close and reopen the QSqlDatabase, and the per-connection setup of open() — the first attempt at once, the
// next ones no sooner than after a backoff (reconnectBackoff, doubling up to reconnectBackoffMax), so a
// database that is down is not hammered; a call in between fails at once with lastError() naming the outage.
// The restored connection is logged once.
//
//   call ──► connected? ──no──► backoff over? ──no──► fail fast ("database unavailable ...")
//                │                    │yes
//                │                    ▼
//                │               reconnect ──fails──► fail, backoff doubles
//                ▼                    │ok
//             statement ◄─────────────┘
//                │fails, connection closed
//                ▼
//   disconnected; run again once, on a new connection, only if nothing can have been applied twice: a read,
//   BEGIN, or a statement whose PREPARE failed, outside a transaction (the connection died while idle)
//
// A transaction whose connection died is lost: its later appends and its commit fail (no reconnect inside a
// transaction, or the rest of the batch would commit without its beginning) until rollbackTransaction(),
// which then succeeds without the database (the server discarded the transaction with the session). A
// connection lost during COMMIT is reported as a failed commit although the server may have committed: never
// the other way round, and the relay deduplicates a client's resend by (client, sequence).
//
// Each instance owns one named QSqlDatabase connection and must be used from the thread that opened it.
class SqlStorage final : public Storage
{
public:
    struct Options
    {
        QString driver = QStringLiteral("QSQLITE"); // or QPSQL
        QString databaseName;                       // SQLite: file path; PostgreSQL: database name
        QString host;
        int port = 5432;
        QString user;
        QString password;
        bool synchronousFull = true;                // SQLite only; false = NORMAL (tests may use it)
        // After a lost connection: the first reconnect is immediate, later ones wait this long, doubling up
        // to the maximum.
        std::chrono::milliseconds reconnectBackoff{500};
        std::chrono::milliseconds reconnectBackoffMax{4000};
    };

    explicit SqlStorage(Options options);
    ~SqlStorage() override;
    SqlStorage(const SqlStorage &) = delete;
    SqlStorage &operator=(const SqlStorage &) = delete;

    bool open() override;
    QString lastError() const override { return m_lastError; }
    bool isAvailable() const override { return m_open && !m_disconnected; }
    // False from a lost connection until a reconnect succeeds.
    bool isConnected() const { return !m_disconnected; }
    // Reconnect attempts since open() (for tests and diagnostics).
    int reconnectAttempts() const { return m_reconnectAttempts; }

    std::optional<std::vector<DocumentRecord>> documents() override;
    std::optional<DocumentRecord> document(const QString &id) override;
    bool createDocument(const QString &id, const QString &name) override;
    bool renameDocument(const QString &id, const QString &name) override;
    bool deleteDocument(const QString &id) override;
    bool recordCreator(const QString &id, const QString &user) override;
    std::optional<int> documentsCreatedBy(const QString &user) override;

    bool appendOperation(const QString &doc, const OperationRecord &op) override;
    bool addVersion(const QString &doc, const VersionRecord &version) override;
    std::optional<std::vector<VersionRecord>> versions(const QString &doc) override;
    bool removeVersion(const QString &doc, const QString &name) override;
    bool beginTransaction() override;
    bool commitTransaction() override;
    bool rollbackTransaction() override;
    std::optional<std::vector<OperationRecord>> operations(const QString &doc, int after, int upTo) override;
    std::optional<Applied> lastApplied(const QString &doc, const QString &clientId) override;
    std::optional<int> revisionOf(const QString &doc, const QString &clientId, qint64 sequence) override;

    bool saveSnapshot(const QString &doc, int revision, const QString &text,
                      const QString &authorship = QString()) override;
    std::optional<Snapshot> latestSnapshot(const QString &doc, int atOrBefore = -1) override;
    std::optional<ClientRecord> client(const QString &clientId) override;
    bool registerClient(const ClientRecord &client) override;

private:
    enum class Kind {
        Read,         // idempotent: run again after a reconnect
        StreamedRead, // idempotent, rows fetched while iterating (check the query's error after the last row)
        Write,        // run again only if its PREPARE failed (then it never executed)
    };

    QSqlDatabase database() const;
    bool connectDatabase();
    bool exec(const QString &sql);
    // One statement, with a reconnect before it and a retry when that is safe (see the class comment). The
    // executed query, or nullopt with lastError() set. `what` (a QString, or a callable returning one, formatted
    // only on failure) names the call in lastError().
    template<typename What>
    std::optional<QSqlQuery> run(const What &what, const QString &sql, std::initializer_list<QVariant> values,
                                 Kind kind);
    bool begin(const QString &what);
    bool commit(const QString &what);
    bool rollback(const QString &what);
    // Before a call: true if connected (reconnecting first if the backoff allows), else false + lastError()
    // ("what: " + why).
    bool ensureConnected(const QString &what);
    bool ensureConnected();
    // After a failed call: whether it lost the connection (then marks the storage disconnected, logs once).
    bool lostConnection(const QSqlError &error);
    bool fail(const QString &what, const QSqlError &error);

    Options m_options;
    QString m_connectionName;
    QString m_lastError;
    bool m_open = false;
    bool m_inTransaction = false;
    bool m_transactionLost = false;   // the connection died inside the open transaction
    bool m_disconnected = false;
    QString m_outageReason;           // why the last attempt failed (or the connection was lost)
    QElapsedTimer m_outage;           // since the connection was lost
    QDeadlineTimer m_nextAttempt;     // no reconnect attempt before this
    std::chrono::milliseconds m_backoff{0};
    int m_reconnectAttempts = 0;
    // The INSERT of appendOperation, prepared once per connection: compiling it for every operation cost
    // the relay measurable CPU at thousands of operations per second. Dropped on any failure or reconnect.
    std::optional<QSqlQuery> m_appendQuery;
};

} // namespace relay
