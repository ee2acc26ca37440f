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
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

namespace collab::json {

// The same JSON in two forms: UTF-8 bytes (storage, files, the cluster bus) and UTF-16 text (the WebSocket
// frame, which QWebSocket hands over as a QString: read as it is, so a frame is converted once, by Qt).
using Utf8 = rapidjson::UTF8<char>;
using Utf16 = rapidjson::UTF16<char16_t>;
template<typename Encoding>
using BasicValue = rapidjson::GenericValue<Encoding, rapidjson::MemoryPoolAllocator<>>;
using Value = BasicValue<Utf8>;
using TextValue = BasicValue<Utf16>;

// Strict JSON (no comments, NaN or trailing commas), encoding validated, parsed in place in a padded copy (no
// string is copied again). A small input goes to RapidJSON's recursive parser, whose depth its size bounds;
// a larger one to the iterative parser, so deep nesting cannot exhaust the stack. Both accept the same JSON.
constexpr unsigned ParseFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseInsituFlag;
constexpr unsigned LargeParseFlags = ParseFlags | rapidjson::kParseIterativeFlag;
// ASCII is valid UTF-8 and UTF-16 whatever it holds: an all-ASCII input needs no validation (most keystrokes).
constexpr unsigned AsciiParseFlags = rapidjson::kParseInsituFlag;
constexpr unsigned LargeAsciiParseFlags = AsciiParseFlags | rapidjson::kParseIterativeFlag;
constexpr qsizetype SmallInput = 1024; // code units
// RapidJSON's SSE2 scans load aligned 16-byte blocks, up to 15 bytes past the terminating NUL: the copy
// it parses carries that many more zero units, so no load leaves the buffer.
constexpr qsizetype ScanPadding = 16;

// Buffers on the stack for RapidJSON's allocators: a keystroke's frame parses without a heap allocation.
template<typename Encoding>
class BasicDocument
{
public:
    using Unit = typename Encoding::Ch;
    using Input = std::conditional_t<sizeof(Unit) == 1, QByteArrayView, QStringView>;

    // The parser's stack starts at a quarter of its buffer: it grows there by reallocation, and a first size
    // as large as the buffer would not fit beside the pool's chunk header (a 64 KiB malloc per parse).
    BasicDocument() : m_values(m_valueBuffer, sizeof m_valueBuffer), m_stack(m_stackBuffer, sizeof m_stackBuffer),
                      m_document(&m_values, sizeof m_stackBuffer / 4, &m_stack) {}
    // Parse the whole of `input`; the reason when it is not one JSON value (offsets count its code units).
    std::optional<QString> parse(Input input);
    const BasicValue<Encoding> &root() const { return m_document; }

private:
    using Allocator = rapidjson::MemoryPoolAllocator<>;
    char m_valueBuffer[4096];
    char m_stackBuffer[2048];
    Unit m_small[SmallInput + ScanPadding];
    std::vector<Unit> m_large; // the copy of an input over SmallInput
    Allocator m_values;
    Allocator m_stack;
    rapidjson::GenericDocument<Encoding, Allocator, Allocator> m_document;
};
using Document = BasicDocument<Utf8>;
using TextDocument = BasicDocument<Utf16>;
extern template class BasicDocument<Utf8>;
extern template class BasicDocument<Utf16>;

// "an array", "an object", ... for error messages.
template<typename V>
const char *typeName(const V &v)
{
    if (v.IsArray())
        return "an array";
    if (v.IsObject())
        return "an object";
    if (v.IsBool())
        return "a boolean";
    if (v.IsNull())
        return "null";
    if (v.IsString())
        return "a string";
    return "a number";
}

// Whether a JSON string's units equal the ASCII `key` (member names are compared this way in both forms).
template<typename Unit>
bool equalsAscii(const Unit *name, qsizetype length, const char *key, qsizetype keyLength)
{
    if (length != keyLength)
        return false;
    for (qsizetype i = 0; i < length; ++i)
        if (name[i] != Unit(key[i]))
            return false;
    return true;
}

// The member `key` of an object, or null.
template<typename V>
const V *member(const V &object, const char *key)
{
    const qsizetype keyLength = qsizetype(std::strlen(key));
    for (const auto &m : object.GetObject())
        if (equalsAscii(m.name.GetString(), qsizetype(m.name.GetStringLength()), key, keyLength))
            return &m.value;
    return nullptr;
}

// A JSON string as QString; false if it holds a lone surrogate (a "\udc00" escape decodes to one, which is
// not text: no store keeps it as such).
bool string(const Value &v, QString &out);
bool string(const TextValue &v, QString &out);

// An integer-valued JSON number in [min, max] ("3", "3.0" and "3e0" alike).
template<typename V>
std::optional<qint64> integer(const V &v, qint64 min, qint64 max)
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
Expected<TextOperation> operation(const TextValue &v);
// {"ranges":[{"anchor":N,"head":N},...]}; other keys are ignored.
Expected<Selection> selection(const Value &v);
Expected<Selection> selection(const TextValue &v);

} // namespace collab::json
