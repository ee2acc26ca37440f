// SPDX-License-Identifier: MIT
#pragma once

#include "rope.h"
#include "selection.h"
#include "textoperation.h"

#include <QHash>
#include <QString>

#include <deque>
#include <vector>

namespace collab {

// ServerDocument: the authoritative copy of one document and its revision log, as ot.js's server.js —
// it transforms and returns, the caller stores and sends.
//
// Revision r is the document after r operations. history() holds the operations from historyStart() to
// revision() (operation i produced revision i + 1). receive() transforms a client's operation, made at
// some base revision, over every operation committed since, applies it and returns what to broadcast.
//
// Deduplication: each client's operations carry increasing sequence numbers; the last applied sequence of
// each client is remembered (and rebuilt from the log on load), so a resend of an operation that was
// applied (its acknowledgement was lost) is answered with DuplicateOperation naming its revision instead of
// being applied twice. A client's first operation on a document has sequence 1 and every later one the next
// number: anything else is OutOfOrderSequence (the caller seeds clients known only to storage with
// rememberApplied() first).
class ServerDocument
{
public:
    struct LogEntry
    {
        TextOperation operation;
        QString clientId;
        qint64 sequence = 0;
    };

    struct Receipt
    {
        int revision = 0;               // the revision the operation produced
        TextOperation operation;        // transformed: what to broadcast and store
    };

    struct Duplicate
    {
        int revision = 0;               // where the earlier copy landed
    };

    ServerDocument() = default;
    // A document loaded from a snapshot at `revision`; history before it is not in memory.
    ServerDocument(const QString &snapshot, int revision);

    int revision() const { return m_revision; }
    int historyStart() const { return m_revision - int(m_history.size()); }
    const std::deque<LogEntry> &history() const { return m_history; }
    const Rope &text() const { return m_text; }
    qsizetype length() const { return m_text.length(); }

    // Append an operation already committed elsewhere (loading from storage, another relay): it must apply
    // to the current text. Used to replay the log after a snapshot.
    std::optional<Error> replay(const LogEntry &entry);

    // Older history (for clients that reconnect far behind): entries for revisions
    // [historyStart() - older.size(), historyStart()), oldest first.
    void prependHistory(std::vector<LogEntry> older);

    // Drop in-memory history older than `revision` (the caller keeps it in storage).
    void trimHistory(int keepFrom);

    // Errors: RevisionFromFuture, RevisionTooOld (history not in memory: load it and retry),
    // DuplicateOperation (message names the revision; see lastApplied), OutOfOrderSequence,
    // BaseLengthMismatch / SplitsSurrogatePair / MalformedOperation. On error nothing changes.
    Expected<Receipt> receive(int baseRevision, const TextOperation &op, const QString &clientId,
                              qint64 sequence);

    // The selection a client sent with `op` (made at `baseRevision`, in the coordinates after op), moved
    // through the operations concurrent to op, which receive() transformed op over, so that it fits the text
    // at `receipt.revision`. Call it right after receive(), before anything else is applied:
    //
    //    base ──concurrent──► revision-1
    //     │                       │
    //     op (sender)             op' (receipt)
    //     ▼                       ▼
    //    mine ──concurrent'──► revision
    //
    // Clamped to the text; if the operations are no longer in memory, only clamped.
    Selection senderSelection(const Selection &selection, int baseRevision, const TextOperation &op,
                              const Receipt &receipt) const;

    // The revision at which a client's sequence number landed, if it is the last one seen from it.
    struct Applied { qint64 sequence = 0; int revision = 0; };
    std::optional<Applied> lastApplied(const QString &clientId) const;
    // What storage knows of a client whose operations are older than the loaded log (its last sequence and
    // where it landed); ignored when the log in memory already knows the client.
    void rememberApplied(const QString &clientId, Applied applied);

    // The cost of moving something through every operation after `revision`, in component steps: one
    // transform walks the components of both sides, so each operation costs `perOperation` plus
    // `perComponent` times its own size. History no longer in memory counts `unloadedComponents` each.
    qint64 transformWork(int revision, qint64 perOperation, qint64 perComponent, qint64 unloadedComponents) const;

    // Operations in (since, revision()], for a catching-up client; empty optional when not in memory.
    std::optional<std::vector<LogEntry>> operationsSince(int since) const;

private:
    Rope m_text;
    int m_revision = 0;
    std::deque<LogEntry> m_history;
    QHash<QString, Applied> m_lastApplied;
};

} // namespace collab
