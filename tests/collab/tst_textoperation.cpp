// SPDX-License-Identifier: MIT
// Unit cases (table-driven) and RapidCheck properties for collab::TextOperation, ot.js's operation over UTF-16
// code units. Expected components are written out by hand in ot.js's array form and compared with a
// rendering made here from components(), so the builder is not checked against its own serializer.

#include "generators.h"
#include "textdiff.h"
#include "textoperation.h"

#include <QJsonDocument>
#include <QtTest>

#include <vector>

using collab::ErrorCode;
using collab::TextOperation;
using collab::lineDiff;

namespace {

// One builder call, so table rows can describe an operation by the calls that built it.
struct Step
{
    TextOperation::Kind kind;
    qsizetype length = 0;
    QString text;
};
using Steps = std::vector<Step>;

Step ret(qsizetype n) { return {TextOperation::Kind::Retain, n, {}}; }
Step ins(const QString &s) { return {TextOperation::Kind::Insert, 0, s}; }
Step del(qsizetype n) { return {TextOperation::Kind::Delete, n, {}}; }

TextOperation build(const Steps &steps)
{
    TextOperation op;
    for (const Step &s : steps) {
        switch (s.kind) {
        case TextOperation::Kind::Retain:
            op.retain(s.length);
            break;
        case TextOperation::Kind::Insert:
            op.insert(s.text);
            break;
        case TextOperation::Kind::Delete:
            op.remove(s.length);
            break;
        }
    }
    return op;
}

// ot.js's array form rendered from components() (text unescaped): [5,"abc",-2].
QString describe(const TextOperation &op)
{
    QStringList parts;
    for (const auto &c : op.components()) {
        switch (c.kind) {
        case TextOperation::Kind::Retain:
            parts << QString::number(c.length);
            break;
        case TextOperation::Kind::Insert:
            parts << QLatin1Char('"') + c.text + QLatin1Char('"');
            break;
        case TextOperation::Kind::Delete:
            parts << QString::number(-c.length);
            break;
        }
    }
    return QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']');
}

// Unwraps an Expected inside a property, failing the case with the error's text.
template<typename T>
T valueOf(const collab::Expected<T> &r)
{
    if (!r)
        RC_FAIL(collab::errorCodeName(r.error().code).toStdString() + ": " + r.error().message.toStdString());
    return *r;
}

// Components are normalized: none empty, no two adjacent of the same kind, no delete directly before an insert;
// the lengths agree with the components.
bool isNormalized(const TextOperation &op)
{
    qsizetype base = 0;
    qsizetype target = 0;
    const auto &cs = op.components();
    for (std::size_t i = 0; i < cs.size(); ++i) {
        const auto &c = cs[i];
        if (c.length <= 0)
            return false;
        if (c.kind == TextOperation::Kind::Insert && (c.text.size() != c.length))
            return false;
        if (c.kind != TextOperation::Kind::Insert && !c.text.isEmpty())
            return false;
        if (i > 0 && cs[i - 1].kind == c.kind)
            return false;
        if (i > 0 && cs[i - 1].kind == TextOperation::Kind::Delete && c.kind == TextOperation::Kind::Insert)
            return false;
        if (c.kind != TextOperation::Kind::Insert)
            base += c.length;
        if (c.kind != TextOperation::Kind::Delete)
            target += c.length;
    }
    return base == op.baseLength() && target == op.targetLength();
}

const QString kEmoji = QStringLiteral("\U0001F600");       // 😀, one surrogate pair
const QString kCjkAstral = QStringLiteral("\U00020000");   // 𠀀, CJK extension B
const QString kCombining = QStringLiteral("e\u0301");      // e + combining acute

} // namespace

Q_DECLARE_METATYPE(Steps)
Q_DECLARE_METATYPE(collab::ErrorCode)

class tst_TextOperation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builder_data();
    void builder();
    void isNoop_data();
    void isNoop();
    void apply_data();
    void apply();
    void applyErrors_data();
    void applyErrors();
    void compose_data();
    void compose();
    void composeLengthMismatch();
    void transform_data();
    void transform();
    void transformLengthMismatch();
    void invert_data();
    void invert();
    void convenienceConstructors_data();
    void convenienceConstructors();
    void jsonRoundTrip_data();
    void jsonRoundTrip();
    void fromJsonErrors_data();
    void fromJsonErrors();
    void byteOrderMarksAreText();
    void fromJsonValueNotArray();

    void propApplyCompose();
    void propTransformConvergence();
    void propTransformTieBreak();
    void propInvertRoundTrip();
    void propJsonRoundTrip();
    void propNormalizationIdempotent();
    void propLengthConsistency();
    void propSurrogateSafety();
    void propComposeAssociative();
    void propEncodedSizeIsExact();
    void propSplitToFitComposesBack();
    void splitToFitLargePaste();
    void propLineDiffGivesTheOtherText();
    void lineDiffFindsEachPlace();
};

void tst_TextOperation::builder_data()
{
    QTest::addColumn<Steps>("steps");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<qsizetype>("baseLength");
    QTest::addColumn<qsizetype>("targetLength");

    QTest::newRow("empty") << Steps{} << "[]" << qsizetype(0) << qsizetype(0);
    QTest::newRow("retains merge") << Steps{ret(2), ret(3)} << "[5]" << qsizetype(5) << qsizetype(5);
    QTest::newRow("inserts merge") << Steps{ins("ab"), ins("c")} << R"(["abc"])" << qsizetype(0) << qsizetype(3);
    QTest::newRow("deletes merge") << Steps{del(1), del(2)} << "[-3]" << qsizetype(3) << qsizetype(0);
    QTest::newRow("zero retain ignored") << Steps{ret(0), ret(1), ret(0)} << "[1]" << qsizetype(1) << qsizetype(1);
    QTest::newRow("empty insert ignored") << Steps{ret(1), ins(""), ret(1)} << "[2]" << qsizetype(2)
                                          << qsizetype(2);
    QTest::newRow("zero delete ignored") << Steps{del(0), ret(2), del(0)} << "[2]" << qsizetype(2) << qsizetype(2);
    QTest::newRow("negative counts ignored") << Steps{ret(-3), del(-2), ret(1)} << "[1]" << qsizetype(1)
                                             << qsizetype(1);
    QTest::newRow("insert after delete moves before it")
        << Steps{ret(1), del(2), ins("x")} << R"([1,"x",-2])" << qsizetype(3) << qsizetype(2);
    QTest::newRow("insert after insert+delete joins the insert")
        << Steps{ins("a"), del(2), ins("b")} << R"(["ab",-2])" << qsizetype(2) << qsizetype(2);
    QTest::newRow("delete, insert, delete") << Steps{del(1), ins("x"), del(1)} << R"(["x",-2])" << qsizetype(2)
                                            << qsizetype(1);
    QTest::newRow("insert then delete stays") << Steps{ins("x"), del(2)} << R"(["x",-2])" << qsizetype(2)
                                              << qsizetype(1);
    QTest::newRow("retain separates deletes") << Steps{del(1), ret(1), del(1)} << "[-1,1,-1]" << qsizetype(3)
                                              << qsizetype(1);
    QTest::newRow("emoji insert counts units")
        << Steps{ret(1), ins(kEmoji + kCombining)} << QStringLiteral("[1,\"%1\"]").arg(kEmoji + kCombining)
        << qsizetype(1) << qsizetype(5);
}

void tst_TextOperation::builder()
{
    QFETCH(Steps, steps);
    QFETCH(QString, expected);
    QFETCH(qsizetype, baseLength);
    QFETCH(qsizetype, targetLength);

    const TextOperation op = build(steps);
    QCOMPARE(describe(op), expected);
    QCOMPARE(op.baseLength(), baseLength);
    QCOMPARE(op.targetLength(), targetLength);
    QVERIFY(isNormalized(op));
}

void tst_TextOperation::isNoop_data()
{
    QTest::addColumn<Steps>("steps");
    QTest::addColumn<bool>("noop");

    QTest::newRow("empty") << Steps{} << true;
    QTest::newRow("retain") << Steps{ret(4)} << true;
    QTest::newRow("retains") << Steps{ret(1), ret(4)} << true;
    QTest::newRow("insert") << Steps{ins("a")} << false;
    QTest::newRow("delete") << Steps{ret(1), del(1)} << false;
}

void tst_TextOperation::isNoop()
{
    QFETCH(Steps, steps);
    QFETCH(bool, noop);
    QCOMPARE(build(steps).isNoop(), noop);
}

void tst_TextOperation::apply_data()
{
    QTest::addColumn<QString>("doc");
    QTest::addColumn<Steps>("steps");
    QTest::addColumn<QString>("expected");

    QTest::newRow("empty on empty") << QString() << Steps{} << QString();
    QTest::newRow("insert into empty") << QString() << Steps{ins("hi")} << "hi";
    QTest::newRow("retain all") << "abc" << Steps{ret(3)} << "abc";
    QTest::newRow("insert middle") << "abc" << Steps{ret(1), ins("XY"), ret(2)} << "aXYbc";
    QTest::newRow("delete middle") << "abcd" << Steps{ret(1), del(2), ret(1)} << "ad";
    QTest::newRow("replace") << "abcd" << Steps{ret(1), ins("Z"), del(2), ret(1)} << "aZd";
    QTest::newRow("delete everything") << "abc" << Steps{del(3)} << QString();
    QTest::newRow("delete a whole pair") << "a" + kEmoji + "b" << Steps{ret(1), del(2), ret(1)} << "ab";
    QTest::newRow("insert between pairs") << kEmoji + kCjkAstral << Steps{ret(2), ins(kCombining), ret(2)}
                                          << kEmoji + kCombining + kCjkAstral;
    QTest::newRow("delete combining mark only") << kCombining << Steps{ret(1), del(1)} << "e";
    QTest::newRow("insert emoji at end") << "x" << Steps{ret(1), ins(kEmoji)} << "x" + kEmoji;
}

void tst_TextOperation::apply()
{
    QFETCH(QString, doc);
    QFETCH(Steps, steps);
    QFETCH(QString, expected);

    const TextOperation op = build(steps);
    QVERIFY(!op.checkSurrogates(doc));
    const auto result = op.apply(doc);
    QVERIFY2(result, qPrintable(result ? QString() : result.error().message));
    QCOMPARE(*result, expected);
    QCOMPARE(result->size(), op.targetLength());
}

void tst_TextOperation::applyErrors_data()
{
    QTest::addColumn<QString>("doc");
    QTest::addColumn<Steps>("steps");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("mentions");

    const QString pairDoc = "a" + kEmoji + "b"; // a, high, low, b
    QTest::newRow("op too short") << "abc" << Steps{ret(2)} << ErrorCode::BaseLengthMismatch << "length";
    QTest::newRow("op too long") << "abc" << Steps{ret(4)} << ErrorCode::BaseLengthMismatch << "length";
    QTest::newRow("op on empty doc") << QString() << Steps{del(1)} << ErrorCode::BaseLengthMismatch << "length";
    QTest::newRow("retain ends inside pair") << pairDoc << Steps{ret(2), ret(0), del(2)}
                                             << ErrorCode::SplitsSurrogatePair << "surrogate";
    QTest::newRow("delete starts inside pair") << pairDoc << Steps{ret(2), del(1), ret(1)}
                                               << ErrorCode::SplitsSurrogatePair << "surrogate";
    QTest::newRow("delete ends inside pair") << pairDoc << Steps{ret(1), del(1), ret(2)}
                                             << ErrorCode::SplitsSurrogatePair << "surrogate";
    QTest::newRow("insert inside pair") << pairDoc << Steps{ret(2), ins("x"), ret(2)}
                                        << ErrorCode::SplitsSurrogatePair << "surrogate";
    QTest::newRow("split the second of two pairs")
        << kEmoji + kCjkAstral << Steps{ret(3), del(1)} << ErrorCode::SplitsSurrogatePair << "surrogate";
}

void tst_TextOperation::applyErrors()
{
    QFETCH(QString, doc);
    QFETCH(Steps, steps);
    QFETCH(ErrorCode, code);
    QFETCH(QString, mentions);

    const QString before = doc;
    const TextOperation op = build(steps);
    const auto result = op.apply(doc);
    QVERIFY(!result);
    QCOMPARE(result.error().code, code);
    QVERIFY(!result.error().message.isEmpty());
    QVERIFY2(result.error().message.contains(mentions, Qt::CaseInsensitive), qPrintable(result.error().message));
    QCOMPARE(doc, before);
    if (code == ErrorCode::SplitsSurrogatePair) {
        const auto check = op.checkSurrogates(doc);
        QVERIFY(check);
        QCOMPARE(check->code, ErrorCode::SplitsSurrogatePair);
    }
}

void tst_TextOperation::compose_data()
{
    QTest::addColumn<QString>("doc");
    QTest::addColumn<Steps>("a");
    QTest::addColumn<Steps>("b");
    QTest::addColumn<QString>("expected");

    QTest::newRow("empty") << QString() << Steps{} << Steps{} << "[]";
    QTest::newRow("two inserts") << "ab" << Steps{ret(1), ins("x"), ret(1)} << Steps{ret(2), ins("y"), ret(1)}
                                 << R"([1,"xy",1])";
    QTest::newRow("insert then delete it") << "ab" << Steps{ret(1), ins("xyz"), ret(1)}
                                           << Steps{ret(1), del(3), ret(1)} << "[2]";
    QTest::newRow("delete then insert") << "abc" << Steps{del(1), ret(2)} << Steps{ins("Q"), ret(2)}
                                        << R"(["Q",-1,2])";
    QTest::newRow("retain over delete") << "abcd" << Steps{ret(1), del(2), ret(1)} << Steps{ret(1), del(1)}
                                        << "[1,-3]";
    QTest::newRow("partial delete of insert") << "" << Steps{ins("hello")} << Steps{ret(1), del(3), ret(1)}
                                              << R"(["ho"])";
    QTest::newRow("emoji insert, then insert after it")
        << "a" << Steps{ret(1), ins(kEmoji)} << Steps{ret(3), ins(kCombining)}
        << QStringLiteral("[1,\"%1\"]").arg(kEmoji + kCombining);
}

void tst_TextOperation::compose()
{
    QFETCH(QString, doc);
    QFETCH(Steps, a);
    QFETCH(Steps, b);
    QFETCH(QString, expected);

    const TextOperation opA = build(a);
    const TextOperation opB = build(b);
    const auto composed = opA.compose(opB);
    QVERIFY2(composed, qPrintable(composed ? QString() : composed.error().message));
    QCOMPARE(describe(*composed), expected);
    QCOMPARE(composed->baseLength(), opA.baseLength());
    QCOMPARE(composed->targetLength(), opB.targetLength());

    const auto afterA = opA.apply(doc);
    QVERIFY(afterA);
    const auto afterB = opB.apply(*afterA);
    QVERIFY(afterB);
    const auto direct = composed->apply(doc);
    QVERIFY(direct);
    QCOMPARE(*direct, *afterB);
}

void tst_TextOperation::composeLengthMismatch()
{
    const TextOperation a = build({ret(2), ins("x")}); // 2 -> 3
    const TextOperation b = build({ret(2)});            // 2 -> 2
    const auto composed = a.compose(b);
    QVERIFY(!composed);
    QCOMPARE(composed.error().code, ErrorCode::BaseLengthMismatch);
    QVERIFY(composed.error().message.contains(QLatin1String("length")));
    QVERIFY(composed.error().message.contains(QLatin1String("3")));
    QVERIFY(composed.error().message.contains(QLatin1String("2")));
}

void tst_TextOperation::transform_data()
{
    QTest::addColumn<QString>("doc");
    QTest::addColumn<Steps>("a");
    QTest::addColumn<Steps>("b");
    QTest::addColumn<QString>("aPrime");
    QTest::addColumn<QString>("bPrime");

    QTest::newRow("both empty") << QString() << Steps{} << Steps{} << "[]" << "[]";
    QTest::newRow("tie: a's insert first") << QString() << Steps{ins("a")} << Steps{ins("b")} << R"(["a",1])"
                                           << R"([1,"b"])";
    QTest::newRow("tie mid-document") << "xy" << Steps{ret(1), ins("A"), ret(1)} << Steps{ret(1), ins("B"), ret(1)}
                                      << R"([1,"A",2])" << R"([2,"B",1])";
    QTest::newRow("tie with emoji") << kEmoji << Steps{ret(2), ins(kCjkAstral)} << Steps{ret(2), ins(kEmoji)}
                                    << QStringLiteral("[2,\"%1\",2]").arg(kCjkAstral)
                                    << QStringLiteral("[4,\"%1\"]").arg(kEmoji);
    QTest::newRow("insert before delete") << "abc" << Steps{ins("X"), ret(3)} << Steps{del(3)} << R"(["X"])"
                                          << R"([1,-3])";
    QTest::newRow("same delete") << "abc" << Steps{ret(1), del(1), ret(1)} << Steps{ret(1), del(1), ret(1)}
                                 << "[2]" << "[2]";
    QTest::newRow("overlapping deletes") << "abcd" << Steps{del(3), ret(1)} << Steps{ret(1), del(3)} << "[-1]"
                                         << "[-1]";
    QTest::newRow("insert inside other's delete") << "abcd" << Steps{ret(2), ins("Z"), ret(2)} << Steps{del(4)}
                                                  << R"(["Z"])" << R"([-2,1,-2])";
    QTest::newRow("retain vs delete") << "abc" << Steps{ret(3)} << Steps{ret(1), del(2)} << "[1]"
                                      << "[1,-2]";
}

void tst_TextOperation::transform()
{
    QFETCH(QString, doc);
    QFETCH(Steps, a);
    QFETCH(Steps, b);
    QFETCH(QString, aPrime);
    QFETCH(QString, bPrime);

    const TextOperation opA = build(a);
    const TextOperation opB = build(b);
    const auto result = TextOperation::transform(opA, opB);
    QVERIFY2(result, qPrintable(result ? QString() : result.error().message));
    QCOMPARE(describe(result->first), aPrime);
    QCOMPARE(describe(result->second), bPrime);

    // Both paths reach the same document.
    const auto viaA = result->second.apply(*opA.apply(doc));
    const auto viaB = result->first.apply(*opB.apply(doc));
    QVERIFY(viaA);
    QVERIFY(viaB);
    QCOMPARE(*viaA, *viaB);
}

void tst_TextOperation::transformLengthMismatch()
{
    const auto result = TextOperation::transform(build({ret(2)}), build({ret(3)}));
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::BaseLengthMismatch);
    QVERIFY(result.error().message.contains(QLatin1String("length")));
}

void tst_TextOperation::invert_data()
{
    QTest::addColumn<QString>("doc");
    QTest::addColumn<Steps>("steps");
    QTest::addColumn<QString>("expected");

    QTest::newRow("empty") << QString() << Steps{} << "[]";
    QTest::newRow("retain") << "abc" << Steps{ret(3)} << "[3]";
    QTest::newRow("insert becomes delete") << "ab" << Steps{ret(1), ins("xyz"), ret(1)} << "[1,-3,1]";
    QTest::newRow("delete becomes insert") << "abcd" << Steps{ret(1), del(2), ret(1)} << R"([1,"bc",1])";
    QTest::newRow("replace: insert goes first") << "abc" << Steps{ins("Q"), del(2), ret(1)} << R"(["ab",-1,1])";
    QTest::newRow("delete emoji restores pair") << "a" + kEmoji << Steps{ret(1), del(2)}
                                                << QStringLiteral("[1,\"%1\"]").arg(kEmoji);
}

void tst_TextOperation::invert()
{
    QFETCH(QString, doc);
    QFETCH(Steps, steps);
    QFETCH(QString, expected);

    const TextOperation op = build(steps);
    const TextOperation inverse = op.invert(doc);
    QCOMPARE(describe(inverse), expected);
    const auto after = op.apply(doc);
    QVERIFY(after);
    const auto back = inverse.apply(*after);
    QVERIFY(back);
    QCOMPARE(*back, doc);
}

void tst_TextOperation::convenienceConstructors_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<qsizetype>("docLength");
    QTest::addColumn<qsizetype>("position");
    QTest::addColumn<qsizetype>("removed");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");

    QTest::newRow("insert at start") << "insert" << qsizetype(3) << qsizetype(0) << qsizetype(0) << "x"
                                     << R"(["x",3])";
    QTest::newRow("insert at end") << "insert" << qsizetype(3) << qsizetype(3) << qsizetype(0) << "x"
                                   << R"([3,"x"])";
    QTest::newRow("insert into empty") << "insert" << qsizetype(0) << qsizetype(0) << qsizetype(0) << "x"
                                       << R"(["x"])";
    QTest::newRow("delete middle") << "delete" << qsizetype(5) << qsizetype(1) << qsizetype(2) << QString()
                                   << "[1,-2,2]";
    QTest::newRow("replace") << "replace" << qsizetype(5) << qsizetype(1) << qsizetype(2) << "ab"
                             << R"([1,"ab",-2,2])";
    QTest::newRow("replace nothing") << "replace" << qsizetype(2) << qsizetype(1) << qsizetype(0) << QString()
                                     << "[2]";
}

void tst_TextOperation::convenienceConstructors()
{
    QFETCH(QString, kind);
    QFETCH(qsizetype, docLength);
    QFETCH(qsizetype, position);
    QFETCH(qsizetype, removed);
    QFETCH(QString, text);
    QFETCH(QString, expected);

    const TextOperation op = kind == QLatin1String("insert") ? TextOperation::makeInsert(docLength, position, text)
        : kind == QLatin1String("delete") ? TextOperation::makeDelete(docLength, position, removed)
                                          : TextOperation::makeReplace(docLength, position, removed, text);
    QCOMPARE(describe(op), expected);
    QCOMPARE(op.baseLength(), docLength);
    QVERIFY(isNormalized(op));
}

void tst_TextOperation::jsonRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("normalized");
    QTest::addColumn<qsizetype>("baseLength");
    QTest::addColumn<qsizetype>("targetLength");

    QTest::newRow("empty") << QByteArray("[]") << QByteArray("[]") << qsizetype(0) << qsizetype(0);
    QTest::newRow("ot.js example") << QByteArray(R"([5,"abc",-2])") << QByteArray(R"([5,"abc",-2])")
                                   << qsizetype(7) << qsizetype(8);
    QTest::newRow("unnormalized input is normalized") << QByteArray(R"([1,2,-1,"a","b",-1])")
                                                      << QByteArray(R"([3,"ab",-2])") << qsizetype(5)
                                                      << qsizetype(5);
    QTest::newRow("largest count") << QByteArray("[2147483647]") << QByteArray("[2147483647]")
                                   << qsizetype(2147483647) << qsizetype(2147483647);
    QTest::newRow("largest delete") << QByteArray("[-2147483647]") << QByteArray("[-2147483647]")
                                    << qsizetype(2147483647) << qsizetype(0);
    QTest::newRow("escapes") << QByteArray(R"(["a\nb\"c\\\t"])") << QByteArray(R"(["a\nb\"c\\\t"])")
                             << qsizetype(0) << qsizetype(7);
    QTest::newRow("escaped emoji comes out as UTF-8")
        << QByteArray(R"([1,"\ud83d\ude00\u00e9"])")
        << QStringLiteral("[1,\"%1\u00e9\"]").arg(kEmoji).toUtf8() << qsizetype(1) << qsizetype(4);
    QTest::newRow("CJK and combining") << QStringLiteral("[\"\u4e2d%1\"]").arg(kCombining).toUtf8()
                                       << QStringLiteral("[\"\u4e2d%1\"]").arg(kCombining).toUtf8()
                                       << qsizetype(0) << qsizetype(3);
}

void tst_TextOperation::jsonRoundTrip()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, normalized);
    QFETCH(qsizetype, baseLength);
    QFETCH(qsizetype, targetLength);

    const auto op = TextOperation::fromJsonBytes(json);
    QVERIFY2(op, qPrintable(op ? QString() : op.error().message));
    QCOMPARE(op->toJsonBytes(), normalized);
    QCOMPARE(op->baseLength(), baseLength);
    QCOMPARE(op->targetLength(), targetLength);
    QVERIFY(isNormalized(*op));

    const auto again = TextOperation::fromJson(op->toJson());
    QVERIFY(again);
    QCOMPARE(*again, *op);
    QCOMPARE(QJsonDocument(op->toJson()).toJson(QJsonDocument::Compact), normalized);
}

void tst_TextOperation::fromJsonErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("mentions"); // each must appear in the message (case-insensitive)

    QTest::newRow("not JSON") << QByteArray("[1,") << QStringList{"JSON"};
    QTest::newRow("object, not an array") << QByteArray(R"({"ops":[1]})") << QStringList{"array"};
    QTest::newRow("string, not an array") << QByteArray(R"("abc")") << QStringList{"array"};
    QTest::newRow("number, not an array") << QByteArray("5") << QStringList{"array"};
    QTest::newRow("nested array") << QByteArray("[1,[2]]") << QStringList{"element 1", "array"};
    QTest::newRow("object element") << QByteArray(R"([{"retain":1}])") << QStringList{"element 0", "object"};
    QTest::newRow("boolean element") << QByteArray("[1,true]") << QStringList{"element 1", "boolean"};
    QTest::newRow("null element") << QByteArray("[null]") << QStringList{"element 0", "null"};
    QTest::newRow("zero") << QByteArray(R"(["a",0])") << QStringList{"element 1", "zero"};
    QTest::newRow("negative zero") << QByteArray("[-0]") << QStringList{"element 0", "zero"};
    QTest::newRow("fraction") << QByteArray("[1.5]") << QStringList{"element 0", "integer"};
    QTest::newRow("negative fraction") << QByteArray("[2,-0.25]") << QStringList{"element 1", "integer"};
    QTest::newRow("2^31") << QByteArray("[2147483648]") << QStringList{"element 0", "2^31"};
    QTest::newRow("-2^31") << QByteArray("[-2147483648]") << QStringList{"element 0", "2^31"};
    QTest::newRow("2^32") << QByteArray("[4294967296]") << QStringList{"element 0", "2^31"};
    QTest::newRow("2^53+") << QByteArray("[9007199254740993]") << QStringList{"element 0", "2^31"};
    QTest::newRow("1e300") << QByteArray("[1e300]") << QStringList{"element 0", "2^31"};
    QTest::newRow("sum beyond 2^31-1") << QByteArray("[2147483647,-1]") << QStringList{"element 1", "2^31"};
    QTest::newRow("empty string") << QByteArray(R"([1,""])") << QStringList{"element 1", "empty"};
    // A lone half of a surrogate pair would not survive storage (SQLite pairs it with the next character):
    // refused at decoding, naming where it is. A high half without its low one is refused by the JSON parser
    // at the escape (offset in the JSON text); a low one alone is decoded, then refused naming the element.
    QTest::newRow("lone high surrogate") << QByteArray(R"(["\ud800"])")
                                         << QStringList{"lone surrogate", "offset 2"};
    QTest::newRow("lone low surrogate mid-text") << QByteArray(R"([3,"ab\udc00c"])")
                                                 << QStringList{"element 1", "lone surrogate", "offset 2",
                                                                "position 5"};
    QTest::newRow("lone low surrogate alone") << QByteArray(R"(["\udc00"])")
                                              << QStringList{"element 0", "lone surrogate", "U+dc00", "offset 0"};
    QTest::newRow("high surrogate at the end") << QByteArray(R"([1,"x",-1,"\ud83d"])")
                                               << QStringList{"lone surrogate", "offset 11"};
    QTest::newRow("halves in the wrong order") << QByteArray(R"(["\ude00\ud83d"])")
                                               << QStringList{"lone surrogate", "offset 8"};
}

void tst_TextOperation::fromJsonErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, mentions);

    const auto op = TextOperation::fromJsonBytes(json);
    QVERIFY2(!op, json.constData());
    QCOMPARE(op.error().code, ErrorCode::MalformedOperation);
    QVERIFY(!op.error().message.isEmpty());
    for (const QString &word : mentions)
        QVERIFY2(op.error().message.contains(word, Qt::CaseInsensitive),
                 qPrintable(QStringLiteral("\"%1\" does not mention \"%2\"").arg(op.error().message, word)));
}

// A byte order mark is a character like any other inside an insert, first in it or not: QString::fromUtf8
// alone would drop a leading one, and the stored operation would not be the one that was sent.
void tst_TextOperation::byteOrderMarksAreText()
{
    const auto op = TextOperation::fromJsonBytes("[1,\"\xef\xbb\xbf\xef\xbb\xbfx\xef\xbb\xbf\",-1]");
    QVERIFY(op);
    QCOMPARE(op->components()[1].text, QStringLiteral("\ufeff\ufeffx\ufeff"));
    QCOMPARE(op->targetLength(), 5);
    const auto text = TextOperation::fromJsonText(u"[\"\ufeffy\"]");
    QVERIFY(text);
    QCOMPARE(text->components()[0].text, QStringLiteral("\ufeffy"));
    QCOMPARE(TextOperation::fromJsonBytes(text->toJsonBytes()).value(), *text);
}

void tst_TextOperation::fromJsonValueNotArray()
{
    for (const QJsonValue &v : {QJsonValue(), QJsonValue(true), QJsonValue(3), QJsonValue(QStringLiteral("x")),
                                QJsonValue(QJsonObject())}) {
        const auto op = TextOperation::fromJson(v);
        QVERIFY(!op);
        QCOMPARE(op.error().code, ErrorCode::MalformedOperation);
        QVERIFY(op.error().message.contains(QLatin1String("array")));
    }
}

// apply(apply(S, a), b) == apply(S, compose(a, b))
void tst_TextOperation::propApplyCompose()
{
    QVERIFY(rc::check("apply after compose equals applying in turn", [] {
        const QString doc = *genText();
        const TextOperation a = *genOperation(doc);
        const QString afterA = valueOf(a.apply(doc));
        const TextOperation b = *genOperation(afterA);
        const QString afterB = valueOf(b.apply(afterA));
        const TextOperation ab = valueOf(a.compose(b));
        RC_ASSERT(valueOf(ab.apply(doc)) == afterB);
        RC_ASSERT(isNormalized(ab));
    }));
}

// TP1: both paths of the transform diamond reach the same document, and (as in ot.js's tests) a∘b' and b∘a'
// are the same operation.
void tst_TextOperation::propTransformConvergence()
{
    QVERIFY(rc::check("transform converges (TP1)", [] {
        const QString doc = *genText();
        const TextOperation a = *genOperation(doc);
        const TextOperation b = *genOperation(doc);
        const auto [aPrime, bPrime] = valueOf(TextOperation::transform(a, b));
        RC_ASSERT(aPrime.baseLength() == b.targetLength());
        RC_ASSERT(bPrime.baseLength() == a.targetLength());
        RC_ASSERT(isNormalized(aPrime));
        RC_ASSERT(isNormalized(bPrime));
        const QString viaA = valueOf(bPrime.apply(valueOf(a.apply(doc))));
        const QString viaB = valueOf(aPrime.apply(valueOf(b.apply(doc))));
        RC_ASSERT(viaA == viaB);
        RC_ASSERT(valueOf(a.compose(bPrime)) == valueOf(b.compose(aPrime)));
    }));
}

// Two inserts at the same position: the first argument's text comes first, whichever side applies first.
void tst_TextOperation::propTransformTieBreak()
{
    QVERIFY(rc::check("transform tie puts the first argument's insert first", [] {
        const QString doc = *genText();
        qsizetype pos = *rc::gen::inRange<qsizetype>(0, doc.size() + 1);
        if (splitsPair(doc, pos))
            ++pos;
        const QString x = *genNonEmptyText();
        const QString y = *genNonEmptyText();
        const TextOperation a = TextOperation::makeInsert(doc.size(), pos, x);
        const TextOperation b = TextOperation::makeInsert(doc.size(), pos, y);
        const auto [aPrime, bPrime] = valueOf(TextOperation::transform(a, b));
        const QString expected = doc.left(pos) + x + y + doc.mid(pos);
        RC_ASSERT(valueOf(bPrime.apply(valueOf(a.apply(doc)))) == expected);
        RC_ASSERT(valueOf(aPrime.apply(valueOf(b.apply(doc)))) == expected);
    }));
}

void tst_TextOperation::propInvertRoundTrip()
{
    QVERIFY(rc::check("invert undoes and inverts back", [] {
        const QString doc = *genText();
        const TextOperation a = *genOperation(doc);
        const QString after = valueOf(a.apply(doc));
        const TextOperation inverse = a.invert(doc);
        RC_ASSERT(inverse.baseLength() == a.targetLength());
        RC_ASSERT(inverse.targetLength() == a.baseLength());
        RC_ASSERT(isNormalized(inverse));
        RC_ASSERT(valueOf(inverse.apply(after)) == doc);
        RC_ASSERT(inverse.invert(after) == a);
        RC_ASSERT(valueOf(valueOf(a.compose(inverse)).apply(doc)) == doc);
    }));
}

void tst_TextOperation::propJsonRoundTrip()
{
    QVERIFY(rc::check("toJson then fromJson gives the same operation", [] {
        const QString doc = *genText();
        const TextOperation a = *genOperation(doc);
        RC_ASSERT(valueOf(TextOperation::fromJson(a.toJson())) == a);
        const QByteArray bytes = a.toJsonBytes();
        const TextOperation parsed = valueOf(TextOperation::fromJsonBytes(bytes));
        RC_ASSERT(parsed == a);
        RC_ASSERT(parsed.baseLength() == a.baseLength());
        RC_ASSERT(parsed.targetLength() == a.targetLength());
        RC_ASSERT(parsed.toJsonBytes() == bytes);
    }));
}

void tst_TextOperation::propNormalizationIdempotent()
{
    QVERIFY(rc::check("rebuilding an operation from its components changes nothing", [] {
        const QString doc = *genText();
        const TextOperation a = *genOperation(doc);
        RC_ASSERT(isNormalized(a));
        TextOperation rebuilt;
        for (const auto &c : a.components()) {
            switch (c.kind) {
            case TextOperation::Kind::Retain:
                rebuilt.retain(c.length);
                break;
            case TextOperation::Kind::Insert:
                rebuilt.insert(c.text);
                break;
            case TextOperation::Kind::Delete:
                rebuilt.remove(c.length);
                break;
            }
        }
        RC_ASSERT(rebuilt == a);
        RC_ASSERT(rebuilt == a);
        RC_ASSERT(rebuilt.baseLength() == a.baseLength());
        RC_ASSERT(rebuilt.targetLength() == a.targetLength());
    }));
}

void tst_TextOperation::propLengthConsistency()
{
    QVERIFY(rc::check("base and target lengths match documents", [](const QString &doc) {
        const TextOperation a = *genOperation(doc);
        RC_ASSERT(a.baseLength() == doc.size());
        const QString after = valueOf(a.apply(doc));
        RC_ASSERT(a.targetLength() == after.size());
        const TextOperation b = *genOperation(after);
        const TextOperation ab = valueOf(a.compose(b));
        RC_ASSERT(ab.baseLength() == a.baseLength());
        RC_ASSERT(ab.targetLength() == b.targetLength());
    }));
}

// An operation with a boundary inside a surrogate pair is rejected by apply, and the document is untouched.
void tst_TextOperation::propSurrogateSafety()
{
    QVERIFY(rc::check("boundaries inside a surrogate pair are rejected", [] {
        const QString doc = *genText() + *rc::gen::element(kEmoji, kCjkAstral) + *genText();
        RC_ASSERT(!(*genOperation(doc)).checkSurrogates(doc));

        std::vector<qsizetype> splits;
        for (qsizetype i = 1; i < doc.size(); ++i) {
            if (splitsPair(doc, i))
                splits.push_back(i);
        }
        RC_ASSERT(!splits.empty());
        const qsizetype k = *rc::gen::elementOf(splits);
        const qsizetype n = doc.size();
        TextOperation op;
        switch (*rc::gen::inRange(0, 5)) {
        case 0: // retain ends inside, then delete the rest
            op.retain(k).remove(n - k);
            break;
        case 1: // delete ends inside
            op.remove(k).retain(n - k);
            break;
        case 2: // insert inside the pair
            op.retain(k).insert(*genNonEmptyText()).retain(n - k);
            break;
        case 3: // replace starting inside
            op.retain(k).insert(QStringLiteral("x")).remove(n - k);
            break;
        default: // delete only the high half
            op.retain(k - 1).remove(1).retain(n - k);
            break;
        }
        const QString before = doc;
        const auto result = op.apply(doc);
        RC_ASSERT(!result);
        RC_ASSERT(result.error().code == ErrorCode::SplitsSurrogatePair);
        RC_ASSERT(!result.error().message.isEmpty());
        RC_ASSERT(doc == before);
        const auto check = op.checkSurrogates(doc);
        RC_ASSERT(check.has_value());
        RC_ASSERT(check->code == ErrorCode::SplitsSurrogatePair);
    }));
}

void tst_TextOperation::propComposeAssociative()
{
    QVERIFY(rc::check("compose is associative", [] {
        const QString doc = *genText();
        const TextOperation a = *genOperation(doc);
        const QString s1 = valueOf(a.apply(doc));
        const TextOperation b = *genOperation(s1);
        const QString s2 = valueOf(b.apply(s1));
        const TextOperation c = *genOperation(s2);
        const TextOperation left = valueOf(valueOf(a.compose(b)).compose(c));
        const TextOperation right = valueOf(a.compose(valueOf(b.compose(c))));
        RC_ASSERT(left == right);
        RC_ASSERT(valueOf(left.apply(doc)) == valueOf(c.apply(s2)));
    }));
}

QTEST_GUILESS_MAIN(tst_TextOperation)
// encodedSize() is what the client's split relies on to stay under the relay's limit: it must be the size
// toJsonBytes() really has, for any UTF-16 (lone halves included: the encoder writes them as escapes).
void tst_TextOperation::propEncodedSizeIsExact()
{
    QVERIFY(rc::check("encodedSize equals the size of the JSON", [] {
        const QString doc = *genText();
        TextOperation op = *genOperation(doc);
        const QString raw = *genRawUtf16();
        if (!raw.isEmpty())
            op.insert(raw);
        RC_ASSERT(op.encodedSize() == op.toJsonBytes().size());
    }));
}

// splitToFit: first.compose(rest) is the operation itself; split again and again, every piece changes
// something, fits (for any limit a message can sensibly have) and never cuts a surrogate pair.
void tst_TextOperation::propSplitToFitComposesBack()
{
    QVERIFY(rc::check("pieces compose back to the operation and each fits", [] {
        const QString doc = *genText();
        const TextOperation op = *genOperation(doc);
        const qint64 limit = *rc::gen::weightedOneOf<qint64>({{3, rc::gen::inRange<qint64>(64, 400)},
                                                              {1, rc::gen::inRange<qint64>(1, 64)}});
        const qsizetype maxComponents = *rc::gen::weightedOneOf<qsizetype>(
                {{1, rc::gen::inRange<qsizetype>(3, 12)}, {1, rc::gen::just(std::numeric_limits<qsizetype>::max())}});
        TextOperation remaining = op;
        std::optional<TextOperation> composed;
        QString text = doc;
        int pieces = 0;
        while (!remaining.isNoop()
               && (remaining.encodedSize() > limit || qsizetype(remaining.components().size()) > maxComponents)) {
            auto [first, rest] = remaining.splitToFit(limit, maxComponents);
            RC_ASSERT(qsizetype(first.components().size()) <= maxComponents);
            RC_ASSERT(!first.isNoop());
            RC_ASSERT(isNormalized(first));
            RC_ASSERT(isNormalized(rest));
            if (limit >= 64)
                RC_ASSERT(first.encodedSize() <= limit);
            RC_ASSERT(first.baseLength() == remaining.baseLength());
            RC_ASSERT(rest.baseLength() == first.targetLength());
            for (const TextOperation::Component &c : first.components())
                if (c.kind == TextOperation::Kind::Insert)
                    RC_ASSERT(!TextOperation::loneSurrogate(c.text));
            RC_ASSERT(valueOf(first.compose(rest)) == remaining);
            text = valueOf(first.apply(text));
            composed = composed ? valueOf(composed->compose(first)) : first;
            remaining = rest;
            RC_ASSERT(++pieces <= 100000);
        }
        text = valueOf(remaining.apply(text));
        composed = composed ? valueOf(composed->compose(remaining)) : remaining;
        RC_ASSERT(text == valueOf(op.apply(doc)));
        RC_ASSERT(*composed == op);
    }));
}

// The case that made it necessary: a 5 MB paste of mixed scripts into a 1 MiB message limit.
void tst_TextOperation::splitToFitLargePaste()
{
    QString paste;
    const QString chunk = QStringLiteral("Grüße, 世界 \"quoted\"\t%1\n").arg(QString::fromUcs4(U"\U0001F600", 1));
    while (paste.size() < 5 * 1000 * 1000)
        paste += chunk;
    const QString doc = QStringLiteral("before|after");
    const TextOperation op = TextOperation::makeInsert(doc.size(), 7, paste);
    const qint64 limit = 1024 * 1024 - 4096;
    QVERIFY(op.encodedSize() > 5 * limit);
    TextOperation remaining = op;
    QString text = doc;
    int pieces = 0;
    while (remaining.encodedSize() > limit) {
        auto [first, rest] = remaining.splitToFit(limit);
        QVERIFY(first.encodedSize() <= limit);
        QVERIFY(first.encodedSize() > limit - 32); // full pieces, not crumbs
        QCOMPARE(first.toJsonBytes().size(), first.encodedSize());
        text = first.apply(text).value();
        remaining = rest;
        ++pieces;
    }
    text = remaining.apply(text).value();
    QCOMPARE(text, op.apply(doc).value());
    QVERIFY2(pieces >= 5 && pieces <= 12, qPrintable(QString::number(pieces)));
}

// The line diff applies to the text before and gives the text after, normalized, never splitting a surrogate
// pair: for random texts, and for a text and a random edit of it (the case it is used for).
void tst_TextOperation::propLineDiffGivesTheOtherText()
{
    QVERIFY(rc::check("lineDiff(a, b) applied to a gives b", [] {
        const QString before = *genText();
        const bool edited = *rc::gen::weightedElement<bool>({{3, true}, {1, false}});
        const QString after = edited ? *(*genOperation(before)).apply(before) : *genText();
        const qsizetype maxLines = *rc::gen::element<qsizetype>(0, 3, 20000);
        const TextOperation op = lineDiff(before, after, maxLines);
        RC_ASSERT(isNormalized(op));
        RC_ASSERT(op.baseLength() == before.size());
        const auto applied = op.apply(before);
        RC_ASSERT(applied.hasValue());
        RC_ASSERT(*applied == after);
        for (const TextOperation::Component &c : op.components()) {
            if (c.kind == TextOperation::Kind::Insert)
                RC_ASSERT(!c.text.front().isLowSurrogate() && !c.text.back().isHighSurrogate());
        }
    }));
}

// Two words changed on lines far apart: two places, each only the word (where the one replace is everything
// between them); a line inserted: one insert of that line.
void tst_TextOperation::lineDiffFindsEachPlace()
{
    const QString before = QStringLiteral("one two\nkeep\nkeep\nthree four\n");
    const QString after = QStringLiteral("one 2\nkeep\nkeep\nthree 4\n");
    QCOMPARE(QString::fromUtf8(lineDiff(before, after).toJsonBytes()), QStringLiteral(R"([4,"2",-3,17,"4",-4,1])"));
    QCOMPARE(QString::fromUtf8(TextOperation::makeDiff(before, after).toJsonBytes()), QStringLiteral(R"([4,"2\nkeep\nkeep\nthree 4",-24,1])"));
    QCOMPARE(QString::fromUtf8(lineDiff(QStringLiteral("a\nb\n"), QStringLiteral("a\nnew\nb\n")).toJsonBytes()),
             QStringLiteral(R"([2,"new\n",2])"));
    // Every line changed, each a little: line by line, each change widened to whole words.
    QCOMPARE(QString::fromUtf8(lineDiff(QStringLiteral("Hello\nthere"), QStringLiteral("ello\nthere world")).toJsonBytes()),
             QStringLiteral(R"(["ello",-5,6," world"])"));
    QCOMPARE(QString::fromUtf8(lineDiff(QStringLiteral("Hiring: two engineers start in March.\n"),
                                        QStringLiteral("Hiring: three engineers start in April.\n")).toJsonBytes()),
             QStringLiteral(R"([8,"three",-3,20,"April",-5,2])"));

    // For a reader: a whole-text replace (as a file saved over the document is sent) becomes the two places; an
    // operation that already says less stays as it is.
    const TextOperation replaceAll = TextOperation().remove(before.size()).insert(after);
    QCOMPARE(collab::readableDiff(before, replaceAll), lineDiff(before, after));
    const TextOperation small = TextOperation().retain(4).remove(3).insert(QStringLiteral("2")).retain(before.size() - 7);
    QCOMPARE(collab::readableDiff(before, small), small);
}

#include "tst_textoperation.moc"
