// SPDX-License-Identifier: MIT
#pragma once

#include "storage.h"

#include <QSqlError>
#include <QString>

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
    };

    explicit SqlStorage(Options options);
    ~SqlStorage() override;
    SqlStorage(const SqlStorage &) = delete;
    SqlStorage &operator=(const SqlStorage &) = delete;

    bool open() override;
    QString lastError() const override { return m_lastError; }

    std::optional<std::vector<DocumentRecord>> documents() override;
    std::optional<DocumentRecord> document(const QString &id) override;
    bool createDocument(const QString &id, const QString &name) override;
    bool renameDocument(const QString &id, const QString &name) override;
    bool deleteDocument(const QString &id) override;

    bool appendOperation(const QString &doc, const OperationRecord &op) override;
    bool beginTransaction() override;
    bool commitTransaction() override;
    bool rollbackTransaction() override;
    std::optional<std::vector<OperationRecord>> operations(const QString &doc, int after, int upTo) override;
    std::optional<Applied> lastApplied(const QString &doc, const QString &clientId) override;
    std::optional<int> revisionOf(const QString &doc, const QString &clientId, qint64 sequence) override;

    bool saveSnapshot(const QString &doc, int revision, const QString &text) override;
    std::optional<Snapshot> latestSnapshot(const QString &doc, int atOrBefore = -1) override;

private:
    bool exec(const QString &sql);
    bool fail(const QString &what, const QSqlError &error);

    Options m_options;
    QString m_connectionName;
    QString m_lastError;
    bool m_open = false;
};

} // namespace relay
