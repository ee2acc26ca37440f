// SPDX-License-Identifier: MIT
// RelayLink: the handshake, the backoff's shape, failover to the next address, and what a failed connection
// reports.
#include "relayfixture.h"

#include <relaylink.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using syncing::RelayLink;

class tst_RelayLink : public QObject
{
    Q_OBJECT

    RelayFixture m_relay;

    // A port nobody listens on (bound, then released).
    static quint16 deadPort()
    {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return probe.serverPort();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_relay.start()); }

    void helloIsAnsweredWithWelcome()
    {
        RelayLink link;
        link.setAddresses({m_relay.documentUrl(QStringLiteral("x"))});
        link.setIdentity({QStringLiteral("link-test"), collab::Message::Hello::newSecret(), QStringLiteral("L"),
                          QStringLiteral("#123456"), QString()});
        QSignalSpy welcomed(&link, &RelayLink::welcomed);
        link.open();
        QTRY_COMPARE(welcomed.size(), 1);
        QVERIFY(link.isConnected());
        QVERIFY(!link.connectionId().isEmpty());
        QVERIFY(link.welcome().maxMessageBytes > 0);
        QSignalSpy received(&link, &RelayLink::received);
        link.send(collab::Message::encode(collab::Message::List{QStringLiteral("l")}));
        QTRY_VERIFY(!received.isEmpty());
        QVERIFY(std::holds_alternative<collab::Message::Documents>(received.first().at(0).value<collab::Message::Server>()));
    }

    // The relay drops what exceeds the rate it announced (and closes a link that keeps at it): the link holds
    // frames back, in order, so a burst of requests is all answered, none refused; what the relay said a
    // reply cost (charge) is waited for too.
    void framesKeepToTheAnnouncedRate()
    {
        RelayFixture slow;
        slow.opsPerSecond = 50;
        slow.burst = 10;
        QVERIFY(slow.start());
        RelayLink link;
        link.setAddresses({slow.documentUrl(QStringLiteral("x"))});
        link.setIdentity({QStringLiteral("rate-test"), collab::Message::Hello::newSecret(), QStringLiteral("R"),
                          QStringLiteral("#123456"), QString()});
        QSignalSpy welcomed(&link, &RelayLink::welcomed);
        link.open();
        QTRY_COMPARE(welcomed.size(), 1);
        QCOMPARE(link.welcome().opsPerSecond, 50);
        QStringList answered;
        int refused = 0;
        connect(&link, &RelayLink::received, this, [&](const collab::Message::Server &m) {
            if (const auto *docs = std::get_if<collab::Message::Documents>(&m))
                answered.append(docs->ref);
            refused += std::holds_alternative<collab::Message::Error>(m);
        });
        QElapsedTimer clock;
        clock.start();
        constexpr int Requests = 40;
        for (int i = 0; i < Requests; ++i)
            link.send(collab::Message::encodeText(collab::Message::List{QString::number(i)}));
        QVERIFY(link.queuedFrames() > 0); // more than the burst: held back
        QTRY_COMPARE_WITH_TIMEOUT(answered.size(), Requests, 10000);
        QCOMPARE(refused, 0);
        for (int i = 0; i < Requests; ++i)
            QCOMPARE(answered.at(i), QString::number(i));
        // 8 at once (the burst, less a margin), the rest at 45 a second (the rate, less a margin).
        QVERIFY2(clock.elapsed() >= (Requests - 8) * 1000 / 45 - 50, qPrintable(QString::number(clock.elapsed())));

        // A reply that cost 20 tokens: the next frame waits for them (20 at 45 a second).
        QTest::qWait(300);
        link.charge(20);
        clock.restart();
        link.send(collab::Message::encodeText(collab::Message::List{QStringLiteral("after")}));
        QCOMPARE(link.queuedFrames(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(answered.size(), Requests + 1, 5000);
        QVERIFY2(clock.elapsed() >= 150, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(refused, 0);
    }

    // Delays double from the initial one up to the maximum, each between half and all of its ceiling.
    void backoffDoublesWithJitterUpToTheMaximum()
    {
        RelayLink link;
        link.setReconnectDelays(100, 1600);
        for (qint64 ceiling : {100, 200, 400, 800, 1600, 1600, 1600}) {
            const int delay = link.nextBackoffMs();
            QVERIFY2(delay >= ceiling / 2 && delay <= ceiling, qPrintable(QString::number(delay)));
        }
        link.resetBackoff();
        QVERIFY(link.nextBackoffMs() <= 100);
    }

    void unreachableRelayIsReportedAndFailoverTakesTheNextAddress()
    {
        RelayLink link;
        link.setReconnectDelays(20, 50);
        const QUrl dead(QStringLiteral("ws://127.0.0.1:%1/x").arg(deadPort()));
        link.setAddresses({dead, m_relay.documentUrl(QStringLiteral("x"))});
        link.setIdentity({QStringLiteral("failover-test"), collab::Message::Hello::newSecret(), QStringLiteral("F"),
                          QString(), QString()});
        QSignalSpy dropped(&link, &RelayLink::dropped);
        QSignalSpy welcomed(&link, &RelayLink::welcomed);
        link.open();
        QTRY_VERIFY(!dropped.isEmpty());
        QVERIFY(dropped.first().at(0).toString().contains(QStringLiteral("Cannot reach")));
        QCOMPARE(dropped.first().at(1).toBool(), false);
        QTRY_COMPARE(welcomed.size(), 1);
        QCOMPARE(link.currentAddress().port(), int(m_relay.port()));
    }

    void withoutAutoReconnectTheLinkStaysDown()
    {
        RelayLink link;
        link.setAutoReconnect(false);
        link.setReconnectDelays(10, 10);
        link.setAddresses({QUrl(QStringLiteral("ws://127.0.0.1:%1/x").arg(deadPort()))});
        QSignalSpy dropped(&link, &RelayLink::dropped);
        QSignalSpy state(&link, &RelayLink::stateChanged);
        link.open();
        QTRY_COMPARE(dropped.size(), 1);
        QTest::qWait(200);
        QCOMPARE(dropped.size(), 1);
        QCOMPARE(link.state(), RelayLink::State::Offline);
    }
};

QTEST_GUILESS_MAIN(tst_RelayLink)
#include "tst_relaylink.moc"
