// SPDX-License-Identifier: MIT
#include "jsonwriter.h"

#include <QChar>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace collab {

namespace {

constexpr char kHex[] = "0123456789abcdef";

char *unicodeEscape(char *out, char16_t u)
{
    const char escape[6] = {'\\', 'u', kHex[(u >> 12) & 0xf], kHex[(u >> 8) & 0xf], kHex[(u >> 4) & 0xf],
                            kHex[u & 0xf]};
    std::memcpy(out, escape, 6);
    return out + 6;
}

// Writes "text" (quoted, escaped) at out, which has room for 6 bytes per code unit plus the quotes (the
// longest form: \uXXXX); returns the end.
char *quoted(char *out, QStringView text)
{
    *out++ = '"';
    const char16_t *p = text.utf16();
    const char16_t *end = p + text.size();
    while (p < end) {
        const char16_t u = *p++;
        if (u < 0x80) {
            if (u >= 0x20 && u != '"' && u != '\\') {
                *out++ = char(u);
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
        } else if (u < 0x800) {
            *out++ = char(0xc0 | (u >> 6));
            *out++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isHighSurrogate(u) && p < end && QChar::isLowSurrogate(*p)) {
            const char32_t c = QChar::surrogateToUcs4(u, *p++);
            *out++ = char(0xf0 | (c >> 18));
            *out++ = char(0x80 | ((c >> 12) & 0x3f));
            *out++ = char(0x80 | ((c >> 6) & 0x3f));
            *out++ = char(0x80 | (c & 0x3f));
        } else if (QChar::isSurrogate(u)) {
            out = unicodeEscape(out, u); // a lone half: JSON can carry it only as an escape
        } else {
            *out++ = char(0xe0 | (u >> 12));
            *out++ = char(0x80 | ((u >> 6) & 0x3f));
            *out++ = char(0x80 | (u & 0x3f));
        }
    }
    *out++ = '"';
    return out;
}

constexpr qsizetype quotedMax(qsizetype units) { return 6 * units + 2; }

} // namespace

JsonWriter::JsonWriter(qsizetype reserve)
{
    if (reserve > InlineBytes) {
        m_out.resize(reserve);
        m_begin = m_pos = m_out.data();
        m_end = m_begin + m_out.size();
    } else {
        m_begin = m_pos = m_inline;
        m_end = m_inline + InlineBytes;
    }
}

void JsonWriter::grow(qsizetype n)
{
    const qsizetype used = size();
    const qsizetype capacity = qsizetype(m_end - m_begin);
    m_out.resize(std::max(2 * capacity, used + n));
    if (m_begin == m_inline)
        std::memcpy(m_out.data(), m_inline, std::size_t(used));
    m_begin = m_out.data();
    m_pos = m_begin + used;
    m_end = m_begin + m_out.size();
}

QByteArray JsonWriter::bytes() &&
{
    QByteArray out;
    if (m_begin == m_inline) {
        out = QByteArray(m_begin, size());
    } else {
        m_out.truncate(size());
        out = std::move(m_out);
    }
    m_begin = m_pos = m_end = nullptr;
    return out;
}

void JsonWriter::appendString(QByteArray &out, QStringView text)
{
    const qsizetype used = out.size();
    out.resize(used + quotedMax(text.size()));
    char *end = quoted(out.data() + used, text);
    out.truncate(qsizetype(end - out.constData()));
}

void JsonWriter::writeString(QStringView text)
{
    reserveMore(quotedMax(text.size()));
    m_pos = quoted(m_pos, text);
}

JsonWriter &JsonWriter::key(const char *latin1Key)
{
    separate();
    const qsizetype n = qsizetype(std::strlen(latin1Key));
    reserveMore(n + 3);
    *m_pos++ = '"';
    std::memcpy(m_pos, latin1Key, std::size_t(n));
    m_pos += n;
    *m_pos++ = '"';
    *m_pos++ = ':';
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::value(QStringView text)
{
    separate();
    writeString(text);
    return *this;
}

JsonWriter &JsonWriter::value(qint64 number)
{
    separate();
    reserveMore(20); // "-9223372036854775808"
    m_pos = std::to_chars(m_pos, m_end, number).ptr;
    return *this;
}

JsonWriter &JsonWriter::value(bool flag)
{
    separate();
    reserveMore(5);
    const char *word = flag ? "true" : "false";
    const std::size_t n = flag ? 4 : 5;
    std::memcpy(m_pos, word, n);
    m_pos += n;
    return *this;
}

JsonWriter &JsonWriter::raw(QByteArrayView json)
{
    separate();
    if (json.isEmpty())
        return *this;
    reserveMore(json.size());
    std::memcpy(m_pos, json.data(), std::size_t(json.size()));
    m_pos += json.size();
    return *this;
}

} // namespace collab
