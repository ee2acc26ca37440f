// SPDX-License-Identifier: MIT
#include "jsonwriter.h"

namespace collab {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void appendUnicodeEscape(QByteArray &out, char16_t u)
{
    const char escape[6] = {'\\', 'u', kHex[(u >> 12) & 0xf], kHex[(u >> 8) & 0xf], kHex[(u >> 4) & 0xf],
                            kHex[u & 0xf]};
    out.append(escape, 6);
}

} // namespace

void JsonWriter::appendString(QByteArray &out, QStringView text)
{
    out.append('"');
    const char16_t *p = text.utf16();
    const char16_t *end = p + text.size();
    while (p < end) {
        const char16_t u = *p++;
        if (u < 0x80) {
            if (u >= 0x20 && u != '"' && u != '\\') {
                out.append(char(u));
                continue;
            }
            switch (u) {
            case '"': out.append("\\\"", 2); break;
            case '\\': out.append("\\\\", 2); break;
            case '\b': out.append("\\b", 2); break;
            case '\f': out.append("\\f", 2); break;
            case '\n': out.append("\\n", 2); break;
            case '\r': out.append("\\r", 2); break;
            case '\t': out.append("\\t", 2); break;
            default: appendUnicodeEscape(out, u); break;
            }
        } else if (u < 0x800) {
            out.append(char(0xc0 | (u >> 6)));
            out.append(char(0x80 | (u & 0x3f)));
        } else if (QChar::isHighSurrogate(u) && p < end && QChar::isLowSurrogate(*p)) {
            const char32_t c = QChar::surrogateToUcs4(u, *p++);
            const char bytes[4] = {char(0xf0 | (c >> 18)), char(0x80 | ((c >> 12) & 0x3f)),
                                   char(0x80 | ((c >> 6) & 0x3f)), char(0x80 | (c & 0x3f))};
            out.append(bytes, 4);
        } else if (QChar::isSurrogate(u)) {
            appendUnicodeEscape(out, u); // a lone half: JSON can carry it only as an escape
        } else {
            const char bytes[3] = {char(0xe0 | (u >> 12)), char(0x80 | ((u >> 6) & 0x3f)), char(0x80 | (u & 0x3f))};
            out.append(bytes, 3);
        }
    }
    out.append('"');
}

JsonWriter &JsonWriter::key(const char *latin1Key)
{
    separate();
    m_out.append('"').append(latin1Key).append("\":", 2);
    m_afterKey = true;
    return *this;
}

JsonWriter &JsonWriter::value(QStringView text)
{
    separate();
    appendString(m_out, text);
    return *this;
}

JsonWriter &JsonWriter::value(qint64 number)
{
    separate();
    m_out.append(QByteArray::number(number));
    return *this;
}

JsonWriter &JsonWriter::value(bool flag)
{
    separate();
    if (flag)
        m_out.append("true", 4);
    else
        m_out.append("false", 5);
    return *this;
}

} // namespace collab
