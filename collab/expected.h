// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace collab {

// What went wrong with data that came from outside (the network, a file, a user). Engine entry points
// that can fail on such data return Expected<T>; they never assert or crash on it.
enum class ErrorCode {
    MalformedOperation,   // not an array, wrong element types, zero / non-integer / too-large counts
    BaseLengthMismatch,   // operation's base length differs from the document or the other operation
    SplitsSurrogatePair,  // a boundary of the operation falls inside a UTF-16 surrogate pair
    RevisionFromFuture,   // base revision greater than the server's revision
    RevisionTooOld,       // base revision older than the history the server still holds in memory
    DuplicateOperation,   // (client id, sequence) already applied: re-acknowledge, do not re-apply
    OutOfOrderSequence,   // sequence number skips ahead of what the server expects
    InvalidState,         // a message that makes no sense in the receiver's current state
};

QString errorCodeName(ErrorCode code);

struct Error
{
    ErrorCode code;
    QString message;
};

// A small std::expected stand-in (C++23 is not available with g++ 12): a value or an error, an engine Error
// by default (the protocol codec's ProtocolResult<T> is Expected<T, ProtocolError>).
template<typename T, typename E = Error>
class Expected
{
public:
    Expected(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Expected(E error) : m_data(std::in_place_index<1>, std::move(error)) {}

    bool hasValue() const { return m_data.index() == 0; }
    explicit operator bool() const { return hasValue(); }

    T &value() & { return std::get<0>(m_data); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const E &error() const { return std::get<1>(m_data); }

    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

private:
    std::variant<T, E> m_data;
};

} // namespace collab
