// SPDX-License-Identifier: MIT
#include "selection.h"

#include "generators.h"

#include <QJsonDocument>
#include <QTest>

using collab::Selection;
using collab::TextOperation;

// A surrogate-safe position in doc (0..size), uniformly among the safe ones.
static rc::Gen<qsizetype> genPosition(const QString &doc)
{
    std::vector<qsizetype> safe;
    for (qsizetype i = 0; i <= doc.size(); ++i)
        if (!splitsPair(doc, i))
            safe.push_back(i);
    return rc::gen::elementOf(safe);
}

// Every position of the base document an operation keeps: where it lands in the result, and how much text
// the operation inserts directly before it (which another participant's index on it does not move past).
struct Kept
{
    qsizetype from;
    qsizetype to;
    qsizetype insertedBefore;
};

static std::vector<Kept> retainedPositions(const TextOperation &op)
{
    std::vector<Kept> kept;
    qsizetype from = 0;
    qsizetype to = 0;
    qsizetype pendingInsert = 0;
    for (const auto &c : op.components()) {
        switch (c.kind) {
        case TextOperation::Kind::Retain:
            for (qsizetype k = 0; k < c.length; ++k)
                kept.push_back(Kept{from + k, to + k, k == 0 ? pendingInsert : 0});
            from += c.length;
            to += c.length;
            pendingInsert = 0;
            break;
        case TextOperation::Kind::Insert:
            to += c.length;
            pendingInsert = c.length;
            break;
        case TextOperation::Kind::Delete:
            from += c.length;
            pendingInsert = 0;
            break;
        }
    }
    return kept;
}

class tst_Selection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void transformIndex_data();
    void transformIndex();
    void transformRanges_data();
    void transformRanges();
    void clamped();
    void somethingSelected();
    void jsonRoundTrip();
    void fromJsonRejects_data();
    void fromJsonRejects();

    void propertyIndexStaysInRange();
    void propertyOrderPreserved();
    void propertyOwnVersusOtherInsertAtCursor();
    void propertyRetainedTextFollowed();
    void propertyJsonRoundTrip();
};

void tst_Selection::transformIndex_data()
{
    QTest::addColumn<QByteArray>("operation");
    QTest::addColumn<qsizetype>("index");
    QTest::addColumn<bool>("isOwn");
    QTest::addColumn<qsizetype>("expected");

    // Base documents are "abcde" (5 units) unless the operation says otherwise.
    QTest::newRow("insert before, other") << QByteArray(R"([1,"XY",4])") << qsizetype(3) << false << qsizetype(5);
    QTest::newRow("insert before, own") << QByteArray(R"([1,"XY",4])") << qsizetype(3) << true << qsizetype(5);
    QTest::newRow("insert after") << QByteArray(R"([4,"XY",1])") << qsizetype(2) << false << qsizetype(2);
    QTest::newRow("insert at index, other stays") << QByteArray(R"([2,"XY",3])") << qsizetype(2) << false
                                                  << qsizetype(2);
    QTest::newRow("insert at index, own moves") << QByteArray(R"([2,"XY",3])") << qsizetype(2) << true
                                                << qsizetype(4);
    QTest::newRow("insert at start, other") << QByteArray(R"(["XY",5])") << qsizetype(0) << false << qsizetype(0);
    QTest::newRow("insert at start, own") << QByteArray(R"(["XY",5])") << qsizetype(0) << true << qsizetype(2);
    QTest::newRow("insert at end, other") << QByteArray(R"([5,"XY"])") << qsizetype(5) << false << qsizetype(5);
    QTest::newRow("insert at end, own") << QByteArray(R"([5,"XY"])") << qsizetype(5) << true << qsizetype(7);
    QTest::newRow("delete before") << QByteArray(R"([1,-2,2])") << qsizetype(4) << false << qsizetype(2);
    QTest::newRow("delete ending at index") << QByteArray(R"([1,-2,2])") << qsizetype(3) << false << qsizetype(1);
    QTest::newRow("delete starting at index") << QByteArray(R"([1,-2,2])") << qsizetype(1) << false
                                              << qsizetype(1);
    QTest::newRow("delete around index") << QByteArray(R"([1,-3,1])") << qsizetype(2) << true << qsizetype(1);
    QTest::newRow("delete after") << QByteArray(R"([3,-2])") << qsizetype(2) << false << qsizetype(2);
    QTest::newRow("delete everything") << QByteArray(R"([-5])") << qsizetype(5) << false << qsizetype(0);
    QTest::newRow("replace around index, other") << QByteArray(R"([1,"Z",-3,1])") << qsizetype(2) << false
                                                 << qsizetype(2);
    QTest::newRow("replace at index, other") << QByteArray(R"([1,"Z",-3,1])") << qsizetype(1) << false
                                             << qsizetype(1);
    QTest::newRow("replace at index, own") << QByteArray(R"([1,"Z",-3,1])") << qsizetype(1) << true
                                           << qsizetype(2);
    QTest::newRow("several edits") << QByteArray(R"(["A",1,-1,"BC",1,-1,1])") << qsizetype(4) << false
                                   << qsizetype(5);
    QTest::newRow("surrogate pair inserted before") << QByteArray("[1,\"\xF0\x9F\x98\x80\",4]") << qsizetype(4)
                                                    << false << qsizetype(6);
    QTest::newRow("index past the end is clamped") << QByteArray(R"([5])") << qsizetype(9) << false << qsizetype(5);
    QTest::newRow("negative index is clamped") << QByteArray(R"(["XY",5])") << qsizetype(-3) << false
                                               << qsizetype(0);
    QTest::newRow("empty operation") << QByteArray("[]") << qsizetype(0) << true << qsizetype(0);
}

void tst_Selection::transformIndex()
{
    QFETCH(QByteArray, operation);
    QFETCH(qsizetype, index);
    QFETCH(bool, isOwn);
    QFETCH(qsizetype, expected);

    const auto op = TextOperation::fromJsonBytes(operation);
    QVERIFY2(op.hasValue(), qPrintable(op.hasValue() ? QString() : op.error().message));
    QCOMPARE(Selection::transformIndex(index, *op, isOwn), expected);
}

void tst_Selection::transformRanges_data()
{
    QTest::addColumn<QByteArray>("operation");
    QTest::addColumn<Selection>("selection");
    QTest::addColumn<bool>("isOwn");
    QTest::addColumn<Selection>("expected");

    using R = Selection::Range;
    QTest::newRow("range grows around other's insert")
        << QByteArray(R"([2,"XY",3])") << Selection({R{1, 4}}) << false << Selection({R{1, 6}});
    QTest::newRow("backwards range keeps its direction")
        << QByteArray(R"([2,"XY",3])") << Selection({R{4, 1}}) << false << Selection({R{6, 1}});
    QTest::newRow("range collapses when its text is deleted")
        << QByteArray(R"([1,-3,1])") << Selection({R{1, 4}}) << false << Selection({R{1, 1}});
    QTest::newRow("caret moves once (own insert at caret)")
        << QByteArray(R"([2,"XY",3])") << Selection::cursor(2) << true << Selection::cursor(4);
    QTest::newRow("several ranges")
        << QByteArray(R"(["A",5])") << Selection({R{0, 0}, R{2, 3}, R{5, 5}}) << false
        << Selection({R{0, 0}, R{3, 4}, R{6, 6}});
    QTest::newRow("no ranges") << QByteArray(R"([-5])") << Selection() << false << Selection();
}

void tst_Selection::transformRanges()
{
    QFETCH(QByteArray, operation);
    QFETCH(Selection, selection);
    QFETCH(bool, isOwn);
    QFETCH(Selection, expected);

    const auto op = TextOperation::fromJsonBytes(operation);
    QVERIFY(op.hasValue());
    const Selection result = selection.transform(*op, isOwn);
    QCOMPARE(QJsonDocument(result.toJson()).toJson(QJsonDocument::Compact),
             QJsonDocument(expected.toJson()).toJson(QJsonDocument::Compact));
    QVERIFY(result == expected);
}

void tst_Selection::clamped()
{
    using R = Selection::Range;
    const Selection s({R{-2, 3}, R{9, 12}, R{4, 4}});
    QVERIFY(s.clamped(5) == Selection({R{0, 3}, R{5, 5}, R{4, 4}}));
}

void tst_Selection::somethingSelected()
{
    using R = Selection::Range;
    QVERIFY(!Selection().somethingSelected());
    QVERIFY(!Selection::cursor(3).somethingSelected());
    QVERIFY(Selection({R{3, 3}, R{1, 2}}).somethingSelected());
}

void tst_Selection::jsonRoundTrip()
{
    using R = Selection::Range;
    const Selection s({R{0, 3}, R{7, 5}});
    const QByteArray json = QJsonDocument(s.toJson()).toJson(QJsonDocument::Compact);
    QCOMPARE(json, QByteArray(R"({"ranges":[{"anchor":0,"head":3},{"anchor":7,"head":5}]})"));
    const auto back = Selection::fromJson(QJsonDocument::fromJson(json).object());
    QVERIFY(back.hasValue());
    QVERIFY(*back == s);
}

void tst_Selection::fromJsonRejects_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");

    QTest::newRow("empty ranges") << QByteArray(R"({"ranges":[]})") << true;
    QTest::newRow("extra keys ignored") << QByteArray(R"({"ranges":[{"anchor":1,"head":2,"x":0}],"v":1})") << true;
    QTest::newRow("integral double") << QByteArray(R"({"ranges":[{"anchor":1.0,"head":2}]})") << true;
    QTest::newRow("largest position") << QByteArray(R"({"ranges":[{"anchor":2147483647,"head":0}]})") << true;
    QTest::newRow("not an object") << QByteArray(R"([1,2])") << false;
    QTest::newRow("no ranges") << QByteArray(R"({"range":[]})") << false;
    QTest::newRow("ranges not an array") << QByteArray(R"({"ranges":{"anchor":1,"head":1}})") << false;
    QTest::newRow("range not an object") << QByteArray(R"({"ranges":[3]})") << false;
    QTest::newRow("missing head") << QByteArray(R"({"ranges":[{"anchor":1}]})") << false;
    QTest::newRow("missing anchor") << QByteArray(R"({"ranges":[{"head":1}]})") << false;
    QTest::newRow("string position") << QByteArray(R"({"ranges":[{"anchor":"1","head":1}]})") << false;
    QTest::newRow("negative position") << QByteArray(R"({"ranges":[{"anchor":-1,"head":1}]})") << false;
    QTest::newRow("fractional position") << QByteArray(R"({"ranges":[{"anchor":1.5,"head":1}]})") << false;
    QTest::newRow("too large position") << QByteArray(R"({"ranges":[{"anchor":2147483648,"head":1}]})") << false;
    QTest::newRow("null position") << QByteArray(R"({"ranges":[{"anchor":null,"head":1}]})") << false;
    QTest::newRow("second range bad") << QByteArray(R"({"ranges":[{"anchor":1,"head":1},{"anchor":true,"head":1}]})")
                                      << false;
}

void tst_Selection::fromJsonRejects()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    QCOMPARE(parseError.error, QJsonParseError::NoError);
    const QJsonValue value = document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
    const auto result = Selection::fromJson(value);
    QCOMPARE(result.hasValue(), valid);
    if (!valid) {
        QCOMPARE(result.error().code, collab::ErrorCode::MalformedOperation);
        QVERIFY(!result.error().message.isEmpty());
    }
}

void tst_Selection::propertyIndexStaysInRange()
{
    QVERIFY(rc::check("transformed index stays in [0, targetLength]", [] {
        const QString doc = *genText();
        const TextOperation op = *genOperation(doc);
        const qsizetype index = *rc::gen::inRange<qsizetype>(-3, doc.size() + 4);
        const bool isOwn = *rc::gen::arbitrary<bool>();
        const qsizetype moved = Selection::transformIndex(index, op, isOwn);
        RC_ASSERT(moved >= 0);
        RC_ASSERT(moved <= op.targetLength());
    }));
}

void tst_Selection::propertyOrderPreserved()
{
    QVERIFY(rc::check("two indexes keep their order; ranges keep their direction", [] {
        const QString doc = *genText();
        const TextOperation op = *genOperation(doc);
        qsizetype a = *genPosition(doc);
        qsizetype b = *genPosition(doc);
        if (a > b)
            std::swap(a, b);
        const bool isOwn = *rc::gen::arbitrary<bool>();
        RC_ASSERT(Selection::transformIndex(a, op, isOwn) <= Selection::transformIndex(b, op, isOwn));

        const Selection forward({Selection::Range{a, b}});
        const Selection::Range r = forward.transform(op, isOwn).ranges().front();
        RC_ASSERT(r.anchor <= r.head);
        const Selection backward({Selection::Range{b, a}});
        const Selection::Range s = backward.transform(op, isOwn).ranges().front();
        RC_ASSERT(s.anchor >= s.head);
    }));
}

void tst_Selection::propertyOwnVersusOtherInsertAtCursor()
{
    QVERIFY(rc::check("an insert at the caret pushes one's own caret, not another's", [] {
        const QString doc = *genText();
        const qsizetype caret = *genPosition(doc);
        const QString text = *rc::gen::suchThat(genText(), [](const QString &s) { return !s.isEmpty(); });
        const TextOperation op = TextOperation::makeInsert(doc.size(), caret, text);
        RC_ASSERT(Selection::transformIndex(caret, op, true) == caret + text.size());
        RC_ASSERT(Selection::transformIndex(caret, op, false) == caret);
        RC_ASSERT(Selection::cursor(caret).transform(op, true) == Selection::cursor(caret + text.size()));
    }));
}

void tst_Selection::propertyRetainedTextFollowed()
{
    QVERIFY(rc::check("an index on retained text still points at the same character", [] {
        const QString doc = *rc::gen::suchThat(genText(), [](const QString &s) { return !s.isEmpty(); });
        const TextOperation op = *genOperation(doc);
        const auto after = op.apply(doc);
        RC_ASSERT(after.hasValue());
        const bool isOwn = *rc::gen::arbitrary<bool>();
        for (const Kept &k : retainedPositions(op)) {
            RC_ASSERT(doc.at(k.from) == after->at(k.to));
            const qsizetype moved = Selection::transformIndex(k.from, op, isOwn);
            RC_ASSERT(moved == (isOwn ? k.to : k.to - k.insertedBefore));
        }
    }));
}

void tst_Selection::propertyJsonRoundTrip()
{
    QVERIFY(rc::check("fromJson(toJson(s)) == s", [] {
        const auto pairs = *rc::gen::container<std::vector<std::pair<int, int>>>(
            rc::gen::pair(rc::gen::inRange(0, 1 << 30), rc::gen::inRange(0, 1 << 30)));
        QList<Selection::Range> ranges;
        for (const auto &[anchor, head] : pairs)
            ranges.append(Selection::Range{anchor, head});
        const Selection s(ranges);
        const QByteArray json = QJsonDocument(s.toJson()).toJson(QJsonDocument::Compact);
        const auto back = Selection::fromJson(QJsonDocument::fromJson(json).object());
        RC_ASSERT(back.hasValue());
        RC_ASSERT(*back == s);
    }));
}

QTEST_GUILESS_MAIN(tst_Selection)
#include "tst_selection.moc"
