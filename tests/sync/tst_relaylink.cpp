// SPDX-License-Identifier: MIT
// RelayLink: the handshake, the backoff's shape, failover to the next address, and what a failed connection
// reports.
#include "relayfixture.h"

#include <relaylink.h>

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
