// SPDX-License-Identifier: MIT
#include "logsafe.h"

namespace relay {

QString logSafe(QStringView text, qsizetype maxLength)
{
    const bool cut = text.size() > maxLength;
    const QStringView shown = cut ? text.left(maxLength) : text;
    QString out;
    out.reserve(shown.size() + 8);
    for (const QChar c : shown) {
        const char16_t u = c.unicode();
        if (u == u'\\')
            out += QLatin1String("\\\\");
        else if (u < 0x20 || u == 0x7f)
            out += QStringLiteral("\\x%1").arg(uint(u), 2, 16, QLatin1Char('0'));
        else if ((u >= 0x80 && u < 0xa0) || u == 0x2028 || u == 0x2029)
            out += QStringLiteral("\\u%1").arg(uint(u), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    if (cut)
        out += QLatin1String("...");
    return out;
}

} // namespace relay
