// SPDX-License-Identifier: MIT
#include "rope.h"
#include "textoperation.h"

#include "generators.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <tuple>
#include <vector>

using collab::ErrorCode;
using collab::Rope;
using collab::TextOperation;

namespace {

// A structurally sound tree whose height is logarithmic: with chunks of at least 512 units and at least four
// children per inner node, height <= 2 + log4(length / 512).
bool isWellFormed(const Rope &rope, QString *why)
{
    if (auto violation = rope.invariantViolation()) {
        *why = *violation;
        return false;
    }
    const double chunks = std::max(1.0, double(rope.length()) / 512.0);
    const int bound = 2 + int(std::ceil(std::log(chunks) / std::log(4.0)));
    if (rope.height() > bound) {
        *why = QStringLiteral("height %1 exceeds %2 for %3 units").arg(rope.height()).arg(bound).arg(rope.length());
        return false;
    }
    return true;
}

// A document of genText() pieces repeated until it spans several chunks, now and then.
rc::Gen<QString> genDocument()
{
    using namespace rc;
    return gen::weightedOneOf<QString>({
        {2, genText()},
        {1, gen::map(gen::pair(genText(), gen::inRange(1, 400)),
                     [](const std::pair<QString, int> &p) { return p.first.repeated(p.second); })},
    });
}

// One edit: insert text at (at mod (length + 1)), or remove count units from there.
struct Edit
{
    bool isInsert = true;
    quint32 at = 0;
    int count = 0;
    QString text;
};

rc::Gen<Edit> genEdit()
{
    using namespace rc;
    const Gen<int> count = gen::weightedOneOf<int>({{4, gen::inRange(0, 8)}, {1, gen::inRange(0, 6000)}});
    const Gen<QString> text = gen::weightedOneOf<QString>({
        {5, genText()},
        {1, gen::map(gen::pair(genText(), gen::inRange(1, 200)),
                     [](const std::pair<QString, int> &p) { return p.first.repeated(p.second); })},
    });
    return gen::map(gen::tuple(gen::arbitrary<bool>(), gen::arbitrary<quint32>(), count, text),
                    [](const std::tuple<bool, quint32, int, QString> &t) {
                        return Edit{std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)};
                    });
}

// A document with at least one surrogate pair, and the positions between the halves of its pairs.
rc::Gen<QString> genDocumentWithPair()
{
    using namespace rc;
    return gen::map(gen::tuple(genDocument(), genDocument(), gen::element(QStringLiteral("\U0001F600"),
                                                                          QStringLiteral("\U00020BB7"),
                                                                          QStringLiteral("\U0001F44D\U0001F3FD"))),
                    [](const std::tuple<QString, QString, QString> &t) {
                        return std::get<0>(t) + std::get<2>(t) + std::get<1>(t);
                    });
}

std::vector<qsizetype> pairSplits(const QString &s)
{
    std::vector<qsizetype> out;
    for (qsizetype i = 1; i < s.size(); ++i) {
        if (splitsPair(s, i))
            out.push_back(i);
    }
    return out;
}

} // namespace

class tst_Rope : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void construct_data();
    void construct();
    void editScript_data();
    void editScript();
    void copyIsIndependent();
    void mid_data();
    void mid();
    void applyRejects_data();
    void applyRejects();

    void propertyEditsMatchQString();
    void propertyApplyMatchesTextOperation();
    void propertyApplyRejectsWrongBaseLength();
    void propertyApplyRejectsSplitPair();
    void propertyInvertRoundTrip();

    void largeDocumentKeystrokes();
};

void tst_Rope::construct_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("ascii") << QStringLiteral("hello, world");
    QTest::newRow("emoji and marks") << QStringLiteral("e\u0301\U0001F600\U0001F468\u200D\U0001F469 \u4F60\u597D");
    QTest::newRow("exactly one chunk") << QString(2048, QLatin1Char('x'));
    QTest::newRow("one unit over a chunk") << QString(2049, QLatin1Char('y'));
    QTest::newRow("several chunks of emoji") << QStringLiteral("a\U0001F600\u0301\u4E2D").repeated(3000);
    QTest::newRow("two megabytes") << QStringLiteral("0123456789\U0001F44D\U0001F3FD").repeated(150000);
}

void tst_Rope::construct()
{
    QFETCH(QString, text);
    const Rope rope(text);
    QCOMPARE(rope.length(), text.size());
    QCOMPARE(rope.toString(), text);
    QString why;
    QVERIFY2(isWellFormed(rope, &why), qPrintable(why));
    for (qsizetype i = 0; i < text.size(); i += std::max<qsizetype>(1, text.size() / 997))
        QCOMPARE(rope.at(i), text.at(i).unicode());
    if (!text.isEmpty())
        QCOMPARE(rope.at(text.size() - 1), text.back().unicode());
}

// Scripted edits: (insert?, position, count or text), checked against QString after each step.
void tst_Rope::editScript_data()
{
    QTest::addColumn<QString>("initial");
    QTest::addColumn<QStringList>("script"); // "+pos:text" inserts ("+end:text" appends), "-pos:count" removes

    const QString big = QStringLiteral("abc\U0001F600def\u0301").repeated(1000); // 9000 units: several chunks
    QTest::newRow("insert into empty") << QString() << QStringList{QStringLiteral("+0:\U0001F600")};
    QTest::newRow("append and prepend")
        << QStringLiteral("mid") << QStringList{QStringLiteral("+3:end"), QStringLiteral("+0:start")};
    QTest::newRow("remove everything") << big << QStringList{QStringLiteral("-0:9000")};
    QTest::newRow("remove across chunks") << big << QStringList{QStringLiteral("-1000:5000")};
    QTest::newRow("remove then refill")
        << big << QStringList{QStringLiteral("-0:8999"), QStringLiteral("+1:\u4F60\u597D"), QStringLiteral("-0:1")};
    QTest::newRow("insert at chunk edges")
        << big
        << QStringList{QStringLiteral("+2048:X"), QStringLiteral("+4096:Y"), QStringLiteral("+9002:Z"),
                       QStringLiteral("+0:W")};
    QTest::newRow("many small removes from the front") << big << QStringList(300, QStringLiteral("-0:30"));
    QTest::newRow("many small inserts at the end")
        << QString() << QStringList(700, QStringLiteral("+end:\U0001F44D\U0001F3FD ok"));
}

void tst_Rope::editScript()
{
    QFETCH(QString, initial);
    QFETCH(QStringList, script);
    Rope rope(initial);
    QString expected = initial;
    for (const QString &step : script) {
        const qsizetype colon = step.indexOf(QLatin1Char(':'));
        const QString where = step.mid(1, colon - 1);
        const qsizetype pos = where == QLatin1String("end") ? expected.size() : where.toLongLong();
        const QString arg = step.mid(colon + 1);
        if (step.startsWith(QLatin1Char('+'))) {
            rope.insert(pos, arg);
            expected.insert(pos, arg);
        } else {
            rope.remove(pos, arg.toLongLong());
            expected.remove(pos, arg.toLongLong());
        }
        QCOMPARE(rope.length(), expected.size());
        QString why;
        QVERIFY2(isWellFormed(rope, &why), qPrintable(step + QLatin1String(": ") + why));
    }
    QCOMPARE(rope.toString(), expected);
}

void tst_Rope::copyIsIndependent()
{
    const QString text = QStringLiteral("\U0001F600xyz").repeated(2000);
    Rope original(text);
    Rope copy(original);
    copy.remove(10, 5000);
    copy.insert(3, QStringLiteral("copy"));
    QCOMPARE(original.toString(), text);
    Rope assigned;
    assigned = original;
    original.insert(0, QStringLiteral("orig"));
    QCOMPARE(assigned.toString(), text);
    QCOMPARE(original.toString(), QStringLiteral("orig") + text);
    Rope moved(std::move(assigned));
    QCOMPARE(moved.toString(), text);
}

void tst_Rope::mid_data()
{
    QTest::addColumn<qsizetype>("position");
    QTest::addColumn<qsizetype>("n");
    QTest::newRow("start") << qsizetype(0) << qsizetype(10);
    QTest::newRow("inside one chunk") << qsizetype(100) << qsizetype(50);
    QTest::newRow("across many chunks") << qsizetype(1000) << qsizetype(20000);
    QTest::newRow("to the end with -1") << qsizetype(25000) << qsizetype(-1);
    QTest::newRow("past the end clamps") << qsizetype(29990) << qsizetype(100);
    QTest::newRow("empty at the end") << qsizetype(30000) << qsizetype(5);
}

void tst_Rope::mid()
{
    QFETCH(qsizetype, position);
    QFETCH(qsizetype, n);
    const QString text = QStringLiteral("\u4E2D\U0001F600abcdef\u0301").repeated(3000); // 30000 units
    QCOMPARE(text.size(), 30000);
    const Rope rope(text);
    QCOMPARE(rope.mid(position, n), text.mid(position, n));
}

void tst_Rope::applyRejects_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("operation");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions");

    const QString smile = QStringLiteral("a\U0001F600b"); // 4 units: the pair is at 1..2
    QTest::newRow("too short") << smile << QByteArray("[3]") << int(ErrorCode::BaseLengthMismatch)
                               << QStringLiteral("3");
    QTest::newRow("too long") << smile << QByteArray("[2,\"x\",3]") << int(ErrorCode::BaseLengthMismatch)
                              << QStringLiteral("5");
    QTest::newRow("insert inside pair") << smile << QByteArray("[2,\"x\",2]")
                                        << int(ErrorCode::SplitsSurrogatePair) << QStringLiteral("position 2");
    QTest::newRow("delete high half") << smile << QByteArray("[1,-1,2]") << int(ErrorCode::SplitsSurrogatePair)
                                      << QStringLiteral("position 2");
    QTest::newRow("delete low half") << smile << QByteArray("[2,-1,1]") << int(ErrorCode::SplitsSurrogatePair)
                                     << QStringLiteral("position 2");
    QTest::newRow("delete from inside the pair") << smile << QByteArray("[2,-2]")
                                                 << int(ErrorCode::SplitsSurrogatePair) << QStringLiteral("position 2");
    const QString big = QString(5000, QLatin1Char('x')) + QStringLiteral("\U0001F600") + QString(5000, QLatin1Char('y'));
    QTest::newRow("deep in a large text") << big << QByteArray("[10,-4991,\"z\",5001]")
                                          << int(ErrorCode::SplitsSurrogatePair) << QStringLiteral("position 5001");
    QTest::newRow("valid edits before the bad boundary are not applied")
        << big << QByteArray("[\"head\",-3,4998,-1,5000]") << int(ErrorCode::SplitsSurrogatePair)
        << QStringLiteral("position 5001");
}

void tst_Rope::applyRejects()
{
    QFETCH(QString, text);
    QFETCH(QByteArray, operation);
    QFETCH(int, code);
    QFETCH(QString, mentions);
    const auto op = TextOperation::fromJsonBytes(operation);
    QVERIFY2(op.hasValue(), qPrintable(op.hasValue() ? QString() : op.error().message));
    Rope rope(text);
    const auto error = rope.apply(*op);
    QVERIFY(error.has_value());
    QCOMPARE(int(error->code), code);
    QVERIFY2(error->message.contains(mentions), qPrintable(error->message));
    QCOMPARE(rope.toString(), text);
}

void tst_Rope::propertyEditsMatchQString()
{
    const auto property = [] {
        const QString initial = *genDocument();
        const auto edits = *rc::gen::container<std::vector<Edit>>(genEdit());
        Rope rope(initial);
        QString expected = initial;
        for (const Edit &e : edits) {
            const qsizetype at = qsizetype(e.at % quint32(expected.size() + 1));
            if (e.isInsert) {
                rope.insert(at, e.text);
                expected.insert(at, e.text);
            } else {
                rope.remove(at, e.count);
                expected.remove(at, e.count);
            }
            RC_ASSERT(rope.length() == expected.size());
            if (expected.size() < 4000)
                RC_ASSERT(rope.toString() == expected);
            if (at < expected.size())
                RC_ASSERT(rope.at(at) == expected.at(at).unicode());
        }
        RC_ASSERT(rope.toString() == expected);
        QString why;
        RC_ASSERT(isWellFormed(rope, &why));
    };
    QVERIFY(rc::check("insert/remove on a Rope match the same edits on a QString", property));
}

void tst_Rope::propertyApplyMatchesTextOperation()
{
    const auto property = [] {
        const QString doc = *genDocument();
        const TextOperation op = *genOperation(doc);
        const auto expected = op.apply(doc);
        RC_ASSERT(expected.hasValue());
        Rope rope(doc);
        const auto error = rope.apply(op);
        RC_ASSERT(!error.has_value());
        RC_ASSERT(rope.toString() == *expected);
        QString why;
        RC_ASSERT(isWellFormed(rope, &why));
    };
    QVERIFY(rc::check("Rope::apply equals TextOperation::apply", property));
}

void tst_Rope::propertyApplyRejectsWrongBaseLength()
{
    const auto property = [] {
        const QString doc = *genDocument();
        const QString other = *genDocument();
        RC_PRE(other.size() != doc.size());
        const TextOperation op = *genOperation(other);
        Rope rope(doc);
        const auto error = rope.apply(op);
        RC_ASSERT(error.has_value());
        RC_ASSERT(error->code == ErrorCode::BaseLengthMismatch);
        RC_ASSERT(rope.toString() == doc);
    };
    QVERIFY(rc::check("Rope::apply rejects a wrong base length and changes nothing", property));
}

void tst_Rope::propertyApplyRejectsSplitPair()
{
    const auto property = [] {
        const QString doc = *genDocumentWithPair();
        const auto splits = pairSplits(doc);
        RC_ASSERT(!splits.empty());
        const qsizetype p = *rc::gen::elementOf(splits);
        // An otherwise valid operation: something before p, a boundary at p, something after.
        const int shape = *rc::gen::inRange(0, 4);
        TextOperation op;
        switch (shape) {
        case 0:
            op = TextOperation::makeInsert(doc.size(), p, *rc::gen::suchThat(genText(), [](const QString &s) {
                return !s.isEmpty();
            }));
            break;
        case 1: op.retain(p).remove(doc.size() - p); break;
        case 2: op.remove(p).retain(doc.size() - p); break;
        default: op.retain(p).remove(1).retain(doc.size() - p - 1); break;
        }
        Rope rope(doc);
        const auto error = rope.apply(op);
        RC_ASSERT(error.has_value());
        RC_ASSERT(error->code == ErrorCode::SplitsSurrogatePair);
        RC_ASSERT(error->message.contains(QStringLiteral("position %1").arg(p)));
        RC_ASSERT(rope.toString() == doc);
    };
    QVERIFY(rc::check("Rope::apply rejects a boundary inside a surrogate pair and changes nothing", property));
}

void tst_Rope::propertyInvertRoundTrip()
{
    const auto property = [] {
        const QString doc = *genDocument();
        const TextOperation op = *genOperation(doc);
        Rope rope(doc);
        const TextOperation inverse = rope.invert(op);
        RC_ASSERT(inverse == op.invert(doc));
        RC_ASSERT(!rope.apply(op).has_value());
        RC_ASSERT(inverse.baseLength() == rope.length());
        RC_ASSERT(!rope.apply(inverse).has_value());
        RC_ASSERT(rope.toString() == doc);
    };
    QVERIFY(rc::check("applying op then invert(op) restores the text", property));
}

// Keystroke-sized operations on a 10 MB text must not cost a copy of the text each: 20,000 of them take
// milliseconds on a rope and minutes with QString::insert. The bound is generous for a loaded machine.
// Correctness at this size is checked by undoing every step with its inverse and getting the text back.
void tst_Rope::largeDocumentKeystrokes()
{
    const QString text = QStringLiteral("The quick brown \U0001F98A jumps over the lazy \U0001F436.\n").repeated(250000);
    QVERIFY(text.size() > 10'000'000);
    Rope rope(text);
    QRandomGenerator random(20240611);
    std::vector<TextOperation> inverses;
    inverses.reserve(20000);
    qsizetype expectedLength = text.size();
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 20000; ++i) {
        qsizetype position = qsizetype(random.bounded(quint64(rope.length() + 1)));
        if (position > 0 && position < rope.length() && QChar::isHighSurrogate(rope.at(position - 1)))
            --position;
        const qsizetype removed = std::min<qsizetype>(random.bounded(3), rope.length() - position);
        const QString inserted = (i % 3 == 0) ? QString() : QStringLiteral("k");
        auto op = TextOperation::makeReplace(rope.length(), position, removed, inserted);
        TextOperation inverse = rope.invert(op);
        if (auto error = rope.apply(op)) {
            // The removal ended inside a pair: rightly rejected; insert instead.
            QCOMPARE(error->code, ErrorCode::SplitsSurrogatePair);
            op = TextOperation::makeInsert(rope.length(), position, QStringLiteral("k"));
            inverse = rope.invert(op);
            QVERIFY(!rope.apply(op).has_value());
        }
        expectedLength += op.targetLength() - op.baseLength();
        inverses.push_back(std::move(inverse));
    }
    const qint64 elapsed = timer.elapsed();
    qInfo("20000 keystroke operations on a %lld-unit rope: %lld ms", qlonglong(text.size()), qlonglong(elapsed));
    QVERIFY2(elapsed < 5000, qPrintable(QStringLiteral("took %1 ms").arg(elapsed)));
    QCOMPARE(rope.length(), expectedLength);
    QString why;
    QVERIFY2(isWellFormed(rope, &why), qPrintable(why));

    for (auto it = inverses.rbegin(); it != inverses.rend(); ++it)
        QVERIFY(!rope.apply(*it).has_value());
    QVERIFY(rope.toString() == text);
}

QTEST_GUILESS_MAIN(tst_Rope)
#include "tst_rope.moc"
