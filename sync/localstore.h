// SPDX-License-Identifier: MIT
#pragma once

#include <client.h>
#include <textoperation.h>

#include <QList>
#include <QString>
#include <QUrl>

#include <memory>
#include <optional>
#include <vector>

QT_BEGIN_NAMESPACE
class QLockFile;
QT_END_NAMESPACE

namespace syncing {

// LocalStore: the editor's own SQLite database (QtSql), so that work survives a crash or a missing server.
// It keeps one "replica" per document per editor session: the client id the relay knows it by, the last text
// the relay confirmed (the base text) and its revision, and every edit the relay has not acknowledged yet (the
// collab::Client's outstanding operation and buffer), written as the edits happen.
//
// The base text is stored as a snapshot plus a log: the text at some revision S (written now and then, in
// its own table so that the small per-edit writes never rewrite it) and the relay's operations S+1 .. R that
// followed, appended one small row each as they arrive. Nothing written per edit depends on the document's
// length; the snapshot is rewritten when the caller chooses (open, resync, close, or when the log has grown
// about as large as the text), which also empties the log.
//
//   replicas:            id, client id, synced, revision R, pending edits (outstanding, buffer), ...
//   replica_snapshots:   replica id -> (revision S, text at S)
//   replica_operations:  (replica id, revision r in S+1..R) -> (operation that produced r, length after it)
//
// Invariant of a stored replica: replaying the log on the snapshot gives the base text at R, and applying
// outstanding and then buffer to it gives the text the user last saw. Every save is one transaction, so a
// kill at any moment leaves the last complete state. claim() checks the replay (no gap, every operation
// decodes, fits the text and yields the recorded length, the log ends at R); a replica that fails it is
// handed out as never synced, with the text it could rebuild and without its pending edits, so the
// connection takes the relay's text instead of building on a base it cannot trust.
//
// Schema version (PRAGMA user_version) 2; a version-0 database (snapshot in replicas.snapshot) is migrated
// on open by moving each snapshot into replica_snapshots.
//
// A replica in use is claimed with a lock file (QLockFile: a killed process's lock is recognised as stale),
// so two windows on one document get two replicas (two client ids), and a restart picks up the replica a
// killed editor left behind, pending edits included.
//
// The database lives in QStandardPaths::AppDataLocation, or in $COSCRIBE_LOCAL_STORE_DIR when set (tests).
class LocalStore
{
public:
    struct Replica
    {
        qint64 id = -1;
        QString server;   // ws://host:port
        QString document; // document id
        QString clientId;
        QString secret;    // proves clientId is ours to the relay (hello.secret)
        bool synced = false; // the base text came from the relay (else: never connected yet)
        int revision = 0;    // the relay's revision of the base text, which the pending edits apply to
        // The base text. claim() fills it (snapshot with the log replayed); save(..., true) writes it.
        QString snapshot;
        qint64 lastSequence = 0;
        std::optional<collab::Client::Outgoing> outstanding;
        std::optional<collab::TextOperation> buffer;
        int pendingEdits = 0; // user edits in outstanding + buffer, for the status bar
        // The log since the stored snapshot, as claim() found it (the caller keeps counting).
        int loggedOperations = 0;
        qint64 loggedBytes = 0;
        // claim() could not rebuild the stored state (damaged database): synced, revision and the pending
        // edits were reset, and the text is the best it could rebuild.
        bool damaged = false;

        // snapshot + outstanding + buffer; nullopt if they do not fit together (a damaged row).
        std::optional<QString> localText() const;
    };

    // One of the relay's operations as the log keeps it: `revision` is the revision it produced.
    struct LoggedOperation
    {
        int revision = 0;
        collab::TextOperation operation;
    };

    struct CachedDocument
    {
        QString server;
        QString document;
        int revision = 0;
        qint64 length = 0;
        int pendingEdits = 0;
        int loggedOperations = 0; // operations stored since the last snapshot
    };

    static constexpr int SchemaVersion = 2;

    explicit LocalStore(QString directory = defaultDirectory());
    ~LocalStore();
    LocalStore(const LocalStore &) = delete;
    LocalStore &operator=(const LocalStore &) = delete;

    static QString defaultDirectory();
    const QString &directory() const { return m_directory; }

    // Opens (and creates) the database; false with `error` set if it cannot.
    bool open(QString *error = nullptr);
    bool isOpen() const { return m_open; }

    // Claim a replica of (server, document): one left unclaimed by an earlier session, else a new one with a
    // fresh client id. The claim lasts until release() or the destruction of this store.
    std::optional<Replica> claim(const QString &server, const QString &document);
    void release(qint64 replicaId);

    // Write the replica's pending edits; with withSnapshot also its base text (`snapshot`), revision and
    // synced flag as the new snapshot, which empties the log.
    bool save(const Replica &replica, bool withSnapshot);
    // Append the relay's operations that took the base text from the stored revision to replica.revision
    // (they must follow on from the stored revision without a gap, and the replica must be synced), and
    // write the pending edits, in one transaction. Returns the bytes logged, or nullopt (and nothing
    // changes) if the operations do not follow on or the write fails: the caller then saves a snapshot.
    std::optional<qint64> appendOperations(const Replica &replica, const std::vector<LoggedOperation> &operations);
    // Journal one local edit made after the pending edits last written (the replica must have an outstanding
    // edit written): a keystroke costs one small row, where writing the whole buffer again would cost O(its
    // size). claim() composes the journal onto the buffer; every write of the pending edits (save,
    // appendOperations) empties it in the same statement. False if it could not be written (then save()).
    bool appendEdit(const Replica &replica, const collab::TextOperation &edit);
    // Forget a replica (its document was deleted on the server).
    bool remove(qint64 replicaId);

    QList<CachedDocument> cachedDocuments() const;

    // The secret kept for a client id, made (and kept) on first use: a replica that takes a new client id
    // (the relay lost its history, DocumentSession) keeps the secret of the new one here.
    QString secretFor(const QString &clientId);

private:
    enum class ReplicaFields { Pending, Revision, Base }; // Base: revision, synced and the client id
    QString lockPath(qint64 replicaId) const;
    bool exec(const QString &sql);
    bool migrate();
    bool updateReplica(const Replica &replica, ReplicaFields fields);
    // The base text at `replica.revision` from the snapshot and the log; false if it cannot be rebuilt (then
    // `replica.snapshot` holds the longest text it could rebuild).
    bool loadBase(Replica &replica);
    // Compose the journal of local edits onto the replica's buffer; false if it does not fit (damaged).
    bool addJournal(Replica &replica);

    QString m_directory;
    QString m_connectionName;
    bool m_open = false;
    std::vector<std::pair<qint64, std::unique_ptr<QLockFile>>> m_locks;
};

} // namespace syncing
