// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <optional>
#include <vector>

namespace relay {

// Storage: where the relay keeps documents durably. A small interface so SQLite (the default) and PostgreSQL
// share one code path (SqlStorage) and tests can inject failures.
//
// Invariants an implementation keeps:
//   - appendOperation() returns true only once the row is durable (committed) — or, between beginTransaction()
//     and commitTransaction(), once commitTransaction() returns true: the relay acknowledges and broadcasts an
//     operation only after that. A transaction commits all its appends (one durable flush) or none;
//   - operations of a document have consecutive revisions 1, 2, 3, ...; (doc, revision) is unique, so two
//     relays racing on one database cannot both commit the same revision;
//   - a snapshot at revision r is the text after operations 1..r; loading = latest snapshot + later operations.
// Every method reports failure (false / nullopt) and leaves lastError() set; none throws or asserts.
class Storage
{
public:
    struct DocumentRecord
    {
        QString id;
        QString name;
        qint64 created = 0;   // ms since the epoch
        int revision = 0;     // revision of the last committed operation
        // Filled by documents() only (the list): when its last operation was committed (0: none), and the
        // revision and length (UTF-16 code units) of its latest snapshot (-1: none).
        qint64 modified = 0;
        int snapshotRevision = -1;
        qint64 snapshotLength = -1;
    };

    struct OperationRecord
    {
        int revision = 0;     // the revision this operation produced
        QString operation;    // ot.js JSON array text (as QtSql binds and returns it)
        QString clientId;
        qint64 sequence = 0;
        // Its author as the relay knew them when it was committed: the authenticated user, and the display
        // name and colour of that moment (empty in operations stored before authors were kept).
        QString user;
        QString name;
        QString color;
        qint64 created = 0;   // ms since the epoch; set by appendOperation, returned by operations()
    };

    // A snapshot comes back with what was stored beside its text when it was saved (its length in UTF-16
    // code units and snapshotChecksum() of it), so a loader can tell a text the database changed on the way
    // (DocumentHub refuses to serve such a document).
    struct Snapshot
    {
        int revision = 0;
        QString text;
        qint64 length = -1;
        QByteArray checksum;
        QString authorship; // Authorship::toStored() at `revision`, or empty (saved without, by an older relay)
    };

    // Who owns a client id: the digest (hex SHA-256) of the secret of its first hello and the user it came
    // as. Only the owner may use the id again, so nobody can have an operation taken for someone else's
    // resend (docs/PROTOCOL.md, "hello").
    struct ClientRecord
    {
        QString clientId;
        QByteArray secretDigest;
        QString user;
    };

    // A named version of a document: a revision someone gave a name ("Draft sent to the board").
    struct VersionRecord
    {
        QString name;
        int revision = 0;
        QString user;     // who named it
        qint64 created = 0; // ms since the epoch
    };

    struct Applied
    {
        qint64 sequence = 0;
        int revision = 0;
    };

    virtual ~Storage() = default;

    virtual bool open() = 0;
    virtual QString lastError() const = 0;
    // False while the database is known to be unreachable (a lost connection not yet re-established): the
    // relay reports itself unhealthy (/healthz 503) so a load balancer sends editors elsewhere.
    virtual bool isAvailable() const { return true; }

    virtual std::optional<std::vector<DocumentRecord>> documents() = 0;
    virtual std::optional<DocumentRecord> document(const QString &id) = 0; // nullopt + empty lastError: absent
    virtual bool createDocument(const QString &id, const QString &name) = 0;
    virtual bool renameDocument(const QString &id, const QString &name) = 0;
    virtual bool deleteDocument(const QString &id) = 0;
    // Who created a document (for the per-user document quota), and how many existing documents a user
    // created.
    virtual bool recordCreator(const QString &id, const QString &user) = 0;
    virtual std::optional<int> documentsCreatedBy(const QString &user) = 0;

    virtual bool appendOperation(const QString &doc, const OperationRecord &op) = 0;
    // Group commit: the relay appends the operations of one event-loop pass in one transaction. After a
    // failed append or commit the caller calls rollbackTransaction(); nothing of the transaction is stored.
    virtual bool beginTransaction() = 0;
    virtual bool commitTransaction() = 0;
    virtual bool rollbackTransaction() = 0;
    // Operations with revision in (after, upTo], oldest first.
    virtual std::optional<std::vector<OperationRecord>> operations(const QString &doc, int after, int upTo) = 0;
    // The last operation of one client, and the revision of a given sequence (for deduplicating resends of
    // operations that are older than what is in memory).
    virtual std::optional<Applied> lastApplied(const QString &doc, const QString &clientId) = 0;
    virtual std::optional<int> revisionOf(const QString &doc, const QString &clientId, qint64 sequence) = 0;

    // Stores the text with its length and snapshotChecksum(), and who wrote it (Authorship::toStored()).
    virtual bool saveSnapshot(const QString &doc, int revision, const QString &text,
                              const QString &authorship = QString()) = 0;
    // The latest snapshot at or before `atOrBefore` (-1: the latest); nullopt + empty lastError: none.
    virtual std::optional<Snapshot> latestSnapshot(const QString &doc, int atOrBefore = -1) = 0;

    // Named versions: at most one per name and document. addVersion fails (lastError empty) when the name is
    // taken; removeVersion returns false (lastError empty) when there is no such version.
    virtual bool addVersion(const QString &doc, const VersionRecord &version) = 0;
    virtual std::optional<std::vector<VersionRecord>> versions(const QString &doc) = 0; // newest revision first
    virtual bool removeVersion(const QString &doc, const QString &name) = 0;

    // The owner of a client id; nullopt + empty lastError: nobody has used it yet.
    virtual std::optional<ClientRecord> client(const QString &clientId) = 0;
    // Claims an unused client id; false if it is taken (lastError empty) or on failure.
    virtual bool registerClient(const ClientRecord &client) = 0;

    // What a snapshot row is checked against: "b2:" and the base64 BLAKE2b-256 of the text's UTF-16 code
    // units (little-endian). Rows saved before carry the hex SHA-256 of the same bytes, which still checks
    // (four times slower: 20 ms on a megabyte here, against 4.5).
    static QByteArray snapshotChecksum(QStringView text);
    static bool checksumMatches(QStringView text, const QByteArray &stored);
};

} // namespace relay
