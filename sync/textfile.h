// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <variant>

namespace syncing {

// TextFile: a document's text to and from the bytes of a file on disk, keeping the file's form so that saving
// what was opened gives the same bytes back. Encodings: UTF-8 (with or without a byte order mark) and UTF-16
// with a byte order mark (little or big endian). Line endings: a file whose breaks are all "\n", all "\r\n" or
// all "\r" becomes text with "\n" (as every editor shows it) and gets its own back when encoded; a file that
// mixes them is kept exactly as it is, "\r" included. Binary files (a NUL byte in 8-bit text, invalid UTF-8 or
// UTF-16) are refused with a message saying so.
class TextFile
{
public:
    enum class Encoding { Utf8, Utf8WithBom, Utf16LE, Utf16BE };
    enum class LineEnding { Lf, CrLf, Cr, Mixed };

    struct Format
    {
        Encoding encoding = Encoding::Utf8;
        LineEnding lineEnding = LineEnding::Lf;
        bool operator==(const Format &) const = default;
    };

    struct Decoded
    {
        QString text;
        Format format;
    };

    // The text, or why the bytes are not a text file Coscribe can take.
    static std::variant<Decoded, QString> decode(const QByteArray &bytes);
    static QByteArray encode(const QString &text, Format format);

    // For the status bar and menus: "UTF-8", "UTF-8 with BOM", "UTF-16 LE", "LF", "CRLF", ...
    static QString encodingName(Encoding encoding);
    static QString lineEndingName(LineEnding lineEnding);
};

} // namespace syncing
