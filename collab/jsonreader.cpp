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

// Whether every unit is ASCII, eight bytes at a time.
template<typename Unit>
bool isAscii(const Unit *p, qsizetype n)
{
    const char *bytes = reinterpret_cast<const char *>(p);
    const qsizetype size = n * qsizetype(sizeof(Unit));
    constexpr quint64 highBits = sizeof(Unit) == 1 ? 0x8080808080808080ull : 0xff80ff80ff80ff80ull;
    quint64 high = 0;
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, bytes + i, 8);
        high |= word;
    }
    for (; i < size; i += qsizetype(sizeof(Unit))) {
        Unit u;
        std::memcpy(&u, bytes + i, sizeof(Unit));
        high |= quint64(u);
    }
    return (high & highBits) == 0;
}
// RapidJSON's SSE2 string scan (the UTF-8 parse) tests "below 0x20" as "at most 0x19", so a raw U+001A..U+001F
// in a string passes it, while its scalar parse (the UTF-16 one) refuses every raw control character, as JSON
// does. Such a byte is not JSON anywhere in a text (not whitespace outside strings, not allowed unescaped
// inside), so it is refused before parsing: both forms of a frame are read alike. Eight bytes at a time; the
// exact byte is looked for only where one below 0x20 was seen.
std::optional<qsizetype> unscannedControl(const char *p, qsizetype n)
{
    constexpr quint64 ones = 0x0101010101010101ull;
    qsizetype i = 0;
    for (; i + 8 <= n; i += 8) {
        quint64 word;
        std::memcpy(&word, p + i, 8);
        if (((word - 0x20 * ones) & ~word & 0x80 * ones) == 0)
            continue;
        for (qsizetype j = i; j < i + 8; ++j)
            if (p[j] >= 0x1a && p[j] <= 0x1f)
                return j;
    }
    for (; i < n; ++i)
        if (p[i] >= 0x1a && p[i] <= 0x1f)
            return i;
    return std::nullopt;
}
} // namespace

template<typename Encoding>
std::optional<QString> BasicDocument<Encoding>::parse(Input input)
{
    const Unit *in = reinterpret_cast<const Unit *>(input.data());
    const qsizetype size = input.size();
    // A NUL would end RapidJSON's null-terminated stream early, hiding what follows it.
    if (const Unit *nul = std::find(in, in + size, Unit(0)); nul != in + size)
        return QStringLiteral("not valid JSON at offset %1: a NUL character").arg(nul - in);
    if constexpr (sizeof(Unit) == 1) {
        if (const std::optional<qsizetype> at = unscannedControl(in, size))
            return QStringLiteral("not valid JSON at offset %1: a raw control character (U+%2) must be escaped")
                .arg(*at)
                .arg(uint(in[*at]), 4, 16, QLatin1Char('0'));
    }
    Unit *copy = m_small;
    if (size > SmallInput) {
        m_large.resize(std::size_t(size + ScanPadding));
        copy = m_large.data();
    }
    std::memcpy(copy, in, std::size_t(size) * sizeof(Unit));
    std::memset(copy + size, 0, std::size_t(ScanPadding) * sizeof(Unit)); // the NUL ending the stream, and padding
    const bool ascii = isAscii(copy, size);
    rapidjson::GenericInsituStringStream<Encoding> stream(copy);
    if (size <= SmallInput) {
        if (ascii)
            m_document.template ParseStream<AsciiParseFlags>(stream);
        else
            m_document.template ParseStream<ParseFlags>(stream);
    } else {
        if (ascii)
            m_document.template ParseStream<LargeAsciiParseFlags>(stream);
        else
            m_document.template ParseStream<LargeParseFlags>(stream);
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

template class BasicDocument<Utf8>;
template class BasicDocument<Utf16>;

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

QStringView view(const TextValue &v)
{
    return QStringView(v.GetString(), qsizetype(v.GetStringLength()));
}

// The strings a keystroke's frames repeat (the document id, the author, the connection id, a one-letter
// insert) are decoded once per thread and shared after: a hit costs a compare and a reference count instead
// of a conversion and an allocation. Direct-mapped, so a lookup is one slot whatever the mix.
// UTF-8 to QString, every character kept: QString::fromUtf8 drops a byte order mark at the start of its input,
// which inside a JSON string is text (an insert "\ufeffx" must not arrive as "x").
QString fromUtf8(const char *s, qsizetype n)
{
    qsizetype marks = 0;
    while (n - 3 * marks >= 3 && std::memcmp(s + 3 * marks, "\xef\xbb\xbf", 3) == 0)
        ++marks;
    if (marks == 0)
        return QString::fromUtf8(s, n);
    return QString(marks, QChar(0xfeff)) + QString::fromUtf8(s + 3 * marks, n - 3 * marks);
}

template<typename Unit>
class RecentStrings
{
public:
    static constexpr rapidjson::SizeType MaxUnits = 40;

    QString get(const Unit *s, rapidjson::SizeType length)
    {
        const auto at = [s](rapidjson::SizeType i) { return unsigned(std::make_unsigned_t<Unit>(s[i])); };
        Slot &slot = m_slots[(length * 31u + at(0) * 7u + at(length - 1) + at(length / 2) * 3u) % SlotCount];
        if (slot.length == length && std::memcmp(slot.units, s, length * sizeof(Unit)) == 0)
            return slot.text;
        if constexpr (sizeof(Unit) == 1)
            slot.text = fromUtf8(s, qsizetype(length));
        else
            slot.text = QString(reinterpret_cast<const QChar *>(s), qsizetype(length));
        std::memcpy(slot.units, s, length * sizeof(Unit));
        slot.length = length;
        return slot.text;
    }

private:
    static constexpr unsigned SlotCount = 64;
    struct Slot
    {
        Unit units[MaxUnits];
        rapidjson::SizeType length = 0; // 0: empty (the empty string is not cached)
        QString text;
    };
    Slot m_slots[SlotCount];
};

template<typename Unit>
QString shared(const Unit *s, rapidjson::SizeType length)
{
    if (length == 0 || length > RecentStrings<Unit>::MaxUnits) {
        if constexpr (sizeof(Unit) == 1)
            return fromUtf8(s, qsizetype(length));
        else
            return QString(reinterpret_cast<const QChar *>(s), qsizetype(length));
    }
    thread_local RecentStrings<Unit> recent;
    return recent.get(s, length);
}
} // namespace

bool string(const Value &v, QString &out)
{
    if (!v.IsString() || surrogateIn(v))
        return false;
    out = shared(v.GetString(), v.GetStringLength());
    return true;
}

bool string(const TextValue &v, QString &out)
{
    if (!v.IsString() || TextOperation::loneSurrogate(view(v)))
        return false;
    out = shared(v.GetString(), v.GetStringLength());
    return true;
}

namespace {
// The insert an operation's string element holds, or the reason it is not one (`op` is what precedes it).
std::optional<QString> appendInsert(TextOperation &op, const Value &e, qsizetype i)
{
    QString text;
    if (string(e, text))
        return op.appendJsonInsert(text, i);
    // Say where, as appendJsonInsert does for the UTF-16 form.
    const char *s = e.GetString();
    const char *p = surrogateIn(e);
    const uint unit = ((uint(static_cast<unsigned char>(p[1])) & 0x3f) << 6)
                      | (uint(static_cast<unsigned char>(p[2])) & 0x3f) | 0xd000;
    const qsizetype at = fromUtf8(s, qsizetype(p - s)).size();
    return QStringLiteral("element %1: lone surrogate U+%2 at offset %3 of the insert (position %4 of the result)")
        .arg(i)
        .arg(unit, 4, 16, QLatin1Char('0'))
        .arg(at)
        .arg(op.targetLength() + at);
}

std::optional<QString> appendInsert(TextOperation &op, const TextValue &e, qsizetype i)
{
    // appendJsonInsert finds and names a lone surrogate itself.
    return op.appendJsonInsert(shared(e.GetString(), e.GetStringLength()), i);
}

template<typename V>
Expected<TextOperation> readOperation(const V &v)
{
    if (!v.IsArray())
        return malformed(QStringLiteral("operation must be a JSON array"));
    TextOperation op;
    qsizetype i = 0;
    for (const V &e : v.GetArray()) {
        std::optional<QString> broken;
        if (e.IsString())
            broken = appendInsert(op, e, i);
        else if (e.IsInt64())
            broken = op.appendJsonCount(qint64(e.GetInt64()), i);
        else if (e.IsNumber())
            broken = op.appendJsonCount(e.GetDouble(), i);
        else
            broken = QStringLiteral("element %1 is %2; expected an integer or a string").arg(i).arg(QLatin1StringView(typeName(e)));
        if (broken)
            return malformed(*broken);
        ++i;
    }
    return op;
}

template<typename V>
Expected<Selection> readSelection(const V &v)
{
    if (!v.IsObject())
        return malformed(QStringLiteral("selection: not an object"));
    const V *rangesMember = member(v, "ranges");
    if (!rangesMember || !rangesMember->IsArray())
        return malformed(QStringLiteral("selection: \"ranges\" missing or not an array"));
    const auto array = rangesMember->GetArray();
    QList<Selection::Range> ranges;
    ranges.reserve(qsizetype(array.Size()));
    qsizetype i = 0;
    for (const V &element : array) {
        if (!element.IsObject())
            return malformed(QStringLiteral("selection: range %1 is not an object").arg(i));
        const auto position = [&element](const char *key) -> std::optional<qint64> {
            const V *m = member(element, key);
            return m ? integer(*m, 0, MaxCount) : std::nullopt;
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
} // namespace

Expected<TextOperation> operation(const Value &v) { return readOperation(v); }
Expected<TextOperation> operation(const TextValue &v) { return readOperation(v); }
Expected<Selection> selection(const Value &v) { return readSelection(v); }
Expected<Selection> selection(const TextValue &v) { return readSelection(v); }

} // namespace collab::json
