// SPDX-License-Identifier: MIT
#include "httpendpoints.h"
#include "metrics.h"
#include "tlsconfig.h"
#include "tlstestutil.h"

#include <QSignalSpy>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QWebSocket>
#include <QWebSocketServer>
#include <QtTest>

using relay::TlsConfig;

class tst_TlsConfig : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    tlstest::Certificate m_cert;

    QString write(const QString &name, const QByteArray &content)
    {
        QFile file(m_dir.filePath(name));
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write");
        file.write(content);
        return file.fileName();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        if (!TlsConfig::isAvailable(&why))
            QFAIL(qPrintable(why)); // scripts/install-deps.sh provides it: missing is a failure, not a skip
        QVERIFY(m_dir.isValid());
        m_cert = tlstest::generateSelfSigned(m_dir);
        if (!m_cert.isValid())
            QFAIL(qPrintable(m_cert.error));
    }

    void loadsGeneratedCertificate()
    {
        const auto loaded = TlsConfig::load(m_cert.certificatePath, m_cert.keyPath);
        if (auto *error = std::get_if<QString>(&loaded))
            QFAIL(qPrintable(*error));
        const QSslConfiguration &config = std::get<QSslConfiguration>(loaded);
        QCOMPARE(config.localCertificate(), m_cert.certificate);
        QVERIFY(!config.privateKey().isNull());
    }

    void errors_data()
    {
        QTest::addColumn<QString>("cert");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("needle");
        QTest::newRow("missing cert") << "@DIR@/none.pem" << "@KEY@" << "cannot read TLS certificate";
        QTest::newRow("missing key") << "@CERT@" << "@DIR@/none.key" << "cannot read TLS key";
        QTest::newRow("cert is not PEM") << "@GARBAGE@" << "@KEY@" << "contains no PEM certificate";
        QTest::newRow("key is not a key") << "@CERT@" << "@GARBAGE@" << "is not a PEM RSA or EC private key";
        QTest::newRow("key and cert swapped") << "@KEY@" << "@CERT@" << "contains no PEM certificate";
        QTest::newRow("encrypted key") << "@CERT@" << "@ENCRYPTED@" << "is encrypted with a passphrase";
    }

    void errors()
    {
        QFETCH(QString, cert);
        QFETCH(QString, key);
        QFETCH(QString, needle);
        QString error;
        const QString encrypted = tlstest::writeEncryptedKey(m_dir, m_cert, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString garbage = write(QStringLiteral("garbage.pem"), "not a certificate\n");
        auto expand = [&](QString s) {
            return s.replace(QStringLiteral("@DIR@"), m_dir.path())
                .replace(QStringLiteral("@CERT@"), m_cert.certificatePath)
                .replace(QStringLiteral("@KEY@"), m_cert.keyPath)
                .replace(QStringLiteral("@GARBAGE@"), garbage)
                .replace(QStringLiteral("@ENCRYPTED@"), encrypted);
        };
        const auto loaded = TlsConfig::load(expand(cert), expand(key));
        QVERIFY(std::holds_alternative<QString>(loaded));
        QVERIFY2(std::get<QString>(loaded).contains(needle), qPrintable(std::get<QString>(loaded)));
    }

    // The wiring documented in tlsconfig.h: QSslServer + LowDelay + HttpEndpoints::route + handleConnection.
    void serverPathOverRealTls()
    {
        const auto loaded = TlsConfig::load(m_cert.certificatePath, m_cert.keyPath);
        QVERIFY(std::holds_alternative<QSslConfiguration>(loaded));
        relay::Metrics metrics;
        relay::HttpEndpoints endpoints(&metrics);
        QSslServer server;
        server.setSslConfiguration(std::get<QSslConfiguration>(loaded));
        QWebSocketServer webSockets(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        // QSslServer emits newConnection at TCP accept, when nextPendingConnection() still returns nothing;
        // pendingConnectionAvailable comes once the TLS handshake is done and the socket is queued.
        connect(&server, &QTcpServer::pendingConnectionAvailable, this, [&] {
            while (QTcpSocket *socket = server.nextPendingConnection()) {
                socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                endpoints.route(socket, [&](QTcpSocket *s) { webSockets.handleConnection(s); });
            }
        });
        connect(&webSockets, &QWebSocketServer::newConnection, this, [&] {
            QWebSocket *peer = webSockets.nextPendingConnection();
            connect(peer, &QWebSocket::textMessageReceived, peer,
                    [peer](const QString &m) { peer->sendTextMessage(m.toUpper()); });
        });

        // Trust exactly the generated certificate (no errors ignored).
        QSslConfiguration clientConfig = QSslConfiguration::defaultConfiguration();
        clientConfig.setCaCertificates({m_cert.certificate});

        // https://127.0.0.1/healthz
        QSslSocket https;
        https.setSslConfiguration(clientConfig);
        https.connectToHostEncrypted(QStringLiteral("localhost"), server.serverPort());
        // No blocking waits: the server runs in this thread's event loop.
        QTRY_VERIFY2_WITH_TIMEOUT(https.isEncrypted(), qPrintable(https.errorString()), 10000);
        https.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
        QByteArray reply;
        QTRY_VERIFY2_WITH_TIMEOUT((reply += https.readAll(), https.state() == QAbstractSocket::UnconnectedState),
                                  reply.constData(), 10000);
        reply += https.readAll();
        QVERIFY2(reply.startsWith("HTTP/1.1 200 OK\r\n"), reply.constData());

        // wss://
        QWebSocket client;
        client.setSslConfiguration(clientConfig);
        QSignalSpy received(&client, &QWebSocket::textMessageReceived);
        client.open(QUrl(QStringLiteral("wss://localhost:%1/").arg(server.serverPort())));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::ConnectedState, 10000);
        client.sendTextMessage(QStringLiteral("secure"));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 10000);
        QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("SECURE"));

        // A client that does not trust the certificate fails the handshake.
        QSslSocket untrusting;
        QSignalSpy sslErrors(&untrusting, &QSslSocket::sslErrors);
        untrusting.connectToHostEncrypted(QStringLiteral("localhost"), server.serverPort());
        QTRY_VERIFY_WITH_TIMEOUT(sslErrors.size() > 0, 10000);
        QVERIFY(!untrusting.isEncrypted());
    }
};

QTEST_GUILESS_MAIN(tst_TlsConfig)
#include "tst_tlsconfig.moc"
