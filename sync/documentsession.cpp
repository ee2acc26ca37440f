// SPDX-License-Identifier: MIT
#include "documentsession.h"
#include "textbuffer.h"

#include <QUrlQuery>

#include <algorithm>

namespace syncing {

namespace {

constexpr int IdleAfterMs = 60000;
constexpr size_t HistoryLength = 256;
// The operation log is replaced by a snapshot once it holds about as many bytes as the text has characters
// (and at least this many): writing the n-character text once per ~n bytes of logged operations costs about
// as much per operation as logging it, whatever the document's size, and the replay at the next start is
// bounded by about one more pass over the text.
constexpr qint64 MinCompactionBytes = 256 * 1024;

} // namespace

DocumentSession::DocumentSession(TextSurface *surface, LocalStore *store, QObject *parent)
    : QObject(parent), m_surface(surface), m_store(store)
{
    m_clock.start();
    connect(&m_link, &RelayLink::welcomed, this, &DocumentSession::onWelcomed);
    connect(&m_link, &RelayLink::received, this, &DocumentSession::onReceived);
    connect(&m_link, &RelayLink::dropped, this, &DocumentSession::onDropped);
    connect(&m_link, &RelayLink::roundTripMeasured, this, &DocumentSession::statusChanged);
    connect(&m_link, &RelayLink::stateChanged, this, [this] {
        if (m_link.state() == RelayLink::State::Connecting && m_status != Status::Connecting)
            setStatus(Status::Connecting);
    });

    m_reopenTimer.setSingleShot(true);
    connect(&m_reopenTimer, &QTimer::timeout, this, [this] {
        if (!m_closing && !m_opened && m_link.isConnected())
            sendOpen();
    });
    m_selectionTimer.setSingleShot(true);
    m_selectionTimer.setInterval(40);
    connect(&m_selectionTimer, &QTimer::timeout, this, &DocumentSession::sendSelectionIfSynchronized);
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(IdleAfterMs);
    connect(&m_idleTimer, &QTimer::timeout, this, &DocumentSession::onIdleTimeout);
}

DocumentSession::~DocumentSession()
{
    close();
}

bool DocumentSession::splitUrl(const QUrl &url, QString *server, QString *document)
{
    if (!url.isValid() || (url.scheme() != QLatin1String("ws") && url.scheme() != QLatin1String("wss"))
        || url.host().isEmpty())
        return false;
    QString path = url.path();
    while (path.startsWith(QLatin1Char('/')))
        path.remove(0, 1);
    if (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    if (!collab::isValidDocumentId(path))
        return false;
    QUrl base = url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo);
    *server = base.toString();
    *document = path;
    return true;
}

bool DocumentSession::open(const QUrl &documentUrl, const Profile &profile, QString *error)
{
    close();
    m_relayLostHistory.clear();
    QString server;
    QString document;
    if (!splitUrl(documentUrl, &server, &document)) {
        if (error)
            *error = tr("Not a document address: %1 (expected ws://host:port/document)").arg(documentUrl.toString());
        return false;
    }
    std::optional<LocalStore::Replica> replica;
    if (m_store) {
        replica = m_store->claim(server, document);
    } else {
        // Nothing kept: a fresh identity for this session alone.
        replica.emplace();
        replica->server = server;
        replica->document = document;
        const RelayLink::Identity identity = RelayLink::Identity::fresh({}, profile.name, profile.color, profile.token);
        replica->clientId = identity.clientId;
        replica->secret = identity.secret;
    }
    if (!replica) {
        if (error)
            *error = tr("The local store in %1 cannot be used").arg(m_store->directory());
        return false;
    }
    m_closing = false;
    m_url = documentUrl.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment);
    m_newTitle = QUrlQuery(documentUrl).queryItemValue(QStringLiteral("title"), QUrl::FullyDecoded).left(256);
    m_documentName = m_newTitle;
    m_server = server;
    m_document = document;
    m_profile = profile;
    m_replica = *replica;
    resetClient(m_replica.revision, m_replica.lastSequence);
    m_client->restorePending(m_replica.outstanding, m_replica.buffer);
    m_client->disconnected();
    m_outstandingEdits = m_replica.outstanding ? std::max(1, m_replica.pendingEdits) : 0;
    m_bufferEdits = 0;
    if (m_replica.buffer) {
        m_bufferEdits = std::max(1, m_replica.pendingEdits - (m_replica.outstanding ? 1 : 0));
        m_outstandingEdits = m_replica.outstanding ? 1 : 0;
    }
    m_undo.clear();
    m_surface->resetText(m_replica.localText().value_or(m_replica.snapshot));
    m_base = collab::Rope(m_replica.snapshot);
    m_replica.snapshot = QString();
    Q_EMIT textReset();
    if (m_replica.damaged) {
        // The store replaced what it could not rebuild (LocalStore::claim); write that state back at once.
        persistSnapshot();
        Q_EMIT errorOccurred(tr("The local copy of %1 was damaged: its unsent edits could not be kept, and what"
                                " the store could not rebuild is taken from the server").arg(document));
    }

    QList<QUrl> addresses{m_url};
    for (QUrl url : profile.failoverServers) {
        url.setPath(QLatin1Char('/') + document);
        addresses.append(url);
    }
    m_link.setAddresses(addresses);
    m_link.setIdentity({m_replica.clientId, m_replica.secret, profile.name, profile.color, profile.token});
    setStatus(Status::Connecting);
    m_link.open();
    return true;
}

void DocumentSession::close()
{
    m_closing = true;
    m_reopenTimer.stop();
    m_idleTimer.stop();
    if (m_opened)
        send(collab::Message::encodeText(collab::Message::Close{QString(), m_document}));
    m_link.close();
    if (m_client) {
        // The log is compacted on the way out, so the next start has nothing to replay.
        if (m_replica.loggedOperations > 0)
            persistSnapshot();
        else
            persistPending();
        if (m_store)
            m_store->release(m_replica.id);
    }
    m_client.reset();
    m_opened = false;
    m_participants.clear();
    m_status = Status::Offline;
}

void DocumentSession::reconnectNow()
{
    if (m_client)
        m_link.reconnectNow();
}

void DocumentSession::scheduleReopen()
{
    if (m_closing || m_reopenTimer.isActive() || !m_link.isConnected())
        return;
    if (m_opened) {
        m_opened = false;
        if (m_client)
            m_client->disconnected(); // edits from now on wait in the buffer
        m_participants.clear();
        Q_EMIT participantsCleared();
    }
    m_reopenTimer.start(m_link.nextBackoffMs());
    setStatus(Status::Connecting);
}

void DocumentSession::setStatus(Status status)
{
    m_status = status;
    Q_EMIT statusChanged();
}

void DocumentSession::syncReplica()
{
    m_replica.revision = m_client->revision();
    m_replica.lastSequence = m_client->lastSequence();
    m_replica.outstanding = m_client->outstanding();
    m_replica.buffer = m_client->buffer();
    m_replica.pendingEdits = pendingEdits();
}

void DocumentSession::persistPending()
{
    if (!m_client || !m_store)
        return;
    syncReplica();
    m_store->save(m_replica, false);
}

void DocumentSession::persistSnapshot()
{
    if (!m_client || !m_store)
        return;
    syncReplica();
    m_replica.snapshot = m_base.toString();
    if (m_store->save(m_replica, true)) {
        m_replica.loggedOperations = 0;
        m_replica.loggedBytes = 0;
    }
    m_replica.snapshot = QString();
}

void DocumentSession::persistOperations(const std::vector<LocalStore::LoggedOperation> &operations)
{
    if (!m_client || !m_store)
        return;
    if (operations.empty()) {
        persistPending();
        return;
    }
    if (m_replica.loggedBytes >= std::max<qint64>(MinCompactionBytes, m_base.length())) {
        persistSnapshot();
        return;
    }
    syncReplica();
    if (std::optional<qint64> bytes = m_store->appendOperations(m_replica, operations)) {
        m_replica.loggedOperations += int(operations.size());
        m_replica.loggedBytes += *bytes;
    } else {
        // Refused (the stored revision is not where these follow on, or the write failed): a snapshot gives
        // the store a state the log can continue from.
        persistSnapshot();
    }
}

void DocumentSession::onDropped(const QString &why, bool reached)
{
    if (!m_closing) {
        if (!why.isEmpty())
            setProblem(reached || m_opened ? why
                                           : tr("%1. Your edits are kept and sent when it answers; check the"
                                                " address in File › Connect… if this persists.").arg(why));
    }
    m_reopenTimer.stop(); // the reconnect reopens the document
    const bool wasOpened = m_opened;
    m_opened = false;
    if (m_client)
        m_client->disconnected();
    if (wasOpened || !m_participants.isEmpty()) {
        m_participants.clear();
        Q_EMIT participantsCleared();
    }
    if (m_closing)
        return;
    setStatus(Status::Offline);
    Q_EMIT linkDropped(why);
}

void DocumentSession::onReceived(const collab::Message::Server &message)
{
    std::visit([this](const auto &m) { handle(m); }, message);
}

void DocumentSession::requestHistory(int before, int limit)
{
    send(collab::Message::encodeText(collab::Message::History{QStringLiteral("history"), m_document, before, limit}));
}

void DocumentSession::requestRevision(int revision)
{
    send(collab::Message::encodeText(collab::Message::GetRevision{QStringLiteral("revision"), m_document, revision}));
}

void DocumentSession::requestDiff(int from, int to, const QString &ref)
{
    send(collab::Message::encodeText(collab::Message::GetDiff{ref, m_document, from, to}));
}

void DocumentSession::requestAuthors()
{
    send(collab::Message::encodeText(collab::Message::GetAuthors{QStringLiteral("authors"), m_document}));
}

void DocumentSession::handle(const collab::Message::Authors &m)
{
    if (m.doc == m_document)
        Q_EMIT authorsReceived(m);
}

void DocumentSession::requestVersions(const QString &saveName, std::optional<int> revision)
{
    send(collab::Message::encodeText(collab::Message::Versions{QStringLiteral("versions"), m_document, saveName,
                                                               revision, !saveName.isEmpty(), false}));
}

void DocumentSession::handle(const collab::Message::HistoryPage &m)
{
    if (m.doc == m_document)
        Q_EMIT historyReceived(m);
}

void DocumentSession::handle(const collab::Message::RevisionText &m)
{
    // What the relay charged for it (one token per collab::ReplyUnitsPerToken of the text), so the next
    // requests keep to the rate.
    m_link.charge(int(m.text.size() / collab::ReplyUnitsPerToken));
    if (m.doc == m_document)
        Q_EMIT revisionReceived(m.revision, m.text);
}

void DocumentSession::handle(const collab::Message::Diff &m)
{
    m_link.charge(m.charged - 1);
    if (m.doc == m_document)
        Q_EMIT diffReceived(m);
}

void DocumentSession::handle(const collab::Message::VersionList &m)
{
    if (m.doc == m_document)
        Q_EMIT versionsReceived(m.versions);
}

void DocumentSession::sendOpen()
{
    collab::Message::Open open;
    open.id = QStringLiteral("open");
    open.doc = m_document;
    // Without a revision the relay answers with its text, and pending edits are rebased on it by diff.
    if (m_replica.synced) {
        open.revision = m_client->revision();
        // With edits in flight, catch up by operations so an edit whose acknowledgement was lost is
        // recognised as our own (Client::applyServer) instead of being rebased onto a snapshot twice.
        open.pending = m_client->outstanding().has_value() || m_client->hasBuffer();
    }
    open.create = m_createIfMissing;
    if (open.create)
        open.name = m_newTitle;
    send(collab::Message::encodeText(open));
}

void DocumentSession::onWelcomed(const collab::Message::Welcome &m)
{
    // Every operation must fit the relay's message limit with its envelope (doc, numbers, a selection).
    if (m.maxMessageBytes > 0)
        m_maxOperationBytes = std::max<qint64>(256, m.maxMessageBytes - MessageEnvelopeBytes);
    m_maxOperationComponents = m.maxOperationComponents;
    applyLimits();
    sendOpen();
}

void DocumentSession::handle(const collab::Message::Opened &m)
{
    if (m.doc != m_document || !m_client)
        return;
    if (!m.name.isEmpty() && m.name != m_documentName) {
        m_documentName = m.name; // renamed while this editor was away, or the first time it hears the title
        Q_EMIT documentRenamed(m.name);
    }
    m_readOnly = m.role == collab::Role::Read;
    m_surface->setReadOnly(m_readOnly);

    if (m.snapshot) {
        m_link.charge(int(m.snapshot->size() / collab::ReplyUnitsPerToken)); // what the relay charged for it
        if (m_replica.synced && m.revision < m_client->revision()) {
            // The relay is behind what this editor saw: it lost history (its database replaced by an older
            // backup, or lost). It no longer knows our sequence numbers either and would refuse the next one
            // for good (out-of-order-sequence). Carry on under a new client id numbered from 1: nothing of
            // ours can be in its log past its revision, so nothing can be applied twice. The pending edits
            // are rebased on its text; what it lost is not pushed back (every editor that kept a copy would
            // push its own, and the text would come back several times).
            const int seen = m_client->revision();
            const RelayLink::Identity fresh =
                RelayLink::Identity::fresh({}, m_profile.name, m_profile.color, m_profile.token);
            m_replica.clientId = fresh.clientId;
            m_replica.secret = m_store ? m_store->secretFor(fresh.clientId) : fresh.secret;
            if (m_replica.secret.isEmpty())
                m_replica.secret = fresh.secret;
            applySnapshot(m.revision, *m.snapshot, true);
            persistSnapshot();
            qWarning("DocumentSession: %s: the relay is at revision %d, this editor had seen %d: it lost history; "
                     "continuing as a new client", qPrintable(m_document), m.revision, seen);
            m_link.setIdentity({m_replica.clientId, m_replica.secret, m_profile.name, m_profile.color,
                                m_profile.token});
            m_link.restart();  // a new hello, with the new id
            m_relayLostHistory = tr("The relay's copy of this document went back to an older state (revision %1; "
                                    "this editor had seen %2): edits it lost are gone from it. Your unsent edits "
                                    "are kept and sent again.").arg(m.revision).arg(seen);
            setProblem(m_relayLostHistory);
            return;
        }
        applySnapshot(m.revision, *m.snapshot);
    } else if (m.ops) {
        // What others committed while this editor was away (closed, or offline): from the revision it last
        // saw (kept by the local store) to where the catch-up ends, over one or more pages.
        if (m_awayFrom < 0)
            m_awayFrom = m_client->revision();
        const bool byOthers = std::any_of(m.ops->cbegin(), m.ops->cend(), [this](const collab::CommittedOperation &c) {
            return c.revision > m_client->revision() && c.author != m_replica.clientId;
        });
        m_awayByOthers = m_awayByOthers || byOthers;
        if (!applyCatchUp(*m.ops))
            return;
        if (m.more) {
            // A page of a long catch-up: ask for the next one from where this page ends.
            persistPending();
            sendOpen();
            return;
        }
        if (m_awayByOthers && m_client->revision() > m_awayFrom)
            Q_EMIT changedWhileAway(m_awayFrom, m_client->revision());
    }
    m_awayFrom = -1;
    m_awayByOthers = false;

    m_participants.clear();
    Q_EMIT participantsCleared();
    for (collab::Participant p : m.participants) {
        p.selection = toLocal(m.revision, p.selection);
        m_participants.insert(p.connectionId, p);
        Q_EMIT participantJoined(p);
    }

    m_opened = true;
    clearProblem();
    if (!m_relayLostHistory.isEmpty())
        setProblem(m_relayLostHistory);  // said until the window is closed: the user should know
    const collab::Client::Effects effects = m_client->resumed();
    if (effects.send && !m_readOnly)
        sendOutgoing(*effects.send);
    // The backoff starts over only once the link has proved healthy: now when nothing waits to be sent,
    // otherwise at the first acknowledgement. A relay that opens the document and then refuses or drops
    // what we resend is retried ever more slowly, not twice a second.
    if (!effects.send || m_readOnly)
        m_link.resetBackoff();
    // A catch-up was logged operation by operation (afterServerOperations); a snapshot replaces the base.
    if (m.snapshot)
        persistSnapshot();
    else
        persistPending();
    setStatus(Status::Online);
    m_selectionDirty = true;
    sendSelectionIfSynchronized();
    noteActivity();
}

void DocumentSession::applySnapshot(int revision, const QString &text, bool renumber)
{
    const bool pending = m_client->outstanding() || m_client->hasBuffer();
    if (!pending) {
        resetClient(revision, renumber ? 0 : m_client->lastSequence());
        m_client->disconnected();
        m_replica.synced = true;
        m_base = collab::Rope(text);
        m_history.clear();
        if (m_surface->rope().toString() != text) {
            m_undo.clear();
            m_surface->resetText(text);
            Q_EMIT textReset();
        }
        return;
    }

    // Rebase the pending edits on the snapshot: the change from the text they were based on to the snapshot
    // is one concurrent operation D; the pending edits P (outstanding then buffer) transform against it.
    //
    //        base --P--> local
    //          |           |
    //          D           D'   (applied to the editor like a remote edit)
    //          v           v
    //      snapshot --P'--> new local
    collab::TextOperation pendingOp = m_client->outstanding() ? m_client->outstanding()->operation
                                                              : *m_client->buffer();
    if (m_client->outstanding() && m_client->buffer()) {
        collab::Expected<collab::TextOperation> composed = pendingOp.compose(*m_client->buffer());
        if (composed)
            pendingOp = composed.value();
    }
    const collab::TextOperation d = collab::TextOperation::makeDiff(m_base.toString(), text);
    auto pair = collab::TextOperation::transform(pendingOp, d);
    if (!pair) {
        resync(tr("The pending edits do not fit the server's text"));
        return;
    }
    // The outstanding operation keeps its sequence number: it was never sent (a replica is synced before it
    // sends anything), or, if it was and landed, the relay recognises the resend instead of applying the
    // rebased edit a second time. A fresh number would leave a gap the relay refuses.
    const qint64 sequence = renumber                  ? 1
                            : m_client->outstanding() ? m_client->outstanding()->sequence
                                                      : m_client->lastSequence() + 1;
    resetClient(revision, sequence);
    m_client->disconnected();
    m_client->restorePending(collab::Client::Outgoing{revision, sequence, pair->first}, std::nullopt);
    m_outstandingEdits = pendingEdits();
    m_bufferEdits = 0;
    m_replica.synced = true;
    m_base = collab::Rope(text);
    m_history.clear();
    if (!applyToSurface(pair->second, QString())) {
        m_undo.clear();
        m_surface->resetText(pair->first.apply(text).value());
        Q_EMIT textReset();
    }
}

bool DocumentSession::applyServerOperation(int revision, const collab::TextOperation &op, const QString &author,
                                          qint64 sequence, const QString &connectionId)
{
    if (revision <= m_client->revision())
        return true;
    const bool ours = m_client->outstanding() && author == m_replica.clientId
        && sequence == m_client->outstanding()->sequence;
    collab::Expected<collab::Client::Effects> effects = m_client->applyServer(revision, op, author, sequence);
    if (!effects) {
        resync(effects.error().message);
        return false;
    }
    if (m_base.apply(op)) {
        resync(tr("A server operation does not fit the cached text"));
        return false;
    }
    remember(revision, op);
    if (ours)
        Q_EMIT acknowledged(sequence, revision);
    else
        Q_EMIT remoteOperationReceived(author, sequence, revision);
    return afterServerOperations(*effects, ours, connectionId, {{revision, op}});
}

// The operations missed while offline go through the client as one batch (Client::applyServerBatch: same
// result as one applyServer() each, without transforming the whole pending buffer K times), and reach the
// editor, the undo stack and the remote cursors as one operation, and the local store as one transaction.
bool DocumentSession::applyCatchUp(const QList<collab::CommittedOperation> &ops)
{
    std::vector<collab::Client::ServerEntry> entries;
    entries.reserve(size_t(ops.size()));
    int revision = m_client->revision();
    for (const collab::CommittedOperation &c : ops) {
        if (c.revision <= revision)
            continue; // seen already; a gap is left for the client to report
        entries.push_back({c.revision, c.operation, c.author, c.sequence});
        revision = c.revision;
    }
    if (entries.empty())
        return true;

    const bool hadOutstanding = m_client->outstanding().has_value();
    const qint64 outstandingSequence = hadOutstanding ? m_client->outstanding()->sequence : 0;
    collab::Expected<collab::Client::Effects> effects = m_client->applyServerBatch(entries);
    if (!effects) {
        resync(effects.error().message);
        return false;
    }
    // The relay's text, operation after operation (a rope: each costs O(log n + edit), not a copy of the text).
    std::vector<LocalStore::LoggedOperation> logged;
    logged.reserve(entries.size());
    for (const collab::Client::ServerEntry &e : entries) {
        if (m_base.apply(e.operation)) {
            resync(tr("A server operation does not fit the cached text"));
            return false;
        }
        remember(e.revision, e.operation);
        logged.push_back({e.revision, e.operation});
    }
    // Our in-flight operation was in the log (its acknowledgement was lost): it no longer is outstanding.
    const bool ours = hadOutstanding
        && (!m_client->outstanding() || m_client->outstanding()->sequence != outstandingSequence);
    if (ours) {
        for (const collab::Client::ServerEntry &e : entries)
            if (e.authorId == m_replica.clientId && e.authorSequence == outstandingSequence)
                Q_EMIT acknowledged(e.authorSequence, e.revision);
    }
    return afterServerOperations(*effects, ours, QString(), logged);
}

void DocumentSession::remember(int revision, const collab::TextOperation &op)
{
    m_history.emplace_back(revision, op);
    if (m_history.size() > HistoryLength)
        m_history.pop_front();
}

// The client has taken server operations (`ours`: among them our outstanding one, so the buffer's edits are
// now the ones in flight): the editor gets what to apply, the state is saved, the promoted buffer goes out.
bool DocumentSession::afterServerOperations(const collab::Client::Effects &effects, bool ours,
                                           const QString &connectionId,
                                           const std::vector<LocalStore::LoggedOperation> &operations)
{
    if (ours) {
        m_outstandingEdits = m_bufferEdits;
        m_bufferEdits = 0;
    }
    if (effects.apply) {
        if (!applyToSurface(*effects.apply, connectionId)) {
            resync(tr("A remote edit does not fit the local text"));
            return false;
        }
    }
    persistOperations(operations);
    if (effects.send && m_opened && !m_readOnly)
        sendOutgoing(*effects.send);
    Q_EMIT statusChanged();
    if (ours)
        notifyIfAllAcknowledged();
    return true;
}

void DocumentSession::handle(const collab::Message::RemoteOp &m)
{
    if (m.doc != m_document || !m_client || !m_opened)
        return;
    if (!applyServerOperation(m.revision, m.operation, m.author, m.sequence, m.connectionId))
        return;
    if (m.selection && m.connectionId != m_link.connectionId()) {
        const collab::Selection local = m_client->transformSelection(*m.selection);
        auto it = m_participants.find(m.connectionId);
        if (it != m_participants.end())
            it->selection = local;
        Q_EMIT participantSelectionChanged(m.connectionId, local);
    }
}

void DocumentSession::handle(const collab::Message::Ack &m)
{
    if (m.doc != m_document || !m_client || !m_client->outstanding())
        return;
    if (m.sequence != m_client->outstanding()->sequence)
        return;
    const collab::TextOperation committed = m_client->outstanding()->operation;
    collab::Expected<collab::Client::Effects> effects = m_client->serverAck(m.revision, m.sequence);
    if (!effects) {
        resync(effects.error().message);
        return;
    }
    if (!afterAcknowledged(committed, m.revision))
        return;
    Q_EMIT acknowledged(m.sequence, m.revision);
    m_link.resetBackoff();
    if (effects->send && !m_readOnly)
        sendOutgoing(*effects->send);
    if (m_client->state() == collab::Client::State::Synchronized)
        sendSelectionIfSynchronized();
}

bool DocumentSession::afterAcknowledged(const collab::TextOperation &committed, int revision)
{
    if (m_base.apply(committed)) {
        resync(tr("An acknowledged edit does not fit the cached text"));
        return false;
    }
    remember(revision, committed);
    m_outstandingEdits = m_bufferEdits;
    m_bufferEdits = 0;
    persistOperations({{revision, committed}});
    Q_EMIT statusChanged();
    notifyIfAllAcknowledged();
    return true;
}

void DocumentSession::handle(const collab::Message::Join &m)
{
    if (m.doc != m_document || m.participant.connectionId == m_link.connectionId())
        return;
    collab::Participant p = m.participant;
    p.selection = m_client ? m_client->transformSelection(p.selection) : collab::Selection();
    m_participants.insert(p.connectionId, p);
    Q_EMIT participantJoined(p);
}

void DocumentSession::handle(const collab::Message::Leave &m)
{
    if (m.doc != m_document)
        return;
    m_participants.remove(m.connectionId);
    Q_EMIT participantLeft(m.connectionId);
}

collab::Selection DocumentSession::toLocal(int revision, const collab::Selection &selection) const
{
    // A selection at an older revision first catches up through the committed operations since then.
    collab::Selection s = selection;
    if (revision < m_client->revision()) {
        for (const auto &[rev, op] : m_history) {
            if (rev > revision)
                s = s.transform(op, false);
        }
    }
    return m_client->transformSelection(s);
}

void DocumentSession::handle(const collab::Message::SelectionChanged &m)
{
    if (m.doc != m_document || !m_client || m.connectionId == m_link.connectionId())
        return;
    const collab::Selection local = toLocal(m.revision, m.selection);
    auto it = m_participants.find(m.connectionId);
    if (it != m_participants.end())
        it->selection = local;
    Q_EMIT participantSelectionChanged(m.connectionId, local);
}

void DocumentSession::handle(const collab::Message::IdleChanged &m)
{
    if (m.doc != m_document)
        return;
    auto it = m_participants.find(m.connectionId);
    if (it == m_participants.end())
        return;
    it->idle = m.idle;
    Q_EMIT participantUpdated(*it);
}

void DocumentSession::handle(const collab::Message::Error &m)
{
    if (!m.doc.isEmpty() && m.doc != m_document)
        return;
    // An answer to a history request: it says nothing about the document's session.
    static const QStringList historyRefs{QStringLiteral("history"), QStringLiteral("revision"), QStringLiteral("diff"),
                                         QStringLiteral("versions"), QStringLiteral("authors"), QStringLiteral("away")};
    if (historyRefs.contains(m.ref)) {
        if (m.ref == QLatin1String("authors") && m.code == collab::ProtocolErrorCode::ConflictRetry) {
            // A long log, replayed a part per request: ask again.
            QTimer::singleShot(m.retryAfterMs.value_or(100), this, [this] { requestAuthors(); });
            return;
        }
        Q_EMIT historyFailed(m.code, m.message);
        return;
    }
    Q_EMIT relayError(m.code, m.message);
    using Code = collab::ProtocolErrorCode;
    if ((m.code == Code::RateLimited || m.code == Code::ConflictRetry) && m_client
        && m_client->outstanding()) {
        const int delay = m.retryAfterMs.value_or(500);
        QTimer::singleShot(delay, this, [this] {
            if (m_opened && m_client && m_client->outstanding())
                sendOutgoing(*m_client->outstanding());
        });
        return;
    }
    if (m.code == Code::RevisionTooOld && m.doc == m_document) {
        // Nothing was applied: catch up from our revision (the pending edit is transformed here) and resend.
        scheduleReopen();
        return;
    }
    if (m.code == Code::ReadOnly) {
        m_readOnly = true;
        m_surface->setReadOnly(true);
        setStatus(m_status);
    }
    Q_EMIT errorOccurred(tr("The server reported %1: %2").arg(collab::protocolErrorName(m.code), m.message));
    if (const QString advice = RelayLink::adviceForError(m.code, m.message); !advice.isEmpty())
        setProblem(advice);
    // Storage trouble on the relay: our operation was not applied, or the document was dropped (or could not
    // be opened). Nothing is lost: reopen it, with backoff, until the relay can serve it again.
    if (m.doc == m_document
        && (m.code == Code::ServerError || (m.code == Code::NotOpen && m_opened))) {
        scheduleReopen();
        return;
    }
    if (m.code == Code::BaseLengthMismatch || m.code == Code::SplitsSurrogatePair || m.code == Code::InvalidOperation
        || m.code == Code::RevisionFromFuture)
        resync(m.message);
}

void DocumentSession::handle(const collab::Message::Deleted &m)
{
    if (m.doc != m_document)
        return;
    Q_EMIT errorOccurred(tr("The document %1 was deleted on the server").arg(documentName()));
    m_closing = true;
    m_opened = false;
    m_link.close();
    setProblem(tr("%1 was deleted on the server: nobody can open it any more. The text stays in this window;"
                  " File › Save As keeps it in a file.").arg(documentName()));
    setStatus(Status::Offline);
    Q_EMIT documentDeleted();
}

void DocumentSession::handle(const collab::Message::Renamed &m)
{
    if (m.doc != m_document || m.name == m_documentName)
        return;
    m_documentName = m.name;
    Q_EMIT documentRenamed(m.name);
}

// The local state no longer fits the server's: start over from the server's text. Pending edits that cannot
// be rebased are lost, so this is the last resort and is reported.
void DocumentSession::resync(const QString &why)
{
    qWarning("DocumentSession: resynchronising %s: %s", qPrintable(m_document), qPrintable(why));
    Q_EMIT errorOccurred(tr("Resynchronising with the server: %1").arg(why));
    resetClient(0, m_client ? m_client->lastSequence() : 0);
    m_client->disconnected();
    // Edits made from now until the server's text arrives are based on the text as it is now; the snapshot
    // is then rebased against them (applySnapshot), so only what was unacknowledged so far is given up.
    m_replica.synced = false;
    m_base = m_surface->rope();
    m_outstandingEdits = m_bufferEdits = 0;
    persistSnapshot();
    // The relay sends an open document's text only once: close it, then open it afresh.
    if (m_opened)
        send(collab::Message::encodeText(collab::Message::Close{QString(), m_document}));
    m_opened = false;
    collab::Message::Open open;
    open.id = QStringLiteral("open");
    open.doc = m_document;
    open.create = m_createIfMissing;
    if (open.create)
        open.name = m_newTitle;
    send(collab::Message::encodeText(open));
}

void DocumentSession::sendOutgoing(const collab::Client::Outgoing &outgoing)
{
    collab::Message::Op op;
    op.doc = m_document;
    op.revision = outgoing.revision;
    op.sequence = outgoing.sequence;
    op.operation = outgoing.operation;
    // The selection goes along when this operation brings the relay to the text the user sees.
    if (!m_client->hasBuffer()) {
        op.selection = m_surface->selection();
        m_selectionDirty = false;
    }
    send(collab::Message::encodeText(op));
    Q_EMIT operationSent(outgoing.sequence);
}

bool DocumentSession::localEdited(const collab::TextOperation &op, const collab::TextOperation &inverse,
                                  bool undoable)
{
    if (!m_client)
        return false;
    const bool hadOutstanding = m_client->outstanding().has_value();
    collab::Expected<collab::Client::Effects> effects = m_client->applyClient(op);
    if (!effects) {
        resync(effects.error().message);
        return false;
    }
    if (undoable)
        m_undo.addLocal(op, inverse, m_clock.elapsed());
    if (hadOutstanding || m_client->hasBuffer())
        ++m_bufferEdits;
    else
        ++m_outstandingEdits;
    // Written before it is sent: a kill after this line loses nothing. An edit that went into the buffer
    // (the outstanding one is already written) is journaled as one small row; writing the whole buffer again
    // would cost O(buffer) per keystroke.
    if (!hadOutstanding || !m_store || !m_store->appendEdit(m_replica, op))
        persistPending();
    if (effects->send && m_opened && !m_readOnly)
        sendOutgoing(*effects->send);
    noteActivity();
    Q_EMIT statusChanged();
    return true;
}

std::optional<collab::TextOperation> DocumentSession::undoOperation()
{
    return m_undo.undo(m_surface->rope());
}

std::optional<collab::TextOperation> DocumentSession::redoOperation()
{
    return m_undo.redo(m_surface->rope());
}

bool DocumentSession::applyToSurface(const collab::TextOperation &op, const QString &connectionId)
{
    if (!m_surface->applyRemote(op))
        return false;
    m_undo.transformRemote(op);
    Q_EMIT remoteApplied(op, connectionId);
    return true;
}

void DocumentSession::notifyIfAllAcknowledged()
{
    if (m_client && !m_client->outstanding() && !m_client->hasBuffer())
        Q_EMIT allAcknowledged();
}

void DocumentSession::localSelectionChanged()
{
    m_selectionDirty = true;
    if (m_opened && !m_selectionTimer.isActive())
        m_selectionTimer.start();
    noteActivity();
}

void DocumentSession::sendSelectionIfSynchronized()
{
    if (!m_opened || !m_client || !m_selectionDirty
        || m_client->state() != collab::Client::State::Synchronized)
        return;
    m_selectionDirty = false;
    send(collab::Message::encodeText(
        collab::Message::SetSelection{m_document, m_client->revision(), m_surface->selection()}));
}

void DocumentSession::noteActivity()
{
    if (m_idle && m_opened) {
        m_idle = false;
        send(collab::Message::encodeText(collab::Message::SetIdle{m_document, false}));
    }
    m_idleTimer.start();
}

void DocumentSession::onIdleTimeout()
{
    if (!m_opened || m_idle)
        return;
    m_idle = true;
    send(collab::Message::encodeText(collab::Message::SetIdle{m_document, true}));
}

// The engine's client, afresh, with the relay's limits (every place that starts over goes through here).
void DocumentSession::resetClient(int revision, qint64 lastSequence)
{
    m_client.emplace(m_replica.clientId, revision, lastSequence);
    applyLimits();
}

void DocumentSession::applyLimits()
{
    if (!m_client)
        return;
    m_client->setMaxOperationBytes(m_maxOperationBytes);
    m_client->setMaxOperationComponents(m_maxOperationComponents);
}

void DocumentSession::setProblem(const QString &text)
{
    if (m_problem == text)
        return;
    m_problem = text;
    Q_EMIT statusChanged();
}

void DocumentSession::clearProblem()
{
    if (m_problem.isEmpty())
        return;
    m_problem.clear();
    Q_EMIT statusChanged();
}

} // namespace syncing
