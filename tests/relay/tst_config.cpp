// SPDX-License-Identifier: MIT
#include "config.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using relay::Config;

class tst_Config : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_tokens;

    QString writeFile(const QString &name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        file.write(content);
        return path;
    }

    static QProcessEnvironment environment(const QStringList &assignments)
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("HOME"), QStringLiteral("/home/tester"));
        for (const QString &a : assignments)
            env.insert(a.section(u'=', 0, 0), a.section(u'=', 1));
        return env;
    }

    // Replaces @TOKENS@ / @DIR@ in arguments, environment values and file contents.
    QString expand(QString s) const
    {
        return s.replace(QStringLiteral("@TOKENS@"), m_tokens).replace(QStringLiteral("@DIR@"), m_dir.path());
    }
    QStringList expand(QStringList list) const
    {
        for (QString &s : list)
            s = expand(s);
        return list;
    }

    Config::Result parseWith(const QStringList &args, const QStringList &env, const QString &fileContent)
    {
        QStringList all{QStringLiteral("coscribe-relay")};
        all += expand(args);
        if (!fileContent.isNull())
            all << QStringLiteral("--config") << writeFile(QStringLiteral("relay.ini"), expand(fileContent).toUtf8());
        return Config::parse(all, environment(expand(env)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_tokens = writeFile(QStringLiteral("tokens"), "0123456789abcdef0123 alice admin:*\n");
    }

    void defaults()
    {
        const auto result = Config::parse({QStringLiteral("coscribe-relay")}, environment({}));
        QVERIFY(std::holds_alternative<Config>(result));
        const Config &config = std::get<Config>(result);
        QCOMPARE(config.listenAddress(), QHostAddress(QHostAddress::LocalHost));
        QCOMPARE(config.port(), quint16(7300));
        QCOMPARE(config.metricsPort(), quint16(0));
        QCOMPARE(config.dataDir(), QStringLiteral("/home/tester/.local/share/coscribe-relay"));
        QCOMPARE(config.database().kind, Config::Database::Kind::Sqlite);
        QCOMPARE(config.database().path, QStringLiteral("/home/tester/.local/share/coscribe-relay/relay.sqlite"));
        QVERIFY(!config.hasTokens());
        QVERIFY(!config.hasTls());
        QVERIFY(config.allowedOrigins().isEmpty());
        QCOMPARE(config.maxMessageBytes(), 1024 * 1024);
        QCOMPARE(config.maxDocumentBytes(), 16 * 1024 * 1024);
        QVERIFY(config.opsPerSecond() > 0 && config.burst() >= config.opsPerSecond());
        QCOMPARE(config.helloTimeout(), std::chrono::milliseconds(5000));
        QCOMPARE(config.logLevel(), Config::LogLevel::Info);
        QVERIFY(config.warnings().isEmpty());
    }

    // Each row resolves one option from up to three sources; `expected` is the value that must win.
    void precedence_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("file");  // null: no config file
        QTest::addColumn<QString>("expectedPort");
        QTest::addColumn<QString>("expectedMaxMessage");

        const QString noFile;
        QTest::newRow("default") << QStringList{} << QStringList{} << noFile << "7300" << "1048576";
        QTest::newRow("file only") << QStringList{} << QStringList{}
                                   << "port = 7401\nmax-message-bytes = 64KiB\n" << "7401" << "65536";
        QTest::newRow("env beats file") << QStringList{} << QStringList{"COSCRIBE_RELAY_PORT=7402"}
                                        << "port = 7401\nmax-message-bytes = 64KiB\n" << "7402" << "65536";
        QTest::newRow("cli beats env and file")
            << QStringList{"--port", "7403"} << QStringList{"COSCRIBE_RELAY_PORT=7402"}
            << "port = 7401\n" << "7403" << "1048576";
        QTest::newRow("cli beats env, per option")
            << QStringList{"--max-message-bytes", "2M"}
            << QStringList{"COSCRIBE_RELAY_PORT=7402", "COSCRIBE_RELAY_MAX_MESSAGE_BYTES=3M"} << noFile << "7402"
            << "2097152";
        QTest::newRow("env with underscores") << QStringList{} << QStringList{"COSCRIBE_RELAY_MAX_MESSAGE_BYTES=10k"}
                                              << noFile << "7300" << "10240";
        QTest::newRow("config file from env")
            << QStringList{} << QStringList{"COSCRIBE_RELAY_CONFIG=@DIR@/env.ini"} << noFile << "7404" << "1048576";
        QTest::newRow("section [relay] in file") << QStringList{} << QStringList{} << "[relay]\nport = 7405\n"
                                                 << "7405" << "1048576";
        QTest::newRow("--option=value form") << QStringList{"--port=7406"} << QStringList{} << noFile << "7406"
                                             << "1048576";
    }

    void precedence()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, env);
        QFETCH(QString, file);
        QFETCH(QString, expectedPort);
        QFETCH(QString, expectedMaxMessage);
        writeFile(QStringLiteral("env.ini"), "port = 7404\n");
        const auto result = parseWith(args, env, file);
        if (auto *exit = std::get_if<Config::Exit>(&result))
            QFAIL(qPrintable(exit->message));
        const Config &config = std::get<Config>(result);
        QCOMPARE(QString::number(config.port()), expectedPort);
        QCOMPARE(QString::number(config.maxMessageBytes()), expectedMaxMessage);
    }

    void allowedOrigins_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("repeated") << QStringList{"--allowed-origin", "https://a.example", "--allowed-origin",
                                                 "http://b.example:8080"}
                                  << QStringList{} << QString()
                                  << QStringList{"https://a.example", "http://b.example:8080"};
        QTest::newRow("comma list in env") << QStringList{}
                                           << QStringList{"COSCRIBE_RELAY_ALLOWED_ORIGIN=https://a.example, https://c.example"}
                                           << QString() << QStringList{"https://a.example", "https://c.example"};
        QTest::newRow("comma list in file") << QStringList{} << QStringList{}
                                            << "allowed-origin = https://a.example, https://d.example\n"
                                            << QStringList{"https://a.example", "https://d.example"};
        QTest::newRow("cli replaces env, no merge")
            << QStringList{"--allowed-origin", "https://x.example"}
            << QStringList{"COSCRIBE_RELAY_ALLOWED_ORIGIN=https://a.example"} << QString()
            << QStringList{"https://x.example"};
    }

    void allowedOrigins()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, env);
        QFETCH(QString, file);
        QFETCH(QStringList, expected);
        const auto result = parseWith(args, env, file);
        if (auto *exit = std::get_if<Config::Exit>(&result))
            QFAIL(qPrintable(exit->message));
        QCOMPARE(std::get<Config>(result).allowedOrigins(), expected);
    }

    void accepted_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("IPv6 loopback without tokens") << QStringList{"--listen", "::1"};
        QTest::newRow("localhost without tokens") << QStringList{"--listen", "localhost"};
        QTest::newRow("any address with tokens") << QStringList{"--listen", "0.0.0.0", "--tokens", "@TOKENS@"};
        QTest::newRow("public IPv6 with tokens") << QStringList{"--listen", "::", "--tokens", "@TOKENS@"};
        QTest::newRow("ephemeral port") << QStringList{"--port", "0"};
        QTest::newRow("separate metrics port") << QStringList{"--metrics-port", "9100"};
    }

    void accepted()
    {
        QFETCH(QStringList, args);
        const auto result = parseWith(args, {}, QString());
        if (auto *exit = std::get_if<Config::Exit>(&result))
            QFAIL(qPrintable(exit->message));
    }

    // Each row must be refused with exit code 2 and a message that contains `needle`.
    void validation_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("env");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("needle");
        const QString noFile;
        QTest::newRow("non-loopback without tokens")
            << QStringList{"--listen", "0.0.0.0"} << QStringList{} << noFile
            << "refusing to listen on 0.0.0.0 without a tokens file";
        QTest::newRow("non-loopback via env without tokens")
            << QStringList{} << QStringList{"COSCRIBE_RELAY_LISTEN=192.0.2.10"} << noFile
            << "refusing to listen on 192.0.2.10 without a tokens file";
        QTest::newRow("IPv6 any without tokens") << QStringList{"--listen", "::"} << QStringList{} << noFile
                                                 << "without a tokens file";
        QTest::newRow("listen not an address") << QStringList{"--listen", "example.org"} << QStringList{} << noFile
                                               << "invalid value 'example.org' for --listen";
        QTest::newRow("port too large") << QStringList{"--port", "70000"} << QStringList{} << noFile
                                        << "invalid value '70000' for --port";
        QTest::newRow("port not a number") << QStringList{} << QStringList{"COSCRIBE_RELAY_PORT=http"} << noFile
                                           << "invalid value 'http' for COSCRIBE_RELAY_PORT";
        QTest::newRow("port from file") << QStringList{} << QStringList{} << "port = -1\n"
                                        << "invalid value '-1' for relay.ini: port";
        QTest::newRow("metrics port equals relay port") << QStringList{"--metrics-port", "7300"} << QStringList{}
                                                        << noFile << "--metrics-port 7300 is the relay port";
        QTest::newRow("cert without key") << QStringList{"--tls-cert", "@TOKENS@"} << QStringList{} << noFile
                                          << "--tls-cert needs --tls-key";
        QTest::newRow("key without cert") << QStringList{"--tls-key", "@TOKENS@"} << QStringList{} << noFile
                                          << "--tls-key needs --tls-cert";
        QTest::newRow("missing cert file") << QStringList{"--tls-cert", "@DIR@/nope.pem", "--tls-key", "@TOKENS@"}
                                           << QStringList{} << noFile << "nope.pem (from --tls-cert) does not exist";
        QTest::newRow("missing tokens file") << QStringList{"--tokens", "@DIR@/missing"} << QStringList{} << noFile
                                             << "tokens file @DIR@/missing (from --tokens) does not exist";
        QTest::newRow("tokens is a directory") << QStringList{"--tokens", "@DIR@"} << QStringList{} << noFile
                                               << "is not a regular file";
        QTest::newRow("missing config file") << QStringList{"--config", "@DIR@/none.ini"} << QStringList{} << noFile
                                             << "config file @DIR@/none.ini (from --config) does not exist";
        QTest::newRow("unknown key in config file") << QStringList{} << QStringList{} << "max-mesage-bytes = 1k\n"
                                                    << "unknown option 'max-mesage-bytes'";
        QTest::newRow("unknown option") << QStringList{"--prot", "1"} << QStringList{} << noFile
                                        << "Unknown option 'prot'";
        QTest::newRow("positional argument") << QStringList{"serve"} << QStringList{} << noFile
                                             << "unexpected argument 'serve'";
        QTest::newRow("bad size") << QStringList{"--max-message-bytes", "lots"} << QStringList{} << noFile
                                  << "expected a positive size";
        QTest::newRow("zero size") << QStringList{"--max-document-bytes", "0"} << QStringList{} << noFile
                                   << "expected a positive size";
        QTest::newRow("bad duration") << QStringList{"--ping-interval", "soon"} << QStringList{} << noFile
                                      << "expected a positive duration";
        QTest::newRow("negative count") << QStringList{"--ops-per-second", "-5"} << QStringList{} << noFile
                                        << "expected a positive whole number";
        QTest::newRow("bad log level") << QStringList{"--log-level", "loud"} << QStringList{} << noFile
                                       << "expected debug, info, warning or error";
        QTest::newRow("bad origin") << QStringList{"--allowed-origin", "notes.example.org"} << QStringList{}
                                    << noFile << "invalid origin 'notes.example.org'";
        QTest::newRow("origin with path") << QStringList{"--allowed-origin", "https://a.example/app"}
                                          << QStringList{} << noFile << "invalid origin";
        QTest::newRow("unsupported database URL") << QStringList{"--database", "mysql://u@h/db"} << QStringList{}
                                                  << noFile << "unsupported database URL scheme";
        QTest::newRow("postgres URL without database") << QStringList{"--database", "postgresql://u@h"}
                                                       << QStringList{} << noFile << "invalid database URL";
        QTest::newRow("data dir is a file") << QStringList{"--data-dir", "@TOKENS@"} << QStringList{} << noFile
                                            << "is not a directory";
    }

    void validation()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, env);
        QFETCH(QString, file);
        QFETCH(QString, needle);
        const auto result = parseWith(args, env, file);
        QVERIFY2(std::holds_alternative<Config::Exit>(result), "expected the relay to refuse to start");
        const Config::Exit &exit = std::get<Config::Exit>(result);
        QCOMPARE(exit.code, 2);
        QVERIFY2(exit.message.contains(expand(needle)), qPrintable(exit.message));
    }

    void helpListsEveryOption()
    {
        const auto result = Config::parse({QStringLiteral("coscribe-relay"), QStringLiteral("--help")}, environment({}));
        QVERIFY(std::holds_alternative<Config::Exit>(result));
        const Config::Exit &exit = std::get<Config::Exit>(result);
        QCOMPARE(exit.code, 0);
        QVERIFY(exit.message.startsWith(QStringLiteral("Usage: coscribe-relay ")));
        const char *options[] = {"listen", "port", "data-dir", "database", "tokens", "allowed-origin", "tls-cert",
                                 "tls-key", "metrics-port", "config", "max-message-bytes", "max-document-bytes",
                                 "ops-per-second", "burst", "max-connections-per-address", "max-connections",
                                 "hello-timeout", "ping-interval", "ping-timeout", "snapshot-interval", "log-level"};
        for (const char *option : options) {
            QVERIFY2(exit.message.contains(QStringLiteral("--%1 <").arg(QLatin1String(option))), option);
            const QString env = QStringLiteral("COSCRIBE_RELAY_") + QString::fromLatin1(option).toUpper().replace(u'-', u'_');
            QVERIFY2(exit.message.contains(env), qPrintable(env));
        }
    }

    void version()
    {
        const auto result = Config::parse({QStringLiteral("coscribe-relay"), QStringLiteral("--version")}, environment({}));
        QVERIFY(std::holds_alternative<Config::Exit>(result));
        QCOMPARE(std::get<Config::Exit>(result).code, 0);
        QVERIFY(std::get<Config::Exit>(result).message.startsWith(QStringLiteral("coscribe-relay ")));
    }

    void postgresUrlAndRedactedSummary()
    {
        const auto result = parseWith({QStringLiteral("--database"),
                                       QStringLiteral("postgresql://relay:hunter2pass@db.internal:6543/coscribe")},
                                      {}, QString());
        QVERIFY(std::holds_alternative<Config>(result));
        const Config::Database db = std::get<Config>(result).database();
        QCOMPARE(db.kind, Config::Database::Kind::Postgres);
        QCOMPARE(db.host, QStringLiteral("db.internal"));
        QCOMPARE(db.port, 6543);
        QCOMPARE(db.user, QStringLiteral("relay"));
        QCOMPARE(db.password, QStringLiteral("hunter2pass"));
        QCOMPARE(db.name, QStringLiteral("coscribe"));
        const QString summary = std::get<Config>(result).summary();
        QVERIFY2(!summary.contains(QStringLiteral("hunter2pass")), qPrintable(summary));
        QVERIFY(summary.contains(QStringLiteral("postgresql://relay:***@db.internal:6543/coscribe")));
    }

    void sqlitePathsAndDataDir()
    {
        auto result = parseWith({QStringLiteral("--data-dir"), QStringLiteral("@DIR@/state"), QStringLiteral("--database"),
                                 QStringLiteral("docs.db")},
                                {}, QString());
        QVERIFY(std::holds_alternative<Config>(result));
        QCOMPARE(std::get<Config>(result).dataDir(), m_dir.filePath(QStringLiteral("state")));
        QCOMPARE(std::get<Config>(result).database().path, m_dir.filePath(QStringLiteral("state/docs.db")));
        // systemd's StateDirectory= sets STATE_DIRECTORY: the default data dir follows it.
        result = parseWith({}, {QStringLiteral("STATE_DIRECTORY=/var/lib/coscribe-relay")}, QString());
        QVERIFY(std::holds_alternative<Config>(result));
        QCOMPARE(std::get<Config>(result).dataDir(), QStringLiteral("/var/lib/coscribe-relay"));
    }

    void unknownEnvironmentVariableWarns()
    {
        const auto result = parseWith({}, {QStringLiteral("COSCRIBE_RELAY_PROT=1")}, QString());
        QVERIFY(std::holds_alternative<Config>(result));
        QCOMPARE(std::get<Config>(result).warnings().size(), 1);
        QVERIFY(std::get<Config>(result).warnings().constFirst().contains(QStringLiteral("COSCRIBE_RELAY_PROT")));
    }

    void sizes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("expected");  // -1: invalid
        QTest::newRow("plain") << "4096" << qint64(4096);
        QTest::newRow("k") << "64k" << qint64(65536);
        QTest::newRow("KiB") << "64KiB" << qint64(65536);
        QTest::newRow("MiB spaced") << "1 MiB" << qint64(1048576);
        QTest::newRow("G") << "2G" << qint64(2147483648LL);
        QTest::newRow("negative") << "-1" << qint64(-1);
        QTest::newRow("unit only") << "MiB" << qint64(-1);
        QTest::newRow("unknown unit") << "5 parsecs" << qint64(-1);
        QTest::newRow("overflow") << "999999999999999G" << qint64(-1);
    }

    void sizes()
    {
        QFETCH(QString, text);
        QFETCH(qint64, expected);
        const auto size = Config::parseSize(text);
        QCOMPARE(size.value_or(-1), expected);
    }

    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("expectedMs");  // -1: invalid
        QTest::newRow("seconds by default") << "5" << qint64(5000);
        QTest::newRow("ms") << "250ms" << qint64(250);
        QTest::newRow("s") << "30s" << qint64(30000);
        QTest::newRow("m") << "2m" << qint64(120000);
        QTest::newRow("h") << "1h" << qint64(3600000);
        QTest::newRow("fraction") << "1.5s" << qint64(-1);
        QTest::newRow("word") << "soon" << qint64(-1);
    }

    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, expectedMs);
        const auto duration = Config::parseDuration(text);
        QCOMPARE(duration ? qint64(duration->count()) : qint64(-1), expectedMs);
    }
};

QTEST_GUILESS_MAIN(tst_Config)
#include "tst_config.moc"
