// SPDX-License-Identifier: MIT
#include "client.h"

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
    void reconnectRebasesOutstanding();
    void transformSelection_data();
    void transformSelection();
    void restorePending();
};

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

QTEST_GUILESS_MAIN(tst_Client)
#include "tst_client.moc"
