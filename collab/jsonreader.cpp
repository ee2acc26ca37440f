// SPDX-License-Identifier: MIT
#include "jsonreader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stream.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace collab::json {

namespace {
constexpr qint64 MaxCount = std::numeric_limits<qint32>::max(); // TextOperation's 2^31-1

Error malformed(const QString &message)
{
    return Error{ErrorCode::MalformedOperation, message};
}
} // namespace

std::optional<QString> Document::parse(const QByteArray &bytes)
{
    // A NUL would end RapidJSON's null-terminated stream early, hiding what follows it.
    if (const void *nul = std::memchr(bytes.constData(), 0, std::size_t(bytes.size())))
        return QStringLiteral("not valid JSON at offset %1: a NUL byte")
            .arg(static_cast<const char *>(nul) - bytes.constData());
    const qsizetype size = bytes.size();
    char *copy = m_small;
    if (size > SmallInput) {
        m_large.resize(size + ScanPadding);
        copy = m_large.data();
    }
    std::memcpy(copy, bytes.constData(), std::size_t(size));
    std::memset(copy + size, 0, std::size_t(ScanPadding)); // the NUL that ends the stream, and the padding
    // All ASCII? Eight bytes at a time.
    quint64 high = 0;
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, copy + i, 8);
        high |= word;
    }
    for (; i < size; ++i)
        high |= static_cast<unsigned char>(copy[i]);
    const bool ascii = (high & 0x8080808080808080ull) == 0;
    rapidjson::InsituStringStream stream(copy);
    if (size <= SmallInput) {
        if (ascii)
            m_document.ParseStream<AsciiParseFlags>(stream);
        else
            m_document.ParseStream<ParseFlags>(stream);
    } else {
        if (ascii)
            m_document.ParseStream<LargeAsciiParseFlags>(stream);
        else
            m_document.ParseStream<LargeParseFlags>(stream);
    }
    if (m_document.GetParseError() == rapidjson::kParseErrorStringUnicodeSurrogateInvalid)
        return QStringLiteral("not valid JSON at offset %1: a lone surrogate (a \\ud800-\\udbff escape without "
                              "the low half after it)")
            .arg(m_document.GetErrorOffset());
    if (m_document.HasParseError())
        return QStringLiteral("not valid JSON at offset %1: %2")
            .arg(m_document.GetErrorOffset())
            .arg(QLatin1StringView(rapidjson::GetParseError_En(m_document.GetParseError())));
    return std::nullopt;
}

const char *typeName(const Value &v)
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

namespace {
// The first surrogate in a JSON string's UTF-8, or null. The input is validated UTF-8, so ED A0..BF can only
// be a surrogate from a "\udxxx" escape (three bytes).
const char *surrogateIn(const Value &v)
{
    const char *end = v.GetString() + v.GetStringLength();
    for (const char *p = v.GetString(); p < end; ++p) {
        p = static_cast<const char *>(std::memchr(p, 0xed, std::size_t(end - p)));
        if (!p)
            break;
        if (p + 1 < end && static_cast<unsigned char>(p[1]) >= 0xa0)
            return p;
    }
    return nullptr;
}
} // namespace

namespace {
// The strings a keystroke's frames repeat (the document id, the author, the connection id, a one-letter
// insert) are decoded once per thread and shared after: a hit costs a compare and a reference count instead
// of a conversion and an allocation. Direct-mapped, so a lookup is one slot whatever the mix.
class RecentStrings
{
public:
    static constexpr rapidjson::SizeType MaxBytes = 40;

    QString get(const char *utf8, rapidjson::SizeType length)
    {
        const auto byte = [utf8](rapidjson::SizeType i) { return unsigned(static_cast<unsigned char>(utf8[i])); };
        Slot &slot = m_slots[(length * 31u + byte(0) * 7u + byte(length - 1) + byte(length / 2) * 3u) % SlotCount];
        if (slot.length == length && std::memcmp(slot.bytes, utf8, length) == 0)
            return slot.text;
        slot.text = QString::fromUtf8(utf8, qsizetype(length));
        std::memcpy(slot.bytes, utf8, length);
        slot.length = length;
        return slot.text;
    }

private:
    static constexpr unsigned SlotCount = 64;
    struct Slot
    {
        char bytes[MaxBytes];
        rapidjson::SizeType length = 0; // 0: empty (the empty string is not cached)
        QString text;
    };
    Slot m_slots[SlotCount];
};
} // namespace

bool string(const Value &v, QString &out)
{
    if (!v.IsString() || surrogateIn(v))
        return false;
    const rapidjson::SizeType length = v.GetStringLength();
    if (length == 0 || length > RecentStrings::MaxBytes) {
        out = QString::fromUtf8(v.GetString(), qsizetype(length));
        return true;
    }
    thread_local RecentStrings recent;
    out = recent.get(v.GetString(), length);
    return true;
}

Expected<TextOperation> operation(const Value &v)
{
    if (!v.IsArray())
        return malformed(QStringLiteral("operation must be a JSON array"));
    TextOperation op;
    qsizetype i = 0;
    for (const Value &e : v.GetArray()) {
        std::optional<QString> broken;
        if (e.IsString()) {
            QString text;
            if (string(e, text)) {
                broken = op.appendJsonInsert(text, i);
            } else {
                // Say where, as appendJsonInsert does for the UTF-16 form.
                const char *s = e.GetString();
                const char *p = surrogateIn(e);
                const uint unit = ((uint(static_cast<unsigned char>(p[1])) & 0x3f) << 6)
                                  | (uint(static_cast<unsigned char>(p[2])) & 0x3f) | 0xd000;
                const qsizetype at = QString::fromUtf8(s, qsizetype(p - s)).size();
                broken = QStringLiteral("element %1: lone surrogate U+%2 at offset %3 of the insert (position %4 of the result)")
                             .arg(i)
                             .arg(unit, 4, 16, QLatin1Char('0'))
                             .arg(at)
                             .arg(op.targetLength() + at);
            }
        } else if (e.IsInt64()) {
            broken = op.appendJsonCount(qint64(e.GetInt64()), i);
        } else if (e.IsNumber()) {
            broken = op.appendJsonCount(e.GetDouble(), i);
        } else {
            broken = QStringLiteral("element %1 is %2; expected an integer or a string").arg(i).arg(QLatin1StringView(typeName(e)));
        }
        if (broken)
            return malformed(*broken);
        ++i;
    }
    return op;
}

Expected<Selection> selection(const Value &v)
{
    if (!v.IsObject())
        return malformed(QStringLiteral("selection: not an object"));
    const auto rangesMember = v.FindMember("ranges");
    if (rangesMember == v.MemberEnd() || !rangesMember->value.IsArray())
        return malformed(QStringLiteral("selection: \"ranges\" missing or not an array"));
    const auto array = rangesMember->value.GetArray();
    QList<Selection::Range> ranges;
    ranges.reserve(qsizetype(array.Size()));
    qsizetype i = 0;
    for (const Value &element : array) {
        if (!element.IsObject())
            return malformed(QStringLiteral("selection: range %1 is not an object").arg(i));
        const auto position = [&element](const char *key) -> std::optional<qint64> {
            const auto m = element.FindMember(key);
            return m == element.MemberEnd() ? std::nullopt : integer(m->value, 0, MaxCount);
        };
        const std::optional<qint64> anchor = position("anchor");
        const std::optional<qint64> head = position("head");
        if (!anchor)
            return malformed(QStringLiteral("selection: range %1 has no valid \"anchor\"").arg(i));
        if (!head)
            return malformed(QStringLiteral("selection: range %1 has no valid \"head\"").arg(i));
        ranges.append(Selection::Range{*anchor, *head});
        ++i;
    }
    return Selection(std::move(ranges));
}

} // namespace collab::json
