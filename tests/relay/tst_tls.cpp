// SPDX-License-Identifier: MIT
// The relay serving wss:// itself (--tls-cert/--tls-key) over real TLS on 127.0.0.1, with a certificate generated
// for the test. Clients trust exactly that certificate; no TLS error is ignored.
#include "relayserver.h"
#include "relaytestclient.h"
#include "sqlstorage.h"
#include "tlsconfig.h"
#include "tlstestutil.h"

#include <QJsonArray>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace collab;
using relay::RelayServer;

class tst_Tls : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    tlstest::Certificate m_cert;
    std::unique_ptr<relay::SqlStorage> m_storage;
    std::unique_ptr<RelayServer> m_server;

    QSslConfiguration trusting() const
    {
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setCaCertificates({m_cert.certificate});
        return config;
    }

    std::unique_ptr<RelayTestClient> secureClient(const QString &name)
    {
        auto client = std::make_unique<RelayTestClient>();
        client->socket.setSslConfiguration(trusting());
        if (!client->open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(m_server->port()))))
            return nullptr;
        if (client->hello(name).isEmpty())
            return nullptr;
        return client;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        if (!relay::TlsConfig::isAvailable(&why))
            QFAIL(qPrintable(why)); // scripts/install-deps.sh provides it: missing is a failure, not a skip
        QVERIFY(m_dir.isValid());
        m_cert = tlstest::generateSelfSigned(m_dir);
        if (!m_cert.isValid())
            QFAIL(qPrintable(m_cert.error));
        auto tls = relay::TlsConfig::load(m_cert.certificatePath, m_cert.keyPath);
        if (auto *error = std::get_if<QString>(&tls))
            QFAIL(qPrintable(*error));

        relay::SqlStorage::Options options;
        options.databaseName = m_dir.filePath(QStringLiteral("relay.sqlite"));
        options.synchronousFull = false;
        m_storage = std::make_unique<relay::SqlStorage>(options);
        QVERIFY(m_storage->open());
        RelayServer::Settings settings;
        settings.port = 0;
        settings.tls = std::get<QSslConfiguration>(tls);
        m_server = std::make_unique<RelayServer>(*m_storage, std::move(settings));
        QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
        QCOMPARE(m_server->url().scheme(), QStringLiteral("wss"));
    }

    void cleanupTestCase()
    {
        m_server.reset();
        m_storage.reset();
    }

    void editOverWss()
    {
        auto a = secureClient(QStringLiteral("A"));
        auto b = secureClient(QStringLiteral("B"));
        QVERIFY(a && b);
        QVERIFY(a->socket.sslConfiguration().sessionProtocol() >= QSsl::TlsV1_2);
        const QJsonObject opened = a->openDocument(QStringLiteral("secure"));
        QVERIFY(!opened.isEmpty());
        QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), 0);
        QVERIFY(!b->openDocument(QStringLiteral("secure")).isEmpty());

        QCOMPARE(a->edit(QStringLiteral("secure"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("over tls"))), 1);
        const QJsonObject op = b->waitFor(QStringLiteral("op"));
        QCOMPARE(op.value(QStringLiteral("rev")).toInt(), 1);
        QCOMPARE(QJsonDocument(op.value(QStringLiteral("op")).toArray()).toJson(QJsonDocument::Compact),
                 QByteArray(R"(["over tls"])"));
        QCOMPARE(b->edit(QStringLiteral("secure"), 1, 1, TextOperation::makeInsert(8, 8, QStringLiteral("!"))), 2);
        QCOMPARE(a->waitFor(QStringLiteral("op")).value(QStringLiteral("rev")).toInt(), 2);
    }

    void healthzOverHttps()
    {
        QSslSocket socket;
        socket.setSslConfiguration(trusting());
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_server->port());
        QTRY_VERIFY2_WITH_TIMEOUT(socket.isEncrypted(), qPrintable(socket.errorString()), 10000);
        socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray reply;
        QTRY_VERIFY_WITH_TIMEOUT((reply += socket.readAll(), socket.state() == QAbstractSocket::UnconnectedState),
                                 10000);
        reply += socket.readAll();
        QVERIFY2(reply.startsWith("HTTP/1.1 200 OK\r\n"), reply.constData());
    }

    void untrustedCertificateIsRefusedByClient()
    {
        RelayTestClient client;  // default CA set: the self-signed certificate is not trusted
        QSignalSpy sslErrors(&client.socket, &QWebSocket::sslErrors);
        client.socket.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(m_server->port())));
        QTRY_VERIFY_WITH_TIMEOUT(sslErrors.size() > 0, 10000);
        QVERIFY(client.socket.state() != QAbstractSocket::ConnectedState);
    }

    void plainWebSocketToTlsPortFails()
    {
        RelayTestClient client;
        client.socket.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(m_server->port())));
        QVERIFY(!QTest::qWaitFor([&] { return client.socket.state() == QAbstractSocket::ConnectedState; }, 3000));
    }
};

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
