// SPDX-License-Identifier: MIT
#include "commitpath.h"

#include "connection.h"
#include "peercatchup.h"
#include "peerrelays.h"
#include "storage.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QScopeGuard>

#include <algorithm>
#include <utility>

Q_DECLARE_LOGGING_CATEGORY(lcCommits)
Q_LOGGING_CATEGORY(lcCommits, "coscribe.relay.documents")

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

} // namespace

CommitPath::CommitPath(Storage &storage, LiveDocuments &live, PeerCatchUp &catchUp, Limits limits, QObject *parent)
    : QObject(parent), m_storage(storage), m_live(live), m_catchUp(catchUp), m_limits(limits)
{
}

CommitPath::~CommitPath()
{
    // The owner flushes while storage and connections still exist (RelayServer does); here neither may.
    if (!m_pending.empty())
        qCWarning(lcCommits).noquote() << m_pending.size() << "operations were never committed nor acknowledged";
}

void CommitPath::connectionClosed(const Connection &c)
{
    for (std::vector<Pending> *batch : {&m_pending, m_flushing})
        if (batch)
            for (Pending &p : *batch)
                if (p.connection == &c)
                    p.connection = nullptr;
}

bool CommitPath::refuseLargeSelection(Connection &c, const Selection &selection, const QString &doc,
                                      int maxSelectionRanges)
{
    if (selection.ranges().size() <= maxSelectionRanges)
        return false;
    c.sendError(ProtocolErrorCode::InvalidMessage,
                QStringLiteral("a selection may have at most %1 ranges").arg(maxSelectionRanges), {}, doc);
    return true;
}

bool CommitPath::documentTooLarge(const LiveDocuments::Live &live, const TextOperation &op) const
{
    // UTF-8 needs at least one and at most three bytes per UTF-16 code unit, so only an operation that may
    // cross the limit needs the exact (linear) count. Deletions by concurrent edits are ignored: the check is
    // conservative by at most one operation's worth of text.
    const qsizetype inserted = insertedLength(op);
    if (inserted == 0 || (qint64(live.document.length()) + inserted) * 3 <= m_limits.maxDocumentBytes)
        return false;
    qint64 bytes = live.document.text().toString().toUtf8().size();
    for (const TextOperation::Component &c : op.components())
        if (c.kind == TextOperation::Kind::Insert)
            bytes += c.text.toUtf8().size();
    return bytes > m_limits.maxDocumentBytes;
}

// The work one operation causes grows with its components (transforms, every stored selection) and with the
// ranges of the selection it carries; an operation far behind is transformed through every operation since
// its revision (and may need that history loaded from storage). All three are bounded: true (and the error is
// sent, nothing applied) when the operation exceeds one.
bool CommitPath::refuseCostlyOperation(Connection &c, const Message::Op &m, const ServerDocument &document)
{
    if (qsizetype(m.operation.components().size()) > m_limits.maxOperationComponents) {
        c.sendError(ProtocolErrorCode::InvalidOperation,
                    QStringLiteral("an operation may have at most %1 components (welcome.limits.maxOperationComponents)"
                                   "; split it").arg(m_limits.maxOperationComponents), {}, m.doc);
        return true;
    }
    if (m.selection && refuseLargeSelection(c, *m.selection, m.doc, m_limits.maxSelectionRanges))
        return true;
    // The client catches up by opening with its revision, which transforms its pending edit locally, and
    // resends it.
    if (const qint64 behind = qint64(document.revision()) - m.revision;
        behind > m_limits.maxOperationLag
        || (behind > 0
            && document.transformWork(m.revision, qint64(m.operation.components().size()), 1,
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
bool CommitPath::admitsSequence(Connection &c, const Message::Op &m, ServerDocument &document)
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
bool CommitPath::acknowledgeResend(Connection &c, const Message::Op &m, std::optional<int> known)
{
    const std::optional<int> revision = known ? known : m_storage.revisionOf(m.doc, c.clientId(), m.sequence);
    if (!revision)
        return false;
    c.sendMessage(Message::Ack{m.doc, *revision, m.sequence});
    return true;
}

void CommitPath::handleOp(Connection &c, const Message::Op &m, int attempt)
{
    if (const LiveDocuments::Live *loaded = m_live.find(m.doc); m_catchUp.peers() && loaded && m.revision > loaded->document.revision())
    {
        flush(); // the log must hold what is in memory before reading what others appended
        m_catchUp.catchUp(m.doc); // based on a revision another relay committed that this one has not read yet
    }
    LiveDocuments::Live *live = m_live.find(m.doc);
    if (!live || !live->member(c)) {
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
        auto older = m_live.storedOperations(m.doc, m.revision, document.historyStart());
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
    Pending pending{m_live.shared(m.doc), &c, c.id(), c.clientId(), m, attempt, receipt.revision,
                    std::move(receipt.operation), senderSelection, std::nullopt, c.user(), c.displayName(), c.color()};
    if (m_limits.snapshotInterval > 0 && pending.revision % m_limits.snapshotInterval == 0)
        pending.snapshot = document.text().toString();
    ++live->uncommitted;
    m_pending.push_back(std::move(pending));
    scheduleFlush();
}

// Group commit.

void CommitPath::scheduleFlush()
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

void CommitPath::flush()
{
    // A batch that lost a commit race re-handles its operations, which queue again (bounded: each retry
    // counts towards maxCommitAttempts). Loop until nothing uncommitted is left in memory.
    while (!m_pending.empty())
        flushBatch();
}

void CommitPath::flushBatch()
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
                p->live->id, Storage::OperationRecord{p->revision, p->operation.toJsonText(), p->clientId,
                                                      p->message.sequence, p->user, p->name, p->color});
    committed = committed && m_storage.commitTransaction();
    const std::chrono::nanoseconds commitLatency(commitTimer.nsecsElapsed());
    if (!committed) {
        const QString error = m_storage.lastError();
        m_storage.rollbackTransaction();
        qCWarning(lcCommits).noquote() << "commit of a batch of" << batch.size() << "operations failed:" << error;
        batchFailed(batch);
        return;
    }
    m_commitsFailing = false;

    if (PeerRelays *peers = m_catchUp.peers()) {
        // One "look now" per document and batch, naming its last revision (batches are in revision order).
        QHash<QString, int> last;
        for (const Pending &p : batch)
            last.insert(p.live->id, p.revision);
        for (auto it = last.cbegin(); it != last.cend(); ++it)
            peers->publishCommitted(it.key(), it.value());
    }
    for (const Pending &p : batch) {
        Q_EMIT operationCommitted(commitLatency);
        LiveDocuments::Live &live = *p.live;
        if (p.connection)
            p.connection->sendMessage(Message::Ack{live.id, p.revision, p.message.sequence});
        live.broadcast(Message::encodeText(Message::RemoteOp{live.id, p.revision, p.operation, p.clientId,
                                                             p.message.sequence, p.connectionId, p.senderSelection}),
                       p.connection);
        // Other relays read the operation from the log; the author's cursor is not in it.
        if (m_catchUp.peers() && p.senderSelection)
            m_catchUp.peers()->publishTransient(live.id, Message::encodeText(Message::SelectionChanged{live.id, p.connectionId,
                                                                                         p.revision,
                                                                                         *p.senderSelection}));
        live.moveSelections(p.operation, p.connection, p.senderSelection);
        live.attribute(p.revision, p.operation, p.user, p.name, p.color);
        if (p.snapshot) {
            if (m_storage.saveSnapshot(live.id, p.revision, *p.snapshot,
                                       live.authorship ? live.authorship->toStored() : QString()))
                live.snapshotRevision = p.revision;
            else
                qCWarning(lcCommits).noquote() << "snapshot of" << live.id << "at" << p.revision
                                               << "failed (history still complete)";
        }
        m_live.trimHistory(live);
    }
}

// Nothing of the batch was stored, and nothing was sent. Every document it touched is reloaded from storage
// (dropping its uncommitted operations). If another relay committed revisions the batch wanted (a lost race,
// not a storage failure), what it committed is forwarded and the batch's operations are handled again from
// their messages, transformed over it (the resend check runs again too). Otherwise their senders hear that
// nothing was applied.
void CommitPath::batchFailed(std::vector<Pending> &batch)
{
    std::vector<std::pair<std::shared_ptr<LiveDocuments::Live>, int>> documents; // with the first revision the batch wanted
    for (const Pending &p : batch)
        if (std::none_of(documents.cbegin(), documents.cend(), [&](const auto &d) { return d.first == p.live; }))
            documents.emplace_back(p.live, p.revision);
    bool lostRace = false;
    for (const auto &[live, revision] : documents) {
        if (m_catchUp.recoverFromLostRace(*live, revision)) {
            lostRace = true;
        } else if (!m_live.reload(*live)) {
            qCCritical(lcCommits).noquote() << "reloading" << live->id << "after a failed commit failed";
            closeForStorageFailure(*live);
        }
    }
    if (!lostRace)
        m_commitsFailing = true;
    for (const Pending &p : batch) {
        if (!p.connection)
            continue; // gone: it resends what was never acknowledged when it reconnects
        if (!lostRace) {
            qCCritical(lcCommits).noquote() << "commit of" << p.live->id << "revision" << p.revision << "failed";
            p.connection->sendError(ProtocolErrorCode::ServerError,
                                    QStringLiteral("the operation could not be stored; nothing was applied"), {},
                                    p.live->id);
        } else if (p.attempt < maxCommitAttempts) {
            handleOp(*p.connection, p.message, p.attempt + 1);
        } else {
            qCWarning(lcCommits).noquote() << "commit of" << p.live->id << "lost" << p.attempt
                                       << "races; client asked to resend";
            p.connection->sendMessage(Message::Error{
                    ProtocolErrorCode::ConflictRetry,
                    QStringLiteral("the document is too busy right now; nothing was applied, resend the operation"),
                    {}, p.live->id, 100});
        }
    }
}

// Storage is unusable: close the document for everyone rather than serve unstored text.
void CommitPath::closeForStorageFailure(LiveDocuments::Live &live)
{
    const QString payload = Message::encodeText(
            Message::Error{ProtocolErrorCode::ServerError,
                           QStringLiteral("document closed: storage failure"), {}, live.id, std::nullopt});
    live.dismissMembers(payload, nullptr);
    m_live.unload(live.id); // never kept idle: its text in memory may hold what storage refused
}

} // namespace relay
