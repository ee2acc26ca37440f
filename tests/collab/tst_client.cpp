// SPDX-License-Identifier: MIT
#include "client.h"
#include "serverdocument.h"

#include "generators.h"
#include "simulation.h"

#include <QTest>

using collab::Client;
using collab::ErrorCode;
using collab::Selection;
using collab::TextOperation;
using collab::testing::Simulation;

class tst_Client : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scriptedTransitions_data();
    void scriptedTransitions();

    void firstEditIsSent();
    void duplicateAckIgnored();
    void ackWithOtherSequenceIgnored();
    void ackOutOfOrderIsAnError();
    void ownOperationEchoedAsAck();
    void ownOperationReleasesBuffer();
    void oldServerOperationIgnored();
    void gapIsAnError();
    void concurrentInsertsTieBreak();
    void noopNotSent();
    void bufferRejectsWrongBaseLength();
    void offlineEditsWaitForResume();
    void bufferIsTheCompositionOfItsEdits();
    void reconnectRebasesOutstanding();
    void transformSelection_data();
    void transformSelection();
    void restorePending();

    void batchMatchesOneByOne();
    void batchMatchesOneByOneScattered();
    void batchTieAfterDeletion();
    void batchAckReleasesBuffer_data();
    void batchAckReleasesBuffer();
    void batchSkipsDuplicates();
    void batchGapIsAnError();
    void batchWrongBaseLength_data();
    void batchWrongBaseLength();

    void largeEditSentInPiecesThatFit_data();
    void largeEditSentInPiecesThatFit();
    void largeOfflineEditSplitOnResume();
};

namespace {

using Entries = std::vector<Client::ServerEntry>;

// The server's log since `since`, as a catch-up delivers it.
Entries entriesSince(const collab::ServerDocument &server, int since)
{
    Entries entries;
    int revision = since;
    const auto missed = server.operationsSince(since);
    for (const auto &e : *missed)
        entries.push_back({++revision, e.operation, e.clientId, e.sequence});
    return entries;
}

bool sameOutgoing(const std::optional<Client::Outgoing> &a, const std::optional<Client::Outgoing> &b)
{
    if (!a || !b)
        return !a && !b;
    return a->revision == b->revision && a->sequence == b->sequence && a->operation == b->operation;
}

// What one applyServer() call per entry does to a copy of `client` and to its local text.
struct OneByOne
{
    Client client;
    QString text;
    bool applied = false;               // some call returned an operation to apply
    std::optional<Client::Outgoing> sent;
    int sends = 0;
};

OneByOne oneByOne(const Client &client, const QString &local, const Entries &entries)
{
    OneByOne r{client, local, false, std::nullopt, 0};
    for (const Client::ServerEntry &e : entries) {
        const auto effects = r.client.applyServer(e.revision, e.operation, e.authorId, e.authorSequence);
        RC_ASSERT(effects.hasValue());
        if (effects->apply) {
            const auto text = effects->apply->apply(r.text);
            RC_ASSERT(text.hasValue());
            r.text = *text;
            r.applied = true;
        }
        if (effects->send) {
            r.sent = effects->send;
            ++r.sends;
        }
    }
    return r;
}

// applyServerBatch on another copy must leave the same client, text and effects as one call per entry;
// and the local text must be the server's text with our pending edits on top.
void checkBatch(const Client &client, const QString &local, const Entries &entries, const QString &serverText)
{
    const OneByOne expected = oneByOne(client, local, entries);
    Client batched = client;
    const auto effects = batched.applyServerBatch(entries);
    RC_ASSERT(effects.hasValue());
    QString text = local;
    if (effects->apply) {
        const auto applied = effects->apply->apply(local);
        RC_ASSERT(applied.hasValue());
        text = *applied;
    }
    RC_ASSERT(text == expected.text);
    RC_ASSERT(effects->apply.has_value() == expected.applied);
    RC_ASSERT(expected.sends <= 1);
    RC_ASSERT(sameOutgoing(effects->send, expected.sent));
    RC_ASSERT(batched.revision() == expected.client.revision());
    RC_ASSERT(batched.state() == expected.client.state());
    RC_ASSERT(batched.lastSequence() == expected.client.lastSequence());
    RC_ASSERT(sameOutgoing(batched.outstanding(), expected.client.outstanding()));
    RC_ASSERT(batched.buffer() == expected.client.buffer());

    QString pending = serverText;
    if (batched.outstanding()) {
        const auto t = batched.outstanding()->operation.apply(pending);
        RC_ASSERT(t.hasValue());
        pending = *t;
    }
    if (batched.buffer()) {
        const auto t = batched.buffer()->apply(pending);
        RC_ASSERT(t.hasValue());
        pending = *t;
    }
    RC_ASSERT(pending == text);
}

// The server's history since `base`: `count` operations of another client from makeOp(current text), and
// our outstanding operation (as the server transforms it) after the first `ackAt` of them when ackAt >= 0.
template<typename MakeOp>
Entries history(collab::ServerDocument &server, const Client &client, int count, int ackAt, MakeOp makeOp)
{
    const int base = server.revision();
    qint64 sequence = 0;
    for (int i = 0; i <= count; ++i) {
        if (i == ackAt && client.outstanding()) {
            const Client::Outgoing &o = *client.outstanding();
            if (o.sequence > 1) // the client's earlier operations landed before this history
                server.rememberApplied(client.clientId(), collab::ServerDocument::Applied{o.sequence - 1, base});
            RC_ASSERT(server.receive(o.revision, o.operation, client.clientId(), o.sequence).hasValue());
        }
        if (i < count)
            RC_ASSERT(server.receive(server.revision(), makeOp(server.text().toString()), QStringLiteral("other"),
                                     ++sequence)
                          .hasValue());
    }
    return entriesSince(server, base);
}

// The same entries with some of them delivered twice in a row (the second time already seen).
Entries withDuplicates(Entries entries, const std::vector<int> &repeat)
{
    Entries out;
    for (size_t i = 0; i < entries.size(); ++i) {
        out.push_back(entries[i]);
        for (int r : repeat) {
            if (size_t(r) == i)
                out.push_back(entries[i]);
        }
    }
    return out;
}

// A one-character insert, or a delete of `remove` characters, at `position` (modulo the length), never
// splitting a surrogate pair.
TextOperation singleEdit(const QString &doc, int position, int remove, QChar c)
{
    qsizetype p = qsizetype(position) % (doc.size() + 1);
    if (splitsPair(doc, p))
        --p;
    if (remove > 0 && p < doc.size()) {
        qsizetype end = std::min(doc.size(), p + remove);
        if (splitsPair(doc, end))
            ++end;
        return TextOperation::makeDelete(doc.size(), p, end - p);
    }
    return TextOperation::makeInsert(doc.size(), p, QString(c));
}

} // namespace

// Steps on client 0 of a two-client Simulation (document "abc"):
//   l  client 0 types "x" at the start          u  the server reads client 0's next message
//   d  client 0 reads its next message          o  client 1 types "y" at the end and the server applies it
//   x  client 0's link drops                    r  client 0 reconnects (catch up, then resume)
void tst_Client::scriptedTransitions_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<Client::State>("state");
    QTest::addColumn<int>("revision");
    QTest::addColumn<qint64>("lastSequence");
    QTest::addColumn<int>("outstandingRevision"); // -1: none
    QTest::addColumn<int>("sent");                // distinct (client, sequence) pairs sent by client 0

    using S = Client::State;
    QTest::newRow("idle") << "" << S::Synchronized << 0 << qint64(0) << -1 << 0;
    QTest::newRow("edit is sent") << "l" << S::AwaitingAck << 0 << qint64(1) << 0 << 1;
    QTest::newRow("second edit buffered") << "ll" << S::AwaitingAckWithBuffer << 0 << qint64(1) << 0 << 1;
    QTest::newRow("third edit composes into buffer") << "lll" << S::AwaitingAckWithBuffer << 0 << qint64(1) << 0 << 1;
    QTest::newRow("ack") << "lud" << S::Synchronized << 1 << qint64(1) << -1 << 1;
    QTest::newRow("ack sends buffer") << "llud" << S::AwaitingAck << 1 << qint64(2) << 1 << 2;
    QTest::newRow("two acks") << "lludud" << S::Synchronized << 2 << qint64(2) << -1 << 2;
    QTest::newRow("remote edit") << "od" << S::Synchronized << 1 << qint64(0) << -1 << 0;
    QTest::newRow("remote edit while awaiting") << "lod" << S::AwaitingAck << 1 << qint64(1) << 1 << 1;
    QTest::newRow("remote edit then ack") << "loudd" << S::Synchronized << 2 << qint64(1) << -1 << 1;
    QTest::newRow("ack then remote edit with buffer")
        << "lluodd" << S::AwaitingAck << 2 << qint64(2) << 2 << 2;
    QTest::newRow("remote edit with buffer") << "llod" << S::AwaitingAckWithBuffer << 1 << qint64(1) << 1 << 1;
    QTest::newRow("offline edit is held") << "xl" << S::AwaitingAck << 0 << qint64(1) << 0 << 0;
    QTest::newRow("offline edits held") << "xll" << S::AwaitingAckWithBuffer << 0 << qint64(1) << 0 << 0;
    QTest::newRow("offline edit sent on resume") << "xlr" << S::AwaitingAck << 0 << qint64(1) << 0 << 1;
    QTest::newRow("lost message is resent") << "lxr" << S::AwaitingAck << 0 << qint64(1) << 0 << 1;
    QTest::newRow("lost ack recovered from log") << "luxr" << S::Synchronized << 1 << qint64(1) << -1 << 1;
    QTest::newRow("lost ack, buffer sent on resume")
        << "lluxr" << S::AwaitingAck << 1 << qint64(2) << 1 << 2;
    QTest::newRow("resend rebased over missed edits")
        << "lxoolr" << S::AwaitingAckWithBuffer << 2 << qint64(1) << 2 << 1;
    QTest::newRow("resend acked") << "lxorud" << S::Synchronized << 2 << qint64(1) << -1 << 1;
}

void tst_Client::scriptedTransitions()
{
    QFETCH(QString, script);
    QFETCH(Client::State, state);
    QFETCH(int, revision);
    QFETCH(qint64, lastSequence);
    QFETCH(int, outstandingRevision);
    QFETCH(int, sent);

    Simulation sim(QStringLiteral("abc"), 2);
    for (const QChar step : script) {
        const QString &text0 = sim.peer(0).text;
        switch (step.unicode()) {
        case 'l': sim.localEdit(0, TextOperation::makeInsert(text0.size(), 0, QStringLiteral("x"))); break;
        case 'u': QVERIFY(!sim.peer(0).up.empty()); sim.deliverUp(0); break;
        case 'd': QVERIFY(!sim.peer(0).down.empty()); sim.deliverDown(0); break;
        case 'o': {
            const QString &text1 = sim.peer(1).text;
            sim.localEdit(1, TextOperation::makeInsert(text1.size(), text1.size(), QStringLiteral("y")));
            sim.deliverUp(1);
            sim.deliverDown(1);
            break;
        }
        case 'x': sim.disconnect(0); break;
        case 'r': sim.reconnect(0); break;
        default: QFAIL("unknown step");
        }
        QVERIFY2(sim.failure().isEmpty(), qPrintable(sim.failure()));
    }

    const Client &c = sim.peer(0).client;
    QCOMPARE(c.state(), state);
    QCOMPARE(c.revision(), revision);
    QCOMPARE(c.lastSequence(), lastSequence);
    QCOMPARE(c.outstanding() ? c.outstanding()->revision : -1, outstandingRevision);
    int sentByZero = 0;
    for (const auto &[id, sequence] : sim.sent())
        sentByZero += id == c.clientId() ? 1 : 0;
    QCOMPARE(sentByZero, sent);

    // Whatever the state, finishing the exchange converges.
    sim.drain();
    QVERIFY2(sim.failure().isEmpty(), qPrintable(sim.failure()));
    QCOMPARE(sim.peer(0).text, sim.server().text().toString());
    QCOMPARE(sim.peer(1).text, sim.server().text().toString());
    QCOMPARE(sim.server().revision(), int(sim.sent().size()));
    QCOMPARE(sim.peer(0).text.count(QLatin1Char('x')), script.count(QLatin1Char('l')));
}

void tst_Client::firstEditIsSent()
{
    Client c(QStringLiteral("a"), 7, 41);
    const TextOperation op = TextOperation::makeInsert(3, 1, QStringLiteral("z"));
    const auto effects = c.applyClient(op);
    QVERIFY(effects.hasValue());
    QVERIFY(effects->send.has_value());
    QVERIFY(!effects->apply.has_value());
    QCOMPARE(effects->send->revision, 7);
    QCOMPARE(effects->send->sequence, qint64(42));
    QVERIFY(effects->send->operation == op);
    QCOMPARE(c.state(), Client::State::AwaitingAck);
}

void tst_Client::duplicateAckIgnored()
{
    Client c(QStringLiteral("a"));
    QVERIFY(c.applyClient(TextOperation::makeInsert(0, 0, QStringLiteral("x"))).hasValue());
    const auto first = c.serverAck(1, 1);
    QVERIFY(first.hasValue());
    QCOMPARE(c.state(), Client::State::Synchronized);
    QCOMPARE(c.revision(), 1);

    const auto again = c.serverAck(1, 1);
    QVERIFY(again.hasValue());
    QVERIFY(!again->send && !again->apply);
    QCOMPARE(c.state(), Client::State::Synchronized);
    QCOMPARE(c.revision(), 1);

    // Still ignored once a newer operation is outstanding.
    QVERIFY(c.applyClient(TextOperation::makeInsert(1, 1, QStringLiteral("y"))).hasValue());
    const auto stale = c.serverAck(1, 1);
    QVERIFY(stale.hasValue());
    QVERIFY(!stale->send && !stale->apply);
    QCOMPARE(c.state(), Client::State::AwaitingAck);
    QCOMPARE(c.outstanding()->sequence, qint64(2));
}

void tst_Client::ackWithOtherSequenceIgnored()
{
    Client c(QStringLiteral("a"));
    const auto ignored = c.serverAck(1, 1); // nothing outstanding
    QVERIFY(ignored.hasValue());
    QCOMPARE(c.revision(), 0);
    QVERIFY(c.applyClient(TextOperation::makeInsert(0, 0, QStringLiteral("x"))).hasValue());
    QVERIFY(c.serverAck(1, 5).hasValue());
    QCOMPARE(c.state(), Client::State::AwaitingAck);
    QCOMPARE(c.revision(), 0);
}

void tst_Client::ackOutOfOrderIsAnError()
{
    Client c(QStringLiteral("a"));
    QVERIFY(c.applyClient(TextOperation::makeInsert(0, 0, QStringLiteral("x"))).hasValue());
    const auto result = c.serverAck(3, 1); // revisions 1 and 2 were never seen
    QVERIFY(!result.hasValue());
    QCOMPARE(result.error().code, ErrorCode::InvalidState);
    QCOMPARE(c.state(), Client::State::AwaitingAck);
    QCOMPARE(c.revision(), 0);
}

void tst_Client::ownOperationEchoedAsAck()
{
    Client c(QStringLiteral("a"));
    const TextOperation op = TextOperation::makeInsert(2, 1, QStringLiteral("x"));
    QVERIFY(c.applyClient(op).hasValue());
    const auto effects = c.applyServer(1, op, QStringLiteral("a"), 1);
    QVERIFY(effects.hasValue());
    QVERIFY(!effects->apply); // already in the local document
    QVERIFY(!effects->send);
    QCOMPARE(c.state(), Client::State::Synchronized);
    QCOMPARE(c.revision(), 1);
}

void tst_Client::ownOperationReleasesBuffer()
{
    Client c(QStringLiteral("a"));
    const TextOperation first = TextOperation::makeInsert(2, 1, QStringLiteral("x"));
    const TextOperation second = TextOperation::makeInsert(3, 3, QStringLiteral("y"));
    QVERIFY(c.applyClient(first).hasValue());
    QVERIFY(c.applyClient(second).hasValue());
    const auto effects = c.applyServer(1, first, QStringLiteral("a"), 1);
    QVERIFY(effects.hasValue());
    QVERIFY(effects->send.has_value());
    QCOMPARE(effects->send->revision, 1);
    QCOMPARE(effects->send->sequence, qint64(2));
    QVERIFY(effects->send->operation == second);
    QCOMPARE(c.state(), Client::State::AwaitingAck);
}

void tst_Client::oldServerOperationIgnored()
{
    Client c(QStringLiteral("a"), 5);
    const auto effects = c.applyServer(5, TextOperation::makeInsert(0, 0, QStringLiteral("q")), QStringLiteral("b"), 1);
    QVERIFY(effects.hasValue());
    QVERIFY(!effects->apply && !effects->send);
    QCOMPARE(c.revision(), 5);
}

void tst_Client::gapIsAnError()
{
    Client c(QStringLiteral("a"), 5);
    const auto effects = c.applyServer(7, TextOperation::makeInsert(0, 0, QStringLiteral("q")), QStringLiteral("b"), 1);
    QVERIFY(!effects.hasValue());
    QCOMPARE(effects.error().code, ErrorCode::InvalidState);
    QCOMPARE(c.revision(), 5);
}

void tst_Client::concurrentInsertsTieBreak()
{
    // Both insert at position 1 of "ab". The server applied the other's first; ours, transformed on the
    // server with ours as the first argument, goes before it. The client must agree.
    Client c(QStringLiteral("a"));
    QVERIFY(c.applyClient(TextOperation::makeInsert(2, 1, QStringLiteral("X"))).hasValue());
    const auto effects = c.applyServer(1, TextOperation::makeInsert(2, 1, QStringLiteral("Y")), QStringLiteral("b"), 1);
    QVERIFY(effects.hasValue());
    QVERIFY(effects->apply.has_value());
    const auto local = effects->apply->apply(QStringLiteral("aXb"));
    QVERIFY(local.hasValue());
    QCOMPARE(*local, QStringLiteral("aXYb"));
    const auto server = c.outstanding()->operation.apply(QStringLiteral("aYb"));
    QVERIFY(server.hasValue());
    QCOMPARE(*server, QStringLiteral("aXYb"));
    QCOMPARE(c.outstanding()->revision, 1);
}

void tst_Client::noopNotSent()
{
    Client c(QStringLiteral("a"));
    const auto effects = c.applyClient(TextOperation().retain(4));
    QVERIFY(effects.hasValue());
    QVERIFY(!effects->send);
    QCOMPARE(c.state(), Client::State::Synchronized);
    QCOMPARE(c.lastSequence(), qint64(0));
}

void tst_Client::bufferRejectsWrongBaseLength()
{
    Client c(QStringLiteral("a"));
    QVERIFY(c.applyClient(TextOperation::makeInsert(2, 0, QStringLiteral("x"))).hasValue()); // doc now 3
    const auto wrong = c.applyClient(TextOperation::makeInsert(5, 0, QStringLiteral("y")));
    QVERIFY(!wrong.hasValue());
    QCOMPARE(wrong.error().code, ErrorCode::BaseLengthMismatch);
    QCOMPARE(c.state(), Client::State::AwaitingAck);
    QVERIFY(c.applyClient(TextOperation::makeInsert(3, 0, QStringLiteral("y"))).hasValue());
    const auto wrongAgain = c.applyClient(TextOperation::makeInsert(9, 0, QStringLiteral("z")));
    QVERIFY(!wrongAgain.hasValue());
    QCOMPARE(c.buffer()->targetLength(), 4);
}

// The buffer composes its edits lazily (a binary counter of parts, joined when read): whenever it is read,
// between edits, after a refused edit, it is exactly their composition one after the other.
void tst_Client::bufferIsTheCompositionOfItsEdits()
{
    QVERIFY(rc::check("the lazily composed buffer equals composing each edit in turn", [] {
        const QString doc = *rc::gen::map(rc::gen::container<std::string>(rc::gen::inRange('a', char('z' + 1))),
                                          [](const std::string &s) { return QString::fromStdString(s); });
        Client client(QStringLiteral("me"), 3, 0);
        client.disconnected();
        QString local = doc;
        std::optional<TextOperation> expected; // the edits after the first (the outstanding one), composed eagerly
        bool outstandingSet = false;
        const int edits = *rc::gen::inRange(1, 300);
        for (int i = 0; i < edits; ++i) {
            const TextOperation op = *rc::gen::inRange(0, 10) == 0
                                         ? *genOperation(local)
                                         : singleEdit(local, *rc::gen::inRange(0, 1 << 20), *rc::gen::inRange(0, 3),
                                                      QChar(u'A' + char16_t(i % 26)));
            if (op.isNoop())
                continue;
            RC_ASSERT(client.applyClient(op).hasValue());
            local = *op.apply(local);
            if (outstandingSet)
                expected = expected ? *expected->compose(op) : op;
            outstandingSet = true;
            if (*rc::gen::inRange(0, 8) == 0) {
                // A wrong edit changes nothing; a read joins what is pending.
                RC_ASSERT(!client.applyClient(TextOperation().retain(local.size() + 1).insert(QStringLiteral("?"))).hasValue());
                RC_ASSERT(client.buffer() == expected);
            }
        }
        RC_ASSERT(client.buffer() == expected);
        RC_ASSERT(client.outstanding().has_value() == outstandingSet);
        if (!outstandingSet)
            return;
        QString replayed = *client.outstanding()->operation.apply(doc);
        if (client.buffer())
            replayed = *client.buffer()->apply(replayed);
        RC_ASSERT(replayed == local);
    }));
}

void tst_Client::offlineEditsWaitForResume()
{
    Client c(QStringLiteral("a"), 3, 10);
    c.disconnected();
    QVERIFY(!c.isOnline());
    const auto first = c.applyClient(TextOperation::makeInsert(0, 0, QStringLiteral("x")));
    const auto second = c.applyClient(TextOperation::makeInsert(1, 1, QStringLiteral("y")));
    QVERIFY(first.hasValue() && second.hasValue());
    QVERIFY(!first->send && !second->send);
    const Client::Effects resumed = c.resumed();
    QVERIFY(c.isOnline());
    QVERIFY(resumed.send.has_value());
    QCOMPARE(resumed.send->sequence, qint64(11));
    QCOMPARE(resumed.send->revision, 3);
    QVERIFY(resumed.send->operation == TextOperation::makeInsert(0, 0, QStringLiteral("x")));
    const auto acked = c.serverAck(4, 11);
    QVERIFY(acked.hasValue() && acked->send.has_value());
    QCOMPARE(acked->send->sequence, qint64(12));
    QCOMPARE(acked->send->revision, 4);
}

void tst_Client::reconnectRebasesOutstanding()
{
    // Client a's edit is lost with the link; meanwhile b edits. After catching up, the resend carries the
    // same sequence number, the current revision and the operation rebased over b's edit.
    collab::ServerDocument server(QStringLiteral("hello"), 0);
    Client a(QStringLiteral("a"));
    QString doc = QStringLiteral("hello");
    const TextOperation mine = TextOperation::makeInsert(5, 5, QStringLiteral("!"));
    const auto sent = a.applyClient(mine);
    QVERIFY(sent.hasValue() && sent->send.has_value());
    doc = *mine.apply(doc);
    a.disconnected();

    QVERIFY(server.receive(0, TextOperation::makeInsert(5, 0, QStringLiteral(">> ")), QStringLiteral("b"), 1).hasValue());
    const auto missed = server.operationsSince(a.revision());
    QVERIFY(missed.has_value());
    QCOMPARE(int(missed->size()), 1);
    const auto caughtUp = a.applyServer(1, missed->front().operation, missed->front().clientId, missed->front().sequence);
    QVERIFY(caughtUp.hasValue() && caughtUp->apply.has_value());
    doc = *caughtUp->apply->apply(doc);
    QCOMPARE(doc, QStringLiteral(">> hello!"));

    const Client::Effects resumed = a.resumed();
    QVERIFY(resumed.send.has_value());
    QCOMPARE(resumed.send->sequence, sent->send->sequence);
    QCOMPARE(resumed.send->revision, 1);
    const auto receipt = server.receive(resumed.send->revision, resumed.send->operation, a.clientId(),
                                        resumed.send->sequence);
    QVERIFY(receipt.hasValue());
    QCOMPARE(server.text().toString(), doc);
    QVERIFY(a.serverAck(receipt->revision, resumed.send->sequence).hasValue());
    QCOMPARE(a.state(), Client::State::Synchronized);

    // The same message delivered again is recognised, not re-applied.
    const auto duplicate = server.receive(resumed.send->revision, resumed.send->operation, a.clientId(),
                                          resumed.send->sequence);
    QVERIFY(!duplicate.hasValue());
    QCOMPARE(duplicate.error().code, ErrorCode::DuplicateOperation);
    QCOMPARE(server.revision(), 2);
}

void tst_Client::transformSelection_data()
{
    QTest::addColumn<QStringList>("pending"); // JSON operations: outstanding, then buffer
    QTest::addColumn<Selection>("remote");
    QTest::addColumn<Selection>("expected");

    using R = Selection::Range;
    QTest::newRow("synchronized") << QStringList() << Selection::cursor(3) << Selection::cursor(3);
    QTest::newRow("outstanding insert before") << QStringList{R"(["ab",5])"} << Selection::cursor(3)
                                               << Selection::cursor(5);
    QTest::newRow("outstanding insert at caret: another's caret stays")
        << QStringList{R"([3,"ab",2])"} << Selection::cursor(3) << Selection::cursor(3);
    QTest::newRow("outstanding and buffer") << QStringList{R"(["ab",5])", R"([-1,6])"}
                                            << Selection({R{2, 4}}) << Selection({R{3, 5}});
}

void tst_Client::transformSelection()
{
    QFETCH(QStringList, pending);
    QFETCH(Selection, remote);
    QFETCH(Selection, expected);

    Client c(QStringLiteral("a"));
    for (const QString &json : pending) {
        const auto op = TextOperation::fromJsonBytes(json.toUtf8());
        QVERIFY(op.hasValue());
        QVERIFY(c.applyClient(*op).hasValue());
    }
    QVERIFY(c.transformSelection(remote) == expected);
}

void tst_Client::restorePending()
{
    Client c(QStringLiteral("a"), 4, 0);
    c.restorePending(Client::Outgoing{4, 9, TextOperation::makeInsert(1, 0, QStringLiteral("x"))},
                     TextOperation::makeInsert(2, 2, QStringLiteral("y")));
    QCOMPARE(c.lastSequence(), qint64(9));
    QCOMPARE(c.state(), Client::State::AwaitingAckWithBuffer);
    const Client::Effects resumed = c.resumed();
    QVERIFY(resumed.send.has_value());
    QCOMPARE(resumed.send->sequence, qint64(9));
    const auto acked = c.serverAck(5, 9);
    QVERIFY(acked.hasValue() && acked->send.has_value());
    QCOMPARE(acked->send->sequence, qint64(10));

    // A buffer without an outstanding operation is sent as a new one on resume.
    Client d(QStringLiteral("d"), 2, 3);
    d.restorePending(std::nullopt, TextOperation::makeInsert(0, 0, QStringLiteral("z")));
    const Client::Effects resumedD = d.resumed();
    QVERIFY(resumedD.send.has_value());
    QCOMPARE(resumedD.send->sequence, qint64(4));
    QCOMPARE(resumedD.send->revision, 2);
    QCOMPARE(d.state(), Client::State::AwaitingAck);
}

void tst_Client::batchMatchesOneByOne()
{
    // Random pending edits (none, outstanding, outstanding and buffer, a restored buffer alone), online or
    // offline, against a random history with our own operation absent, first, in the middle or last.
    QVERIFY(rc::check("applyServerBatch == applyServer per entry", [] {
        const QString doc = *genText();
        const int base = *rc::gen::inRange(0, 4);
        const bool online = *rc::gen::arbitrary<bool>();
        const int pending = *rc::gen::inRange(0, 4);
        Client client(QStringLiteral("me"), base, *rc::gen::inRange<qint64>(0, 3));
        if (!online)
            client.disconnected();
        QString local = doc;
        if (pending == 3) {
            const TextOperation b = *genOperation(doc);
            client.restorePending(std::nullopt, b);
            local = *b.apply(doc);
        } else {
            for (int i = 0; i < pending; ++i) {
                const TextOperation op = *genOperation(local);
                RC_ASSERT(client.applyClient(op).hasValue());
                local = *op.apply(local);
            }
        }
        collab::ServerDocument server(doc, base);
        const int count = *rc::gen::inRange(0, 7);
        const int ackAt = *rc::gen::inRange(-1, count + 1);
        Entries entries = history(server, client, count, ackAt,
                                  [](const QString &text) { return *genOperation(text); });
        entries = withDuplicates(std::move(entries), *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 8)));
        if (*rc::gen::arbitrary<bool>()) // a stale entry first
            entries.insert(entries.begin(), Client::ServerEntry{base, TextOperation().retain(99), QStringLiteral("x"), 1});
        checkBatch(client, local, entries, server.text().toString());
    }));
}

void tst_Client::batchMatchesOneByOneScattered()
{
    // As in bench_rebase's scattered model, at test size: a buffer of many one-character edits all over the
    // document (so it is held in several pieces) against a history of such edits, short deletes and a few
    // whole-document operations.
    QVERIFY(rc::check("applyServerBatch == applyServer per entry, scattered edits", [] {
        const QString doc = *rc::gen::map(rc::gen::container<std::string>(rc::gen::inRange('a', char('z' + 1))),
                                          [](const std::string &s) { return QString::fromStdString(s); });
        const bool online = *rc::gen::arbitrary<bool>();
        Client client(QStringLiteral("me"), 10, 4);
        if (!online)
            client.disconnected();
        QString local = doc;
        const int edits = *rc::gen::inRange(0, 150);
        for (int i = 0; i < edits; ++i) {
            const TextOperation op = singleEdit(local, *rc::gen::inRange(0, 1 << 20), *rc::gen::inRange(0, 3) == 0,
                                                QChar(u'A' + char16_t(i % 26)));
            RC_ASSERT(client.applyClient(op).hasValue());
            local = *op.apply(local);
        }
        collab::ServerDocument server(doc, 10);
        const int count = *rc::gen::inRange(0, 150);
        const int ackAt = *rc::gen::inRange(-1, count + 1);
        int n = 0;
        const Entries entries = history(server, client, count, ackAt, [&n](const QString &text) {
            ++n;
            if (*rc::gen::inRange(0, 20) == 0)
                return *genOperation(text);
            // Deletes of a few characters too: they close the gaps between our edits.
            const int remove = std::max(0, *rc::gen::inRange(-6, 5));
            return singleEdit(text, *rc::gen::inRange(0, 1 << 20), remove, QChar(u'0' + char16_t(n % 10)));
        });
        checkBatch(client, local, entries, server.text().toString());
    }));
}

void tst_Client::batchTieAfterDeletion()
{
    // Ours: "x" at 2 of "abc". Server: "b" deleted, then "z" inserted where it was. One by one, ours meets
    // "z" at the same position and goes first: "axzc". The two server operations composed are [1,"z",-1,1]
    // (the insert normalized before the delete), against which ours would land after "z": "azxc". The batch
    // must not take that shortcut.
    Client c(QStringLiteral("a"));
    c.disconnected();
    QVERIFY(c.applyClient(TextOperation::makeInsert(3, 2, QStringLiteral("x"))).hasValue());
    const Entries entries{{1, TextOperation::makeDelete(3, 1, 1), QStringLiteral("b"), 1},
                          {2, TextOperation::makeInsert(2, 1, QStringLiteral("z")), QStringLiteral("b"), 2}};
    const auto effects = c.applyServerBatch(entries);
    QVERIFY(effects.hasValue());
    QVERIFY(effects->apply.has_value());
    QCOMPARE(*effects->apply->apply(QStringLiteral("abxc")), QStringLiteral("axzc"));
    QCOMPARE(*c.outstanding()->operation.apply(QStringLiteral("azc")), QStringLiteral("axzc"));
    QCOMPARE(c.outstanding()->revision, 2);
    QCOMPARE(c.revision(), 2);
}

void tst_Client::batchAckReleasesBuffer_data()
{
    QTest::addColumn<bool>("online");
    QTest::newRow("online: the promoted buffer is sent") << true;
    QTest::newRow("offline: it waits for resumed()") << false;
}

void tst_Client::batchAckReleasesBuffer()
{
    QFETCH(bool, online);
    // "hello": ours puts "!" at the end (sent as sequence 1, then the link dropped), then "?" buffered. The
    // server has b's ">> " before ours and "." at the end after it.
    collab::ServerDocument server(QStringLiteral("hello"), 0);
    Client c(QStringLiteral("a"));
    const TextOperation mine = TextOperation::makeInsert(5, 5, QStringLiteral("!"));
    QVERIFY(c.applyClient(mine).hasValue());
    QVERIFY(c.applyClient(TextOperation::makeInsert(6, 0, QStringLiteral("?"))).hasValue());
    if (!online)
        c.disconnected();
    QVERIFY(server.receive(0, TextOperation::makeInsert(5, 0, QStringLiteral(">> ")), QStringLiteral("b"), 1).hasValue());
    QVERIFY(server.receive(0, mine, QStringLiteral("a"), 1).hasValue());
    QVERIFY(server.receive(2, TextOperation::makeInsert(9, 9, QStringLiteral(".")), QStringLiteral("b"), 2).hasValue());

    const auto effects = c.applyServerBatch(entriesSince(server, 0));
    QVERIFY(effects.hasValue());
    QVERIFY(effects->apply.has_value());
    QCOMPARE(*effects->apply->apply(QStringLiteral("?hello!")), QStringLiteral("?>> hello!."));
    QCOMPARE(c.revision(), 3);
    QCOMPARE(c.lastSequence(), qint64(2));
    QVERIFY(c.outstanding().has_value());
    QCOMPARE(c.outstanding()->sequence, qint64(2));
    QCOMPARE(c.outstanding()->revision, 3);
    QCOMPARE(*c.outstanding()->operation.apply(server.text().toString()), QStringLiteral("?>> hello!."));
    QVERIFY(!c.buffer());
    // As applyServer() at our entry: the buffer as it stood then (revision 2), before "." was seen.
    QCOMPARE(effects->send.has_value(), online);
    if (online) {
        QCOMPARE(effects->send->revision, 2);
        QCOMPARE(effects->send->sequence, qint64(2));
        QVERIFY(effects->send->operation == TextOperation::makeInsert(9, 0, QStringLiteral("?")));
    }
}

void tst_Client::batchSkipsDuplicates()
{
    Client c(QStringLiteral("a"), 4);
    QVERIFY(c.applyClient(TextOperation::makeInsert(2, 0, QStringLiteral("x"))).hasValue());
    const Entries old{{3, TextOperation().retain(7), QStringLiteral("b"), 1},
                      {4, TextOperation().retain(7), QStringLiteral("b"), 2}};
    const auto nothing = c.applyServerBatch(old);
    QVERIFY(nothing.hasValue());
    QVERIFY(!nothing->apply && !nothing->send);
    QCOMPARE(c.revision(), 4);
    QVERIFY(c.applyServerBatch({}).hasValue());

    Entries some = old;
    some.push_back({5, TextOperation::makeInsert(2, 2, QStringLiteral("y")), QStringLiteral("b"), 3});
    some.push_back({5, TextOperation::makeInsert(2, 2, QStringLiteral("y")), QStringLiteral("b"), 3});
    const auto effects = c.applyServerBatch(some);
    QVERIFY(effects.hasValue() && effects->apply.has_value());
    QCOMPARE(*effects->apply->apply(QStringLiteral("xab")), QStringLiteral("xaby"));
    QCOMPARE(c.revision(), 5);
}

void tst_Client::batchGapIsAnError()
{
    Client c(QStringLiteral("a"), 5);
    QVERIFY(c.applyClient(TextOperation::makeInsert(2, 0, QStringLiteral("x"))).hasValue());
    QVERIFY(c.applyClient(TextOperation::makeInsert(3, 3, QStringLiteral("y"))).hasValue());
    const Client before = c;
    const Entries entries{{6, TextOperation::makeInsert(2, 0, QStringLiteral("q")), QStringLiteral("b"), 1},
                          {8, TextOperation::makeInsert(3, 0, QStringLiteral("q")), QStringLiteral("b"), 2}};
    const auto effects = c.applyServerBatch(entries);
    QVERIFY(!effects.hasValue());
    QCOMPARE(effects.error().code, ErrorCode::InvalidState);
    QCOMPARE(c.revision(), 5);
    QVERIFY(sameOutgoing(c.outstanding(), before.outstanding()));
    QVERIFY(c.buffer() == before.buffer());
    QCOMPARE(c.lastSequence(), before.lastSequence());
}

void tst_Client::batchWrongBaseLength_data()
{
    QTest::addColumn<int>("pending"); // local edits before the batch
    QTest::addColumn<int>("badAt");   // which entry has the wrong base length
    QTest::newRow("outstanding, first entry") << 1 << 0;
    QTest::newRow("outstanding and buffer, second entry") << 2 << 1;
    QTest::newRow("nothing pending, second entry") << 0 << 1;
}

void tst_Client::batchWrongBaseLength()
{
    QFETCH(int, pending);
    QFETCH(int, badAt);
    Client c(QStringLiteral("a"), 1, 3);
    c.disconnected();
    qsizetype length = 4;
    for (int i = 0; i < pending; ++i) {
        QVERIFY(c.applyClient(TextOperation::makeInsert(length, 0, QStringLiteral("x"))).hasValue());
        ++length;
    }
    const Client before = c;
    Entries entries;
    qsizetype server = 4;
    for (int i = 0; i < 3; ++i) {
        const qsizetype base = i == badAt ? server + 3 : server;
        entries.push_back({2 + i, TextOperation::makeInsert(base, 0, QStringLiteral("q")), QStringLiteral("b"), i + 1});
        ++server;
    }
    const auto effects = c.applyServerBatch(entries);
    QVERIFY(!effects.hasValue());
    QCOMPARE(effects.error().code, ErrorCode::BaseLengthMismatch);
    QCOMPARE(c.revision(), 1);
    QCOMPARE(c.state(), before.state());
    QVERIFY(sameOutgoing(c.outstanding(), before.outstanding()));
    QVERIFY(c.buffer() == before.buffer());
    QCOMPARE(c.lastSequence(), before.lastSequence());
}

// An edit larger than the relay's message limit goes out as consecutive operations, each under the limit,
// with consecutive sequence numbers, while another client types; both end on the same text, which holds the
// whole paste once. "ack": acknowledged one by one; "batch": the pieces' acknowledgement arrives as our own
// operations in a catch-up (the promotion inside applyServerBatch splits as promoteBuffer does).
void tst_Client::largeEditSentInPiecesThatFit_data()
{
    QTest::addColumn<bool>("batch");
    QTest::newRow("ack") << false;
    QTest::newRow("batch") << true;
}

void tst_Client::largeEditSentInPiecesThatFit()
{
    QFETCH(bool, batch);
    const qint64 limit = 200;
    QString paste;
    for (int i = 0; paste.size() < 3000; ++i)
        paste += QStringLiteral("line %1 \u00e9\U0001F600\n").arg(i);
    collab::ServerDocument server(QStringLiteral("0123456789"), 0);
    Client a(QStringLiteral("a"), 0);
    Client b(QStringLiteral("b"), 0);
    a.setMaxOperationBytes(limit);
    QString textA = QStringLiteral("0123456789");
    QString textB = textA;

    std::optional<Client::Outgoing> inFlight = a.applyClient(TextOperation::makeInsert(10, 5, paste))->send;
    QVERIFY(inFlight);
    QCOMPARE(inFlight->sequence, 1);
    QVERIFY(inFlight->operation.encodedSize() <= limit);
    textA = TextOperation::makeInsert(10, 5, paste).apply(textA).value();
    qint64 expectedSequence = 1;
    int pieces = 0;
    while (inFlight) {
        ++pieces;
        QCOMPARE(inFlight->sequence, expectedSequence++);
        QVERIFY(inFlight->operation.encodedSize() <= limit);
        // B types one character at its start between A's pieces, and it commits first.
        const TextOperation typed = TextOperation::makeInsert(textB.size(), 0, QStringLiteral("b"));
        textB = typed.apply(textB).value();
        auto bSent = b.applyClient(typed)->send;
        QVERIFY(bSent);
        auto bReceipt = server.receive(bSent->revision, bSent->operation, QStringLiteral("b"), bSent->sequence);
        QVERIFY(bReceipt);
        QVERIFY(b.serverAck(bReceipt->revision, bSent->sequence));
        auto aReceipt = server.receive(inFlight->revision, inFlight->operation, QStringLiteral("a"),
                                       inFlight->sequence);
        QVERIFY2(aReceipt, qPrintable(aReceipt ? QString() : aReceipt.error().message));
        // B hears A's piece; A hears B's edit then its own piece.
        auto toB = b.applyServer(aReceipt->revision, aReceipt->operation, QStringLiteral("a"), inFlight->sequence);
        textB = toB->apply->apply(textB).value();
        std::optional<Client::Outgoing> next;
        if (batch) {
            auto effects = a.applyServerBatch({{bReceipt->revision, bReceipt->operation, QStringLiteral("b"), 1},
                                               {aReceipt->revision, aReceipt->operation, QStringLiteral("a"),
                                                inFlight->sequence}});
            QVERIFY(effects);
            textA = effects->apply->apply(textA).value();
            // The promoted buffer, as it stood at the acknowledgement: exactly the outstanding operation now.
            next = effects->send;
            if (next) {
                QCOMPARE(next->sequence, a.outstanding()->sequence);
                QCOMPARE(next->operation, a.outstanding()->operation);
            }
        } else {
            auto effects = a.applyServer(bReceipt->revision, bReceipt->operation, QStringLiteral("b"), 1);
            textA = effects->apply->apply(textA).value();
            next = a.serverAck(aReceipt->revision, inFlight->sequence)->send;
        }
        inFlight = next;
        QVERIFY(pieces < 1000);
    }
    QVERIFY2(pieces > 10, qPrintable(QString::number(pieces)));
    QCOMPARE(a.state(), Client::State::Synchronized);
    QCOMPARE(textA, server.text().toString());
    QCOMPARE(textB, server.text().toString());
    QCOMPARE(server.text().toString().count(paste), 1);
}

// Typed offline before the limit was known: the outstanding operation is split when the link is back.
void tst_Client::largeOfflineEditSplitOnResume()
{
    Client a(QStringLiteral("a"), 0);
    a.disconnected();
    const QString paste(5000, u'x');
    QVERIFY(a.applyClient(TextOperation::makeInsert(0, 0, paste)));
    QVERIFY(a.outstanding());
    a.setMaxOperationBytes(1000);
    const Client::Effects resumed = a.resumed();
    QVERIFY(resumed.send);
    QCOMPARE(resumed.send->sequence, 1);
    QVERIFY(resumed.send->operation.encodedSize() <= 1000);
    QVERIFY(a.buffer());
    QCOMPARE(resumed.send->operation.compose(*a.buffer()).value(), TextOperation::makeInsert(0, 0, paste));
}

QTEST_GUILESS_MAIN(tst_Client)
#include "tst_client.moc"
