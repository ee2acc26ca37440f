// SPDX-License-Identifier: MIT
// Message::decodeClient/decodeServer on valid, mutated and hostile frames. Whatever the frame: no crash; what
// decodes is JSON an independent parser (QJsonDocument) reads as an object too; and a decoded message,
// encoded again, decodes to a message that encodes to the same bytes (one canonical form).
#include "generators.h"
#include "message.h"
#include "textoperation.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <rapidcheck.h>

#include <sstream>

using namespace collab;

namespace {

// Mostly valid document ids, sometimes anything.
rc::Gen<QString> genDocId()
{
    static const char alphabet[] = "abcXYZ019._-";
    const auto valid = rc::gen::map(rc::gen::pair(rc::gen::inRange(1, 65), rc::gen::arbitrary<unsigned>()),
                                    [](std::pair<int, unsigned> p) {
                                        QString s;
                                        unsigned x = p.second;
                                        for (int i = 0; i < p.first; ++i) {
                                            s += QLatin1Char(alphabet[x % (sizeof alphabet - 1)]);
                                            x = x * 1103515245u + 12345u;
                                        }
                                        return s;
                                    });
    return rc::gen::weightedOneOf<QString>({{6, valid}, {1, genRawUtf16()}});
}

// An operation over genText(), or one whose insert is arbitrary UTF-16 (lone surrogates included).
rc::Gen<TextOperation> genAnyOperation()
{
    return rc::gen::oneOf(rc::gen::exec([] { return *genOperation(*genText()); }), rc::gen::exec([] {
                              TextOperation op;
                              op.retain(*rc::gen::inRange(0, 100)).insert(*genRawUtf16()).remove(*rc::gen::inRange(0, 100));
                              op.retain(*rc::gen::inRange(0, 3));
                              return op;
                          }));
}

// One valid hot message of either direction, encoded.
QByteArray genHotFrame()
{
    const QString doc = *genDocId();
    const int rev = *rc::gen::oneOf(rc::gen::inRange(0, 1 << 30), rc::gen::element(0, 1, INT_MAX));
    const qint64 seq = *rc::gen::oneOf(rc::gen::inRange<qint64>(0, qint64(1) << 40),
                                       rc::gen::element<qint64>(0, 1, qint64(1) << 53));
    const std::optional<Selection> selection =
        *rc::gen::oneOf(rc::gen::just(std::optional<Selection>()),
                        rc::gen::map(genSelection(), [](Selection s) { return std::optional<Selection>(s); }));
    switch (*rc::gen::inRange(0, 5)) {
    case 0:
        return Message::encode(Message::Op{doc, rev, seq, *genAnyOperation(), selection});
    case 1:
        return Message::encode(Message::SetSelection{doc, rev, selection.value_or(Selection())});
    case 2:
        return Message::encode(Message::Ack{doc, rev, seq});
    case 3:
        return Message::encode(
            Message::RemoteOp{doc, rev, *genAnyOperation(), *genRawUtf16(), seq, *genRawUtf16(), selection});
    default:
        return Message::encode(Message::SelectionChanged{doc, *genRawUtf16(), rev, selection.value_or(Selection())});
    }
}

QJsonValue genJsonValue()
{
    return *rc::gen::element(QJsonValue(), QJsonValue(true), QJsonValue(QStringLiteral("s")), QJsonValue(1),
                             QJsonValue(1.5), QJsonValue(0), QJsonValue(-1), QJsonValue(2147483648.0),
                             QJsonValue(QJsonArray()), QJsonValue(QJsonArray{1}), QJsonValue(QJsonObject()),
                             QJsonValue(QJsonObject{{QStringLiteral("ranges"), QJsonArray()}}),
                             QJsonValue(QStringLiteral("op")), QJsonValue(QStringLiteral("ack")),
                             QJsonValue(QStringLiteral("selection")), QJsonValue(QStringLiteral("doc1")));
}

const char *const keys[] = {"type", "doc", "rev", "seq", "op", "selection", "author", "connectionId",
                            "id", "ref", "Doc", "rev ", "x", "ranges", "anchor", "head"};

const char *const numbers[] = {"1.5", "0", "2147483648", "-1", "1.0", "1e3", "-0", "9007199254740993",
                               "2147483647", "-2147483647", "-2147483648", "00", "1E400", "4294967296",
                               "9223372036854775808", "-9223372036854775809", "0.0", "\"1\"", "null", "true"};

const char *const snippets[] = {"\\ud83d\\ude00", "\\ude00", "\\ud83d", "\\ud83dx", "\\u0000", "\\u00e9", "\\\"",
                                "\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80", "\xef\xbb\xbf", "\xef\xbf\xbf",
                                "\xff", "\x01", "\t", " ", ",", "}", "]", "\"", "\\", "//", "\0"};

// One random change of a frame: bytes, members, values, numbers or escapes.
QByteArray mutate(QByteArray frame)
{
    const auto pos = [&frame] { return *rc::gen::inRange<qsizetype>(0, frame.size() + 1); };
    switch (*rc::gen::inRange(0, 9)) {
    case 0: // change a byte
        if (!frame.isEmpty())
            frame[*rc::gen::inRange<qsizetype>(0, frame.size())] = char(*rc::gen::arbitrary<unsigned char>());
        return frame;
    case 1: // insert a byte sequence or escape
    {
        const std::size_t i = *rc::gen::inRange<std::size_t>(0, std::size(snippets));
        const QByteArray snippet = i == std::size(snippets) - 1 ? QByteArray(1, '\0') : QByteArray(snippets[i]);
        return frame.insert(pos(), snippet);
    }
    case 2: // delete a byte range / truncate
    {
        const qsizetype at = pos();
        return frame.remove(at, *rc::gen::inRange<qsizetype>(1, 4));
    }
    case 3: // a number becomes something else
    {
        std::vector<qsizetype> starts;
        for (qsizetype i = 0; i < frame.size(); ++i)
            if ((frame[i] >= '0' && frame[i] <= '9') || frame[i] == '-')
                if (i == 0 || !((frame[i - 1] >= '0' && frame[i - 1] <= '9') || frame[i - 1] == '-'))
                    starts.push_back(i);
        if (starts.empty())
            return frame;
        const qsizetype at = *rc::gen::elementOf(starts);
        qsizetype end = at + 1;
        while (end < frame.size() && frame[end] >= '0' && frame[end] <= '9')
            ++end;
        return frame.replace(at, end - at, *rc::gen::elementOf(std::vector<const char *>(std::begin(numbers),
                                                                                       std::end(numbers))));
    }
    case 4: // add a member first (possibly a duplicate)
    {
        const QByteArray key = *rc::gen::elementOf(std::vector<const char *>(std::begin(keys), std::end(keys)));
        QByteArray value = QJsonDocument(QJsonArray{genJsonValue()}).toJson(QJsonDocument::Compact);
        value = value.mid(1, value.size() - 2);
        return frame.replace(0, 1, "{\"" + key + "\":" + value + (frame.size() > 2 ? "," : ""));
    }
    default: // drop, rename or retype a member (top level, or inside "selection")
    {
        QJsonObject o = QJsonDocument::fromJson(frame).object();
        const bool nested = o.contains(QStringLiteral("selection")) && *rc::gen::arbitrary<bool>();
        QJsonObject target = o;
        QJsonObject range;
        QJsonArray ranges;
        if (nested) {
            ranges = o.value(QStringLiteral("selection")).toObject().value(QStringLiteral("ranges")).toArray();
            if (ranges.isEmpty())
                return frame;
            range = ranges.first().toObject();
            target = range;
        }
        if (target.isEmpty())
            return frame;
        const QStringList keyList = target.keys();
        const QString key = keyList.at(*rc::gen::inRange<qsizetype>(0, keyList.size()));
        const QJsonValue value = target.value(key);
        target.remove(key);
        const int how = *rc::gen::inRange(0, 3);
        if (how == 1)
            target.insert(QLatin1StringView(*rc::gen::elementOf(std::vector<const char *>(std::begin(keys), std::end(keys)))), value);
        else if (how == 2)
            target.insert(key, genJsonValue());
        if (nested) {
            ranges[0] = target;
            o.insert(QStringLiteral("selection"), QJsonObject{{QStringLiteral("ranges"), ranges}});
        } else {
            o = target;
        }
        return QJsonDocument(o).toJson(QJsonDocument::Compact);
    }
    }
}

template<typename Result>
std::string describe(const Result &r)
{
    if (r.hasValue())
        return "value " + Message::encode(*r).toStdString();
    return "error " + protocolErrorName(r.error().code).toStdString() + ": " + r.error().message.toStdString();
}

// The properties above for one direction's result on `frame`; and the frame as QWebSocket hands it over
// (UTF-16 text) decodes alike: to the same message, or to an error with the same code. Qt hands over only
// valid UTF-8, so a frame that is not is read only as bytes.
template<typename Result, typename Decode>
bool holds(const QByteArray &frame, const Result &result, Decode decode)
{
    const QString text = QString::fromUtf8(frame);
    if (text.toUtf8() == frame) {
        const auto fromText = decode(text);
        if (fromText.hasValue() != result.hasValue())
            return false;
        if (result.hasValue() ? Message::encode(*fromText) != Message::encode(*result)
                              : fromText.error().code != result.error().code)
            return false;
    }
    if (!result.hasValue())
        return !result.error().message.isEmpty();
    QJsonParseError parseError;
    const QJsonDocument independent = QJsonDocument::fromJson(frame, &parseError);
    if (parseError.error != QJsonParseError::NoError || !independent.isObject())
        return false;
    const QByteArray once = Message::encode(*result);
    const auto again = decode(once);
    return again.hasValue() && Message::encode(*again) == once && Message::encodeText(*result) == QString::fromUtf8(once);
}

const auto decodeClient = [](const auto &frame) { return Message::decodeClient(frame); };
const auto decodeServer = [](const auto &frame) { return Message::decodeServer(frame); };

bool frameAgrees(const QByteArray &frame)
{
    return holds(frame, Message::decodeClient(frame), decodeClient)
           && holds(frame, Message::decodeServer(frame), decodeServer);
}

void checkFrame(const QByteArray &frame)
{
    const auto client = Message::decodeClient(frame);
    const auto server = Message::decodeServer(frame);
    RC_LOG() << "frame: " << frame.toStdString() << "\nclient: " << describe(client) << "\nserver: " << describe(server)
             << "\n";
    RC_ASSERT(holds(frame, client, decodeClient));
    RC_ASSERT(holds(frame, server, decodeServer));
}

} // namespace

class tst_MessageFrames : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void examples_data();
    void examples();
    void validHotMessagesRoundTrip();
    void asciiHotMessagesRoundTrip();
    void mutatedFramesKeepTheProperties();
};

void tst_MessageFrames::examples_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<bool>("decodes"); // by decodeClient or decodeServer
    const auto row = [](const char *name, QByteArray frame, bool decodes) {
        QTest::newRow(name) << frame << decodes;
    };
    row("op", R"({"doc":"d","op":[3,"ab",-2],"rev":4,"seq":7,"type":"op"})", true);
    row("op with selection", R"({"doc":"d","op":[1],"rev":0,"selection":{"ranges":[{"anchor":1,"head":0}]},"seq":1,"type":"op"})", true);
    row("remote op", R"({"author":"a","connectionId":"c","doc":"d","op":["x"],"rev":1,"seq":0,"type":"op"})", true);
    row("ack", R"({"doc":"d","rev":2,"seq":3,"type":"ack"})", true);
    row("selection", R"({"doc":"d","rev":2,"selection":{"ranges":[]},"type":"selection"})", true);
    row("pair escape", R"({"doc":"d","op":["\ud83d\ude00"],"rev":4,"seq":7,"type":"op"})", true);
    // Lone halves of a surrogate pair are refused (they would not survive storage), by both paths alike.
    row("lone low escape", R"({"doc":"d","op":["a\ude00b"],"rev":4,"seq":7,"type":"op"})", false);
    row("lone high escape", R"({"doc":"d","op":["a\ud83db"],"rev":4,"seq":7,"type":"op"})", false);
    row("reversed pair escape", R"({"doc":"d","op":["\ude00\ud83d"],"rev":4,"seq":7,"type":"op"})", false);
    row("nul escape", R"({"doc":"d","op":["\u0000"],"rev":4,"seq":7,"type":"op"})", true);
    row("escaped key", R"({"d\u006fc":"d","op":[1],"rev":4,"seq":7,"type":"op"})", true);
    // Raw control characters are not JSON; RapidJSON's SSE2 scan misses U+001A..U+001F (it tests <= 0x19).
    row("raw U+001A in a string", "{\"doc\":\"a.01aZ_-\x1aZc1a\",\"rev\":1,\"seq\":1,\"type\":\"ack\"}", false);
    row("raw U+001F in an insert", "{\"doc\":\"d\",\"op\":[\"0123456789abcdef0123456789\x1f\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", false);
    row("raw U+0019 in a string", "{\"doc\":\"d\x19\",\"rev\":1,\"seq\":1,\"type\":\"ack\"}", false);
    row("BOM in text", "{\"doc\":\"d\",\"op\":[\"\xef\xbb\xbfx\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", true);
    row("noncharacters", "{\"doc\":\"d\",\"op\":[\"\xef\xbf\xbf\xef\xb7\x90\xf4\x8f\xbf\xbf\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", true);
    row("UTF-8 surrogate", "{\"doc\":\"d\",\"op\":[\"\xed\xa0\x80\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", false);
    row("overlong", "{\"doc\":\"d\",\"op\":[\"\xc0\x80\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", false);
    row("above U+10FFFF", "{\"doc\":\"d\",\"op\":[\"\xf4\x90\x80\x80\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", false);
    row("raw control", "{\"doc\":\"d\",\"op\":[\"\x01\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", false); // JSON forbids it unescaped
    row("trailing NUL", QByteArray(R"({"doc":"d","rev":2,"seq":3,"type":"ack"})") + '\0', false);
    row("NUL then garbage", QByteArray(R"({"doc":"d","rev":2,"seq":3,"type":"ack"})") + '\0' + "x", false);
    row("trailing garbage", R"({"doc":"d","rev":2,"seq":3,"type":"ack"}x)", false);
    row("trailing space", "{\"doc\":\"d\",\"rev\":2,\"seq\":3,\"type\":\"ack\"} \n", true);
    row("leading BOM", "\xef\xbb\xbf{\"doc\":\"d\",\"rev\":2,\"seq\":3,\"type\":\"ack\"}", false); // not JSON text
    row("float rev", R"({"doc":"d","rev":2.0,"seq":3,"type":"ack"})", true);
    row("exponent seq", R"({"doc":"d","rev":2,"seq":3e0,"type":"ack"})", true);
    row("half count", R"({"doc":"d","op":[1.5],"rev":4,"seq":7,"type":"op"})", false);
    row("zero count", R"({"doc":"d","op":[0],"rev":4,"seq":7,"type":"op"})", false);
    row("2^31 count", R"({"doc":"d","op":[2147483648],"rev":4,"seq":7,"type":"op"})", false);
    row("-2^31 count", R"({"doc":"d","op":[-2147483648],"rev":4,"seq":7,"type":"op"})", false);
    row("too long", R"({"doc":"d","op":[2147483647,1],"rev":4,"seq":7,"type":"op"})", false);
    row("empty insert", R"({"doc":"d","op":[""],"rev":4,"seq":7,"type":"op"})", false);
    row("seq 2^53+1", R"({"doc":"d","rev":2,"seq":9007199254740993,"type":"ack"})", false); // above 2^53
    row("duplicate key", R"({"doc":"d","doc":"e","rev":2,"seq":3,"type":"ack"})", false); // readers would disagree
    row("null field", R"({"doc":"d","rev":2,"seq":3,"type":"ack","x":null,"selection":null})", true);
    row("unknown field", R"({"doc":"d","rev":2,"seq":3,"type":"ack","extra":[1]})", true);
    row("bad doc id", R"({"doc":".d","op":[1],"rev":4,"seq":7,"type":"op"})", true);
    row("deep", QByteArray(100000, '[') + QByteArray(100000, ']'), false);
    row("comment", R"({"doc":"d","rev":2,"seq":3,/**/"type":"ack"})", false);
    row("trailing comma", R"({"doc":"d","rev":2,"seq":3,"type":"ack",})", false);
    row("NaN", R"({"doc":"d","rev":NaN,"seq":3,"type":"ack"})", false);
    row("short escapes", R"({"doc":"d","op":[1,"\n\t\"\\\/\b\f\r"],"rev":4,"seq":7,"type":"op"})", true);
    row("minus zero rev", R"({"doc":"d","rev":-0,"seq":3,"type":"ack"})", false);
    row("leading zero", R"({"doc":"d","rev":02,"seq":3,"type":"ack"})", false);
    row("19 digits", R"({"doc":"d","rev":2,"seq":1000000000000000000,"type":"ack"})", false);
    row("head before anchor", R"({"doc":"d","rev":2,"selection":{"ranges":[{"head":1,"anchor":0}]},"type":"selection"})", true);
    row("repeated anchor", R"({"doc":"d","rev":2,"selection":{"ranges":[{"anchor":1,"anchor":0}]},"type":"selection"})", false);
    row("space after colon", R"({"doc": "d","rev":2,"seq":3,"type":"ack"})", true);
    row("DEL in text", "{\"doc\":\"d\",\"op\":[\"\x7f\"],\"rev\":4,\"seq\":7,\"type\":\"op\"}", true);
    row("lone EF before the object", "\xef{\"type\":\"op\",\"doc\":\"emoji\",\"rev\":0,\"seq\":1,\"op\":[3,\"\\bb\",\"cl\"]}", false);
    row("type escaped", R"({"doc":"d","rev":2,"seq":3,"type":"a\u0063k"})", true);
    // More keys than any message has: refused before the duplicate check could cost O(n^2).
    QByteArray many = R"({"doc":"d","rev":2,"seq":3,"type":"ack")";
    for (int i = 0; i < 28; ++i)
        many += ",\"x" + QByteArray::number(i) + "\":1";
    row("32 fields", many + "}", true);
    row("33 fields", many + ",\"y\":1}", false);
    row("duplicate key in a participant", R"({"type":"join","doc":"d","participant":{"connectionId":"c","connectionId":"e","clientId":"a"}})", false);
}

void tst_MessageFrames::examples()
{
    QFETCH(QByteArray, frame);
    QFETCH(bool, decodes);
    const auto client = Message::decodeClient(frame);
    const auto server = Message::decodeServer(frame);
    QVERIFY2(holds(frame, client, decodeClient), describe(client).c_str());
    QVERIFY2(holds(frame, server, decodeServer), describe(server).c_str());
    QVERIFY2((client.hasValue() || server.hasValue()) == decodes, (describe(client) + " / " + describe(server)).c_str());
}

void tst_MessageFrames::validHotMessagesRoundTrip()
{
    QVERIFY(rc::check("hot messages decode and re-encode to one canonical form", [] { checkFrame(genHotFrame()); }));
}

void tst_MessageFrames::asciiHotMessagesRoundTrip()
{
    // Printable ASCII and the short escapes only: the frames most keystrokes make.
    const auto genAscii = [](int minSize) {
        static const char16_t alphabet[] = u"abc XYZ019\"\\/{}[],:\n\t\r\b\f~\x7f";
        return rc::gen::map(rc::gen::container<std::vector<int>>(rc::gen::inRange<int>(0, int(std::size(alphabet)) - 1)),
                            [minSize](const std::vector<int> &picks) {
                                QString s;
                                for (int i : picks)
                                    s += QChar(alphabet[i]);
                                while (s.size() < minSize)
                                    s += u'x';
                                return s;
                            });
    };
    QVERIFY(rc::check("ASCII hot messages decode and re-encode to one canonical form", [&] {
        const QString doc = *genDocId();
        const int rev = *rc::gen::inRange(0, 1 << 30);
        const qint64 seq = *rc::gen::inRange<qint64>(0, qint64(1) << 54);
        TextOperation op;
        op.retain(*rc::gen::inRange(0, 1000)).insert(*genAscii(1)).remove(*rc::gen::inRange(0, 1000));
        op.retain(*rc::gen::inRange(0, 3));
        std::optional<Selection> selection;
        if (*rc::gen::arbitrary<bool>())
            selection = *genSelection();
        QByteArray frame;
        switch (*rc::gen::inRange(0, 3)) {
        case 0: frame = Message::encode(Message::Op{doc, rev, seq, op, selection}); break;
        case 1: frame = Message::encode(Message::RemoteOp{doc, rev, op, *genAscii(0), seq, *genAscii(0), selection}); break;
        default: frame = Message::encode(Message::Ack{doc, rev, seq}); break;
        }
        if (*rc::gen::arbitrary<bool>())
            frame = mutate(frame);
        checkFrame(frame);
    }));
}

void tst_MessageFrames::mutatedFramesKeepTheProperties()
{
    QVERIFY(rc::check("mutated hot messages: an error, or a message an independent parser agrees is JSON", [] {
        QByteArray frame = genHotFrame();
        const int rounds = *rc::gen::inRange(1, 4);
        for (int i = 0; i < rounds; ++i)
            frame = mutate(frame);
        checkFrame(frame);
    }));
    // Many more mutants than RapidCheck's default case count, cheaply: every single-byte change and every
    // number substitution of a few fixed frames.
    const QByteArray fixed[] = {
        R"({"doc":"d","op":[3,"ab\ude00",-2],"rev":4,"selection":{"ranges":[{"anchor":1,"head":0}]},"seq":7,"type":"op"})",
        R"({"author":"a","connectionId":"c","doc":"d","op":["x"],"rev":1,"seq":0,"type":"op"})",
        R"({"doc":"d","rev":2,"seq":3,"type":"ack"})",
        R"({"doc":"d-1","op":[12,"a\nb\"c\\d\/\t",-3,1],"rev":40,"selection":{"ranges":[{"head":2,"anchor":1},{"anchor":0,"head":0}]},"seq":7,"type":"op"})",
        R"({"connectionId":"c","doc":"d","rev":2,"selection":{"ranges":[{"anchor":5,"head":9}]},"type":"selection"})",
    };
    const char replacements[] = "\0\x01 \"\\,:{}[]019-.eEadnoprstuxy\x7f\x80\xed\xff";
    for (const QByteArray &base : fixed) {
        for (qsizetype i = 0; i < base.size(); ++i) {
            for (char c : QByteArray(replacements, sizeof replacements - 1)) {
                QByteArray changed = base;
                changed[i] = c;
                QVERIFY2(frameAgrees(changed), changed.constData());
                QByteArray inserted = base;
                inserted.insert(i, c);
                QVERIFY2(frameAgrees(inserted), inserted.constData());
            }
            QByteArray removed = base;
            removed.remove(i, 1);
            QVERIFY2(frameAgrees(removed), removed.constData());
            if (base[i] >= '0' && base[i] <= '9') {
                for (const char *n : numbers) {
                    QByteArray replaced = base;
                    replaced.replace(i, 1, n);
                    QVERIFY2(frameAgrees(replaced), replaced.constData());
                }
            }
        }
    }
}

QTEST_GUILESS_MAIN(tst_MessageFrames)
#include "tst_messageframes.moc"
