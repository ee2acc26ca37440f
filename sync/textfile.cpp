// SPDX-License-Identifier: MIT
#include "textfile.h"

#include <QCoreApplication>
#include <QStringDecoder>
#include <QStringEncoder>

namespace syncing {

namespace {

TextFile::LineEnding lineEndingOf(const QString &text)
{
    qsizetype lf = 0, crlf = 0, cr = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) == u'\r') {
            if (i + 1 < text.size() && text.at(i + 1) == u'\n') {
                ++crlf;
                ++i;
            } else {
                ++cr;
            }
        } else if (text.at(i) == u'\n') {
            ++lf;
        }
    }
    const int kinds = (lf > 0) + (crlf > 0) + (cr > 0);
    if (kinds > 1)
        return TextFile::LineEnding::Mixed;
    return crlf ? TextFile::LineEnding::CrLf : cr ? TextFile::LineEnding::Cr : TextFile::LineEnding::Lf;
}

QString tr(const char *text)
{
    return QCoreApplication::translate("syncing::TextFile", text);  // the context lupdate gives these strings
}

} // namespace

std::variant<TextFile::Decoded, QString> TextFile::decode(const QByteArray &bytes)
{
    Decoded decoded;
    QString text;
    if (bytes.startsWith("\xFF\xFE") || bytes.startsWith("\xFE\xFF")) {
        const bool little = bytes.startsWith("\xFF\xFE");
        decoded.format.encoding = little ? Encoding::Utf16LE : Encoding::Utf16BE;
        if ((bytes.size() - 2) % 2 != 0)
            return tr("This is not a text file: UTF-16 with an odd number of bytes.");
        QStringDecoder decoder(little ? QStringDecoder::Utf16LE : QStringDecoder::Utf16BE,
                               QStringDecoder::Flag::Stateless);
        text = decoder.decode(QByteArrayView(bytes).sliced(2));
        // The decoder lets a lone surrogate through; the relay would refuse such text (docs/PROTOCOL.md).
        if (decoder.hasError() || !QStringView(text).isValidUtf16())
            return tr("This is not a text file: invalid UTF-16.");
    } else {
        const bool bom = bytes.startsWith("\xEF\xBB\xBF");
        decoded.format.encoding = bom ? Encoding::Utf8WithBom : Encoding::Utf8;
        const QByteArrayView body = QByteArrayView(bytes).sliced(bom ? 3 : 0);
        if (body.contains('\0'))
            return tr("This looks like a binary file (it holds NUL bytes), not text: it was not opened.");
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        text = decoder.decode(body);
        if (decoder.hasError())
            return tr("This is not a UTF-8 or UTF-16 text file (it may be binary, or in a legacy encoding): it "
                      "was not opened. Convert it to UTF-8 first, e.g. with iconv.");
    }
    if (text.contains(QChar(u'\0')))
        return tr("This looks like a binary file (it holds NUL characters), not text: it was not opened.");
    decoded.format.lineEnding = lineEndingOf(text);
    if (decoded.format.lineEnding == LineEnding::CrLf)
        text.replace(QStringLiteral("\r\n"), QStringLiteral("\n"));
    else if (decoded.format.lineEnding == LineEnding::Cr)
        text.replace(u'\r', u'\n');
    decoded.text = std::move(text);
    return decoded;
}

QByteArray TextFile::encode(const QString &text, Format format)
{
    QString out = text;
    if (format.lineEnding == LineEnding::CrLf)
        out.replace(QStringLiteral("\n"), QStringLiteral("\r\n"));
    else if (format.lineEnding == LineEnding::Cr)
        out.replace(u'\n', u'\r');
    switch (format.encoding) {
    case Encoding::Utf8:
        return out.toUtf8();
    case Encoding::Utf8WithBom:
        return QByteArray("\xEF\xBB\xBF") + out.toUtf8();
    case Encoding::Utf16LE: {
        QStringEncoder encoder(QStringEncoder::Utf16LE, QStringEncoder::Flag::Stateless);
        return QByteArray("\xFF\xFE") + QByteArray(encoder.encode(out));
    }
    case Encoding::Utf16BE: {
        QStringEncoder encoder(QStringEncoder::Utf16BE, QStringEncoder::Flag::Stateless);
        return QByteArray("\xFE\xFF") + QByteArray(encoder.encode(out));
    }
    }
    return out.toUtf8();
}

QString TextFile::encodingName(Encoding encoding)
{
    switch (encoding) {
    case Encoding::Utf8: return QStringLiteral("UTF-8");
    case Encoding::Utf8WithBom: return tr("UTF-8 with BOM");
    case Encoding::Utf16LE: return QStringLiteral("UTF-16 LE");
    case Encoding::Utf16BE: return QStringLiteral("UTF-16 BE");
    }
    return {};
}

QString TextFile::lineEndingName(LineEnding lineEnding)
{
    switch (lineEnding) {
    case LineEnding::Lf: return QStringLiteral("LF");
    case LineEnding::CrLf: return QStringLiteral("CRLF");
    case LineEnding::Cr: return QStringLiteral("CR");
    case LineEnding::Mixed: return tr("mixed line endings");
    }
    return {};
}

} // namespace syncing
