// SPDX-License-Identifier: MIT
#pragma once

// Internal to collab (RapidJSON is a private dependency; nothing outside collab includes this): reading
// JSON values into the engine's types, under one set of rules for the protocol codec (message.cpp) and for
// operations and selections read on their own (TextOperation::fromJsonBytes, Selection::fromJson).

#include "expected.h"
#include "selection.h"
#include "textoperation.h"

#include <QByteArray>
#include <QString>

// Every x86-64 processor has SSE2: RapidJSON then scans strings and whitespace 16 bytes at a time.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/document.h>

#include <cmath>
#include <optional>

namespace collab::json {

using Value = rapidjson::Value;

// Strict JSON (no comments, NaN or trailing commas), UTF-8 validated, parsed in place in a padded copy (no
// string is copied again). A small input goes to RapidJSON's recursive parser, whose depth its size bounds;
// a larger one to the iterative parser, so deep nesting cannot exhaust the stack. Both accept the same JSON.
constexpr unsigned ParseFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseInsituFlag;
constexpr unsigned LargeParseFlags = ParseFlags | rapidjson::kParseIterativeFlag;
// ASCII is valid UTF-8 whatever it holds: an all-ASCII input needs no validation (most keystrokes).
constexpr unsigned AsciiParseFlags = rapidjson::kParseInsituFlag;
constexpr unsigned LargeAsciiParseFlags = AsciiParseFlags | rapidjson::kParseIterativeFlag;
constexpr qsizetype SmallInput = 1024;
// RapidJSON's SSE2 scans load aligned 16-byte blocks, up to 15 bytes past the terminating NUL: the copy
// it parses carries that many more zero bytes, so no load leaves the buffer.
constexpr qsizetype ScanPadding = 16;

// Buffers on the stack for RapidJSON's allocators: a keystroke's frame parses without a heap allocation.
class Document
{
public:
    // The parser's stack starts at a quarter of its buffer: it grows there by reallocation, and a first size
    // as large as the buffer would not fit beside the pool's chunk header (a 64 KiB malloc per parse).
    Document() : m_values(m_valueBuffer, sizeof m_valueBuffer), m_stack(m_stackBuffer, sizeof m_stackBuffer),
                 m_document(&m_values, sizeof m_stackBuffer / 4, &m_stack) {}
    // Parse the whole of `bytes`; the reason when it is not one JSON value.
    std::optional<QString> parse(const QByteArray &bytes);
    const Value &root() const { return m_document; }

private:
    using Allocator = rapidjson::MemoryPoolAllocator<>;
    char m_valueBuffer[4096];
    char m_stackBuffer[2048];
    char m_small[SmallInput + ScanPadding];
    QByteArray m_large; // the copy of an input over SmallInput
    Allocator m_values;
    Allocator m_stack;
    rapidjson::GenericDocument<rapidjson::UTF8<>, Allocator, Allocator> m_document;
};

// "an array", "an object", ... for error messages.
const char *typeName(const Value &v);

// A JSON string as QString; false if it holds a lone surrogate ("\udc00" escapes decode to UTF-8 that
// encodes a surrogate, which is not text: no store keeps it as such).
bool string(const Value &v, QString &out);

// An integer-valued JSON number in [min, max] ("3", "3.0" and "3e0" alike).
inline std::optional<qint64> integer(const Value &v, qint64 min, qint64 max)
{
    if (v.IsInt64()) {
        const qint64 n = v.GetInt64();
        if (n < min || n > max)
            return std::nullopt;
        return n;
    }
    if (!v.IsDouble())
        return std::nullopt; // also a uint64 above int64's range
    const double d = v.GetDouble();
    if (!std::isfinite(d) || d != std::floor(d) || d < double(min) || d > double(max))
        return std::nullopt;
    return qint64(d);
}


// ot.js's JSON form of an operation: [retain > 0, "insert", delete < 0, ...].
Expected<TextOperation> operation(const Value &v);
// {"ranges":[{"anchor":N,"head":N},...]}; other keys are ignored.
Expected<Selection> selection(const Value &v);

} // namespace collab::json
