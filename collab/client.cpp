// SPDX-License-Identifier: MIT
#include "client.h"

namespace collab {

namespace {

Error invalidState(const QString &message)
{
    return Error{ErrorCode::InvalidState, message};
}

} // namespace

Client::Client(QString clientId, int revision, qint64 lastSequence)
    : m_clientId(std::move(clientId)), m_revision(revision), m_lastSequence(lastSequence)
{
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
        Expected<TextOperation> composed = m_buffer->compose(op);
        if (!composed)
            return composed.error();
        m_buffer = std::move(composed.value());
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
    m_outstanding = Outgoing{m_revision, ++m_lastSequence, std::move(*m_buffer)};
    m_buffer.reset();
}

void Client::disconnected()
{
    m_online = false;
}

Client::Effects Client::resumed()
{
    m_online = true;
    if (!m_outstanding && m_buffer)
        promoteBuffer();
    if (!m_outstanding)
        return Effects{};
    // Rebased through every server operation seen while offline, so it now applies to revision().
    m_outstanding->revision = m_revision;
    return Effects{m_outstanding, std::nullopt};
}

Selection Client::transformSelection(const Selection &selection) const
{
    Selection result = selection;
    if (m_outstanding)
        result = result.transform(m_outstanding->operation, false);
    if (m_buffer)
        result = result.transform(*m_buffer, false);
    return result;
}

void Client::restorePending(std::optional<Outgoing> outstanding, std::optional<TextOperation> buffer)
{
    if (outstanding)
        m_lastSequence = std::max(m_lastSequence, outstanding->sequence);
    m_outstanding = std::move(outstanding);
    m_buffer = std::move(buffer);
}

} // namespace collab
