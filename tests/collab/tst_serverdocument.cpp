// SPDX-License-Identifier: MIT
#include "serverdocument.h"
#include "textoperation.h"

#include "generators.h"

#include <QTest>

#include <vector>

using collab::ErrorCode;
using collab::ServerDocument;
using collab::Selection;
using collab::TextOperation;

namespace {

TextOperation op(const char *json)
{
    auto parsed = TextOperation::fromJsonBytes(QByteArray(json));
    if (!parsed)
        qFatal("bad operation in test data: %s (%s)", json, qPrintable(parsed.error().message));
    return *parsed;
}

// The fixture of the error table: loaded from a snapshot at revision 5, then alice's sequences 1 and 2
// landed as revisions 6 and 7:
//   revision 5: "héllo 😀 wörld"          (14 units; the pair is at 6..7)
//   revision 6: "héllo 😀 wörld!"         alice #1: [14,"!"]
//   revision 7: "Oh, héllo 😀 wörld!"     alice #2: ["Oh, ",15]
ServerDocument errorFixture()
{
    ServerDocument doc(QStringLiteral("h\u00E9llo \U0001F600 w\u00F6rld"), 5);
    if (!doc.receive(5, op("[14,\"!\"]"), QStringLiteral("alice"), 1))
        qFatal("fixture: first receive failed");
    if (!doc.receive(6, op("[\"Oh, \",15]"), QStringLiteral("alice"), 2))
        qFatal("fixture: second receive failed");
    return doc;
}

// Applies a server's history to a QString, checking each entry on the way.
QString replayHistory(QString text, const std::vector<ServerDocument::LogEntry> &entries)
{
    for (const auto &e : entries) {
        auto next = e.operation.apply(text);
        if (!next)
            return QStringLiteral("<history does not apply: %1>").arg(next.error().message);
        text = *next;
    }
    return text;
}

} // namespace

class tst_ServerDocument : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void senderSelectionFollowsConcurrentEdits();
    void fixture();
    void errors_data();
    void errors();
    void newClientStartsAtOne();
    void concurrent_data();
    void concurrent();
    void dedupRebuiltAfterReplay();
    void replayRejectsBadEntry();
    void operationsSince_data();
    void operationsSince();
    void trimAndPrependHistory();
    void transformWorkCountsHistory();

    void propertyTwoConcurrentClients();
    void propertyRandomBaseRevisions();
};

void tst_ServerDocument::fixture()
{
    const ServerDocument doc = errorFixture();
    QCOMPARE(doc.revision(), 7);
    QCOMPARE(doc.historyStart(), 5);
    QCOMPARE(doc.text().toString(), QStringLiteral("Oh, h\u00E9llo \U0001F600 w\u00F6rld!"));
    QCOMPARE(doc.lastApplied(QStringLiteral("alice"))->revision, 7);
    QCOMPARE(doc.lastApplied(QStringLiteral("alice"))->sequence, qint64(2));
    QVERIFY(!doc.lastApplied(QStringLiteral("bob")).has_value());
}

void tst_ServerDocument::errors_data()
{
    QTest::addColumn<int>("baseRevision");
    QTest::addColumn<QString>("clientId");
    QTest::addColumn<qint64>("sequence");
    QTest::addColumn<QByteArray>("operation");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("mentions");

    const QString alice = QStringLiteral("alice");
    const QString bob = QStringLiteral("bob");
    // At revision 7 the text has 19 units; the pair is at 10..11.
    QTest::newRow("revision from the future")
        << 8 << bob << qint64(1) << QByteArray("[19,\"x\"]") << int(ErrorCode::RevisionFromFuture)
        << QStringLiteral("8");
    QTest::newRow("revision too old")
        << 4 << bob << qint64(1) << QByteArray("[14,\"x\"]") << int(ErrorCode::RevisionTooOld)
        << QStringLiteral("4");
    QTest::newRow("negative revision")
        << -1 << bob << qint64(1) << QByteArray("[14,\"x\"]") << int(ErrorCode::RevisionTooOld)
        << QStringLiteral("-1");
    QTest::newRow("re-sent last operation names its revision")
        << 6 << alice << qint64(2) << QByteArray("[\"Oh, \",15]") << int(ErrorCode::DuplicateOperation)
        << QStringLiteral("revision 7");
    QTest::newRow("re-sent older operation names its revision")
        << 5 << alice << qint64(1) << QByteArray("[14,\"!\"]") << int(ErrorCode::DuplicateOperation)
        << QStringLiteral("revision 6");
    QTest::newRow("duplicate is checked before the revision")
        << 99 << alice << qint64(2) << QByteArray("[1]") << int(ErrorCode::DuplicateOperation)
        << QStringLiteral("revision 7");
    QTest::newRow("sequence skips ahead")
        << 7 << alice << qint64(4) << QByteArray("[19,\"x\"]") << int(ErrorCode::OutOfOrderSequence)
        << QStringLiteral("expected 3");
    QTest::newRow("new client with sequence 0")
        << 7 << bob << qint64(0) << QByteArray("[19,\"x\"]") << int(ErrorCode::OutOfOrderSequence)
        << QStringLiteral("0");
    QTest::newRow("wrong base length")
        << 7 << bob << qint64(1) << QByteArray("[20,\"x\"]") << int(ErrorCode::BaseLengthMismatch)
        << QStringLiteral("20");
    QTest::newRow("wrong base length for its base revision")
        << 6 << bob << qint64(1) << QByteArray("[19,\"x\"]") << int(ErrorCode::BaseLengthMismatch)
        << QStringLiteral("revision 7");
    QTest::newRow("insert inside a surrogate pair")
        << 7 << bob << qint64(1) << QByteArray("[11,\"x\",8]") << int(ErrorCode::SplitsSurrogatePair)
        << QStringLiteral("position 11");
    QTest::newRow("delete half a pair, transformed from an older revision")
        << 5 << bob << qint64(1) << QByteArray("[7,-1,6]") << int(ErrorCode::SplitsSurrogatePair)
        << QStringLiteral("position 11");
}

void tst_ServerDocument::errors()
{
    QFETCH(int, baseRevision);
    QFETCH(QString, clientId);
    QFETCH(qint64, sequence);
    QFETCH(QByteArray, operation);
    QFETCH(int, code);
    QFETCH(QString, mentions);

    ServerDocument doc = errorFixture();
    const QString textBefore = doc.text().toString();
    const auto aliceBefore = doc.lastApplied(QStringLiteral("alice"));
    const auto bobBefore = doc.lastApplied(QStringLiteral("bob"));

    const auto result = doc.receive(baseRevision, op(operation.constData()), clientId, sequence);
    QVERIFY(!result.hasValue());
    QCOMPARE(errorCodeName(result.error().code), errorCodeName(ErrorCode(code)));
    QVERIFY2(result.error().message.contains(mentions), qPrintable(result.error().message));

    QCOMPARE(doc.text().toString(), textBefore);
    QCOMPARE(doc.revision(), 7);
    QCOMPARE(doc.historyStart(), 5);
    QCOMPARE(doc.history().size(), size_t(2));
    QCOMPARE(doc.lastApplied(QStringLiteral("alice"))->sequence, aliceBefore->sequence);
    QCOMPARE(doc.lastApplied(QStringLiteral("alice"))->revision, aliceBefore->revision);
    QCOMPARE(doc.lastApplied(QStringLiteral("bob")).has_value(), bobBefore.has_value());
}

void tst_ServerDocument::newClientStartsAtOne()
{
    ServerDocument doc = errorFixture();
    // A first sequence other than 1 would make the client's real operations look like resends (or, near
    // 2^53, lock it out): refused, nothing changes.
    for (const qint64 first : {qint64(2), qint64(41), qint64(1) << 53}) {
        const auto refused = doc.receive(7, op("[19,\"?\"]"), QStringLiteral("carol"), first);
        QVERIFY(!refused.hasValue());
        QCOMPARE(refused.error().code, ErrorCode::OutOfOrderSequence);
        QVERIFY2(refused.error().message.contains(QLatin1String("first is 1")), qPrintable(refused.error().message));
        QVERIFY(!doc.lastApplied(QStringLiteral("carol")));
        QCOMPARE(doc.revision(), 7);
    }
    // A client storage knows (its operations predate the loaded log) resumes after its last sequence.
    doc.rememberApplied(QStringLiteral("carol"), ServerDocument::Applied{41, 3});
    doc.rememberApplied(QStringLiteral("alice"), ServerDocument::Applied{1, 1}); // known in memory: ignored
    QCOMPARE(doc.lastApplied(QStringLiteral("alice"))->sequence, qint64(2));
    auto first = doc.receive(7, op("[19,\"?\"]"), QStringLiteral("carol"), 42);
    QVERIFY(first.hasValue());
    QCOMPARE(first->revision, 8);
    QCOMPARE(doc.receive(8, op("[20,\"!\"]"), QStringLiteral("carol"), 44).error().code,
             ErrorCode::OutOfOrderSequence);
    QVERIFY(doc.receive(8, op("[20,\"!\"]"), QStringLiteral("carol"), 43).hasValue());
    QCOMPARE(doc.text().toString(), QStringLiteral("Oh, h\u00E9llo \U0001F600 w\u00F6rld!?!"));
}

// Two clients edit revision 0 concurrently; alice's operation arrives first, bob's is transformed over it.
void tst_ServerDocument::concurrent_data()
{
    QTest::addColumn<QString>("initial");
    QTest::addColumn<QByteArray>("alice");
    QTest::addColumn<QByteArray>("bob");
    QTest::addColumn<QByteArray>("bobTransformed");
    QTest::addColumn<QString>("expected");

    QTest::newRow("inserts at different places")
        << QStringLiteral("\U0001F600 cat") << QByteArray("[\"A \",6]") << QByteArray("[6,\" \u732B\"]")
        << QByteArray("[8,\" \u732B\"]") << QStringLiteral("A \U0001F600 cat \u732B");
    QTest::newRow("same place: the later arrival goes first (ot.js server)")
        << QStringLiteral("ab") << QByteArray("[1,\"x\",1]") << QByteArray("[1,\"y\",1]")
        << QByteArray("[1,\"y\",2]") << QStringLiteral("ayxb");
    QTest::newRow("overlapping deletes")
        << QStringLiteral("e\u0301\U0001F44D\U0001F3FDz") << QByteArray("[-4,3]") << QByteArray("[2,-4,1]")
        << QByteArray("[-2,1]") << QStringLiteral("z");
    QTest::newRow("insert inside a deleted range")
        << QStringLiteral("0123456789") << QByteArray("[2,-6,2]") << QByteArray("[5,\"\U0001F600\",5]")
        << QByteArray("[2,\"\U0001F600\",2]") << QStringLiteral("01\U0001F60089");
}

void tst_ServerDocument::concurrent()
{
    QFETCH(QString, initial);
    QFETCH(QByteArray, alice);
    QFETCH(QByteArray, bob);
    QFETCH(QByteArray, bobTransformed);
    QFETCH(QString, expected);

    ServerDocument doc(initial, 0);
    const auto a = doc.receive(0, op(alice.constData()), QStringLiteral("alice"), 1);
    QVERIFY(a.hasValue());
    QCOMPARE(a->revision, 1);
    QCOMPARE(a->operation, op(alice.constData())); // nothing to transform over
    const auto b = doc.receive(0, op(bob.constData()), QStringLiteral("bob"), 1);
    QVERIFY2(b.hasValue(), qPrintable(b ? QString() : b.error().message));
    QCOMPARE(b->revision, 2);
    QCOMPARE(b->operation.toJsonBytes(), op(bobTransformed.constData()).toJsonBytes());
    QCOMPARE(doc.text().toString(), expected);
    QCOMPARE(doc.history().back().operation, b->operation);
    QCOMPARE(doc.history().back().clientId, QStringLiteral("bob"));
}

void tst_ServerDocument::dedupRebuiltAfterReplay()
{
    ServerDocument live(QStringLiteral("\u4F60\u597D"), 0);
    QVERIFY(live.receive(0, op("[2,\" \U0001F30F\"]"), QStringLiteral("alice"), 1));
    QVERIFY(live.receive(0, op("[\"\u00A1\",2]"), QStringLiteral("bob"), 1));
    QVERIFY(live.receive(2, op("[6,\"!\"]"), QStringLiteral("alice"), 2));
    QCOMPARE(live.revision(), 3);

    // A relay restarts: snapshot at 0, then the stored log.
    ServerDocument restored(QStringLiteral("\u4F60\u597D"), 0);
    for (const auto &entry : live.history())
        QVERIFY(!restored.replay(entry).has_value());
    QCOMPARE(restored.revision(), 3);
    QCOMPARE(restored.text().toString(), live.text().toString());
    QCOMPARE(restored.lastApplied(QStringLiteral("alice"))->revision, 3);
    QCOMPARE(restored.lastApplied(QStringLiteral("alice"))->sequence, qint64(2));
    QCOMPARE(restored.lastApplied(QStringLiteral("bob"))->revision, 2);
    QCOMPARE(restored.lastApplied(QStringLiteral("bob"))->sequence, qint64(1));

    // bob's acknowledgement was lost and he resends: re-acknowledged, not applied twice.
    const auto dup = restored.receive(0, op("[\"\u00A1\",2]"), QStringLiteral("bob"), 1);
    QVERIFY(!dup.hasValue());
    QCOMPARE(dup.error().code, ErrorCode::DuplicateOperation);
    QVERIFY2(dup.error().message.contains(QStringLiteral("revision 2")), qPrintable(dup.error().message));
    QCOMPARE(restored.text().toString(), live.text().toString());
    QCOMPARE(restored.receive(3, op("[7,\"?\"]"), QStringLiteral("bob"), 9).error().code,
             ErrorCode::OutOfOrderSequence);
    QVERIFY(restored.receive(3, op("[7,\"?\"]"), QStringLiteral("bob"), 2).hasValue());
}

void tst_ServerDocument::replayRejectsBadEntry()
{
    ServerDocument doc(QStringLiteral("a\U0001F600"), 3);
    const auto error = doc.replay({op("[2,\"x\",1]"), QStringLiteral("alice"), 1});
    QVERIFY(error.has_value());
    QCOMPARE(error->code, ErrorCode::SplitsSurrogatePair);
    QCOMPARE(doc.revision(), 3);
    QVERIFY(doc.history().empty());
    QVERIFY(!doc.lastApplied(QStringLiteral("alice")).has_value());
    QCOMPARE(doc.replay({op("[4]"), QStringLiteral("alice"), 1})->code, ErrorCode::BaseLengthMismatch);
}

void tst_ServerDocument::operationsSince_data()
{
    QTest::addColumn<int>("since");
    QTest::addColumn<bool>("inMemory");
    QTest::addColumn<int>("count");
    // History holds revisions 11..14 (start 10, revision 14).
    QTest::newRow("before history") << 9 << false << 0;
    QTest::newRow("history start") << 10 << true << 4;
    QTest::newRow("middle") << 12 << true << 2;
    QTest::newRow("latest") << 14 << true << 0;
    QTest::newRow("future") << 15 << false << 0;
}

void tst_ServerDocument::operationsSince()
{
    QFETCH(int, since);
    QFETCH(bool, inMemory);
    QFETCH(int, count);

    const QString start = QStringLiteral("\U0001F3B2");
    ServerDocument doc(start, 10);
    const char *ops[] = {"[2,\"a\"]", "[\"b\",3]", "[-1,3]", "[2,\"\u0301\",1]"};
    qint64 sequence = 0;
    for (const char *json : ops)
        QVERIFY(doc.receive(doc.revision(), op(json), QStringLiteral("dana"), ++sequence));
    QCOMPARE(doc.revision(), 14);

    const auto entries = doc.operationsSince(since);
    QCOMPARE(entries.has_value(), inMemory);
    if (!inMemory)
        return;
    QCOMPARE(int(entries->size()), count);
    for (int i = 0; i < count; ++i) {
        QCOMPARE((*entries)[size_t(i)].operation, op(ops[since - 10 + i]));
        QCOMPARE((*entries)[size_t(i)].sequence, qint64(since - 10 + i + 1));
    }
    // A client at `since` that applies them reaches the server's text.
    const auto older = doc.operationsSince(10);
    QVERIFY(older.has_value());
    std::vector<ServerDocument::LogEntry> upToSince(older->begin(), older->begin() + (since - 10));
    QCOMPARE(replayHistory(replayHistory(start, upToSince), *entries), doc.text().toString());
}

void tst_ServerDocument::trimAndPrependHistory()
{
    ServerDocument doc(QStringLiteral("x"), 0);
    for (qint64 s = 1; s <= 5; ++s)
        QVERIFY(doc.receive(int(s - 1), TextOperation::makeInsert(doc.length(), 0, QStringLiteral("\u00E9")),
                            QStringLiteral("erin"), s));
    const std::vector<ServerDocument::LogEntry> all(doc.history().begin(), doc.history().end());

    doc.trimHistory(3);
    QCOMPARE(doc.historyStart(), 3);
    QCOMPARE(doc.history().size(), size_t(2));
    QVERIFY(!doc.operationsSince(2).has_value());
    QCOMPARE(doc.receive(2, op("[4,\"y\"]"), QStringLiteral("finn"), 1).error().code, ErrorCode::RevisionTooOld);
    // Dedup survives the trim.
    QCOMPARE(doc.receive(0, op("[\"\u00E9\",1]"), QStringLiteral("erin"), 1).error().code,
             ErrorCode::DuplicateOperation);

    doc.prependHistory(std::vector<ServerDocument::LogEntry>(all.begin(), all.begin() + 3));
    QCOMPARE(doc.historyStart(), 0);
    QCOMPARE(replayHistory(QStringLiteral("x"), *doc.operationsSince(0)), doc.text().toString());
    const auto late = doc.receive(2, op("[3,\"y\"]"), QStringLiteral("finn"), 1);
    QVERIFY(late.hasValue());
    QCOMPARE(doc.text().toString(), QStringLiteral("\u00E9\u00E9\u00E9\u00E9\u00E9xy"));
}

// The relay bounds the work of moving an operation or a selection to the present by this count: every
// operation after the revision costs its fixed part plus its components, and trimmed history is charged at
// the stated worst case (it would be read back from storage).
void tst_ServerDocument::transformWorkCountsHistory()
{
    ServerDocument doc(QStringLiteral("abc"), 0);
    QVERIFY(doc.receive(0, op("[3,\"x\"]"), QStringLiteral("erin"), 1));       // 2 components
    QVERIFY(doc.receive(1, op("[1,-1,2]"), QStringLiteral("erin"), 2));          // 3
    QVERIFY(doc.receive(2, op("[\"y\",3]"), QStringLiteral("erin"), 3));       // 2
    QCOMPARE(doc.transformWork(3, 10, 1, 100), qint64(0));
    QCOMPARE(doc.transformWork(2, 10, 1, 100), qint64(10 + 2));
    QCOMPARE(doc.transformWork(0, 10, 1, 100), qint64(3 * 10 + 2 + 3 + 2));
    QCOMPARE(doc.transformWork(0, 0, 2, 100), qint64(2 * (2 + 3 + 2)));
    doc.trimHistory(2);
    QCOMPARE(doc.transformWork(2, 10, 1, 100), qint64(10 + 2));
    QCOMPARE(doc.transformWork(0, 10, 1, 100), qint64(2 * (10 + 100) + 10 + 2));
}

// Two clients edit the same revision; whatever they did, the server's text is the top of the diamond, and
// reachable by either path.
void tst_ServerDocument::propertyTwoConcurrentClients()
{
    const auto property = [] {
        const QString initial = *genText();
        const TextOperation a = *genOperation(initial);
        const TextOperation b = *genOperation(initial);
        ServerDocument doc(initial, 0);
        const auto ra = doc.receive(0, a, QStringLiteral("alice"), 1);
        RC_ASSERT(ra.hasValue());
        const auto rb = doc.receive(0, b, QStringLiteral("bob"), 1);
        RC_ASSERT(rb.hasValue());
        RC_ASSERT(rb->revision == 2);

        const auto pair = TextOperation::transform(b, a); // (b', a'): b'(a(S)) == a'(b(S))
        RC_ASSERT(pair.hasValue());
        RC_ASSERT(rb->operation == pair->first);
        const QString viaAlice = *pair->first.apply(*a.apply(initial));
        const QString viaBob = *pair->second.apply(*b.apply(initial));
        RC_ASSERT(doc.text().toString() == viaAlice);
        RC_ASSERT(doc.text().toString() == viaBob);
    };
    QVERIFY(rc::check("two concurrent operations converge on the server", property));
}

// Clients send operations made at random past revisions; the server's log replays to its text, every
// committed operation keeps the text free of split pairs, and operationsSince agrees with history.
void tst_ServerDocument::propertyRandomBaseRevisions()
{
    const auto property = [] {
        const QString initial = *genText();
        ServerDocument doc(initial, 0);
        std::vector<QString> texts{initial}; // texts[r] = document at revision r
        QHash<QString, qint64> sequences;
        const int steps = *rc::gen::inRange(1, 12);
        for (int i = 0; i < steps; ++i) {
            const int base = *rc::gen::inRange(0, doc.revision() + 1);
            const QString client = *rc::gen::element(QStringLiteral("a"), QStringLiteral("b"),
                                                      QStringLiteral("c"));
            const TextOperation o = *genOperation(texts[size_t(base)]);
            const auto receipt = doc.receive(base, o, client, ++sequences[client]);
            RC_ASSERT(receipt.hasValue());
            RC_ASSERT(receipt->revision == int(texts.size()));
            const auto next = receipt->operation.apply(texts.back());
            RC_ASSERT(next.hasValue());
            texts.push_back(*next);
            RC_ASSERT(doc.text().toString() == texts.back());
            RC_ASSERT(doc.lastApplied(client)->revision == receipt->revision);
        }
        const auto all = doc.operationsSince(0);
        RC_ASSERT(all.has_value());
        RC_ASSERT(replayHistory(initial, *all) == doc.text().toString());
        const int since = *rc::gen::inRange(0, doc.revision() + 1);
        RC_ASSERT(replayHistory(texts[size_t(since)], *doc.operationsSince(since)) == doc.text().toString());
    };
    QVERIFY(rc::check("operations from random base revisions are transformed and logged", property));
}

// A selection sent with an operation made before concurrent edits lands on the same text after them.
void tst_ServerDocument::senderSelectionFollowsConcurrentEdits()
{
    ServerDocument doc(QStringLiteral("hello world"), 0);
    QVERIFY(doc.receive(0, TextOperation::makeInsert(11, 0, QStringLiteral(">> ")), QStringLiteral("a"), 1));
    QVERIFY(doc.receive(1, TextOperation::makeDelete(14, 13, 1), QStringLiteral("a"), 2)); // "... worl"
    // b, still at revision 0, types "!" after "hello" with its caret after the "!".
    const TextOperation op = TextOperation::makeInsert(11, 5, QStringLiteral("!"));
    auto receipt = doc.receive(0, op, QStringLiteral("b"), 1);
    QVERIFY(receipt);
    QCOMPARE(doc.text().toString(), QStringLiteral(">> hello! worl"));
    const Selection moved = doc.senderSelection(Selection::cursor(6), 0, op, *receipt);
    QCOMPARE(moved, Selection::cursor(9)); // still right after the "!"
    // Nothing concurrent: unchanged, and clamped to the text.
    auto next = doc.receive(3, TextOperation::makeInsert(14, 14, QStringLiteral("d")), QStringLiteral("b"), 2);
    QVERIFY(next);
    QCOMPARE(doc.senderSelection(Selection::cursor(15), 3, TextOperation::makeInsert(14, 14, QStringLiteral("d")), *next),
             Selection::cursor(15));
    QCOMPARE(doc.senderSelection(Selection::cursor(99), 3, TextOperation::makeInsert(14, 14, QStringLiteral("d")), *next),
             Selection::cursor(15));
}

QTEST_GUILESS_MAIN(tst_ServerDocument)
#include "tst_serverdocument.moc"
