// SPDX-License-Identifier: MIT
#pragma once

#include "textoperation.h"
#include "selection.h"

#include <QString>

#include <algorithm>
#include <optional>
#include <vector>

namespace collab {

// Client: the three-state OT client of ot.js's client.js, pure (no I/O). Each call returns the effects the
// caller must carry out: operations to send to the server and operations to apply to the local editor.
//
//   Synchronized --local edit--> AwaitingAck --local edit--> AwaitingAckWithBuffer
//        ^                         |    ^                          |
//        +-------- ack ------------+    +---------- ack -----------+ (buffer is sent)
//
// Every operation sent carries the client id and a sequence number (1, 2, 3, ...) so a resend after a lost
// acknowledgement is recognised by the server and never applied twice.
//
// Reconnect: call disconnected() when the link drops (local edits keep composing into the buffer); when the
// link is back, the caller requests the operations since revision(), feeds them through applyServerBatch()
// (an operation whose author is this client with the outstanding sequence counts as the acknowledgement),
// then calls resumed(), which resends the outstanding operation rebased on everything seen meanwhile.
//
// Catching up in one batch: applyServerBatch(entries) has exactly the effect of applyServer() on each entry
// in turn (same state, same operations to the bit), but its cost does not grow with K x pending size. The
// per-entry path transforms the whole outstanding operation and buffer against every missed operation; a
// client offline with scattered edits has a buffer of about as many components as edits, so that is
// quadratic. The batch holds the outstanding operation and the buffer as runs of pieces (slices of the
// document of about sqrt(components) / 4 components each) and transforms, per missed operation, only the
// pieces its edits touch; the operations to apply locally are composed in a balanced tree into one.
// (Composing the missed operations first and transforming once would be cheaper still but is not the same:
// after the server deleted text around the place of one of our inserts and then inserted at the same spot,
// transform() one by one puts our insert first, against the composition it goes after; see
// tst_Client::batchTieAfterDeletion.)
//
// Invariants: a buffer only exists beside an outstanding operation (except briefly after restorePending);
// the outstanding operation is always kept transformed to apply to the server's revision(), and its
// Outgoing::revision says so, so a resend is simply the stored Outgoing. Sequence numbers are handed out
// when an edit becomes the outstanding operation, never to the buffer, so they reach the server without gaps.
// While offline nothing is sent: the first edit becomes an (unsent) outstanding, later ones the buffer.
// Operations that change nothing are not sent.
class Client
{
public:
    enum class State { Synchronized, AwaitingAck, AwaitingAckWithBuffer };

    struct Outgoing
    {
        int revision = 0;        // base revision the operation applies to
        qint64 sequence = 0;     // per-client sequence number
        TextOperation operation;
    };

    struct Effects
    {
        std::optional<Outgoing> send;         // send this to the server
        std::optional<TextOperation> apply;   // apply this to the local document
    };

    // One operation of the server's log, as broadcast or as returned for a catch-up.
    struct ServerEntry
    {
        int revision = 0;        // the revision it produced
        TextOperation operation;
        QString authorId;
        qint64 authorSequence = 0;
    };

    explicit Client(QString clientId, int revision = 0, qint64 lastSequence = 0);

    const QString &clientId() const { return m_clientId; }
    int revision() const { return m_revision; }
    State state() const;
    bool isOnline() const { return m_online; }

    // The operation in flight (sent, not yet acknowledged) and the buffer (not yet sent), if any.
    const std::optional<Outgoing> &outstanding() const { return m_outstanding; }
    // Reading the buffer joins the edits typed since it was last read (O(buffer)); hasBuffer() does not.
    const std::optional<TextOperation> &buffer() const;
    bool hasBuffer() const { return m_buffer.has_value(); }
    qint64 lastSequence() const { return m_lastSequence; }

    // The user edited the local document. Returns what to send (if anything: while offline or awaiting an
    // acknowledgement, the edit goes into the buffer).
    Expected<Effects> applyClient(const TextOperation &op);

    // The server broadcast an operation at revision `revision` (the revision it produced). Returns the
    // transformed operation to apply locally. An operation already seen (revision <= revision()) is ignored;
    // one from this client matching the outstanding sequence is treated as the acknowledgement.
    Expected<Effects> applyServer(int revision, const TextOperation &op, const QString &authorId,
                                  qint64 authorSequence);

    // applyServer() for each entry in order, as one step (see the header): entries at or below revision()
    // are skipped, the rest must follow on without a gap. `apply` is the composition of what the single
    // calls would apply (absent when none would); `send` is what they would send: the buffer promoted by our
    // acknowledgement, only when online, as it stood then (based on the acknowledgement's revision; the
    // server rebases it over the later entries as outstanding() already is). Our acknowledgement shows as
    // outstanding() no longer carrying the sequence it had. On error (gap, base length mismatch) nothing
    // changes, where the single calls would have taken the entries before the bad one.
    Expected<Effects> applyServerBatch(const std::vector<ServerEntry> &entries);

    // The server acknowledged our outstanding operation as revision `revision`. Returns the buffer to send
    // next, if any. Duplicate or stale acknowledgements are ignored.
    Expected<Effects> serverAck(int revision, qint64 sequence);

    // The largest operation, in encoded bytes (TextOperation::encodedSize), the server takes in one message;
    // 0 (the default): no limit. An edit that becomes the outstanding operation larger than that is split
    // (TextOperation::splitToFit): the first piece is sent, the rest waits in the buffer and follows piece by
    // piece, each with its own sequence number; together they have exactly the edit's effect. Splitting
    // happens only when a sequence number is handed out (and in resumed() for an outstanding operation too
    // large for the limit now known: one the server refused unapplied, or made offline before the limit was
    // announced), so an operation the server may already have applied is never changed.
    void setMaxOperationBytes(qint64 bytes) { m_maxOperationBytes = std::max<qint64>(0, bytes); }
    qint64 maxOperationBytes() const { return m_maxOperationBytes; }
    // The same for the number of components (the relay bounds the work one operation may cause); 0: none.
    void setMaxOperationComponents(qsizetype n) { m_maxOperationComponents = std::max<qsizetype>(0, n); }

    void disconnected();
    // The link is back and the missed operations have been applied: resend what is pending.
    Effects resumed();

    // A selection another participant has at the server's revision(), moved through our outstanding and
    // buffered operations into the coordinates of our local document (ot.js's transformSelection).
    Selection transformSelection(const Selection &selection) const;

    // Restore from a persisted state (local store): the outstanding and buffer operations survive a crash.
    void restorePending(std::optional<Outgoing> outstanding, std::optional<TextOperation> buffer);

private:
    // Our outstanding operation landed as `revision`: the buffer (if any) becomes the new outstanding.
    Effects acknowledge(int revision);
    // The buffer becomes the outstanding operation with the next sequence number (sent only when online).
    void promoteBuffer();
    // Split the outstanding operation if it exceeds maxOperationBytes (the rest goes before the buffer).
    void fitOutstanding();
    bool tooLarge(const TextOperation &op) const;
    std::pair<TextOperation, TextOperation> split(const TextOperation &op) const;

    QString m_clientId;
    int m_revision = 0;
    qint64 m_lastSequence = 0;
    bool m_online = true;
    qint64 m_maxOperationBytes = 0;
    qsizetype m_maxOperationComponents = 0;
    std::optional<Outgoing> m_outstanding;
    // The buffer is m_buffer composed with m_bufferTail. Composing each keystroke into a buffer of n components
    // would cost O(n) per keystroke (a scattered offline edit adds about one component): later edits go into
    // an OperationComposer instead, amortized O(log n) per edit, joined onto m_buffer only when it is read or
    // transformed. Invariant: the tail is empty unless m_buffer holds an operation.
    mutable std::optional<TextOperation> m_buffer;
    mutable OperationComposer m_bufferTail;
    void joinBuffer() const;
};

} // namespace collab
