// SPDX-License-Identifier: MIT
#include "httpendpoints.h"
#include "metrics.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

using relay::HttpEndpoints;
using relay::Metrics;
using Kind = HttpEndpoints::RequestKind;
using Routes = HttpEndpoints::Routes;

Q_DECLARE_METATYPE(HttpEndpoints::RequestKind)
Q_DECLARE_METATYPE(HttpEndpoints::Routes)

namespace {

// Sends `request` on a fresh connection and reads until the server closes it.
QByteArray exchange(quint16 port, const QByteArray &request)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return "connect failed";
    socket.write(request);
    QByteArray reply;
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < 10000) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        socket.waitForReadyRead(20);
        reply += socket.readAll();
    }
    reply += socket.readAll();
    return reply;
}

QByteArray bodyOf(const QByteArray &response)
{
    return response.mid(response.indexOf("\r\n\r\n") + 4);
}

} // namespace

class tst_HttpEndpoints : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void classify_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<Kind>("expected");
        QTest::newRow("nothing yet") << QByteArray() << Kind::Incomplete;
        QTest::newRow("partial request line") << QByteArray("GET /hea") << Kind::Incomplete;
        QTest::newRow("headers not finished") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\n") << Kind::Incomplete;
        QTest::newRow("healthz") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") << Kind::Http;
        QTest::newRow("metrics, bare LF") << QByteArray("GET /metrics HTTP/1.0\n\n") << Kind::Http;
        QTest::newRow("websocket upgrade")
            << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            << Kind::WebSocket;
        QTest::newRow("upgrade header case-insensitive")
            << QByteArray("GET /doc HTTP/1.1\r\nupgrade: WebSocket\r\n\r\n") << Kind::WebSocket;
        QTest::newRow("upgrade to something else") << QByteArray("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n") << Kind::Http;
        QTest::newRow("TLS ClientHello on plain port") << QByteArray("\x16\x03\x01\x02\x00", 5) << Kind::Http;
        QTest::newRow("lowercase method") << QByteArray("get / HTTP/1.1\r\n") << Kind::Http;
        QTest::newRow("oversized header") << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(20000, 'a') << Kind::Http;
    }

    void classify()
    {
        QFETCH(QByteArray, head);
        QFETCH(Kind, expected);
        QCOMPARE(HttpEndpoints::classify(head), expected);
    }

    void respond_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<Routes>("routes");
        QTest::addColumn<QByteArray>("statusLine");
        QTest::addColumn<QByteArray>("bodyContains");
        QTest::newRow("healthz") << QByteArray("GET /healthz HTTP/1.1\r\n\r\n") << Routes::RelayPort
                                 << QByteArray("HTTP/1.1 200 OK") << QByteArray("\"status\":\"ok\"");
        QTest::newRow("healthz with query") << QByteArray("GET /healthz?full=1 HTTP/1.1\r\n\r\n") << Routes::RelayPort
                                            << QByteArray("HTTP/1.1 200 OK") << QByteArray("uptimeSeconds");
        QTest::newRow("metrics") << QByteArray("GET /metrics HTTP/1.1\r\n\r\n") << Routes::RelayPort
                                 << QByteArray("HTTP/1.1 200 OK") << QByteArray("# TYPE coscribe_relay_connections gauge");
        QTest::newRow("HEAD has no body") << QByteArray("HEAD /metrics HTTP/1.1\r\n\r\n") << Routes::MetricsPort
                                          << QByteArray("HTTP/1.1 200 OK") << QByteArray();
        QTest::newRow("metrics hidden on relay port") << QByteArray("GET /metrics HTTP/1.1\r\n\r\n")
                                                      << Routes::RelayPortHealthOnly
                                                      << QByteArray("HTTP/1.1 404 Not Found") << QByteArray();
        QTest::newRow("POST healthz") << QByteArray("POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                                      << Routes::RelayPort << QByteArray("HTTP/1.1 405 Method Not Allowed")
                                      << QByteArray();
        QTest::newRow("plain GET / on relay port") << QByteArray("GET / HTTP/1.1\r\n\r\n") << Routes::RelayPort
                                                   << QByteArray("HTTP/1.1 426 Upgrade Required")
                                                   << QByteArray("WebSocket");
        QTest::newRow("unknown path on metrics port") << QByteArray("GET / HTTP/1.1\r\n\r\n") << Routes::MetricsPort
                                                      << QByteArray("HTTP/1.1 404 Not Found") << QByteArray();
        QTest::newRow("garbage") << QByteArray("\x16\x03\x01\x02\x00\r\n\r\n", 9) << Routes::RelayPort
                                 << QByteArray("HTTP/1.1 400 Bad Request") << QByteArray();
        QTest::newRow("too large") << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(20000, 'a') << Routes::RelayPort
                                   << QByteArray("HTTP/1.1 431 Request Header Fields Too Large") << QByteArray();
    }

    void respond()
    {
        QFETCH(QByteArray, head);
        QFETCH(Routes, routes);
        QFETCH(QByteArray, statusLine);
        QFETCH(QByteArray, bodyContains);
        Metrics metrics;
        HttpEndpoints endpoints(&metrics);
        const QByteArray reply = endpoints.respond(head, routes);
        QVERIFY2(reply.startsWith(statusLine + "\r\n"), reply.constData());
        QVERIFY(reply.contains("\r\nConnection: close\r\n"));
        const QByteArray body = bodyOf(reply);
        QVERIFY2(body.contains(bodyContains), body.constData());
        if (!head.startsWith("HEAD")) {
            const qsizetype at = reply.indexOf("Content-Length: ") + 16;
            QCOMPARE(reply.mid(at, reply.indexOf("\r\n", at) - at).toLongLong(), body.size());
        } else {
            QVERIFY(body.isEmpty());
        }
    }

    void healthProviderCanReportUnhealthy()
    {
        Metrics metrics;
        metrics.connectionOpened();
        HttpEndpoints endpoints(&metrics);
        endpoints.setVersion(QStringLiteral("9.9"));
        endpoints.setHealthProvider([] { return QJsonObject{{QStringLiteral("storage"), QStringLiteral("ok")}}; });
        QByteArray reply = endpoints.respond("GET /healthz HTTP/1.1\r\n\r\n", Routes::RelayPort);
        const QJsonObject health = QJsonDocument::fromJson(bodyOf(reply)).object();
        QCOMPARE(health.value(QStringLiteral("version")).toString(), QStringLiteral("9.9"));
        QCOMPARE(health.value(QStringLiteral("storage")).toString(), QStringLiteral("ok"));
        QCOMPARE(health.value(QStringLiteral("connections")).toInt(), 1);
        endpoints.setHealthProvider([] { return QJsonObject{{QStringLiteral("status"), QStringLiteral("storage-down")}}; });
        reply = endpoints.respond("GET /healthz HTTP/1.1\r\n\r\n", Routes::RelayPort);
        QVERIFY(reply.startsWith("HTTP/1.1 503 "));
    }

    // The relay-port mode end to end: one QTcpServer, HTTP answered by route(), upgrades handed over to a
    // QWebSocketServer that then talks to a real QWebSocket client.
    void routeOnRelayPort()
    {
        Metrics metrics;
        metrics.operationApplied(std::chrono::milliseconds(2));
        HttpEndpoints endpoints(&metrics);
        QTcpServer tcp;
        QWebSocketServer webSockets(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
        QVERIFY(tcp.listen(QHostAddress::LocalHost, 0));
        connect(&tcp, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket *socket = tcp.nextPendingConnection()) {
                socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                endpoints.route(socket, [&](QTcpSocket *s) { webSockets.handleConnection(s); });
            }
        });
        connect(&webSockets, &QWebSocketServer::newConnection, this, [&] {
            QWebSocket *peer = webSockets.nextPendingConnection();
            connect(peer, &QWebSocket::textMessageReceived, peer, [peer](const QString &m) {
                peer->sendTextMessage(QStringLiteral("echo:") + m);
            });
        });

        QByteArray reply = exchange(tcp.serverPort(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
        QVERIFY2(reply.startsWith("HTTP/1.1 200 OK\r\n"), reply.constData());
        QCOMPARE(QJsonDocument::fromJson(bodyOf(reply)).object().value(QStringLiteral("status")).toString(),
                 QStringLiteral("ok"));
        // The request arriving in pieces is still recognised.
        {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, tcp.serverPort());
            QVERIFY(socket.waitForConnected(5000));
            socket.write("GET /met");
            socket.flush();
            QTest::qWait(50);
            socket.write("rics HTTP/1.1\r\nHost: localhost\r\n\r\n");
            QTRY_VERIFY_WITH_TIMEOUT(socket.state() == QAbstractSocket::UnconnectedState, 5000);
            const QByteArray all = socket.readAll();
            QVERIFY2(all.contains("coscribe_relay_operation_commit_seconds_count 1"), all.constData());
        }
        reply = exchange(tcp.serverPort(), "GET / HTTP/1.1\r\n\r\n");
        QVERIFY2(reply.startsWith("HTTP/1.1 426 "), reply.constData());

        QWebSocket client;
        QSignalSpy received(&client, &QWebSocket::textMessageReceived);
        client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(tcp.serverPort())));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::ConnectedState, 5000);
        client.sendTextMessage(QStringLiteral("hello"));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 5000);
        QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("echo:hello"));
    }

    void headerTimeout()
    {
        HttpEndpoints endpoints(nullptr);
        endpoints.setHeaderTimeout(200);
        QTcpServer tcp;
        QVERIFY(tcp.listen(QHostAddress::LocalHost, 0));
        bool handedOver = false;
        connect(&tcp, &QTcpServer::newConnection, this, [&] {
            endpoints.route(tcp.nextPendingConnection(), [&](QTcpSocket *) { handedOver = true; });
        });
        const QByteArray reply = exchange(tcp.serverPort(), "GET / HTTP/1.1\r\nHost: slow");
        QVERIFY2(reply.startsWith("HTTP/1.1 408 "), reply.constData());
        QVERIFY(!handedOver);
    }

    void separateMetricsPort()
    {
        Metrics metrics;
        metrics.errorSent(QStringLiteral("not-json"));
        HttpEndpoints endpoints(&metrics);
        QVERIFY2(endpoints.listen(QHostAddress::LocalHost, 0), qPrintable(endpoints.errorString()));
        QVERIFY(endpoints.serverPort() != 0);
        QByteArray reply = exchange(endpoints.serverPort(), "GET /metrics HTTP/1.1\r\n\r\n");
        QVERIFY2(reply.startsWith("HTTP/1.1 200 OK\r\n"), reply.constData());
        QVERIFY(reply.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
        QVERIFY(reply.contains("coscribe_relay_errors_total{code=\"not-json\"} 1\n"));
        reply = exchange(endpoints.serverPort(),
                         "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        QVERIFY2(reply.startsWith("HTTP/1.1 404 "), reply.constData());

        // A port already in use is reported, not ignored.
        HttpEndpoints second(&metrics);
        QVERIFY(!second.listen(QHostAddress::LocalHost, endpoints.serverPort()));
        QVERIFY(second.errorString().contains(QStringLiteral("cannot listen")));
    }
};

QTEST_GUILESS_MAIN(tst_HttpEndpoints)
#include "tst_httpendpoints.moc"
