// SPDX-License-Identifier: MIT
#pragma once

#include "localstore.h"
#include "relaylink.h"
#include "textsurface.h"

#include <client.h>
#include <message.h>
#include <rope.h>
#include <selection.h>
#include <textoperation.h>
#include <undomanager.h>

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <deque>
#include <optional>

namespace syncing {

// DocumentSession: one open document shared through coscribe-relay (docs/PROTOCOL.md), in the shape of
// ot.js's EditorClient(serverAdapter, editorAdapter): a RelayLink carries the collab::Client's effects, a
// TextSurface shows the text, and the LocalStore keeps what is not acknowledged.
//
//   surface --localEdited--> Client::applyClient --send--> link              (op {doc, rev, seq, op})
//   link --op/ack--> Client::applyServer/serverAck --apply--> surface         (remote text, without echo)
//   every change of revision or pending edits --> LocalStore                 (before anything is sent)
//
// The relay's text at the client's revision (the base the pending edits apply to) is kept as a rope, and
// the store gets, per edit, only what the edit changed: the pending edits (LocalStore::save without
// snapshot) and, for a new revision, the operation that made it (LocalStore::appendOperations). The whole
// text is written only as a snapshot: when the relay sends one, on a resync, on close (if operations were
// logged since), and when the log has grown about as large as the text, so its cost per edit stays flat.
//
// Reconnect: when the link drops the client goes offline (edits keep composing into the buffer); the link
// retries with backoff, sends hello with the same client id, and the session opens the document with the
// last revision it saw, feeds the missed operations through the client as one batch
// (Client::applyServerBatch; its own in-flight operation, if it landed, counts as the acknowledgement),
// applies the result to the surface as one operation and resends what is pending.
//
// Undo: the session keeps a collab::UndoManager of the user's own edits (localEdited with undoable = true);
// remote operations transform it and a snapshot clears it. undoOperation()/redoOperation() say what to
// apply; the surface applies it and reports it back as a local edit that is not undoable itself.
//
// Positions in participant signals are local document positions (moved through the pending edits).
class DocumentSession : public QObject
{
    Q_OBJECT
public:
    enum class Status { Offline, Connecting, Online };

    struct Profile
    {
        QString name;
        QString color; // #rrggbb
        QString token;
        // Other relays of the same deployment (ws[s]://host:port, sharing one database): when the link to the
        // current relay fails or drops, the next reconnect tries the next address, round robin. Pending edits
        // are resent there; the shared log deduplicates them by (client id, sequence).
        QList<QUrl> failoverServers;
    };

    // `store` may be null: nothing is kept beyond the session (a one-shot command, a load generator), and
    // each open() is a new client to the relay.
    DocumentSession(TextSurface *surface, LocalStore *store, QObject *parent = nullptr);
    ~DocumentSession() override;

    // Split ws://host:port/document into the server part and the document id (a query is ignored).
    static bool splitUrl(const QUrl &url, QString *server, QString *document);

    // Claim the local replica of the document, show its text at once (cached or empty) and start connecting.
    // A `title` query item (ws://host:port/My-Notes?title=My%20Notes) is the title a document made by this
    // open gets (documentUrl() is the address without it).
    bool open(const QUrl &documentUrl, const Profile &profile, QString *error = nullptr);
    // Close the document and the link; the replica (with any pending edits) stays in the store.
    void close();

    // What the surface reports: an edit the user (or program) made, with its inverse; undoable unless it is
    // an undo or redo itself. False if the edit could not be taken (the session then resynchronises).
    bool localEdited(const collab::TextOperation &op, const collab::TextOperation &inverse, bool undoable = true);
    void localSelectionChanged();

    // The operation that undoes (redoes) the user's last own edit on the surface's text, if any.
    std::optional<collab::TextOperation> undoOperation();
    std::optional<collab::TextOperation> redoOperation();
    const collab::UndoManager &undoManager() const { return m_undo; }

    // Reconnect delays: the first retry waits about `initialMs`, doubling up to `maxMs` (with jitter).
    void setReconnectDelays(int initialMs, int maxMs) { m_link.setReconnectDelays(initialMs, maxMs); }
    // Reconnect after a drop (the default), or report it and stay offline (a one-shot command).
    void setAutoReconnect(bool on) { m_link.setAutoReconnect(on); }
    // Ask the relay to create the document when it does not exist (the default), or to refuse (reading).
    void setCreateIfMissing(bool on) { m_createIfMissing = on; }
    // Retry now instead of waiting for the backoff timer.
    void reconnectNow();

    // The document's history (docs/PROTOCOL.md, "history" to "versions"), asked of the relay; the answer
    // comes as the matching signal below, an error as relayError/errorOccurred. Dropped while offline.
    void requestHistory(int before = 0, int limit = 50);
    void requestRevision(int revision);
    // `ref` names the request in the reply (diffReceived's Diff::ref), for more than one asker.
    void requestDiff(int from, int to, const QString &ref = QStringLiteral("diff"));
    // Who wrote each part of the text (at the relay's revision; a long log is replayed over several requests,
    // which the session makes by itself).
    void requestAuthors();
    // The named versions; with a name, first name `revision` (nullopt: the current one) so.
    void requestVersions(const QString &saveName = {}, std::optional<int> revision = std::nullopt);

    Status status() const { return m_status; }
    bool isOpen() const { return m_client.has_value(); }
    // The document is open on the relay's side too (its text or catch-up has arrived).
    bool isOpenOnRelay() const { return m_opened; }
    bool isReadOnly() const { return m_readOnly; }
    int pendingEdits() const { return m_outstandingEdits + m_bufferEdits; }
    bool hasPendingEdits() const { return m_client && (m_client->outstanding() || m_client->hasBuffer()); }
    int revision() const { return m_client ? m_client->revision() : 0; }
    qint64 roundTripMs() const { return m_link.roundTripMs(); }
    QString server() const { return m_server; }
    QString documentId() const { return m_document; }
    QString documentName() const { return m_documentName.isEmpty() ? m_document : m_documentName; }
    QUrl documentUrl() const { return m_url; }
    // The address of the relay used for the current (or next) connection attempt.
    QUrl currentUrl() const { return m_link.currentAddress(); }
    QString clientId() const { return m_replica.clientId; }
    QString connectionId() const { return m_link.connectionId(); }
    const std::optional<collab::Client> &client() const { return m_client; }
    const RelayLink &link() const { return m_link; }
    QList<collab::Participant> participants() const { return m_participants.values(); }
    // What keeps this document from being shared right now and what the user can do about it; empty when
    // nothing does. Shown in the window until it is resolved (statusChanged says when it changes).
    QString problem() const { return m_problem; }
    // The largest operation sent in one message (the relay's limit less the envelope).
    qint64 maxOperationBytes() const { return m_maxOperationBytes; }
    static constexpr qint64 MessageEnvelopeBytes = 4096;

Q_SIGNALS:
    void statusChanged();
    // A remote operation was applied to the surface (op in local coordinates).
    void remoteApplied(const collab::TextOperation &op, const QString &connectionId);
    // The whole text was replaced (a snapshot).
    void textReset();
    // Every edit made here so far has been acknowledged by the relay (nothing pending).
    void allAcknowledged();
    // The operation with this sequence number went to the relay (again, after a reconnect or a retry).
    void operationSent(qint64 sequence);
    // The relay committed our operation `sequence` as `revision` (its acknowledgement, or, when that was
    // lost, the operation itself seen in a catch-up).
    void acknowledged(qint64 sequence, int revision);
    // The relay broadcast another participant's operation `sequence` of `author` (a client id), now applied.
    void remoteOperationReceived(const QString &author, qint64 sequence, int revision);
    void participantJoined(const collab::Participant &participant);
    void participantLeft(const QString &connectionId);
    void participantUpdated(const collab::Participant &participant);
    void participantSelectionChanged(const QString &connectionId, const collab::Selection &selection);
    void participantsCleared();
    void errorOccurred(const QString &message);
    // The relay sent an error (docs/PROTOCOL.md); errorOccurred follows unless it is one the session
    // recovers from by itself.
    void relayError(collab::ProtocolErrorCode code, const QString &message);
    // The relay deleted the document; the session has closed its link.
    void documentDeleted();
    // Someone renamed the document (documentName() is the new title).
    void documentRenamed(const QString &name);
    // The link dropped (`why`: what the user can act on, if anything).
    void linkDropped(const QString &why);
    void historyReceived(const collab::Message::HistoryPage &page);
    void revisionReceived(int revision, const QString &text);
    void diffReceived(const collab::Message::Diff &diff);
    void versionsReceived(const QList<collab::Message::Version> &versions);
    void authorsReceived(const collab::Message::Authors &authors);
    // Others changed the document from revision `from` (the last this editor saw) to `to` while it was closed
    // or offline; requestDiff(from, to) says what.
    void changedWhileAway(int from, int to);
    // The relay refused a history request (the session itself is not affected).
    void historyFailed(collab::ProtocolErrorCode code, const QString &message);

private:
    // The relay dropped the document or refused an operation without applying it (storage trouble) while the
    // link stays up: reopen the document on it after a backoff; the relay sends what was missed and
    // resumed() resends what was not acknowledged.
    void scheduleReopen();
    void setStatus(Status status);
    void send(const QString &frame) { m_link.send(frame); }
    void sendOpen();
    void sendOutgoing(const collab::Client::Outgoing &outgoing);
    void sendSelectionIfSynchronized();
    // The pending edits only; the base text and revision as a snapshot; the relay's operations that took
    // the base to the client's revision (a snapshot instead when the log is due for compaction or refused).
    void persistPending();
    void persistSnapshot();
    void persistOperations(const std::vector<LocalStore::LoggedOperation> &operations);
    void syncReplica();
    void resync(const QString &why);
    void resetClient(int revision, qint64 lastSequence);
    // The relay's limits (from welcome) on the engine's client.
    void applyLimits();
    void setProblem(const QString &text);
    void clearProblem();
    void notifyIfAllAcknowledged();

    void onWelcomed(const collab::Message::Welcome &m);
    void onReceived(const collab::Message::Server &message);
    void onDropped(const QString &why, bool reached);
    void onIdleTimeout();
    void noteActivity();

    void handle(const collab::Message::Opened &m);
    void handle(const collab::Message::RemoteOp &m);
    void handle(const collab::Message::Ack &m);
    void handle(const collab::Message::Join &m);
    void handle(const collab::Message::Leave &m);
    void handle(const collab::Message::SelectionChanged &m);
    void handle(const collab::Message::IdleChanged &m);
    void handle(const collab::Message::Error &m);
    void handle(const collab::Message::Deleted &m);
    void handle(const collab::Message::Renamed &m);
    void handle(const collab::Message::HistoryPage &m);
    void handle(const collab::Message::RevisionText &m);
    void handle(const collab::Message::Diff &m);
    void handle(const collab::Message::VersionList &m);
    void handle(const collab::Message::Authors &m);
    int m_awayFrom = -1; // the revision before a catch-up in progress
    bool m_awayByOthers = false;
    template<typename M>
    void handle(const M &) {}

    bool applyServerOperation(int revision, const collab::TextOperation &op, const QString &author,
                              qint64 sequence, const QString &connectionId);
    bool applyCatchUp(const QList<collab::CommittedOperation> &ops);
    bool afterServerOperations(const collab::Client::Effects &effects, bool ours, const QString &connectionId,
                               const std::vector<LocalStore::LoggedOperation> &operations);
    void remember(int revision, const collab::TextOperation &op);
    // `renumber`: the relay no longer knows our sequence numbers (a new client id): pending edits start at 1.
    void applySnapshot(int revision, const QString &text, bool renumber = false);
    // Apply a remote operation (local coordinates) to the surface and the undo stack.
    bool applyToSurface(const collab::TextOperation &op, const QString &connectionId);
    bool afterAcknowledged(const collab::TextOperation &committed, int revision);
    collab::Selection toLocal(int revision, const collab::Selection &selection) const;

    TextSurface *m_surface;
    LocalStore *m_store;
    RelayLink m_link;
    Profile m_profile;
    QUrl m_url;
    QString m_server;
    QString m_document;
    QString m_documentName;
    QString m_newTitle; // the title a document this session makes gets (open's `name`)
    // What the store holds of this replica; `snapshot` is only filled while it is being written.
    LocalStore::Replica m_replica;
    // The relay's text at m_client->revision() (before the first connection, or after a resync, the local
    // text the pending edits are based on: m_replica.synced is then false).
    collab::Rope m_base;
    std::optional<collab::Client> m_client;
    std::deque<std::pair<int, collab::TextOperation>> m_history; // recent committed ops, for late selections
    QHash<QString, collab::Participant> m_participants;
    collab::UndoManager m_undo;
    QElapsedTimer m_clock;

    Status m_status = Status::Offline;
    bool m_opened = false;   // the document is open on the current link
    bool m_closing = false;
    bool m_readOnly = false;
    bool m_createIfMissing = true;
    QString m_relayLostHistory;  // set when the relay was found behind us (handle(Opened)); shown as a problem
    int m_outstandingEdits = 0;
    int m_bufferEdits = 0;

    QString m_problem;
    qint64 m_maxOperationBytes = 1024 * 1024 - MessageEnvelopeBytes; // the relay's default until welcome
    qsizetype m_maxOperationComponents = 20000;                       // likewise
    QTimer m_reopenTimer;

    QTimer m_selectionTimer;
    bool m_selectionDirty = false;
    QTimer m_idleTimer;
    bool m_idle = false;
};

} // namespace syncing
