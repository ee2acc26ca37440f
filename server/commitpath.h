// SPDX-License-Identifier: MIT
#pragma once

#include "defaults.h"
#include "livedocuments.h"

#include "message.h"

#include <QObject>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace relay {

class Connection;
class PeerCatchUp;
class Storage;

// CommitPath: the edit path. Its one rule: receive → commit to storage → acknowledge → broadcast.
//
// Commits are grouped (group commit): an operation is transformed and applied in memory at once, then
// queued; at the end of the event-loop pass flush() appends every queued operation, of every document, in one
// storage transaction (one fsync), and only then acknowledges and broadcasts them in revision order. Later
// operations of the same pass are transformed against the queued, uncommitted ones, and commit in the same
// transaction.
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
// With several relays over one database, a commit that loses the race for its revision reloads what the
// other relay committed, forwards it, transforms and retries (at most maxCommitAttempts, then the client gets
// "conflict-retry" and resends later). Broadcasts are encoded once; the same payload goes to every recipient.
class CommitPath : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        qint64 maxDocumentBytes = defaults::maxDocumentBytes;
        int snapshotInterval = defaults::snapshotInterval;
        int maxOperationComponents = defaults::maxOperationComponents;
        int maxOperationLag = defaults::maxOperationLag;
        qint64 maxTransformWork = defaults::maxTransformWork;
        int maxSelectionRanges = defaults::maxSelectionRanges;
    };
    static constexpr int maxCommitAttempts = 10;

    CommitPath(Storage &storage, LiveDocuments &live, PeerCatchUp &catchUp, Limits limits, QObject *parent = nullptr);
    ~CommitPath() override;

    // An operation of a participant (the caller checked that it has the document open).
    void receive(Connection &c, const collab::Message::Op &m) { handleOp(c, m, 1); }
    // Commit the queued operations now (one transaction per batch) and acknowledge and broadcast them. Runs
    // by itself at the end of each event-loop pass that queued one; call it before showing document state.
    void flush();
    // The connection is gone: its queued operations still commit and reach the others; only the
    // acknowledgement is dropped (the client resends them on reconnect and is acknowledged then, from storage).
    void connectionClosed(const Connection &c);

    // The last commit failed for storage trouble (not a lost race): /healthz reports "degraded".
    bool commitsFailing() const { return m_commitsFailing; }
    // Storage answered again (a document loaded).
    void storageAnswered() { m_commitsFailing = false; }

    // Sends the error and returns true when the selection has more ranges than maxSelectionRanges.
    static bool refuseLargeSelection(Connection &c, const collab::Selection &selection, const QString &doc,
                                     int maxSelectionRanges);

Q_SIGNALS:
    // An operation was committed (for metrics): how long the storage commit took.
    void operationCommitted(std::chrono::nanoseconds commitLatency);

private:
    // An operation applied in memory, waiting for the batch commit. What is sent after the commit is
    // computed at receive time, when the document is exactly at `revision`.
    struct Pending
    {
        std::shared_ptr<LiveDocuments::Live> live; // kept even if the document is unloaded meanwhile
        Connection *connection = nullptr; // null once the connection is gone: committed, not acknowledged
        QString connectionId;
        QString clientId;
        collab::Message::Op message; // as received, for a retry
        int attempt = 1;
        int revision = 0;
        collab::TextOperation operation; // as transformed and applied
        std::optional<collab::Selection> senderSelection;
        std::optional<QString> snapshot; // the text at `revision`, when a snapshot is due there
        QString user;                    // the author, as stored with the operation
        QString name;
        QString color;
    };

    void handleOp(Connection &c, const collab::Message::Op &m, int attempt);
    bool refuseCostlyOperation(Connection &c, const collab::Message::Op &m, const collab::ServerDocument &document);
    bool admitsSequence(Connection &c, const collab::Message::Op &m, collab::ServerDocument &document);
    bool acknowledgeResend(Connection &c, const collab::Message::Op &m, std::optional<int> known);
    bool documentTooLarge(const LiveDocuments::Live &live, const collab::TextOperation &op) const;
    void scheduleFlush();
    void flushBatch();
    void batchFailed(std::vector<Pending> &batch);
    void closeForStorageFailure(LiveDocuments::Live &live);

    Storage &m_storage;
    LiveDocuments &m_live;
    PeerCatchUp &m_catchUp;
    Limits m_limits;
    bool m_commitsFailing = false;
    std::vector<Pending> m_pending;            // the next batch
    std::vector<Pending> *m_flushing = nullptr; // the batch being acknowledged or retried, if any
    bool m_flushScheduled = false;
};

} // namespace relay
