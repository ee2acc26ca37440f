// SPDX-License-Identifier: MIT
#pragma once

#include "catalogue.h"
#include "commitpath.h"
#include "defaults.h"
#include "history.h"
#include "livedocuments.h"
#include "peercatchup.h"

#include "message.h"
#include "serverdocument.h"

#include <QObject>
#include <QString>

#include <chrono>
#include <optional>

namespace relay {

class Connection;
class PeerRelays;
class Storage;

// DocumentHub: every document request of every connection (list, create, rename, delete, open, close, op,
// selection, idle), handed to the part that does that job:
//
//   LiveDocuments   the documents loaded now, their engines and participants; loading and idle eviction
//   Catalogue       which documents exist: list, create, rename, delete, creation quotas
//   (here)          sessions and presence: open with catch-up or snapshot, close, selections, idle state
//   CommitPath      the edit path with group commit (receive → commit → acknowledge → broadcast)
//   PeerCatchUp     several relays over one database: replaying and forwarding what others committed
//
// Invariant: no client ever sees an uncommitted operation. Whatever shows document state to a client flushes
// the commit path first, synchronously (see commitpath.h). Stored selections are moved through every later
// operation, so a late joiner sees them where they belong.
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
        int historyGapSeconds = defaults::historyGapSeconds; // a longer pause ends an edit session
        int maxHistoryScan = defaults::maxHistoryScan;       // operations one history request may read
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
    void handle(Connection &c, const collab::Message::History &m);
    void handle(Connection &c, const collab::Message::GetRevision &m);
    void handle(Connection &c, const collab::Message::GetDiff &m);
    void handle(Connection &c, const collab::Message::GetAuthors &m);
    void handle(Connection &c, const collab::Message::Versions &m);

    // The connection is gone: it leaves every document it had open.
    void connectionClosed(Connection &c);

    int loadedDocuments() const { return m_live.size(); }

    // Commit the queued operations now (one transaction per batch) and acknowledge and broadcast them. Runs
    // by itself at the end of each event-loop pass that queued one; call it before showing document state.
    void flush();

    // Several relays over one database (see ClusterBus). Null, the default: this relay is alone. The log
    // stays the single point of order either way: a commit that loses the race for its revision reloads
    // what the other relay committed, forwards it, transforms and retries (at most maxCommitAttempts, then
    // the client gets "conflict-retry" and resends later).
    static constexpr int maxCommitAttempts = CommitPath::maxCommitAttempts;
    void setPeers(PeerRelays *peers) { m_catchUp.setPeers(peers); }
    // Bring a loaded document up to the log: replay the operations committed elsewhere and forward them to
    // local participants in revision order. `knownRevision`: a revision named by a notification (nothing to
    // read when already there); -1: look.
    void catchUp(const QString &id, int knownRevision = -1);
    void catchUpAll();
    // Another relay renamed or deleted `id` (Catalogue::followStored).
    void followCatalogue(const QString &id);
    // A presence message (join, leave, selection, idle) from another relay, for local participants.
    void forwardPresence(const QString &doc, const QString &message);
    // Commits that lost the race for their revision to another relay (and were transformed and retried).
    int lostCommitRaces() const { return m_catchUp.lostCommitRaces(); }
    // The last commit failed for storage trouble (not a lost race): /healthz reports "degraded".
    bool commitsFailing() const { return m_commits.commitsFailing(); }

Q_SIGNALS:
    // An operation was committed (for metrics): how long the storage commit took.
    void operationCommitted(std::chrono::nanoseconds commitLatency);
    void documentsChanged(int loaded);

private:
    using Live = LiveDocuments::Live;
    using Member = LiveDocuments::Member;

    void leave(Live &live, Connection &c, bool notifySelf, const QString &ref);
    QStringList memberIds(const QString &id) const; // connection ids of its members here
    // pending: the client holds unacknowledged edits, so it is answered with operations whatever they cost
    // (a snapshot would make it rebase by diff and could apply an edit whose acknowledgement was lost twice).
    void sendOpened(Connection &c, Live &live, std::optional<int> since, const QString &ref, bool pending = false);
    static constexpr qsizetype maxCatchUpBytes = 8 * 1024 * 1024;

    Limits m_limits;
    LiveDocuments m_live;
    Catalogue m_catalogue;
    PeerCatchUp m_catchUp;
    CommitPath m_commits;
    History m_history;
};

} // namespace relay
