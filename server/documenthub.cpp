// SPDX-License-Identifier: MIT
#include "documenthub.h"

#include "connection.h"
#include "peerrelays.h"
#include "storage.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QScopeGuard>
#include <QUuid>

#include <algorithm>
#include <functional>
#include <utility>

Q_DECLARE_LOGGING_CATEGORY(lcHub)
Q_LOGGING_CATEGORY(lcHub, "coscribe.relay.documents")

using namespace collab;

namespace relay {

namespace {

bool allows(std::optional<Role> role, Role needed) { return role && int(*role) >= int(needed); }

ProtocolErrorCode protocolCode(ErrorCode code)
{
    switch (code) {
    case ErrorCode::BaseLengthMismatch: return ProtocolErrorCode::BaseLengthMismatch;
    case ErrorCode::SplitsSurrogatePair: return ProtocolErrorCode::SplitsSurrogatePair;
    case ErrorCode::RevisionFromFuture: return ProtocolErrorCode::RevisionFromFuture;
    case ErrorCode::OutOfOrderSequence: return ProtocolErrorCode::OutOfOrderSequence;
    case ErrorCode::MalformedOperation:
    case ErrorCode::InvalidState:
    case ErrorCode::RevisionTooOld:
    case ErrorCode::DuplicateOperation: return ProtocolErrorCode::InvalidOperation;
    }
    return ProtocolErrorCode::InvalidOperation;
}

qsizetype insertedLength(const TextOperation &op)
{
    qsizetype n = 0;
    for (const TextOperation::Component &c : op.components())
        if (c.kind == TextOperation::Kind::Insert)
            n += c.length;
    return n;
}

// Component steps to move something through every operation after `revision`: one transform walks the
// components of both sides, so each operation costs `perOperation` plus `perComponent` times its own size.
// History no longer in memory counts as operations of maxOperationComponents.
qint64 transformWork(const ServerDocument &document, int revision, qint64 perOperation, qint64 perComponent,
                     int maxOperationComponents)
{
    const std::deque<ServerDocument::LogEntry> &history = document.history();
    qint64 work = 0;
    int r = revision;
    for (; r < document.historyStart(); ++r)
        work += perOperation + perComponent * maxOperationComponents;
    for (size_t i = size_t(r - document.historyStart()); i < history.size(); ++i)
        work += perOperation + perComponent * qint64(history[i].operation.components().size());
    return work;
}

} // namespace

DocumentHub::DocumentHub(Storage &storage, Limits limits, QObject *parent)
    : QObject(parent), m_storage(storage), m_limits(limits),
      m_quota(storage, limits.maxDocumentsPerUser, limits.maxCreationsPerHour)
{
    m_clock.start();
    m_idleSweep.setInterval(std::max(1000, m_limits.keepIdleMs / 4));
    connect(&m_idleSweep, &QTimer::timeout, this, &DocumentHub::evictIdle);
}

DocumentHub::~DocumentHub()
{
    // The owner flushes while storage and connections still exist (RelayServer does); here neither may.
    if (!m_pending.empty())
        qCWarning(lcHub).noquote() << m_pending.size() << "operations were never committed nor acknowledged";
}

DocumentHub::Live *DocumentHub::find(const QString &id) const
{
    const auto it = m_documents.constFind(id);
    return it == m_documents.cend() ? nullptr : it->get();
}

DocumentHub::Member *DocumentHub::member(Live &live, const Connection &c)
{
    for (Member &m : live.members)
        if (m.connection == &c)
            return &m;
    return nullptr;
}

std::optional<std::vector<ServerDocument::LogEntry>> DocumentHub::storedOperations(const QString &id, int after,
                                                                                 int upTo)
{
    const auto records = m_storage.operations(id, after, upTo);
    if (!records)
        return std::nullopt;
    std::vector<ServerDocument::LogEntry> entries;
    entries.reserve(records->size());
    int expected = after + 1;
    for (const Storage::OperationRecord &r : *records) {
        Expected<TextOperation> op = TextOperation::fromJsonBytes(r.operation);
        if (!op || r.revision != expected) {
            qCCritical(lcHub).noquote() << "stored operation" << r.revision << "of" << id << "is unreadable or out of order";
            return std::nullopt;
        }
        entries.push_back({std::move(op).value(), r.clientId, r.sequence});
        ++expected;
    }
    if (upTo != INT_MAX && expected != upTo + 1) {
        qCCritical(lcHub).noquote() << "stored operations of" << id << "end at" << expected - 1 << "not" << upTo;
        return std::nullopt;
    }
    return entries;
}

// Load = latest snapshot + replay of every later operation. Snapshots are only a shortcut: a document with
// none is replayed from an empty text.
static std::optional<ServerDocument> loadDocument(Storage &storage, const QString &id,
                                                  const std::function<std::optional<std::vector<ServerDocument::LogEntry>>(int)> &opsAfter)
{
    std::optional<Storage::Snapshot> snapshot = storage.latestSnapshot(id);
    if (!snapshot && !storage.lastError().isEmpty())
        return std::nullopt;
    // A snapshot must be the text that was saved: a database that changed it on the way (a lone surrogate
    // paired with its neighbour by SQLite's UTF-16 path, a restore gone wrong) would serve a text that differs
    // from the log's without anyone noticing. The log's next operation checks the length once more (replay).
    if (snapshot && (snapshot->length != snapshot->text.size()
                     || Storage::snapshotChecksum(snapshot->text) != snapshot->checksum)) {
        qCCritical(lcHub).noquote() << "snapshot of" << id << "at revision" << snapshot->revision
                                    << "does not match its checksum: the document is not served";
        return std::nullopt;
    }
    ServerDocument document = snapshot ? ServerDocument(snapshot->text, snapshot->revision) : ServerDocument();
    const auto entries = opsAfter(document.revision());
    if (!entries)
        return std::nullopt;
    for (const ServerDocument::LogEntry &entry : *entries) {
        if (auto error = document.replay(entry)) {
            qCCritical(lcHub).noquote() << "replaying" << id << "at revision" << document.revision() << ":" << error->message;
            return std::nullopt;
        }
    }
    return document;
}

DocumentHub::Live *DocumentHub::load(const QString &id, ProtocolError &error)
{
    if (Live *live = find(id))
        return live;
    const std::optional<Storage::DocumentRecord> record = m_storage.document(id);
    if (!record) {
        error = m_storage.lastError().isEmpty()
                ? ProtocolError{ProtocolErrorCode::NoSuchDocument, QStringLiteral("no document \"%1\"").arg(id), {}, id}
                : ProtocolError{ProtocolErrorCode::ServerError, QStringLiteral("storage error"), {}, id};
        return nullptr;
    }
    QElapsedTimer timer;
    timer.start();
    std::optional<ServerDocument> document = loadDocument(
            m_storage, id, [&](int after) { return storedOperations(id, after, INT_MAX); });
    if (!document) {
        error = ProtocolError{ProtocolErrorCode::ServerError, QStringLiteral("document could not be loaded"), {}, id};
        return nullptr;
    }
    m_commitsFailing = false; // storage answers again
    auto live = std::make_shared<Live>();
    live->id = id;
    live->name = record->name;
    live->document = std::move(*document);
    qCInfo(lcHub).noquote() << "loaded" << id << "at revision" << live->document.revision() << "in"
                            << timer.elapsed() << "ms";
    m_documents.insert(id, live);
    Q_EMIT documentsChanged(int(m_documents.size()));
    return live.get();
}

bool DocumentHub::reload(Live &live)
{
    std::optional<ServerDocument> document = loadDocument(
            m_storage, live.id, [&](int after) { return storedOperations(live.id, after, INT_MAX); });
    if (!document)
        return false;
    live.document = std::move(*document);
    for (Member &m : live.members)
        m.presence.selection = m.presence.selection.clamped(live.document.length());
    return true;
}

void DocumentHub::unloadIfUnused(const QString &id)
{
    Live *live = find(id);
    if (!live || !live->members.empty())
        return;
    if (m_limits.keepIdleMs <= 0) {
        unload(id);
        return;
    }
    live->idleSince = m_clock.elapsed();
    evictIdle();
    if (!m_idleSweep.isActive())
        m_idleSweep.start();
}

void DocumentHub::unload(QString id)
{
    if (m_documents.remove(id))
        Q_EMIT documentsChanged(int(m_documents.size()));
}

void DocumentHub::evictIdle()
{
    const qint64 now = m_clock.elapsed();
    struct Idle
    {
        qint64 since;
        qint64 bytes; // its text in memory (UTF-16)
        QString id;
        bool operator<(const Idle &o) const { return since < o.since; }
    };
    std::vector<Idle> idle;
    qint64 idleBytes = 0;
    for (const std::shared_ptr<Live> &live : std::as_const(m_documents)) {
        if (!live->members.empty()) {
            live->idleSince = -1;
        } else if (live->idleSince >= 0) {
            idle.push_back({live->idleSince, 2 * qint64(live->document.length()), live->id});
            idleBytes += idle.back().bytes;
        }
    }
    std::sort(idle.begin(), idle.end()); // longest idle first
    size_t kept = 0;
    for (; kept < idle.size(); ++kept) {
        if (now - idle[kept].since < m_limits.keepIdleMs && idleBytes <= m_limits.maxIdleBytes)
            break;
        idleBytes -= idle[kept].bytes;
        unload(idle[kept].id);
    }
    if (kept == idle.size())
        m_idleSweep.stop();
}

void DocumentHub::broadcast(Live &live, const QString &payload, const Connection *except)
{
    for (const Member &m : live.members)
        if (m.connection != except)
            m.connection->send(payload);
}

// ---- catalogue ---------------------------------------------------------------------------------------------

void DocumentHub::handle(Connection &c, const Message::List &m)
{
    flush(); // lengths and revisions of committed state only
    const auto records = m_storage.documents();
    if (!records) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id);
        return;
    }
    Message::Documents reply;
    reply.ref = m.id;
    for (const Storage::DocumentRecord &r : *records) {
        if (!c.roleFor(r.id))
            continue;
        DocumentInfo info{r.id, r.name, r.revision, 0, -1};
        if (const Live *live = find(r.id)) {
            info.name = live->name;
            info.revision = live->document.revision();
            info.participants = int(live->members.size());
            info.length = live->document.length();
        }
        reply.documents.append(info);
    }
    c.sendMessage(reply);
}

void DocumentHub::created(const Connection &c, const QString &id)
{
    m_quota.created(c.user(), id);
    qCInfo(lcHub).noquote() << c.id() << c.user() << "created" << id;
}

void DocumentHub::handle(Connection &c, const Message::Create &m)
{
    const QString id = m.doc.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : m.doc;
    if (!allows(c.roleFor(id), Role::Write)) {
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("you may not create \"%1\"").arg(id), m.id, id);
        return;
    }
    const auto existing = m_storage.document(id);
    if (existing || !m_storage.lastError().isEmpty()) {
        c.sendError(existing ? ProtocolErrorCode::DocumentExists : ProtocolErrorCode::ServerError,
                    existing ? QStringLiteral("document \"%1\" already exists").arg(id) : QStringLiteral("storage error"),
                    m.id, id);
        return;
    }
    if (const std::optional<ProtocolError> refused = m_quota.refused(c.user(), id, m.id)) {
        c.sendError(*refused);
        return;
    }
    const QString name = m.name.isEmpty() ? id : m.name;
    if (!m_storage.createDocument(id, name)) {
        // Lost a race with another relay on the same database, or storage failed.
        const bool exists = m_storage.document(id).has_value();
        c.sendError(exists ? ProtocolErrorCode::DocumentExists : ProtocolErrorCode::ServerError,
                    exists ? QStringLiteral("document \"%1\" already exists").arg(id) : QStringLiteral("storage error"),
                    m.id, id);
        return;
    }
    created(c, id);
    c.sendMessage(Message::Created{m.id, id, name});
}

void DocumentHub::handle(Connection &c, const Message::Rename &m)
{
    if (!allows(c.roleFor(m.doc), Role::Admin)) {
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("renaming needs the admin role"), m.id, m.doc);
        return;
    }
    flush();
    if (!m_storage.document(m.doc)) {
        c.sendError(m_storage.lastError().isEmpty() ? ProtocolErrorCode::NoSuchDocument : ProtocolErrorCode::ServerError,
                    QStringLiteral("no document \"%1\"").arg(m.doc), m.id, m.doc);
        return;
    }
    const QString name = m.name.isEmpty() ? m.doc : m.name;
    if (!m_storage.renameDocument(m.doc, name)) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    c.sendMessage(Message::Renamed{m.id, m.doc, name});
    if (Live *live = find(m.doc)) {
        live->name = name;
        broadcast(*live, QString::fromUtf8(Message::encode(Message::Renamed{{}, m.doc, name})), &c);
    }
}

void DocumentHub::handle(Connection &c, const Message::Delete &m)
{
    if (!allows(c.roleFor(m.doc), Role::Admin)) {
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("deleting needs the admin role"), m.id, m.doc);
        return;
    }
    flush(); // queued operations of the document are acknowledged before it goes
    if (!m_storage.document(m.doc)) {
        c.sendError(m_storage.lastError().isEmpty() ? ProtocolErrorCode::NoSuchDocument : ProtocolErrorCode::ServerError,
                    QStringLiteral("no document \"%1\"").arg(m.doc), m.id, m.doc);
        return;
    }
    if (!m_storage.deleteDocument(m.doc)) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    qCInfo(lcHub).noquote() << c.id() << c.user() << "deleted" << m.doc;
    c.sendMessage(Message::Deleted{m.id, m.doc});
    if (Live *live = find(m.doc)) {
        const QString payload = QString::fromUtf8(Message::encode(Message::Deleted{{}, m.doc}));
        for (const Member &member : live->members) {
            member.connection->openDocuments().remove(m.doc);
            if (member.connection != &c)
                member.connection->send(payload);
        }
        live->members.clear();
        unload(m.doc);
    }
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
    if (m_peers) {
        // Participants on other relays, their selections moved from where they were published to now.
        for (auto &[participant, revision] : m_peers->participants(live.id)) {
            if (const auto since = live.document.operationsSince(std::min(revision, reply.revision)))
                for (const ServerDocument::LogEntry &e : *since)
                    participant.selection = participant.selection.transform(e.operation, false);
            participant.selection = participant.selection.clamped(live.document.length());
            reply.participants.append(participant);
        }
    }

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
            entries = storedOperations(live.id, *since, upTo);
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
    if (m_peers)
        catchUp(m.doc); // the client may come from a relay that is ahead of this one
    ProtocolError error;
    Live *live = load(m.doc, error);
    if (!live && error.code == ProtocolErrorCode::NoSuchDocument && m.create) {
        if (!allows(role, Role::Write)) {
            c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("you may not create \"%1\"").arg(m.doc), m.id, m.doc);
            return;
        }
        if (const std::optional<ProtocolError> refused = m_quota.refused(c.user(), m.doc, m.id)) {
            c.sendError(*refused);
            return;
        }
        if (m_storage.createDocument(m.doc, m.doc)) {
            created(c, m.doc);
        } else if (!m_storage.document(m.doc)) {
            c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
            return;
        }
        live = load(m.doc, error);
    }
    if (!live) {
        error.ref = m.id;
        c.sendError(error);
        return;
    }
    if (member(*live, c)) {  // already open here: a resync request, from a revision the client has
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
    const QByteArray join = Message::encode(Message::Join{m.doc, joined.presence});
    broadcast(*live, QString::fromUtf8(join), &c);
    if (m_peers)
        m_peers->publishPresence(m.doc, joined.presence, live->document.revision(), join);
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
    broadcast(live, QString::fromUtf8(Message::encode(Message::Leave{live.id, c.id()})), &c);
    if (m_peers)
        m_peers->publishLeave(live.id, c.id());
    unloadIfUnused(live.id);
}

void DocumentHub::handle(Connection &c, const Message::Close &m)
{
    flush(); // acknowledgements of its operations come before "closed"
    Live *live = find(m.doc);
    if (!live || !member(*live, c)) {
        c.sendError(ProtocolErrorCode::NotOpen, QStringLiteral("\"%1\" is not open").arg(m.doc), m.id, m.doc);
        return;
    }
    leave(*live, c, true, m.id);
}

void DocumentHub::connectionClosed(Connection &c)
{
    // Its queued operations are valid: they still commit and reach the others, only the acknowledgement is
    // dropped (the client resends them on reconnect and is acknowledged then, from storage).
    for (std::vector<Pending> *batch : {&m_pending, m_flushing})
        if (batch)
            for (Pending &p : *batch)
                if (p.connection == &c)
                    p.connection = nullptr;
    const QSet<QString> open = c.openDocuments();
    for (const QString &id : open)
        if (Live *live = find(id))
            leave(*live, c, false, {});
}

// ---- editing ------------------------------------------------------------------------------------------------

bool DocumentHub::documentTooLarge(const Live &live, const TextOperation &op) const
{
    // UTF-8 needs at least one and at most three bytes per UTF-16 code unit, so only the band in between
    // needs the exact (linear) count.
    const qsizetype inserted = insertedLength(op);
    const qint64 upperUnits = qint64(live.document.length()) + inserted;
    if (upperUnits * 3 <= m_limits.maxDocumentBytes)
        return false;
    if (upperUnits > m_limits.maxDocumentBytes && inserted > 0) {
        // Even at one byte per unit it would be too large (deletions by concurrent edits are ignored:
        // the check is conservative by at most one operation's worth of text).
        qint64 bytes = live.document.text().toString().toUtf8().size();
        for (const TextOperation::Component &c : op.components())
            if (c.kind == TextOperation::Kind::Insert)
                bytes += c.text.toUtf8().size();
        return bytes > m_limits.maxDocumentBytes;
    }
    if (inserted == 0)
        return false;
    qint64 bytes = live.document.text().toString().toUtf8().size();
    for (const TextOperation::Component &c : op.components())
        if (c.kind == TextOperation::Kind::Insert)
            bytes += c.text.toUtf8().size();
    return bytes > m_limits.maxDocumentBytes;
}

void DocumentHub::handle(Connection &c, const Message::Op &m)
{
    handleOp(c, m, 1);
}

// The work one operation causes grows with its components (transforms, every stored selection) and with the
// ranges of the selection it carries; an operation far behind is transformed through every operation since
// its revision (and may need that history loaded from storage). All three are bounded: true (and the error is
// sent, nothing applied) when the operation exceeds one.
bool DocumentHub::refuseCostlyOperation(Connection &c, const Message::Op &m, const ServerDocument &document)
{
    if (qsizetype(m.operation.components().size()) > m_limits.maxOperationComponents) {
        c.sendError(ProtocolErrorCode::InvalidOperation,
                    QStringLiteral("an operation may have at most %1 components (welcome.limits.maxOperationComponents)"
                                   "; split it").arg(m_limits.maxOperationComponents), {}, m.doc);
        return true;
    }
    if (m.selection && refuseLargeSelection(c, *m.selection, m.doc))
        return true;
    // The client catches up by opening with its revision, which transforms its pending edit locally, and
    // resends it.
    if (const qint64 behind = qint64(document.revision()) - m.revision;
        behind > m_limits.maxOperationLag
        || (behind > 0
            && transformWork(document, m.revision, qint64(m.operation.components().size()), 1,
                             m_limits.maxOperationComponents) > m_limits.maxTransformWork)) {
        c.sendError(ProtocolErrorCode::RevisionTooOld,
                    QStringLiteral("the operation is %1 revisions behind (at most %2, welcome.limits.maxOperationLag)"
                                   ": open the document with your revision to catch up, then resend")
                            .arg(behind).arg(m_limits.maxOperationLag), {}, m.doc);
        return true;
    }
    return false;
}

// A client the in-memory log does not know (its operations predate the snapshot this document was loaded
// from) may be resending something already stored: ask storage before letting the engine apply it. False
// when the operation was answered here (acknowledged as a resend, or refused).
bool DocumentHub::admitsSequence(Connection &c, const Message::Op &m, ServerDocument &document)
{
    if (document.lastApplied(c.clientId()))
        return true;
    const std::optional<Storage::Applied> stored = m_storage.lastApplied(m.doc, c.clientId());
    if (!stored && !m_storage.lastError().isEmpty()) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), {}, m.doc);
        return false;
    }
    if (stored && m.sequence <= stored->sequence) {
        if (!acknowledgeResend(c, m, m.sequence == stored->sequence ? std::optional<int>(stored->revision)
                                                                    : std::nullopt))
            c.sendError(ProtocolErrorCode::OutOfOrderSequence,
                        QStringLiteral("sequence %1 was never applied and is below the last applied %2")
                                .arg(m.sequence).arg(stored->sequence), {}, m.doc);
        return false;
    }
    if (stored && m.sequence > stored->sequence + 1) {
        c.sendError(ProtocolErrorCode::OutOfOrderSequence,
                    QStringLiteral("sent sequence %1, expected %2").arg(m.sequence).arg(stored->sequence + 1), {},
                    m.doc);
        return false;
    }
    // The engine takes a client it does not know only at sequence 1; teach it what storage knows.
    if (stored)
        document.rememberApplied(c.clientId(), ServerDocument::Applied{stored->sequence, stored->revision});
    return true;
}

// A resend of an operation already applied: acknowledge it where it landed (`known`, else from the log).
// False when the log has no such operation.
bool DocumentHub::acknowledgeResend(Connection &c, const Message::Op &m, std::optional<int> known)
{
    const std::optional<int> revision = known ? known : m_storage.revisionOf(m.doc, c.clientId(), m.sequence);
    if (!revision)
        return false;
    c.sendMessage(Message::Ack{m.doc, *revision, m.sequence});
    return true;
}

void DocumentHub::handleOp(Connection &c, const Message::Op &m, int attempt)
{
    if (const Live *loaded = find(m.doc); m_peers && loaded && m.revision > loaded->document.revision())
        catchUp(m.doc); // based on a revision another relay committed that this one has not read yet
    Live *live = find(m.doc);
    if (!live || !member(*live, c)) {
        c.sendError(ProtocolErrorCode::NotOpen, QStringLiteral("\"%1\" is not open").arg(m.doc), {}, m.doc);
        return;
    }
    if (!allows(c.roleFor(m.doc), Role::Write)) {
        c.sendError(ProtocolErrorCode::ReadOnly, QStringLiteral("you have read-only access to \"%1\"").arg(m.doc), {},
                    m.doc);
        return;
    }
    ServerDocument &document = live->document;
    if (refuseCostlyOperation(c, m, document) || !admitsSequence(c, m, document))
        return;

    if (documentTooLarge(*live, m.operation)) {
        c.sendError(ProtocolErrorCode::DocumentTooLarge,
                    QStringLiteral("the document would exceed %1 bytes").arg(m_limits.maxDocumentBytes), {}, m.doc);
        return;
    }

    Expected<ServerDocument::Receipt> result = document.receive(m.revision, m.operation, c.clientId(), m.sequence);
    if (!result && result.error().code == ErrorCode::RevisionTooOld) {
        // Never a dead end: fetch the older history from storage and try again.
        auto older = storedOperations(m.doc, m.revision, document.historyStart());
        if (!older) {
            c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), {}, m.doc);
            return;
        }
        document.prependHistory(std::move(*older));
        result = document.receive(m.revision, m.operation, c.clientId(), m.sequence);
    }
    if (!result) {
        const Error &e = result.error();
        if (e.code == ErrorCode::DuplicateOperation) {
            if (live->uncommitted > 0) {
                // Possibly a resend of a queued operation: acknowledge it only once it is committed (or, if
                // the commit fails, handle it as new).
                flush();
                handleOp(c, m, attempt);
                return;
            }
            const std::optional<ServerDocument::Applied> last = document.lastApplied(c.clientId());
            if (acknowledgeResend(c, m, last && last->sequence == m.sequence ? std::optional<int>(last->revision)
                                                                             : std::nullopt))
                return;
        }
        c.sendError(protocolCode(e.code), e.message, {}, m.doc);
        return;
    }
    ServerDocument::Receipt &receipt = *result;

    // The sender's selection came in its own coordinates: move it through the concurrent operations too.
    std::optional<Selection> senderSelection;
    if (m.selection)
        senderSelection = document.senderSelection(*m.selection, m.revision, m.operation, receipt);

    // Commit before anyone hears of it: queue it for this pass's batch.
    Pending pending{m_documents.value(m.doc), &c, c.id(), c.clientId(), m, attempt, receipt.revision,
                    std::move(receipt.operation), senderSelection, std::nullopt};
    if (m_limits.snapshotInterval > 0 && pending.revision % m_limits.snapshotInterval == 0)
        pending.snapshot = document.text().toString();
    ++live->uncommitted;
    m_pending.push_back(std::move(pending));
    scheduleFlush();
}

// ---- group commit -------------------------------------------------------------------------------------------

void DocumentHub::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    // A queued call runs once every socket that was readable in this pass has been handled.
    QMetaObject::invokeMethod(this, [this] {
        m_flushScheduled = false;
        flush();
    }, Qt::QueuedConnection);
}

void DocumentHub::flush()
{
    // A batch that lost a commit race re-handles its operations, which queue again (bounded: each retry
    // counts towards maxCommitAttempts). Loop until nothing uncommitted is left in memory.
    while (!m_pending.empty())
        flushBatch();
}

void DocumentHub::flushBatch()
{
    std::vector<Pending> batch;
    batch.swap(m_pending);
    for (Pending &p : batch)
        p.live->uncommitted = 0; // all of them are in this batch
    std::vector<Pending> *outer = std::exchange(m_flushing, &batch);
    const auto restore = qScopeGuard([&] { m_flushing = outer; });

    QElapsedTimer commitTimer;
    commitTimer.start();
    bool committed = m_storage.beginTransaction();
    for (auto p = batch.cbegin(); committed && p != batch.cend(); ++p)
        committed = m_storage.appendOperation(
                p->live->id, Storage::OperationRecord{p->revision, p->operation.toJsonBytes(), p->clientId,
                                                      p->message.sequence});
    committed = committed && m_storage.commitTransaction();
    const std::chrono::nanoseconds commitLatency(commitTimer.nsecsElapsed());
    if (!committed) {
        const QString error = m_storage.lastError();
        m_storage.rollbackTransaction();
        qCWarning(lcHub).noquote() << "commit of a batch of" << batch.size() << "operations failed:" << error;
        batchFailed(batch);
        return;
    }
    m_commitsFailing = false;

    if (m_peers) {
        // One "look now" per document and batch, naming its last revision (batches are in revision order).
        QHash<QString, int> last;
        for (const Pending &p : batch)
            last.insert(p.live->id, p.revision);
        for (auto it = last.cbegin(); it != last.cend(); ++it)
            m_peers->publishCommitted(it.key(), it.value());
    }
    for (const Pending &p : batch) {
        Q_EMIT operationCommitted(commitLatency);
        Live &live = *p.live;
        if (p.connection)
            p.connection->sendMessage(Message::Ack{live.id, p.revision, p.message.sequence});
        broadcast(live,
                  QString::fromUtf8(Message::encode(Message::RemoteOp{live.id, p.revision, p.operation, p.clientId,
                                                                      p.message.sequence, p.connectionId,
                                                                      p.senderSelection})),
                  p.connection);
        // Other relays read the operation from the log; the author's cursor is not in it.
        if (m_peers && p.senderSelection)
            m_peers->publishTransient(live.id, Message::encode(Message::SelectionChanged{live.id, p.connectionId,
                                                                                         p.revision,
                                                                                         *p.senderSelection}));
        for (Member &member : live.members) {
            const bool mine = p.connection && member.connection == p.connection;
            if (mine && p.senderSelection)
                member.presence.selection = *p.senderSelection;
            else if (!member.presence.selection.isEmpty())
                member.presence.selection = member.presence.selection.transform(p.operation, mine);
        }
        if (p.snapshot && !m_storage.saveSnapshot(live.id, p.revision, *p.snapshot))
            qCWarning(lcHub).noquote() << "snapshot of" << live.id << "at" << p.revision << "failed (history still complete)";
        ServerDocument &document = live.document;
        if (int(document.history().size()) > m_limits.historyInMemory + m_limits.snapshotInterval)
            document.trimHistory(document.revision() - m_limits.historyInMemory);
    }
}

// Nothing of the batch was stored, and nothing was sent. Every document it touched is reloaded from storage
// (dropping its uncommitted operations). If another relay committed revisions the batch wanted (a lost race,
// not a storage failure), what it committed is forwarded and the batch's operations are handled again from
// their messages, transformed over it (the resend check runs again too). Otherwise their senders hear that
// nothing was applied.
void DocumentHub::batchFailed(std::vector<Pending> &batch)
{
    std::vector<std::pair<std::shared_ptr<Live>, int>> documents; // with the first revision the batch wanted
    for (const Pending &p : batch)
        if (std::none_of(documents.cbegin(), documents.cend(), [&](const auto &d) { return d.first == p.live; }))
            documents.emplace_back(p.live, p.revision);
    bool lostRace = false;
    for (const auto &[live, revision] : documents) {
        if (recoverFromLostRace(*live, revision)) {
            lostRace = true;
        } else if (!reload(*live)) {
            qCCritical(lcHub).noquote() << "reloading" << live->id << "after a failed commit failed";
            closeForStorageFailure(*live);
        }
    }
    if (!lostRace)
        m_commitsFailing = true;
    for (const Pending &p : batch) {
        if (!p.connection)
            continue; // gone: it resends what was never acknowledged when it reconnects
        if (!lostRace) {
            qCCritical(lcHub).noquote() << "commit of" << p.live->id << "revision" << p.revision << "failed";
            p.connection->sendError(ProtocolErrorCode::ServerError,
                                    QStringLiteral("the operation could not be stored; nothing was applied"), {},
                                    p.live->id);
        } else if (p.attempt < maxCommitAttempts) {
            handleOp(*p.connection, p.message, p.attempt + 1);
        } else {
            qCWarning(lcHub).noquote() << "commit of" << p.live->id << "lost" << p.attempt
                                       << "races; client asked to resend";
            p.connection->send(QString::fromUtf8(Message::encode(Message::Error{
                    ProtocolErrorCode::ConflictRetry,
                    QStringLiteral("the document is too busy right now; nothing was applied, resend the operation"),
                    {}, p.live->id, 100})));
        }
    }
}

// Storage is unusable: close the document for everyone rather than serve unstored text.
void DocumentHub::closeForStorageFailure(Live &live)
{
    const QString payload = QString::fromUtf8(Message::encode(
            Message::Error{ProtocolErrorCode::ServerError,
                           QStringLiteral("document closed: storage failure"), {}, live.id, std::nullopt}));
    for (const Member &member : live.members) {
        member.connection->openDocuments().remove(live.id);
        member.connection->send(payload);
    }
    live.members.clear();
    unload(live.id); // never kept idle: its text in memory may hold what storage refused
}

bool DocumentHub::refuseLargeSelection(Connection &c, const Selection &selection, const QString &doc)
{
    if (selection.ranges().size() <= m_limits.maxSelectionRanges)
        return false;
    c.sendError(ProtocolErrorCode::InvalidMessage,
                QStringLiteral("a selection may have at most %1 ranges").arg(m_limits.maxSelectionRanges), {}, doc);
    return true;
}

void DocumentHub::handle(Connection &c, const Message::SetSelection &m)
{
    if (const Live *queued = find(m.doc); queued && queued->uncommitted > 0)
        flush(); // the selection goes out at a revision the others have received
    Live *live = find(m.doc);
    Member *me = live ? member(*live, c) : nullptr;
    if (!me) {
        c.sendError(ProtocolErrorCode::NotOpen, QStringLiteral("\"%1\" is not open").arg(m.doc), {}, m.doc);
        return;
    }
    if (m_peers && m.revision > live->document.revision())
        catchUp(m.doc);
    const ServerDocument &document = live->document;
    if (m.revision > document.revision()) {
        c.sendError(ProtocolErrorCode::RevisionFromFuture,
                    QStringLiteral("selection revision %1 is ahead of %2").arg(m.revision).arg(document.revision()), {},
                    m.doc);
        return;
    }
    if (refuseLargeSelection(c, m.selection, m.doc))
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
        && transformWork(document, m.revision, 0, 2 * std::max<qint64>(1, m.selection.ranges().size()),
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
    const QByteArray changed = Message::encode(Message::SelectionChanged{m.doc, c.id(), document.revision(), selection});
    broadcast(*live, QString::fromUtf8(changed), &c);
    if (m_peers)
        m_peers->publishPresence(m.doc, me->presence, document.revision(), changed);
}

void DocumentHub::handle(Connection &c, const Message::SetIdle &m)
{
    if (const Live *queued = find(m.doc); m_peers && queued && queued->uncommitted > 0)
        flush(); // other relays get the presence at a committed revision
    Live *live = find(m.doc);
    Member *me = live ? member(*live, c) : nullptr;
    if (!me) {
        c.sendError(ProtocolErrorCode::NotOpen, QStringLiteral("\"%1\" is not open").arg(m.doc), {}, m.doc);
        return;
    }
    if (me->presence.idle == m.idle)
        return;
    me->presence.idle = m.idle;
    const QByteArray changed = Message::encode(Message::IdleChanged{m.doc, c.id(), m.idle});
    broadcast(*live, QString::fromUtf8(changed), &c);
    if (m_peers)
        m_peers->publishPresence(m.doc, me->presence, live->document.revision(), changed);
}

// ---- several relays over one database -----------------------------------------------------------------------

// Forward operations committed by another relay (already in live.document, revisions after + 1, ...) to every
// local participant, and move their selections through them.
void DocumentHub::forwardCommitted(Live &live, int after, const std::vector<ServerDocument::LogEntry> &entries)
{
    int revision = after;
    for (const ServerDocument::LogEntry &e : entries) {
        ++revision;
        broadcast(live,
                  QString::fromUtf8(Message::encode(Message::RemoteOp{live.id, revision, e.operation, e.clientId,
                                                                      e.sequence, QString(), std::nullopt})),
                  nullptr);
        for (Member &member : live.members)
            if (!member.presence.selection.isEmpty())
                member.presence.selection = member.presence.selection.transform(e.operation, false);
    }
    if (int(live.document.history().size()) > m_limits.historyInMemory + m_limits.snapshotInterval)
        live.document.trimHistory(live.document.revision() - m_limits.historyInMemory);
}

void DocumentHub::catchUp(const QString &id, int knownRevision)
{
    flush(); // the log must hold what is in memory before reading what others appended
    Live *live = find(id);
    if (!live || (knownRevision >= 0 && knownRevision <= live->document.revision()))
        return;
    const int after = live->document.revision();
    auto entries = storedOperations(id, after, INT_MAX);
    if (!entries || entries->empty())
        return;
    for (const ServerDocument::LogEntry &e : *entries) {
        if (auto error = live->document.replay(e)) {
            // Cannot happen with a consistent log; rebuild from storage rather than serve a diverged text.
            qCCritical(lcHub).noquote() << "replaying" << id << "from another relay:" << error->message;
            const int before = live->document.revision();
            if (reload(*live) && live->document.revision() > before)
                forwardCommitted(*live, before, storedOperations(id, before, live->document.revision())
                                                        .value_or(std::vector<ServerDocument::LogEntry>{}));
            return;
        }
    }
    forwardCommitted(*live, after, *entries);
}

void DocumentHub::catchUpAll()
{
    const QStringList ids = m_documents.keys();
    for (const QString &id : ids)
        catchUp(id);
}

void DocumentHub::forwardPresence(const QString &doc, const QByteArray &message)
{
    if (Live *live = find(doc))
        broadcast(*live, QString::fromUtf8(message), nullptr);
}

// The commit of `revision` failed. If another relay committed that revision first (a lost race, not a
// storage failure), the in-memory document — which already applied the losing operation — is rebuilt from
// the log, and what the winner committed is forwarded to local participants. Selections are kept in the
// coordinates of `revision - 1` across the reload, then moved through the forwarded operations.
bool DocumentHub::recoverFromLostRace(Live &live, int revision)
{
    const std::optional<Storage::DocumentRecord> record = m_storage.document(live.id);
    if (!record || record->revision < revision)
        return false;
    ++m_lostCommitRaces;
    qCDebug(lcHub).noquote() << "lost the race for" << live.id << "revision" << revision << "to another relay";
    const int before = revision - 1;
    std::vector<Selection> selections;
    for (const Member &member : live.members)
        selections.push_back(member.presence.selection);
    if (!reload(live))
        return false;
    for (std::size_t i = 0; i < live.members.size(); ++i)
        live.members[i].presence.selection = selections[i];
    auto missed = live.document.operationsSince(before);
    if (!missed)
        missed = storedOperations(live.id, before, live.document.revision());
    if (!missed)
        return false;
    forwardCommitted(live, before, *missed);
    for (Member &member : live.members)
        member.presence.selection = member.presence.selection.clamped(live.document.length());
    return true;
}

} // namespace relay
