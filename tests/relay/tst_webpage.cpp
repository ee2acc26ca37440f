// SPDX-License-Identifier: MIT
// The relay's web editor as HTTP (server/webpage.h) and the Origin rule for WebSocket upgrades
// (HttpEndpoints::originAllowed): what the page gets, and which pages may open a session.
#include "httpendpoints.h"
#include "metrics.h"
#include "webpage.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QWebSocketServer>
#include <QtTest>

using relay::HttpEndpoints;
using relay::Metrics;
using relay::WebPage;
using Routes = HttpEndpoints::Routes;

namespace {

QByteArray header(const QByteArray &response, const QByteArray &name)
{
    const QByteArray head = response.left(response.indexOf("\r\n\r\n") + 2);
    const qsizetype at = head.indexOf("\r\n" + name + ": ");
    if (at < 0)
        return {};
    const qsizetype start = at + 4 + name.size();
    return head.mid(start, head.indexOf("\r\n", start) - start);
}

QByteArray bodyOf(const QByteArray &response)
{
    return response.mid(response.indexOf("\r\n\r\n") + 4);
}

} // namespace

class tst_WebPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builtIntoTheRelay()
    {
        QVERIFY2(WebPage().isBuilt(), "the relay was built without :/web/ (web/CMakeLists.txt)");
    }

    void serves_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<bool>("served");
        QTest::newRow("list") << QByteArray("/") << true;
        QTest::newRow("document") << QByteArray("/d/notes.md") << true;
        QTest::newRow("asset") << QByteArray("/assets/app.js") << true;
        QTest::newRow("no document") << QByteArray("/d/") << false;
        QTest::newRow("deeper") << QByteArray("/d/a/b") << false;
        QTest::newRow("other") << QByteArray("/notes") << false;
        QTest::newRow("health") << QByteArray("/healthz") << false;
    }
    void serves()
    {
        QFETCH(QByteArray, path);
        QFETCH(bool, served);
        QCOMPARE(WebPage::serves(path), served);
    }

    void pageAndDocumentGetTheSameHtml()
    {
        const WebPage page;
        const QByteArray list = page.respond({"GET", "/", false, {}});
        const QByteArray doc = page.respond({"GET", "/d/notes", false, {}});
        QVERIFY2(list.startsWith("HTTP/1.1 200 OK\r\n"), list.left(100).constData());
        QCOMPARE(bodyOf(list), bodyOf(doc));
        QVERIFY(bodyOf(list).contains("<script type=\"module\" src=\"/assets/app.js\">"));
        QCOMPARE(header(list, "Content-Type"), QByteArray("text/html; charset=utf-8"));
        QCOMPARE(header(list, "Content-Length").toLongLong(), bodyOf(list).size());
        // Only its own code, only its own origin.
        const QByteArray csp = header(list, "Content-Security-Policy");
        QVERIFY2(csp.contains("default-src 'self'") && csp.contains("connect-src 'self'")
                     && csp.contains("frame-ancestors 'none'"), csp.constData());
        QCOMPARE(header(list, "X-Content-Type-Options"), QByteArray("nosniff"));
        QCOMPARE(header(list, "Cache-Control"), QByteArray("no-cache"));
    }

    void gzipWhenAccepted()
    {
        const WebPage page;
        const QByteArray plain = page.respond({"GET", "/assets/app.js", false, {}});
        const QByteArray gzipped = page.respond({"GET", "/assets/app.js", true, {}});
        QCOMPARE(header(plain, "Content-Encoding"), QByteArray());
        QCOMPARE(header(gzipped, "Content-Encoding"), QByteArray("gzip"));
        QVERIFY(bodyOf(gzipped).startsWith("\x1f\x8b"));
        QVERIFY(bodyOf(gzipped).size() < bodyOf(plain).size() / 2);
        QCOMPARE(header(gzipped, "Vary"), QByteArray("Accept-Encoding"));
        // The budget for the page's JavaScript: under 300 KB gzipped.
        QVERIFY2(bodyOf(gzipped).size() < 300 * 1000, QByteArray::number(bodyOf(gzipped).size()).constData());
        QCOMPARE(header(plain, "ETag"), header(gzipped, "ETag"));
    }

    void revalidationIsA304()
    {
        const WebPage page;
        const QByteArray etag = header(page.respond({"GET", "/assets/app.css", false, {}}), "ETag");
        QVERIFY(etag.startsWith('"') && etag.size() > 10);
        const QByteArray again = page.respond({"GET", "/assets/app.css", false, etag});
        QVERIFY2(again.startsWith("HTTP/1.1 304 Not Modified\r\n"), again.constData());
        QVERIFY(bodyOf(again).isEmpty());
        const QByteArray changed = page.respond({"GET", "/assets/app.css", false, "\"something-else\""});
        QVERIFY(changed.startsWith("HTTP/1.1 200 OK\r\n"));
    }

    void methodsAndMissingFiles()
    {
        const WebPage page;
        QVERIFY(page.respond({"POST", "/", false, {}}).startsWith("HTTP/1.1 405 "));
        const QByteArray head = page.respond({"HEAD", "/", false, {}});
        QVERIFY(head.startsWith("HTTP/1.1 200 OK\r\n"));
        QVERIFY(bodyOf(head).isEmpty());
        QVERIFY(header(head, "Content-Length").toLongLong() > 0);
        QVERIFY(page.respond({"GET", "/assets/none.js", false, {}}).startsWith("HTTP/1.1 404 "));
        // A relay built without Node.js says why.
        const WebPage missing(QStringLiteral(":/no-such-prefix"));
        QVERIFY(!missing.isBuilt());
        const QByteArray reply = missing.respond({"GET", "/", false, {}});
        QVERIFY(reply.startsWith("HTTP/1.1 404 "));
        QVERIFY(bodyOf(reply).contains("built without its web editor"));
    }

    void switchedOffMeansTheOldAnswers()
    {
        Metrics metrics;
        HttpEndpoints endpoints(&metrics);
        QVERIFY(endpoints.respond("GET / HTTP/1.1\r\n\r\n", Routes::RelayPort).startsWith("HTTP/1.1 426 "));
        const WebPage page;
        endpoints.setWebPage(&page);
        QVERIFY(endpoints.respond("GET /d/x HTTP/1.1\r\nAccept-Encoding: gzip, br\r\n\r\n", Routes::RelayPort)
                    .contains("\r\nContent-Encoding: gzip\r\n"));
        QVERIFY(!endpoints.respond("GET /d/x HTTP/1.1\r\nAccept-Encoding: gzip;q=0, br\r\n\r\n", Routes::RelayPort)
                     .contains("\r\nContent-Encoding: gzip\r\n"));
        // Never on the metrics port.
        QVERIFY(endpoints.respond("GET / HTTP/1.1\r\n\r\n", Routes::MetricsPort).startsWith("HTTP/1.1 404 "));
    }

    void originAllowed_data()
    {
        QTest::addColumn<QByteArray>("headers");
        QTest::addColumn<QStringList>("allowed");
        QTest::addColumn<bool>("expected");
        const QStringList none;
        QTest::newRow("native client, no Origin") << QByteArray("Host: 127.0.0.1:7300") << none << true;
        QTest::newRow("own page") << QByteArray("Host: 127.0.0.1:7300\r\nOrigin: http://127.0.0.1:7300") << none << true;
        QTest::newRow("own page, host case") << QByteArray("Host: Notes.Example.org\r\nOrigin: https://notes.example.ORG") << none << true;
        QTest::newRow("behind TLS proxy, default port") << QByteArray("Host: notes.example.org\r\nOrigin: https://notes.example.org") << none << true;
        QTest::newRow("default port spelled out") << QByteArray("Host: notes.example.org:443\r\nOrigin: https://notes.example.org") << none << true;
        QTest::newRow("IPv6") << QByteArray("Host: [::1]:7300\r\nOrigin: http://[::1]:7300") << none << true;
        QTest::newRow("other port") << QByteArray("Host: 127.0.0.1:7300\r\nOrigin: http://127.0.0.1:8080") << none << false;
        QTest::newRow("other site") << QByteArray("Host: notes.example.org\r\nOrigin: https://evil.example") << none << false;
        QTest::newRow("suffix trick") << QByteArray("Host: notes.example.org\r\nOrigin: https://notes.example.org.evil.example") << none << false;
        QTest::newRow("opaque origin") << QByteArray("Host: notes.example.org\r\nOrigin: null") << none << false;
        QTest::newRow("no Host") << QByteArray("Origin: https://notes.example.org") << none << false;
        QTest::newRow("file page") << QByteArray("Host: 127.0.0.1:7300\r\nOrigin: file://") << none << false;
        QTest::newRow("listed") << QByteArray("Host: 127.0.0.1:7300\r\nOrigin: https://editor.example")
                                << QStringList{QStringLiteral("https://editor.example")} << true;
        QTest::newRow("any") << QByteArray("Host: 127.0.0.1:7300\r\nOrigin: https://x.example")
                             << QStringList{QStringLiteral("*")} << true;
    }
    void originAllowed()
    {
        QFETCH(QByteArray, headers);
        QFETCH(QStringList, allowed);
        QFETCH(bool, expected);
        const QByteArray head = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + headers + "\r\n\r\n";
        QCOMPARE(HttpEndpoints::originAllowed(head, allowed), expected);
    }

    // On a socket: a refused origin gets 403 before any handshake and is counted; the own origin gets through.
    void refusedBeforeTheHandshake()
    {
        Metrics metrics;
        HttpEndpoints endpoints(&metrics);
        QTcpServer tcp;
        QWebSocketServer webSockets(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
        QVERIFY(tcp.listen(QHostAddress::LocalHost, 0));
        int handedOver = 0;
        connect(&tcp, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket *socket = tcp.nextPendingConnection())
                endpoints.route(socket, [&](QTcpSocket *s) { ++handedOver; webSockets.handleConnection(s); });
        });
        const QByteArray host = "127.0.0.1:" + QByteArray::number(tcp.serverPort());
        const QByteArray upgrade = "GET / HTTP/1.1\r\nHost: " + host
                                   + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        QTcpSocket evil;
        evil.connectToHost(QHostAddress::LocalHost, tcp.serverPort());
        QVERIFY(evil.waitForConnected(5000));
        evil.write(upgrade + "Origin: http://evil.example\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(evil.state() == QAbstractSocket::UnconnectedState, 5000);
        const QByteArray reply = evil.readAll();
        QVERIFY2(reply.startsWith("HTTP/1.1 403 Forbidden\r\n"), reply.constData());
        QCOMPARE(handedOver, 0);
        QVERIFY(metrics.exposition().contains("coscribe_relay_connections_rejected_total{reason=\"origin\"} 1"));

        QTcpSocket own;
        own.connectToHost(QHostAddress::LocalHost, tcp.serverPort());
        QVERIFY(own.waitForConnected(5000));
        own.write(upgrade + "Origin: http://" + host + "\r\n\r\n");
        QTRY_COMPARE_WITH_TIMEOUT(handedOver, 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(own.bytesAvailable() > 0 || own.waitForReadyRead(50), 5000);
        QVERIFY(own.readAll().startsWith("HTTP/1.1 101 "));
    }
};

QTEST_GUILESS_MAIN(tst_WebPage)
#include "tst_webpage.moc"
