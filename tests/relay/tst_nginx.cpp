// SPDX-License-Identifier: MIT
// Real nginx (Debian nginx-light) in front of an in-process relay, running the shipped
// resources/nginx/coscribe.conf with only ports, certificate paths and the upstream address substituted:
// clients connect with wss:// to nginx, which terminates TLS and proxies the WebSocket to ws:// on the relay.
// nginx runs as a foreground subprocess (daemon off) with its pid, logs and temp files in a QTemporaryDir.
#include "relayserver.h"
#include "relaytestclient.h"
#include "sqlstorage.h"
#include "tlstestutil.h"

#include <QJsonArray>
#include <QProcess>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace collab;
using relay::RelayServer;

namespace {

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QString sourceDir()
{
    const QString fromEnv = qEnvironmentVariable("COSCRIBE_SOURCE_DIR");
    return fromEnv.isEmpty() ? QStringLiteral(COSCRIBE_SOURCE_DIR_FALLBACK) : fromEnv;
}

} // namespace

class tst_Nginx : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    tlstest::Certificate m_cert;
    std::unique_ptr<relay::SqlStorage> m_storage;
    std::unique_ptr<RelayServer> m_relay;
    QProcess m_nginx;
    quint16 m_httpsPort = 0;
    quint16 m_httpPort = 0;

    QSslConfiguration trusting() const
    {
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setCaCertificates({m_cert.certificate});
        return config;
    }

    QByteArray httpsGet(const QByteArray &path)
    {
        QSslSocket socket;
        socket.setSslConfiguration(trusting());
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_httpsPort);
        if (!QTest::qWaitFor([&] { return socket.isEncrypted(); }, 10000))
            return "TLS failed: " + socket.errorString().toUtf8();
        socket.write("GET " + path + " HTTP/1.1\r\nHost: notes.example.org\r\nConnection: close\r\n\r\n");
        QByteArray reply;
        [[maybe_unused]] const bool closed = QTest::qWaitFor([&] {
            reply += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        }, 10000);
        return reply + socket.readAll();
    }

    std::unique_ptr<RelayTestClient> clientThroughNginx(const QString &name)
    {
        auto client = std::make_unique<RelayTestClient>();
        client->socket.setSslConfiguration(trusting());
        if (!client->open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(m_httpsPort))))
            return nullptr;
        if (client->hello(name).isEmpty())
            return nullptr;
        return client;
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString nginx = QStandardPaths::findExecutable(QStringLiteral("nginx"), {QStringLiteral("/usr/sbin"),
                                                                                     QStringLiteral("/usr/bin")});
        if (nginx.isEmpty())
            QFAIL("nginx not installed (Debian package nginx-light; scripts/install-deps.sh installs it)");
        QVERIFY(m_dir.isValid());
        m_cert = tlstest::generateSelfSigned(m_dir);
        if (!m_cert.isValid())
            QFAIL(qPrintable(m_cert.error));

        relay::SqlStorage::Options options;
        options.databaseName = m_dir.filePath(QStringLiteral("relay.sqlite"));
        options.synchronousFull = false;
        m_storage = std::make_unique<relay::SqlStorage>(options);
        QVERIFY(m_storage->open());
        RelayServer::Settings settings;
        settings.port = 0;
        m_relay = std::make_unique<RelayServer>(*m_storage, std::move(settings));
        QVERIFY2(m_relay->listen(), qPrintable(m_relay->errorString()));

        // The shipped site configuration, with every substitution checked so the test notices if the file's
        // shape changes.
        QFile site(sourceDir() + QStringLiteral("/resources/nginx/coscribe.conf"));
        QVERIFY2(site.open(QIODevice::ReadOnly), qPrintable(site.fileName()));
        QString conf = QString::fromUtf8(site.readAll());
        m_httpsPort = freePort();
        m_httpPort = freePort();
        const QList<QPair<QString, QString>> substitutions = {
            {QStringLiteral("listen 443 ssl;"), QStringLiteral("listen 127.0.0.1:%1 ssl;").arg(m_httpsPort)},
            {QStringLiteral("listen [::]:443 ssl;"), QString()},
            {QStringLiteral("listen 80;"), QStringLiteral("listen 127.0.0.1:%1;").arg(m_httpPort)},
            {QStringLiteral("listen [::]:80;"), QString()},
            {QStringLiteral("/etc/letsencrypt/live/notes.example.org/fullchain.pem"), m_cert.certificatePath},
            {QStringLiteral("/etc/letsencrypt/live/notes.example.org/privkey.pem"), m_cert.keyPath},
            {QStringLiteral("server 127.0.0.1:7300;"), QStringLiteral("server 127.0.0.1:%1;").arg(m_relay->port())},
        };
        for (const auto &[from, to] : substitutions) {
            QVERIFY2(conf.contains(from), qPrintable(QStringLiteral("coscribe.conf no longer contains: ") + from));
            conf.replace(from, to);
        }
        const QString dir = m_dir.path();
        QFile siteOut(m_dir.filePath(QStringLiteral("coscribe.conf")));
        QVERIFY(siteOut.open(QIODevice::WriteOnly));
        siteOut.write(conf.toUtf8());
        siteOut.close();

        QFile main(m_dir.filePath(QStringLiteral("nginx.conf")));
        QVERIFY(main.open(QIODevice::WriteOnly));
        QString mainConf = QStringLiteral(
            "daemon off;\n"
            "worker_processes 1;\n"
            "pid %1/nginx.pid;\n"
            "error_log %1/error.log info;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            "    access_log %1/access.log;\n"
            "    client_body_temp_path %1/client_body;\n"
            "    proxy_temp_path %1/proxy;\n"
            "    fastcgi_temp_path %1/fastcgi;\n"
            "    uwsgi_temp_path %1/uwsgi;\n"
            "    scgi_temp_path %1/scgi;\n"
            "    include %1/coscribe.conf;\n"
            "}\n").arg(dir);
        if (::geteuid() == 0)  // as root, nginx would switch workers to "nobody", who cannot read the temp dir
            mainConf.prepend(QStringLiteral("user root;\n"));
        main.write(mainConf.toUtf8());
        main.close();

        m_nginx.setProcessChannelMode(QProcess::MergedChannels);
        m_nginx.start(nginx, {QStringLiteral("-p"), dir, QStringLiteral("-c"), main.fileName(), QStringLiteral("-e"),
                              m_dir.filePath(QStringLiteral("error.log"))});
        QVERIFY2(m_nginx.waitForStarted(5000), qPrintable(m_nginx.errorString()));
        const bool up = QTest::qWaitFor([&] {
            if (m_nginx.state() != QProcess::Running)
                return true;
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, m_httpsPort);
            return probe.waitForConnected(100);
        }, 10000);
        if (!up || m_nginx.state() != QProcess::Running) {
            QFile log(m_dir.filePath(QStringLiteral("error.log")));
            log.open(QIODevice::ReadOnly);
            QFAIL(qPrintable(QStringLiteral("nginx did not start: %1\n%2")
                                 .arg(QString::fromUtf8(m_nginx.readAll()), QString::fromUtf8(log.readAll()))));
        }
    }

    void cleanupTestCase()
    {
        if (m_nginx.state() == QProcess::Running) {
            m_nginx.terminate();
            if (!m_nginx.waitForFinished(10000))
                m_nginx.kill();
            m_nginx.waitForFinished(5000);
        }
        m_relay.reset();
        m_storage.reset();
    }

    void editThroughNginx()
    {
        auto a = clientThroughNginx(QStringLiteral("A"));
        auto b = clientThroughNginx(QStringLiteral("B"));
        QVERIFY(a && b);
        QCOMPARE(m_relay->connectionCount(), 2);
        const QJsonObject opened = a->openDocument(QStringLiteral("proxied"));
        QVERIFY(!opened.isEmpty());
        QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), 0);
        QVERIFY(!b->openDocument(QStringLiteral("proxied")).isEmpty());
        QCOMPARE(a->edit(QStringLiteral("proxied"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("via nginx"))),
                 1);
        const QJsonObject op = b->waitFor(QStringLiteral("op"));
        QCOMPARE(op.value(QStringLiteral("rev")).toInt(), 1);
        QCOMPARE(QJsonDocument(op.value(QStringLiteral("op")).toArray()).toJson(QJsonDocument::Compact),
                 QByteArray(R"(["via nginx"])"));
        // Concurrent edits from both sides converge through the proxy.
        QCOMPARE(b->edit(QStringLiteral("proxied"), 1, 1, TextOperation::makeInsert(9, 9, QStringLiteral("!"))), 2);
        QCOMPARE(a->waitFor(QStringLiteral("op")).value(QStringLiteral("rev")).toInt(), 2);
        const auto stored = m_storage->operations(QStringLiteral("proxied"), 0, 100);
        QVERIFY(stored);
        QCOMPARE(int(stored->size()), 2);
    }

    void healthAndMetricsThroughNginx()
    {
        QByteArray reply = httpsGet("/healthz");
        QVERIFY2(reply.startsWith("HTTP/1.1 200 OK\r\n"), reply.constData());
        QVERIFY(reply.contains("\"status\":\"ok\""));
        reply = httpsGet("/metrics");  // allowed from 127.0.0.1 by the shipped config
        QVERIFY2(reply.startsWith("HTTP/1.1 200 OK\r\n"), reply.constData());
        QVERIFY(reply.contains("coscribe_relay_operations_applied_total"));
    }

    // The relay's web editor through the proxy: the page is served, and its WebSocket (Origin = the proxy's
    // https origin) is let through because nginx passes the browser's Host on; another site's is refused.
    void webEditorThroughNginx()
    {
        const QByteArray page = httpsGet("/d/proxied");
        QVERIFY2(page.startsWith("HTTP/1.1 200 OK\r\n"), page.left(200).constData());
        QVERIFY(page.contains("<script type=\"module\" src=\"/assets/app.js\">"));
        QVERIFY(page.contains("Content-Security-Policy: "));

        RelayTestClient own;
        own.socket.setSslConfiguration(trusting());
        QVERIFY(own.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(m_httpsPort)),
                         QStringLiteral("https://127.0.0.1:%1").arg(m_httpsPort)));
        QVERIFY(!own.hello(QStringLiteral("page")).isEmpty());

        RelayTestClient other;
        other.socket.setSslConfiguration(trusting());
        QVERIFY(!other.open(QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(m_httpsPort)),
                            QStringLiteral("https://elsewhere.example")));
    }

    void plainHttpRedirectsToHttps()
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_httpPort);
        QVERIFY(QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 5000));
        socket.write("GET /doc HTTP/1.1\r\nHost: notes.example.org\r\nConnection: close\r\n\r\n");
        QByteArray reply;
        [[maybe_unused]] const bool closed = QTest::qWaitFor([&] {
            reply += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        }, 10000);
        reply += socket.readAll();
        QVERIFY2(reply.startsWith("HTTP/1.1 301 "), reply.constData());
        QVERIFY(reply.contains("Location: https://notes.example.org/doc\r\n"));
    }
};

QTEST_GUILESS_MAIN(tst_Nginx)
#include "tst_nginx.moc"
