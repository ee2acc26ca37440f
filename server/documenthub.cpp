// SPDX-License-Identifier: MIT
#include "documenthub.h"

#include "connection.h"
#include "peerrelays.h"
#include "storage.h"

#include <QLoggingCategory>

#include <algorithm>

Q_DECLARE_LOGGING_CATEGORY(lcHub)
Q_LOGGING_CATEGORY(lcHub, "coscribe.relay.documents")

using namespace collab;

namespace relay {

namespace {

qsizetype insertedLength(const TextOperation &op)
{
    qsizetype n = 0;
    for (const TextOperation::Component &c : op.components())
        if (c.kind == TextOperation::Kind::Insert)
            n += c.length;
    return n;
}

} // namespace

DocumentHub::DocumentHub(Storage &storage, Limits limits, QObject *parent)
    : QObject(parent), m_limits(limits),
      m_live(storage, LiveDocuments::Limits{limits.historyInMemory, limits.snapshotInterval, limits.keepIdleMs,
                                            limits.maxIdleBytes}),
      m_catalogue(storage, m_live, limits.maxDocumentsPerUser, limits.maxCreationsPerHour),
      m_catchUp(storage, m_live),
      m_commits(storage, m_live, m_catchUp,
                CommitPath::Limits{limits.maxDocumentBytes, limits.snapshotInterval, limits.maxOperationComponents,
                                   limits.maxOperationLag, limits.maxTransformWork, limits.maxSelectionRanges}),
      m_history(storage, m_live,
                History::Limits{qint64(limits.historyGapSeconds) * 1000, limits.maxHistoryScan, limits.maxHistoryScan * 5})
{
    connect(&m_live, &LiveDocuments::documentsChanged, this, &DocumentHub::documentsChanged);
    connect(&m_commits, &CommitPath::operationCommitted, this, &DocumentHub::operationCommitted);
    connect(&m_live, &LiveDocuments::loadedFromStorage, &m_commits, &CommitPath::storageAnswered);
}

DocumentHub::~DocumentHub() = default;

void DocumentHub::flush()
{
    m_commits.flush();
}

// ---- catalogue: committed state only -----------------------------------------------------------------------

void DocumentHub::handle(Connection &c, const Message::List &m)
{
    flush();
    m_catalogue.list(c, m);
}

void DocumentHub::handle(Connection &c, const Message::Create &m)
{
    m_catalogue.create(c, m);
}

void DocumentHub::handle(Connection &c, const Message::Rename &m)
{
    flush();
    if (m_catalogue.rename(c, m))
        if (PeerRelays *peers = m_catchUp.peers())
            peers->publishCatalogue(m.doc);
}

void DocumentHub::handle(Connection &c, const Message::Delete &m)
{
    flush(); // queued operations of the document are acknowledged before it goes
    const QStringList members = memberIds(m.doc);
    if (!m_catalogue.remove(c, m))
        return;
    m_history.forget(m.doc);
    if (PeerRelays *peers = m_catchUp.peers()) {
        for (const QString &connectionId : members)
            peers->publishLeave(m.doc, connectionId);
        peers->publishCatalogue(m.doc);
    }
}

void DocumentHub::followCatalogue(const QString &id)
{
    flush();
    const QStringList members = memberIds(id);
    if (!m_catalogue.followStored(id) || m_live.find(id))
        return;
    m_history.forget(id);
    if (PeerRelays *peers = m_catchUp.peers())
        for (const QString &connectionId : members)
            peers->publishLeave(id, connectionId);
}

QStringList DocumentHub::memberIds(const QString &id) const
{
    QStringList ids;
    if (const Live *live = m_live.find(id))
        for (const Member &member : live->members)
            ids.append(member.connection->id());
    return ids;
}

// ---- history --------------------------------------------------------------------------------------------------

void DocumentHub::handle(Connection &c, const Message::History &m)
{
    flush(); // the history is what was acknowledged
    m_history.sessions(c, m);
}

void DocumentHub::handle(Connection &c, const Message::GetRevision &m)
{
    flush();
    m_history.revision(c, m);
}

void DocumentHub::handle(Connection &c, const Message::GetDiff &m)
{
    flush();
    m_history.diff(c, m);
}

void DocumentHub::handle(Connection &c, const Message::GetAuthors &m)
{
    flush();
    m_history.authors(c, m);
}

void DocumentHub::handle(Connection &c, const Message::Versions &m)
{
    flush(); // a version names a revision that has been acknowledged
    m_history.versions(c, m);
}

// ---- editing --------------------------------------------------------------------------------------------------

void DocumentHub::handle(Connection &c, const Message::Op &m)
{
    m_commits.receive(c, m);
}

// ---- sessions -----------------------------------------------------------------------------------------------

void DocumentHub::sendOpened(Connection &c, Live &live, std::optional<int> since, const QString &ref, bool pending)
{
    Message::Opened reply;
    reply.ref = ref;
    reply.doc = live.id;
    reply.name = live.name;
    reply.revision = live.document.revision();
    reply.role = c.roleFor(live.id).value_or(Role::Read);
    for (const Member &m : live.members)
        if (m.connection != &c)
            reply.participants.append(m.presence);
    reply.participants.append(m_catchUp.remoteParticipants(live)); // those on other relays

    // Catch up by operations when that is cheaper than the text; otherwise (or when the client claims a
    // revision we never had) the snapshot replaces its text.
    //
    // A client with pending edits must catch up by operations, however many: it gets them a page at a time
    // (at most maxCatchUpOps and about maxCatchUpBytes each, "more": true) and opens again from the page's
    // end, so one small request never makes the relay queue the whole log at once.
    qsizetype catchUpCost = 0;
    if (since && *since <= reply.revision && (pending || reply.revision - *since <= m_limits.maxCatchUpOps)) {
        const int upTo = pending ? std::min(reply.revision, *since + m_limits.maxCatchUpOps) : reply.revision;
        std::optional<std::vector<ServerDocument::LogEntry>> entries;
        if (auto inMemory = live.document.operationsSince(*since)) {
            inMemory->resize(size_t(upTo - *since));
            entries = std::move(inMemory);
        } else {
            entries = m_live.storedOperations(live.id, *since, upTo);
        }
        if (entries) {
            QList<CommittedOperation> ops;
            int revision = *since;
            for (ServerDocument::LogEntry &e : *entries) {
                catchUpCost += e.operation.components().size() * 4 + insertedLength(e.operation) + 32;
                ops.append(CommittedOperation{++revision, std::move(e.operation), e.clientId, e.sequence});
                if (pending && catchUpCost > maxCatchUpBytes && revision < reply.revision)
                    break;
            }
            if (pending || catchUpCost <= live.document.length() + 64 * 1024) {
                if (revision < reply.revision) {
                    reply.more = true;
                    reply.revision = revision;
                }
                reply.ops = std::move(ops);
            }
        }
    }
    if (!reply.ops)
        reply.snapshot = live.document.text().toString();
    // Opening a large document over and over must not keep the relay encoding it: the reply's size is
    // charged to the connection's rate limit (a 2 MiB text costs 32 messages).
    c.chargeReply(reply.snapshot ? reply.snapshot->size() : catchUpCost);
    c.sendMessage(reply);
}

void DocumentHub::handle(Connection &c, const Message::Open &m)
{
    const std::optional<Role> role = c.roleFor(m.doc);
    if (!role) {
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("no access to \"%1\"").arg(m.doc), m.id, m.doc);
        return;
    }
    flush(); // the snapshot or catch-up shows committed operations only
    if (m_catchUp.peers())
        m_catchUp.catchUp(m.doc); // the client may come from a relay that is ahead of this one
    ProtocolError error;
    Live *live = m_live.load(m.doc, error);
    if (!live && error.code == ProtocolErrorCode::NoSuchDocument && m.create) {
        if (const std::optional<ProtocolError> refused = m_catalogue.createForOpen(c, m)) {
            c.sendError(*refused);
            return;
        }
        live = m_live.load(m.doc, error);
    }
    if (!live) {
        error.ref = m.id;
        c.sendError(error);
        return;
    }
    if (live->member(c)) {  // already open here: a resync request, from a revision the client has
        if (!m.revision) {
            // A second snapshot of an open document is never needed (close it first to start over): refusing
            // it keeps one connection from making the relay queue the same large text again and again.
            c.sendError(ProtocolErrorCode::AlreadyOpen,
                        QStringLiteral("\"%1\" is already open on this connection; to start over, close it first")
                                .arg(m.doc),
                        m.id, m.doc);
            return;
        }
        sendOpened(c, *live, m.revision, m.id, m.pending);
        return;
    }
    Member joined{&c, Participant{c.id(), c.clientId(), c.user(), c.displayName(), c.color(),
                                  Selection(), false, *role == Role::Read}};
    live->members.push_back(joined);
    c.openDocuments().insert(m.doc);
    sendOpened(c, *live, m.revision, m.id, m.pending);
    const QString join = Message::encodeText(Message::Join{m.doc, joined.presence});
    live->broadcast(join, &c);
    if (PeerRelays *peers = m_catchUp.peers())
        peers->publishPresence(m.doc, joined.presence, live->document.revision(), join);
    qCDebug(lcHub).noquote() << c.id() << "opened" << m.doc;
}

void DocumentHub::leave(Live &live, Connection &c, bool notifySelf, const QString &ref)
{
    const auto it = std::find_if(live.members.begin(), live.members.end(),
                                 [&](const Member &m) { return m.connection == &c; });
    if (it == live.members.end())
        return;
    live.members.erase(it);
    c.openDocuments().remove(live.id);
    if (notifySelf)
        c.sendMessage(Message::Closed{ref, live.id});
    live.broadcast(Message::encodeText(Message::Leave{live.id, c.id()}), &c);
    if (PeerRelays *peers = m_catchUp.peers())
        peers->publishLeave(live.id, c.id());
    m_live.unloadIfUnused(live.id);
}

void DocumentHub::handle(Connection &c, const Message::Close &m)
{
    flush(); // acknowledgements of its operations come before "closed"
    Live *live = m_live.find(m.doc);
    if (!live || !live->member(c)) {
        c.sendError(ProtocolErrorCode::NotOpen, QStringLiteral("\"%1\" is not open").arg(m.doc), m.id, m.doc);
        return;
    }
    leave(*live, c, true, m.id);
}

void DocumentHub::connectionClosed(Connection &c)
{
    m_commits.connectionClosed(c);
    const QSet<QString> open = c.openDocuments();
    for (const QString &id : open)
        if (Live *live = m_live.find(id))
            leave(*live, c, false, {});
}

void DocumentHub::handle(Connection &c, const Message::SetSelection &m)
{
    if (const Live *queued = m_live.find(m.doc); queued && queued->uncommitted > 0)
        flush(); // the selection goes out at a revision the others have received
    Live *live = m_live.find(m.doc);
    Member *me = live ? live->member(c) : nullptr;
    if (!me) {
        c.sendError(ProtocolErrorCode::NotOpen, QStringLiteral("\"%1\" is not open").arg(m.doc), {}, m.doc);
        return;
    }
    if (m_catchUp.peers() && m.revision > live->document.revision())
        catchUp(m.doc);
    const ServerDocument &document = live->document;
    if (m.revision > document.revision()) {
        c.sendError(ProtocolErrorCode::RevisionFromFuture,
                    QStringLiteral("selection revision %1 is ahead of %2").arg(m.revision).arg(document.revision()), {},
                    m.doc);
        return;
    }
    if (CommitPath::refuseLargeSelection(c, m.selection, m.doc, m_limits.maxSelectionRanges))
        return;
    if (document.revision() - m.revision > m_limits.maxSelectionLag) {
        // Moving it through that many operations costs more than it is worth: the client sends a fresh one.
        c.sendError(ProtocolErrorCode::InvalidMessage,
                    QStringLiteral("selection revision %1 is more than %2 behind %3; send it at a later revision")
                            .arg(m.revision).arg(m_limits.maxSelectionLag).arg(document.revision()),
                    {}, m.doc);
        return;
    }
    // Each operation moves both ends of every range: bounded like the work of an operation.
    if (m.revision < document.revision()
        && document.transformWork(m.revision, 0, 2 * std::max<qint64>(1, m.selection.ranges().size()),
                                  m_limits.maxOperationComponents) > m_limits.maxTransformWork) {
        c.sendError(ProtocolErrorCode::RevisionTooOld,
                    QStringLiteral("moving this selection from revision %1 to %2 is too much work; send it at a later"
                                   " revision").arg(m.revision).arg(document.revision()), {}, m.doc);
        return;
    }
    Selection selection = m.selection;
    if (m.revision < document.revision()) {
        if (const auto since = document.operationsSince(m.revision)) {
            for (const ServerDocument::LogEntry &e : *since)
                selection = selection.transform(e.operation, e.clientId == c.clientId());
        }
    }
    selection = selection.clamped(document.length());
    me->presence.selection = selection;
    const QString changed = Message::encodeText(Message::SelectionChanged{m.doc, c.id(), document.revision(), selection});
    live->broadcast(changed, &c);
    if (PeerRelays *peers = m_catchUp.peers())
        peers->publishPresence(m.doc, me->presence, document.revision(), changed);
}

void DocumentHub::handle(Connection &c, const Message::SetIdle &m)
{
    if (const Live *queued = m_live.find(m.doc); m_catchUp.peers() && queued && queued->uncommitted > 0)
        flush(); // other relays get the presence at a committed revision
    Live *live = m_live.find(m.doc);
    Member *me = live ? live->member(c) : nullptr;
    if (!me) {
        c.sendError(ProtocolErrorCode::NotOpen, QStringLiteral("\"%1\" is not open").arg(m.doc), {}, m.doc);
        return;
    }
    if (me->presence.idle == m.idle)
        return;
    me->presence.idle = m.idle;
    const QString changed = Message::encodeText(Message::IdleChanged{m.doc, c.id(), m.idle});
    live->broadcast(changed, &c);
    if (PeerRelays *peers = m_catchUp.peers())
        peers->publishPresence(m.doc, me->presence, live->document.revision(), changed);
}

// ---- several relays over one database -----------------------------------------------------------------------

void DocumentHub::catchUp(const QString &id, int knownRevision)
{
    flush(); // the log must hold what is in memory before reading what others appended
    m_catchUp.catchUp(id, knownRevision);
}

void DocumentHub::catchUpAll()
{
    for (const QString &id : m_live.ids()) {
        catchUp(id);
        followCatalogue(id); // a rename or delete whose notification was lost
    }
}

void DocumentHub::forwardPresence(const QString &doc, const QString &message)
{
    m_catchUp.forwardPresence(doc, message);
}

} // namespace relay
