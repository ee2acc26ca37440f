// SPDX-License-Identifier: MIT
#pragma once

#include "creationquota.h"
#include "defaults.h"

#include "message.h"
#include "serverdocument.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace relay {

class Connection;
class PeerRelays;
class Storage;

// DocumentHub: every document request of every connection (list, create, rename, delete, open, close, op,
// selection, idle), and the documents that are open right now.
//
// A document is loaded lazily on its first open (latest snapshot + replay of later operations) and unloaded
// when its last participant leaves. For each loaded document the hub keeps the engine's ServerDocument and
// its participants with their presence; stored selections are moved through every later operation, so a
// late joiner sees them where they belong.
//
// The one rule of the edit path: receive → commit to storage → acknowledge → broadcast. Commits are grouped
// (group commit): an operation is transformed and applied in memory at once, then queued; at the end of the
// event-loop pass flush() appends every queued operation, of every document, in one storage transaction
// (one fsync), and only then acknowledges and broadcasts them in revision order. Later operations of the
// same pass are transformed against the queued, uncommitted ones, and commit in the same transaction.
//
//    op ─► receive (in memory) ─► queue ─┐        end of pass: flush()
//    op ─► receive (in memory) ─► queue ─┼─► BEGIN; INSERT ×n; COMMIT ─► ack + broadcast each, in order
//    op ─► receive (in memory) ─► queue ─┘                         └─ fails ─► ROLLBACK, reload, re-handle
//
// Invariant: no client ever sees an uncommitted operation. Whatever shows document state to a client (open,
// catch-up, list, rename, delete, selections, another relay's catch-up) flushes first, synchronously. When
// the transaction fails, the in-memory documents already applied its operations, so they are reloaded from
// storage: nothing was sent, so no client saw an operation that did not persist.
//
// Broadcasts are encoded once and the same payload goes to every recipient.
class DocumentHub : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        qint64 maxDocumentBytes = defaults::maxDocumentBytes; // UTF-8 size of a document's text
        int snapshotInterval = defaults::snapshotInterval;    // operations between snapshots
        int historyInMemory = defaults::historyInMemory;      // operations kept in memory beyond the snapshot
        int maxCatchUpOps = defaults::maxCatchUpOps;          // more than this: send a snapshot instead (or, to a client
                                                    // with pending edits, this many and "more": true)
        int maxSelectionRanges = defaults::maxSelectionRanges; // ranges of one selection
        int maxSelectionLag = defaults::maxSelectionLag;                 // revisions a selection may be behind to be moved forward
        int maxOperationComponents = defaults::maxOperationComponents;       // components of one operation (bounds the work of one op)
        int maxOperationLag = defaults::maxOperationLag;               // revisions an operation may be behind the document, and
        qint64 maxTransformWork = defaults::maxTransformWork;      // component steps to move an op or selection to the present
        int maxDocumentsPerUser = defaults::maxDocumentsPerUser;           // documents one user may have created
        int maxCreationsPerHour = defaults::maxCreationsPerHour;            // documents one user may create per hour
        // A document nobody has open stays loaded this long (an editor that closes and reopens, or a
        // client that opens and closes in a loop, costs no reload), as long as all such documents together
        // hold at most maxIdleBytes of text; the longest idle go first. 0: unload at once.
        int keepIdleMs = defaults::keepIdleMs;
        qint64 maxIdleBytes = defaults::maxIdleBytes;
    };

    DocumentHub(Storage &storage, Limits limits, QObject *parent = nullptr);
    ~DocumentHub() override;

    void handle(Connection &c, const collab::Message::List &m);
    void handle(Connection &c, const collab::Message::Create &m);
    void handle(Connection &c, const collab::Message::Rename &m);
    void handle(Connection &c, const collab::Message::Delete &m);
    void handle(Connection &c, const collab::Message::Open &m);
    void handle(Connection &c, const collab::Message::Close &m);
    void handle(Connection &c, const collab::Message::Op &m);
    void handle(Connection &c, const collab::Message::SetSelection &m);
    void handle(Connection &c, const collab::Message::SetIdle &m);

    // The connection is gone: it leaves every document it had open.
    void connectionClosed(Connection &c);

    int loadedDocuments() const { return int(m_documents.size()); }

    // Commit the queued operations now (one transaction per batch) and acknowledge and broadcast them. Runs
    // by itself at the end of each event-loop pass that queued one; call it before showing document state.
    void flush();

    // Several relays over one database (see ClusterBus). Null, the default: this relay is alone. The log
    // stays the single point of order either way: a commit that loses the race for its revision reloads
    // what the other relay committed, forwards it, transforms and retries (at most maxCommitAttempts, then
    // the client gets "conflict-retry" and resends later).
    static constexpr int maxCommitAttempts = 10;
    void setPeers(PeerRelays *peers) { m_peers = peers; }
    // Bring a loaded document up to the log: replay the operations committed elsewhere and forward them to
    // local participants in revision order. `knownRevision`: a revision named by a notification (nothing to
    // read when already there); -1: look.
    void catchUp(const QString &id, int knownRevision = -1);
    void catchUpAll();
    // A presence message (join, leave, selection, idle) from another relay, for local participants.
    void forwardPresence(const QString &doc, const QByteArray &message);
    // Commits that lost the race for their revision to another relay (and were transformed and retried).
    int lostCommitRaces() const { return m_lostCommitRaces; }
    // The last commit failed for storage trouble (not a lost race): /healthz reports "degraded".
    bool commitsFailing() const { return m_commitsFailing; }

Q_SIGNALS:
    // An operation was committed (for metrics): how long the storage commit took.
    void operationCommitted(std::chrono::nanoseconds commitLatency);
    void documentsChanged(int loaded);

private:
    struct Member
    {
        Connection *connection = nullptr;
        collab::Participant presence;
    };
    struct Live
    {
        QString id;
        QString name;
        collab::ServerDocument document;
        std::vector<Member> members;
        QSet<QString> clientsChecked; // clients whose last stored sequence was looked up
        int uncommitted = 0;          // operations applied in memory and queued, not yet committed
        qint64 idleSince = -1;        // m_clock when its last member left (-1: has members or never idle)
    };
    // An operation applied in memory, waiting for the batch commit. What is sent after the commit is
    // computed at receive time, when the document is exactly at `revision`.
    struct Pending
    {
        std::shared_ptr<Live> live; // kept even if the document is unloaded meanwhile
        Connection *connection = nullptr; // null once the connection is gone: committed, not acknowledged
        QString connectionId;
        QString clientId;
        collab::Message::Op message; // as received, for a retry
        int attempt = 1;
        int revision = 0;
        collab::TextOperation operation; // as transformed and applied
        std::optional<collab::Selection> senderSelection;
        std::optional<QString> snapshot; // the text at `revision`, when a snapshot is due there
    };

    Live *find(const QString &id) const;
    Live *load(const QString &id, collab::ProtocolError &error);
    bool reload(Live &live);
    void unloadIfUnused(const QString &id);
    void unload(QString id); // by value: callers pass live.id, which goes with the document
    // Unloads idle documents past keepIdleMs, then the longest idle while their text exceeds maxIdleBytes.
    void evictIdle();
    Member *member(Live &live, const Connection &c);
    void leave(Live &live, Connection &c, bool notifySelf, const QString &ref);
    void broadcast(Live &live, const QString &payload, const Connection *except);
    bool documentTooLarge(const Live &live, const collab::TextOperation &op) const;
    std::optional<std::vector<collab::ServerDocument::LogEntry>> storedOperations(const QString &id, int after, int upTo);
    // pending: the client holds unacknowledged edits, so it is answered with operations whatever they cost
    // (a snapshot would make it rebase by diff and could apply an edit whose acknowledgement was lost twice).
    void sendOpened(Connection &c, Live &live, std::optional<int> since, const QString &ref, bool pending = false);

    void handleOp(Connection &c, const collab::Message::Op &m, int attempt);
    bool refuseCostlyOperation(Connection &c, const collab::Message::Op &m, const collab::ServerDocument &document);
    bool admitsSequence(Connection &c, const collab::Message::Op &m, collab::ServerDocument &document);
    bool acknowledgeResend(Connection &c, const collab::Message::Op &m, std::optional<int> known);
    void created(const Connection &c, const QString &id);
    // Sends the error and returns true when the selection has more ranges than maxSelectionRanges.
    bool refuseLargeSelection(Connection &c, const collab::Selection &selection, const QString &doc);
    static constexpr qsizetype maxCatchUpBytes = 8 * 1024 * 1024;
    void scheduleFlush();
    void flushBatch();
    void batchFailed(std::vector<Pending> &batch);
    void closeForStorageFailure(Live &live);
    bool recoverFromLostRace(Live &live, int revision);
    void forwardCommitted(Live &live, int after, const std::vector<collab::ServerDocument::LogEntry> &entries);

    Storage &m_storage;
    PeerRelays *m_peers = nullptr;
    int m_lostCommitRaces = 0;
    bool m_commitsFailing = false;
    Limits m_limits;
    QHash<QString, std::shared_ptr<Live>> m_documents;
    QElapsedTimer m_clock;
    QTimer m_idleSweep;
    std::vector<Pending> m_pending;            // the next batch
    std::vector<Pending> *m_flushing = nullptr; // the batch being acknowledged or retried, if any
    bool m_flushScheduled = false;
    CreationQuota m_quota;
};

} // namespace relay
