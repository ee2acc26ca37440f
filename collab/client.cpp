// SPDX-License-Identifier: MIT
#include "client.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace collab {

namespace {

using Kind = TextOperation::Kind;

Error invalidState(const QString &message)
{
    return Error{ErrorCode::InvalidState, message};
}

// Appends components to out through the builder, which keeps out normalized.
void append(TextOperation &out, const TextOperation::Component &c)
{
    switch (c.kind) {
    case Kind::Retain: out.retain(c.length); break;
    case Kind::Insert: out.insert(c.text); break;
    case Kind::Delete: out.remove(c.length); break;
    }
}

void append(TextOperation &out, const TextOperation &op)
{
    for (const TextOperation::Component &c : op.components())
        append(out, c);
}

// PieceRun: a pending operation (outstanding or buffer) during a batch catch-up, held as consecutive pieces:
// piece i is a TextOperation over the slice [start_i, start_i + baseLength_i) of the base document, and the
// pieces one after the other are the whole operation. transform() against a server operation reworks only
// the pieces whose slices that operation edits, so a keystroke-sized operation costs about one piece, not
// the whole pending operation. Pieces hold about sqrt(components) / 4 components (at least
// MinPieceComponents): finding the stretch walks the list of pieces, which is much cheaper per piece than
// transforming is per component.
//
// Why the result is exactly TextOperation::transform(whole, other): transform walks both operations in step
// over the base document and decides at each position from the components there alone; at one position
// the first argument's inserts go before the second's. `other` edits only [first, last] and retains
// elsewhere; the stretch of pieces from the one holding `first` to the one holding `last` (a piece holds
// the positions [start, end), the last piece also its end) has every insert of ours at those positions
// inside it or before it, so cutting there changes nothing. Outside the stretch the pieces stay as they are
// (transformed against a retain) and `other` becomes a retain of their target length.
//
// Invariant: the pieces' components, concatenated as they are, form a normalized operation. The builder
// would move an insert that follows a delete in front of it, which changes where the insert stands for the
// next transform; so a piece ending with a delete and the next one starting with an insert are joined
// (through the builder, as the whole operation would be). No piece is empty, except a lone empty one.
class PieceRun
{
public:
    explicit PieceRun(const TextOperation &op)
        : m_baseLength(op.baseLength()), m_targetLength(op.targetLength()),
          m_maxComponents(std::max<size_t>(MinPieceComponents,
                                           size_t(std::sqrt(double(op.components().size())) / 4)))
    {
        split(op, m_pieces);
        if (m_pieces.empty())
            m_pieces.emplace_back();
    }

    // Becomes the first half of transform(*this, other); returns the second half (other over our target).
    Expected<TextOperation> transform(const TextOperation &other)
    {
        if (other.baseLength() != m_baseLength)
            return Error{ErrorCode::BaseLengthMismatch,
                         QStringLiteral("server operation has base length %1, pending edits apply to %2")
                             .arg(other.baseLength())
                             .arg(m_baseLength)};

        // The edited stretch of `other`: base positions [first, last], components [f, l].
        const TextOperation::Components oc = other.components();
        qsizetype position = 0;
        qsizetype first = -1;
        qsizetype last = 0;
        size_t f = 0;
        size_t l = 0;
        for (size_t i = 0; i < oc.size(); ++i) {
            if (oc[i].kind != Kind::Retain && first < 0) {
                first = position;
                f = i;
            }
            if (oc[i].kind != Kind::Insert)
                position += oc[i].length;
            if (oc[i].kind != Kind::Retain) {
                last = position;
                l = i;
            }
        }
        if (first < 0) // a retain only: we stay, it retains our result
            return TextOperation().retain(m_targetLength);
        if (m_pieces.size() == 1) { // small: no stretch to cut out
            auto pair = TextOperation::transform(m_pieces.front(), other);
            if (!pair)
                return pair.error();
            m_baseLength = other.targetLength();
            m_targetLength = pair->first.targetLength();
            replace(0, 1, pair->first);
            return std::move(pair->second);
        }

        // The pieces holding `first` and `last` (j <= k) and where they start and end.
        const size_t n = m_pieces.size();
        size_t j = n;
        size_t k = n;
        qsizetype start = 0;
        qsizetype targetStart = 0;
        qsizetype stretchStart = 0;
        qsizetype stretchEnd = 0;
        qsizetype targetBefore = 0;
        for (size_t i = 0; i < n; ++i) {
            const qsizetype end = start + m_pieces[i].baseLength();
            if (j == n && (first < end || i + 1 == n)) {
                j = i;
                stretchStart = start;
                targetBefore = targetStart;
            }
            if (j != n && (last < end || i + 1 == n)) {
                k = i;
                stretchEnd = end;
                break;
            }
            start = end;
            targetStart += m_pieces[i].targetLength();
        }

        TextOperation ours;
        for (size_t i = j; i <= k; ++i)
            append(ours, m_pieces[i]);
        TextOperation theirs;
        theirs.retain(first - stretchStart);
        for (size_t i = f; i <= l; ++i)
            append(theirs, oc[i]);
        theirs.retain(stretchEnd - last);

        auto pair = TextOperation::transform(ours, theirs);
        if (!pair)
            return pair.error();
        const qsizetype targetAfter = m_targetLength - targetBefore - ours.targetLength();
        TextOperation otherPrime;
        otherPrime.retain(targetBefore);
        append(otherPrime, pair->second);
        otherPrime.retain(targetAfter);

        m_baseLength = other.targetLength();
        m_targetLength = targetBefore + pair->first.targetLength() + targetAfter;
        replace(j, k + 1, pair->first);
        return otherPrime;
    }

    TextOperation toOperation() const
    {
        if (m_pieces.size() == 1)
            return m_pieces.front();
        TextOperation op;
        for (const TextOperation &piece : m_pieces)
            append(op, piece);
        return op;
    }

private:
    static constexpr size_t MinPieceComponents = 4;

    // op in pieces of at most m_maxComponents components, appended to out (nothing for an empty op). The
    // cuts fall between components of a normalized operation, so never between a delete and an insert.
    void split(const TextOperation &op, std::vector<TextOperation> &out) const
    {
        const TextOperation::Components components = op.components();
        if (components.size() <= m_maxComponents) {
            if (!components.empty())
                out.push_back(op);
            return;
        }
        TextOperation piece;
        size_t count = 0;
        for (const TextOperation::Component &c : components) {
            append(piece, c);
            if (++count == m_maxComponents) {
                out.push_back(std::move(piece));
                piece = TextOperation();
                count = 0;
            }
        }
        if (count)
            out.push_back(std::move(piece));
    }

    static bool mustJoin(const TextOperation &left, const TextOperation &right)
    {
        return !left.components().empty() && !right.components().empty()
            && left.components().back().kind == Kind::Delete && right.components().front().kind == Kind::Insert;
    }

    // Pieces [from, to) become op (split into pieces), then the boundaries around it are joined where the
    // invariant needs it. A join can make a piece start with an insert (a lone delete before an insert), so
    // the check steps back after each one.
    void replace(size_t from, size_t to, const TextOperation &op)
    {
        std::vector<TextOperation> fresh;
        split(op, fresh);
        m_pieces.erase(m_pieces.begin() + std::ptrdiff_t(from), m_pieces.begin() + std::ptrdiff_t(to));
        m_pieces.insert(m_pieces.begin() + std::ptrdiff_t(from), std::make_move_iterator(fresh.begin()),
                        std::make_move_iterator(fresh.end()));
        size_t i = from > 0 ? from - 1 : 0;
        size_t stop = from + fresh.size(); // boundaries (i, i + 1) with i < stop may be new
        while (i < stop && i + 1 < m_pieces.size()) {
            if (!mustJoin(m_pieces[i], m_pieces[i + 1])) {
                ++i;
                continue;
            }
            TextOperation joined = std::move(m_pieces[i]);
            append(joined, m_pieces[i + 1]);
            std::vector<TextOperation> parts;
            split(joined, parts);
            m_pieces.erase(m_pieces.begin() + std::ptrdiff_t(i), m_pieces.begin() + std::ptrdiff_t(i + 2));
            m_pieces.insert(m_pieces.begin() + std::ptrdiff_t(i), std::make_move_iterator(parts.begin()),
                            std::make_move_iterator(parts.end()));
            stop = stop + parts.size() - 2;
            i = i > 0 ? i - 1 : 0;
        }
        if (m_pieces.empty())
            m_pieces.emplace_back();
    }

    std::vector<TextOperation> m_pieces;
    qsizetype m_baseLength = 0;
    qsizetype m_targetLength = 0;
    size_t m_maxComponents = MinPieceComponents;
};

} // namespace

Client::Client(QString clientId, int revision, qint64 lastSequence)
    : m_clientId(std::move(clientId)), m_revision(revision), m_lastSequence(lastSequence)
{
}

void Client::joinBuffer() const
{
    if (!m_bufferTail.isEmpty())
        m_buffer = m_buffer->compose(m_bufferTail.take()).value(); // the tail follows on (add() checked)
}

const std::optional<TextOperation> &Client::buffer() const
{
    joinBuffer();
    return m_buffer;
}

Client::State Client::state() const
{
    if (m_buffer)
        return State::AwaitingAckWithBuffer;
    if (m_outstanding)
        return State::AwaitingAck;
    return State::Synchronized;
}

Expected<Client::Effects> Client::applyClient(const TextOperation &op)
{
    if (op.isNoop())
        return Effects{};
    if (m_buffer) {
        const qsizetype length = m_bufferTail.isEmpty() ? m_buffer->targetLength() : m_bufferTail.targetLength();
        if (op.baseLength() != length)
            return Error{ErrorCode::BaseLengthMismatch,
                         QStringLiteral("local edit has base length %1, document has %2").arg(op.baseLength()).arg(length)};
        if (std::optional<Error> error = m_bufferTail.add(op))
            return *error;
        return Effects{};
    }
    if (m_outstanding) {
        if (op.baseLength() != m_outstanding->operation.targetLength())
            return Error{ErrorCode::BaseLengthMismatch,
                         QStringLiteral("local edit has base length %1, document has %2")
                             .arg(op.baseLength())
                             .arg(m_outstanding->operation.targetLength())};
        m_buffer = op;
        return Effects{};
    }
    m_outstanding = Outgoing{m_revision, ++m_lastSequence, op};
    fitOutstanding();
    if (!m_online)
        return Effects{};
    return Effects{m_outstanding, std::nullopt};
}

// A concurrent server operation meets our pending ones. The client's operation is the first argument of
// transform(): on equal insert positions ours goes first, as the server decides when it transforms ours.
//
//                    o                 server at revision - 1
//       outstanding / \ op
//                  o   o               server at revision
//          buffer / \ / outstanding'
//   (local doc)  o   o                 (op' runs along the inner edge)
//           op'' \ / buffer'
//                 o                    local document after applying op''
Expected<Client::Effects> Client::applyServer(int revision, const TextOperation &op, const QString &authorId,
                                              qint64 authorSequence)
{
    joinBuffer();
    if (revision <= m_revision)
        return Effects{};
    if (revision != m_revision + 1)
        return invalidState(QStringLiteral("server operation at revision %1 but client is at %2: a gap")
                                .arg(revision)
                                .arg(m_revision));
    if (m_outstanding && authorId == m_clientId && authorSequence == m_outstanding->sequence)
        return acknowledge(revision);

    std::optional<Outgoing> outstanding = m_outstanding;
    std::optional<TextOperation> buffer = m_buffer;
    TextOperation toApply = op;
    if (outstanding) {
        auto pair = TextOperation::transform(outstanding->operation, toApply);
        if (!pair)
            return pair.error();
        outstanding->operation = std::move(pair->first);
        outstanding->revision = revision;
        toApply = std::move(pair->second);
    }
    if (buffer) {
        auto pair = TextOperation::transform(*buffer, toApply);
        if (!pair)
            return pair.error();
        buffer = std::move(pair->first);
        toApply = std::move(pair->second);
    }
    m_revision = revision;
    m_outstanding = std::move(outstanding);
    m_buffer = std::move(buffer);
    return Effects{std::nullopt, std::move(toApply)};
}

// The same steps as applyServer() per entry (the diagram above, once per entry; at our own entry the buffer
// moves up), on PieceRun copies of the pending operations, so only the pieces near each server operation's
// edits are transformed. Everything is computed aside and stored at the end: an error changes nothing.
Expected<Client::Effects> Client::applyServerBatch(const std::vector<ServerEntry> &entries)
{
    joinBuffer();
    int revision = m_revision;
    for (const ServerEntry &entry : entries) {
        if (entry.revision <= revision)
            continue;
        if (entry.revision != revision + 1)
            return invalidState(QStringLiteral("server operation at revision %1 but client is at %2: a gap")
                                    .arg(entry.revision)
                                    .arg(revision));
        revision = entry.revision;
    }
    if (revision == m_revision)
        return Effects{};

    std::unique_ptr<PieceRun> outstanding;
    std::unique_ptr<PieceRun> buffer;
    if (m_outstanding)
        outstanding = std::make_unique<PieceRun>(m_outstanding->operation);
    if (m_buffer)
        buffer = std::make_unique<PieceRun>(*m_buffer);
    int outstandingRevision = m_outstanding ? m_outstanding->revision : 0;
    qint64 outstandingSequence = m_outstanding ? m_outstanding->sequence : 0;
    qint64 lastSequence = m_lastSequence;
    std::optional<Outgoing> send;
    OperationComposer toApply;

    revision = m_revision;
    for (const ServerEntry &entry : entries) {
        if (entry.revision <= revision)
            continue;
        revision = entry.revision;
        if (outstanding && entry.authorId == m_clientId && entry.authorSequence == outstandingSequence) {
            // acknowledge(): the buffer becomes the outstanding operation, sent now only when online.
            outstanding.reset();
            if (buffer) {
                outstanding = std::move(buffer);
                if (m_maxOperationBytes > 0 || m_maxOperationComponents > 0) { // promoteBuffer(), fitOutstanding()
                    TextOperation promoted = outstanding->toOperation();
                    if (tooLarge(promoted)) {
                        auto [first, rest] = split(promoted);
                        outstanding = std::make_unique<PieceRun>(first);
                        buffer = std::make_unique<PieceRun>(rest);
                    }
                }
                outstandingRevision = revision;
                outstandingSequence = ++lastSequence;
                if (m_online)
                    send = Outgoing{revision, outstandingSequence, outstanding->toOperation()};
            }
            continue;
        }
        TextOperation op = entry.operation;
        if (outstanding) {
            Expected<TextOperation> transformed = outstanding->transform(op);
            if (!transformed)
                return transformed.error();
            op = std::move(transformed.value());
            outstandingRevision = revision;
        }
        if (buffer) {
            Expected<TextOperation> transformed = buffer->transform(op);
            if (!transformed)
                return transformed.error();
            op = std::move(transformed.value());
        }
        if (std::optional<Error> error = toApply.add(std::move(op)))
            return *error;
    }

    std::optional<TextOperation> apply;
    if (!toApply.isEmpty())
        apply = toApply.take();

    m_revision = revision;
    m_lastSequence = lastSequence;
    if (outstanding)
        m_outstanding = Outgoing{outstandingRevision, outstandingSequence, outstanding->toOperation()};
    else
        m_outstanding.reset();
    if (buffer)
        m_buffer = buffer->toOperation();
    else
        m_buffer.reset();
    return Effects{std::move(send), std::move(apply)};
}

Expected<Client::Effects> Client::serverAck(int revision, qint64 sequence)
{
    // A stale or repeated acknowledgement (the server re-acknowledges resends it had already applied).
    if (!m_outstanding || sequence != m_outstanding->sequence)
        return Effects{};
    if (revision != m_revision + 1)
        return invalidState(QStringLiteral("acknowledgement for revision %1 but client is at %2")
                                .arg(revision)
                                .arg(m_revision));
    return acknowledge(revision);
}

Client::Effects Client::acknowledge(int revision)
{
    joinBuffer();
    m_revision = revision;
    m_outstanding.reset();
    if (!m_buffer)
        return Effects{};
    promoteBuffer();
    if (!m_online)
        return Effects{};
    return Effects{m_outstanding, std::nullopt};
}

void Client::promoteBuffer()
{
    joinBuffer();
    m_outstanding = Outgoing{m_revision, ++m_lastSequence, std::move(*m_buffer)};
    m_buffer.reset();
    fitOutstanding();
}

bool Client::tooLarge(const TextOperation &op) const
{
    return (m_maxOperationComponents > 0 && qsizetype(op.components().size()) > m_maxOperationComponents)
            || (m_maxOperationBytes > 0 && op.encodedSize() > m_maxOperationBytes);
}

std::pair<TextOperation, TextOperation> Client::split(const TextOperation &op) const
{
    return op.splitToFit(m_maxOperationBytes > 0 ? m_maxOperationBytes : std::numeric_limits<qint64>::max(),
                         m_maxOperationComponents > 0 ? m_maxOperationComponents
                                                      : std::numeric_limits<qsizetype>::max());
}

void Client::fitOutstanding()
{
    joinBuffer();
    if (!m_outstanding || !tooLarge(m_outstanding->operation))
        return;
    auto [first, rest] = split(m_outstanding->operation);
    if (m_buffer) {
        Expected<TextOperation> composed = rest.compose(*m_buffer);
        if (!composed)
            return; // cannot happen (rest ends where the buffer starts); then send it whole
        m_buffer = std::move(composed.value());
    } else {
        m_buffer = std::move(rest);
    }
    m_outstanding->operation = std::move(first);
}

void Client::disconnected()
{
    m_online = false;
}

Client::Effects Client::resumed()
{
    joinBuffer();
    m_online = true;
    if (!m_outstanding && m_buffer)
        promoteBuffer();
    if (!m_outstanding)
        return Effects{};
    fitOutstanding();
    // Rebased through every server operation seen while offline, so it now applies to revision().
    m_outstanding->revision = m_revision;
    return Effects{m_outstanding, std::nullopt};
}

Selection Client::transformSelection(const Selection &selection) const
{
    joinBuffer();
    Selection result = selection;
    if (m_outstanding)
        result = result.transform(m_outstanding->operation, false);
    if (m_buffer)
        result = result.transform(*m_buffer, false);
    return result;
}

void Client::restorePending(std::optional<Outgoing> outstanding, std::optional<TextOperation> buffer)
{
    joinBuffer();
    if (outstanding)
        m_lastSequence = std::max(m_lastSequence, outstanding->sequence);
    m_outstanding = std::move(outstanding);
    m_buffer = std::move(buffer);
}

} // namespace collab
