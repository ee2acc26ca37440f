// SPDX-License-Identifier: MIT
#include <textfile.h>

#include <QtTest>

using syncing::TextFile;
using Encoding = TextFile::Encoding;
using LineEnding = TextFile::LineEnding;

Q_DECLARE_METATYPE(TextFile::Encoding)
Q_DECLARE_METATYPE(TextFile::LineEnding)

class tst_TextFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Every encoding with every line ending: decoding gives "\n" text, encoding it again gives the same bytes.
    void roundTripsByteForByte_data()
    {
        QTest::addColumn<Encoding>("encoding");
        QTest::addColumn<LineEnding>("lineEnding");
        for (Encoding e : {Encoding::Utf8, Encoding::Utf8WithBom, Encoding::Utf16LE, Encoding::Utf16BE})
            for (LineEnding l : {LineEnding::Lf, LineEnding::CrLf, LineEnding::Cr})
                QTest::addRow("%s %s", qPrintable(TextFile::encodingName(e)), qPrintable(TextFile::lineEndingName(l)))
                    << e << l;
    }
    void roundTripsByteForByte()
    {
        QFETCH(Encoding, encoding);
        QFETCH(LineEnding, lineEnding);
        const QString text = QStringLiteral("Première ligne\nsecond: 日本語 😀\n\nlast line without break");
        const QByteArray bytes = TextFile::encode(text, {encoding, lineEnding});
        const auto decoded = TextFile::decode(bytes);
        QVERIFY(std::holds_alternative<TextFile::Decoded>(decoded));
        QCOMPARE(std::get<TextFile::Decoded>(decoded).text, text);
        QCOMPARE(std::get<TextFile::Decoded>(decoded).format, (TextFile::Format{encoding, lineEnding}));
        QCOMPARE(TextFile::encode(std::get<TextFile::Decoded>(decoded).text, std::get<TextFile::Decoded>(decoded).format),
                 bytes);
    }

    void knownBytes()
    {
        QCOMPARE(TextFile::encode(QStringLiteral("a\nb"), {Encoding::Utf8WithBom, LineEnding::CrLf}),
                 QByteArray("\xEF\xBB\xBF" "a\r\nb"));
        QCOMPARE(TextFile::encode(QStringLiteral("é"), {Encoding::Utf16LE, LineEnding::Lf}), QByteArray("\xFF\xFE\xE9\x00", 4));
        QCOMPARE(TextFile::encode(QStringLiteral("é"), {Encoding::Utf16BE, LineEnding::Lf}), QByteArray("\xFE\xFF\x00\xE9", 4));
    }

    // A file that mixes line endings is kept as it is: its "\r" stay characters of the text.
    void mixedLineEndingsAreKept()
    {
        const QByteArray bytes("one\r\ntwo\nthree\rfour");
        const auto decoded = TextFile::decode(bytes);
        QVERIFY(std::holds_alternative<TextFile::Decoded>(decoded));
        const auto &d = std::get<TextFile::Decoded>(decoded);
        QCOMPARE(d.format.lineEnding, LineEnding::Mixed);
        QCOMPARE(d.text, QString::fromLatin1(bytes));
        QCOMPARE(TextFile::encode(d.text, d.format), bytes);
    }

    void notText_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("PNG header") << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
        QTest::newRow("NUL in text") << QByteArray("abc\0def", 7);
        QTest::newRow("Latin-1") << QByteArray("caf\xe9");
        QTest::newRow("odd UTF-16") << QByteArray("\xFF\xFE" "a", 3);
        QTest::newRow("lone surrogate in UTF-16") << QByteArray("\xFF\xFE\x00\xD8" "a\0", 6);
    }
    void notText()
    {
        QFETCH(QByteArray, bytes);
        const auto decoded = TextFile::decode(bytes);
        QVERIFY(std::holds_alternative<QString>(decoded));
        QVERIFY(!std::get<QString>(decoded).isEmpty());
    }

    void emptyFileIsEmptyText()
    {
        const auto decoded = TextFile::decode(QByteArray());
        QVERIFY(std::holds_alternative<TextFile::Decoded>(decoded));
        QVERIFY(std::get<TextFile::Decoded>(decoded).text.isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_TextFile)
#include "tst_textfile.moc"
