// SPDX-License-Identifier: MIT
#include "jsonwriter.h"

#include <QChar>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace collab {

namespace {

constexpr char kHex[] = "0123456789abcdef";

template<typename Unit>
Unit *unicodeEscape(Unit *out, char16_t u)
{
    const Unit escape[6] = {'\\', 'u', Unit(kHex[(u >> 12) & 0xf]), Unit(kHex[(u >> 8) & 0xf]),
                            Unit(kHex[(u >> 4) & 0xf]), Unit(kHex[u & 0xf])};
    std::memcpy(out, escape, sizeof escape);
    return out + 6;
}

// Writes "text" (quoted, escaped) at out, which has room for quotedMax(text.size()) units; returns the end.
// The escapes are QJsonDocument's; other characters go as UTF-8 (Unit = char) or as themselves (char16_t).
template<typename Unit>
Unit *quoted(Unit *out, QStringView text)
{
    *out++ = '"';
    const char16_t *p = text.utf16();
    const char16_t *end = p + text.size();
    while (p < end) {
        const char16_t u = *p++;
        if (u < 0x80) {
            if (u >= 0x20 && u != '"' && u != '\\') {
                *out++ = Unit(u);
                continue;
            }
            *out++ = '\\';
            switch (u) {
            case '"': *out++ = '"'; break;
            case '\\': *out++ = '\\'; break;
            case '\b': *out++ = 'b'; break;
            case '\f': *out++ = 'f'; break;
            case '\n': *out++ = 'n'; break;
            case '\r': *out++ = 'r'; break;
            case '\t': *out++ = 't'; break;
            default: out = unicodeEscape(out - 1, u); break;
            }
        } else if (QChar::isHighSurrogate(u) && p < end && QChar::isLowSurrogate(*p)) {
            if constexpr (sizeof(Unit) == 1) {
                const char32_t c = QChar::surrogateToUcs4(u, *p++);
                *out++ = char(0xf0 | (c >> 18));
                *out++ = char(0x80 | ((c >> 12) & 0x3f));
                *out++ = char(0x80 | ((c >> 6) & 0x3f));
                *out++ = char(0x80 | (c & 0x3f));
            } else {
                *out++ = u;
                *out++ = *p++;
            }
        } else if (QChar::isSurrogate(u)) {
            out = unicodeEscape(out, u); // a lone half: JSON can carry it only as an escape
        } else if constexpr (sizeof(Unit) == 2) {
            *out++ = u;
        } else if (u < 0x800) {
            *out++ = char(0xc0 | (u >> 6));
            *out++ = char(0x80 | (u & 0x3f));
        } else {
            *out++ = char(0xe0 | (u >> 12));
            *out++ = char(0x80 | ((u >> 6) & 0x3f));
            *out++ = char(0x80 | (u & 0x3f));
        }
    }
    *out++ = '"';
    return out;
}

// The longest form of a code unit is its \uXXXX escape.
constexpr qsizetype quotedMax(qsizetype units) { return 6 * units + 2; }

} // namespace

template<typename Unit>
BasicJsonWriter<Unit>::BasicJsonWriter(qsizetype reserve)
{
    if (reserve > InlineUnits) {
        m_out.resize(reserve);
        m_begin = m_pos = reinterpret_cast<Unit *>(m_out.data());
        m_end = m_begin + m_out.size();
    } else {
        m_begin = m_pos = m_inline;
        m_end = m_inline + InlineUnits;
    }
}

template<typename Unit>
void BasicJsonWriter<Unit>::grow(qsizetype n)
{
    const qsizetype used = size();
    const qsizetype capacity = qsizetype(m_end - m_begin);
    m_out.resize(std::max(2 * capacity, used + n));
    Unit *data = reinterpret_cast<Unit *>(m_out.data());
    if (m_begin == m_inline)
        std::memcpy(data, m_inline, std::size_t(used) * sizeof(Unit));
    m_begin = data;
    m_pos = m_begin + used;
    m_end = m_begin + m_out.size();
}

template<typename Unit>
typename BasicJsonWriter<Unit>::Output BasicJsonWriter<Unit>::result() &&
{
    Output out;
    if (m_begin == m_inline) {
        if constexpr (sizeof(Unit) == 1)
            out = QByteArray(m_begin, size());
        else
            out = QString(reinterpret_cast<const QChar *>(m_begin), size());
    } else {
        m_out.truncate(size());
        out = std::move(m_out);
    }
    m_begin = m_pos = m_end = nullptr;
    return out;
}

template<typename Unit>
void BasicJsonWriter<Unit>::appendString(Output &out, QStringView text)
{
    const qsizetype used = out.size();
    out.resize(used + quotedMax(text.size()));
    Unit *begin = reinterpret_cast<Unit *>(out.data());
    Unit *end = quoted(begin + used, text);
    out.truncate(qsizetype(end - begin));
}

template<typename Unit>
void BasicJsonWriter<Unit>::writeString(QStringView text)
{
    reserveMore(quotedMax(text.size()));
    m_pos = quoted(m_pos, text);
}

template<typename Unit>
BasicJsonWriter<Unit> &BasicJsonWriter<Unit>::key(const char *latin1Key)
{
    separate();
    const qsizetype n = qsizetype(std::strlen(latin1Key));
    reserveMore(n + 3);
    *m_pos++ = '"';
    m_pos = std::copy(latin1Key, latin1Key + n, m_pos);
    *m_pos++ = '"';
    *m_pos++ = ':';
    m_afterKey = true;
    return *this;
}

template<typename Unit>
BasicJsonWriter<Unit> &BasicJsonWriter<Unit>::value(QStringView text)
{
    separate();
    writeString(text);
    return *this;
}

template<typename Unit>
BasicJsonWriter<Unit> &BasicJsonWriter<Unit>::value(qint64 number)
{
    separate();
    char digits[20]; // "-9223372036854775808"
    const char *end = std::to_chars(digits, digits + sizeof digits, number).ptr;
    reserveMore(qsizetype(end - digits));
    m_pos = std::copy(static_cast<const char *>(digits), end, m_pos);
    return *this;
}

template<typename Unit>
BasicJsonWriter<Unit> &BasicJsonWriter<Unit>::value(bool flag)
{
    separate();
    reserveMore(5);
    const char *word = flag ? "true" : "false";
    m_pos = std::copy(word, word + (flag ? 4 : 5), m_pos);
    return *this;
}

template class BasicJsonWriter<char>;
template class BasicJsonWriter<char16_t>;

} // namespace collab
