// SPDX-License-Identifier: MIT
#include "serverdocument.h"

#include <utility>

namespace collab {

ServerDocument::ServerDocument(const QString &snapshot, int revision)
    : m_text(snapshot), m_revision(revision)
{
}

std::optional<Error> ServerDocument::replay(const LogEntry &entry)
{
    if (auto error = m_text.apply(entry.operation))
        return error;
    m_history.push_back(entry);
    ++m_revision;
    if (!entry.clientId.isEmpty())
        m_lastApplied.insert(entry.clientId, Applied{entry.sequence, m_revision});
    return std::nullopt;
}

void ServerDocument::prependHistory(std::vector<LogEntry> older)
{
    // Older entries can only teach us about clients whose later operations we have not seen; walk newest
    // first so the latest entry of each such client wins.
    int revision = historyStart();
    QHash<QString, Applied> learned;
    for (auto it = older.rbegin(); it != older.rend(); ++it) {
        if (!it->clientId.isEmpty() && !m_lastApplied.contains(it->clientId) && !learned.contains(it->clientId))
            learned.insert(it->clientId, Applied{it->sequence, revision});
        --revision;
        m_history.push_front(std::move(*it));
    }
    for (auto it = learned.cbegin(); it != learned.cend(); ++it)
        m_lastApplied.insert(it.key(), it.value());
}

void ServerDocument::trimHistory(int keepFrom)
{
    while (!m_history.empty() && historyStart() < keepFrom)
        m_history.pop_front();
}

Expected<ServerDocument::Receipt> ServerDocument::receive(int baseRevision, const TextOperation &op,
                                                         const QString &clientId, qint64 sequence)
{
    // 1. Deduplication: a resend of something already applied must be re-acknowledged, not re-applied, even if
    //    its base revision has meanwhile fallen out of memory.
    const auto last = m_lastApplied.find(clientId); // kept: updated in place at the end (one hash per op)
    if (last != m_lastApplied.end()) {
        if (sequence <= last->sequence) {
            int landed = sequence == last->sequence ? last->revision : -1;
            // An older resend: look for it in memory, newest first (rare, error path only).
            for (qsizetype i = qsizetype(m_history.size()) - 1; landed < 0 && i >= 0; --i) {
                const LogEntry &e = m_history[size_t(i)];
                if (e.clientId == clientId && e.sequence == sequence)
                    landed = historyStart() + int(i) + 1;
            }
            const QString where = landed >= 0
                    ? QStringLiteral("revision %1").arg(landed)
                    : QStringLiteral("a revision before %1").arg(last->revision);
            return Error{ErrorCode::DuplicateOperation,
                         QStringLiteral("operation %1 of client %2 was already applied as %3")
                                 .arg(sequence)
                                 .arg(clientId, where)};
        }
        if (sequence > last->sequence + 1) {
            return Error{ErrorCode::OutOfOrderSequence,
                         QStringLiteral("client %1 sent sequence %2, expected %3")
                                 .arg(clientId)
                                 .arg(sequence)
                                 .arg(last->sequence + 1)};
        }
    } else if (sequence != 1) {
        // A client this document has never applied anything from starts at 1: any other first number
        // would let its later operations be taken for resends (or, far ahead, lock it out).
        return Error{ErrorCode::OutOfOrderSequence,
                     QStringLiteral("client %1 sent sequence %2 as its first operation on this document; "
                                    "the first is 1")
                             .arg(clientId)
                             .arg(sequence)};
    }

    // 2. The base revision must be one whose successors we hold.
    if (baseRevision > m_revision) {
        return Error{ErrorCode::RevisionFromFuture,
                     QStringLiteral("base revision %1 is ahead of the server's revision %2")
                             .arg(baseRevision)
                             .arg(m_revision)};
    }
    if (baseRevision < historyStart()) {
        return Error{ErrorCode::RevisionTooOld,
                     QStringLiteral("base revision %1 is older than the history in memory (from revision %2)")
                             .arg(baseRevision)
                             .arg(historyStart())};
    }

    // 3. Bring the operation up to date: transform it over everything committed since its base revision.
    //    As in ot.js's server.js the incoming operation is the first argument (so on a tie its insert goes
    //    first); clients transform with their own pending operation first too, which keeps both sides agreed:
    //
    //      base ──history[i]──► base+1 ──► ... ──► revision()
    //        │                                        │
    //        op ─────────── transform(op, h).first ──► op'
    TextOperation transformed = op;
    for (size_t i = size_t(baseRevision - historyStart()); i < m_history.size(); ++i) {
        auto pair = TextOperation::transform(transformed, m_history[i].operation);
        if (!pair) {
            Error e = pair.error();
            e.message = QStringLiteral("transforming over revision %1: %2")
                                .arg(historyStart() + int(i) + 1)
                                .arg(e.message);
            return e;
        }
        transformed = std::move(pair->first);
    }

    // 4. Apply (validates base length and surrogate boundaries; on error the text is unchanged).
    if (auto error = m_text.apply(transformed))
        return *error;

    m_history.push_back(LogEntry{transformed, clientId, sequence});
    ++m_revision;
    if (last != m_lastApplied.end())
        *last = Applied{sequence, m_revision};
    else
        m_lastApplied.insert(clientId, Applied{sequence, m_revision});
    return Receipt{m_revision, std::move(transformed)};
}

void ServerDocument::rememberApplied(const QString &clientId, Applied applied)
{
    if (!m_lastApplied.contains(clientId))
        m_lastApplied.insert(clientId, applied);
}

std::optional<ServerDocument::Applied> ServerDocument::lastApplied(const QString &clientId) const
{
    const auto it = m_lastApplied.constFind(clientId);
    if (it == m_lastApplied.cend())
        return std::nullopt;
    return *it;
}

std::optional<std::vector<ServerDocument::LogEntry>> ServerDocument::operationsSince(int since) const
{
    if (since < historyStart() || since > m_revision)
        return std::nullopt;
    std::vector<LogEntry> entries;
    entries.reserve(size_t(m_revision - since));
    for (size_t i = size_t(since - historyStart()); i < m_history.size(); ++i)
        entries.push_back(m_history[i]);
    return entries;
}

qint64 ServerDocument::transformWork(int revision, qint64 perOperation, qint64 perComponent,
                                     qint64 unloadedComponents) const
{
    qint64 work = 0;
    int r = revision;
    for (; r < historyStart(); ++r)
        work += perOperation + perComponent * unloadedComponents;
    for (size_t i = size_t(r - historyStart()); i < m_history.size(); ++i)
        work += perOperation + perComponent * qint64(m_history[i].operation.components().size());
    return work;
}

Selection ServerDocument::senderSelection(const Selection &selection, int baseRevision, const TextOperation &op,
                                          const Receipt &receipt) const
{
    Selection moved = selection;
    if (receipt.revision - 1 > baseRevision) {
        if (std::optional<std::vector<LogEntry>> since = operationsSince(baseRevision)) {
            since->pop_back(); // the operation just applied
            std::optional<TextOperation> concurrent;
            for (const LogEntry &e : *since) {
                if (!concurrent) {
                    concurrent = e.operation;
                } else if (Expected<TextOperation> composed = concurrent->compose(e.operation)) {
                    concurrent = std::move(composed).value();
                } else {
                    concurrent.reset();
                    break;
                }
            }
            if (concurrent) {
                if (auto pair = TextOperation::transform(op, *concurrent))
                    moved = moved.transform(pair->second, false);
            }
        }
    }
    return moved.clamped(length());
}

} // namespace collab
