// SPDX-License-Identifier: MIT
#pragma once

#include "defaults.h"

#include <QHostAddress>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>
#include <variant>

// Config: every setting of coscribe-relay, read once at start-up and then immutable.
//
// Sources, highest precedence first (each option is resolved on its own):
//   1. the command line              --max-message-bytes 2MiB
//   2. the environment               COSCRIBE_RELAY_MAX_MESSAGE_BYTES=2MiB
//   3. the config file (--config)    max-message-bytes = 2MiB        (INI, QSettings IniFormat, no section)
//   4. built-in defaults
// A repeatable option (--allowed-origin) takes all its values from the highest source that has any; values
// are not merged across sources. Sizes accept suffixes k/K/KiB, M/MiB, G/GiB (powers of 1024); durations
// accept ms, s (the default unit), m, h. Unknown keys in the config file are errors (a typo must not
// silently leave a limit at its default); unknown COSCRIBE_RELAY_* variables only produce warnings().
//
// Invariants of a parsed Config (checked by parse(), so the relay need not re-check them):
//   - a non-loopback listen address has a tokens file (anonymous editing is for loopback only);
//   - the tokens, certificate, key and config files exist and are readable;
//   - TLS certificate and key come together;
//   - every limit is positive, the metrics port differs from a non-zero relay port.
//
// Wiring note for server/main.cpp:
//     const auto parsed = relay::Config::parse(app.arguments(), QProcessEnvironment::systemEnvironment());
//     if (auto *exit = std::get_if<relay::Config::Exit>(&parsed)) {
//         (exit->code == 0 ? stdout : stderr) << exit->message;   return exit->code;
//     }
//     const relay::Config &config = std::get<relay::Config>(parsed);
//     for (const QString &w : config.warnings()) qCWarning(...) << w;
//     qCInfo(...) << config.summary();     // safe to log: no tokens, no database password
namespace relay {

class Config
{
public:
    enum class LogLevel { Debug, Info, Warning, Error };

    // Where documents are stored. Sqlite: `path` is the database file. Postgres: from a
    // postgresql://user[:password]@host[:port]/database URL (password never appears in summary()).
    struct Database
    {
        enum class Kind { Sqlite, Postgres };
        Kind kind = Kind::Sqlite;
        QString path;      // Sqlite
        QString host;      // Postgres
        int port = 5432;   // Postgres
        QString user;      // Postgres
        QString password;  // Postgres; may be empty (peer / .pgpass authentication)
        QString name;      // Postgres database name
    };

    // Returned instead of a Config when the process should not start the relay: --help / --version
    // (code 0, print message to stdout) or a usage / validation error (code 2, print to stderr).
    struct Exit
    {
        int code = 0;
        QString message;
    };

    using Result = std::variant<Config, Exit>;

    // args as from QCoreApplication::arguments() (args[0] is the program name). Never exits the process.
    static Result parse(const QStringList &args, const QProcessEnvironment &env);

    // The text of --help (also used by parse()).
    static QString helpText();

    static constexpr quint16 defaultPort = defaults::port;
    static constexpr const char *envPrefix = "COSCRIBE_RELAY_";

    // Network
    QHostAddress listenAddress() const { return m_listenAddress; }
    QString listenText() const { return m_listenText; }  // as given: "127.0.0.1", "::", "localhost"
    quint16 port() const { return m_port; }               // 0 = an ephemeral port chosen by the OS
    // 0 = /healthz and /metrics are served on the relay port; otherwise on this port (same address).
    quint16 metricsPort() const { return m_metricsPort; }
    QStringList allowedOrigins() const { return m_allowedOrigins; }  // besides the relay's own; "*" = any
    bool webEditor() const { return m_webEditor; }

    // Storage
    QString dataDir() const { return m_dataDir; }
    Database database() const { return m_database; }

    // Access and transport
    QString tokensFile() const { return m_tokensFile; }  // empty = anonymous (loopback only)
    bool hasTokens() const { return !m_tokensFile.isEmpty(); }
    QString tlsCertificate() const { return m_tlsCert; }
    QString tlsKey() const { return m_tlsKey; }
    bool hasTls() const { return !m_tlsCert.isEmpty(); }

    // Limits
    qint64 maxMessageBytes() const { return m_maxMessageBytes; }
    qint64 maxDocumentBytes() const { return m_maxDocumentBytes; }  // UTF-8 size of a document's text
    int opsPerSecond() const { return m_opsPerSecond; }             // sustained, per connection
    int burst() const { return m_burst; }                           // token-bucket size, per connection
    int maxConnectionsPerAddress() const { return m_maxConnectionsPerAddress; }
    int maxConnections() const { return m_maxConnections; }

    // Timers
    std::chrono::milliseconds helloTimeout() const { return m_helloTimeout; }
    std::chrono::milliseconds pingInterval() const { return m_pingInterval; }
    std::chrono::milliseconds pingTimeout() const { return m_pingTimeout; }
    int snapshotInterval() const { return m_snapshotInterval; }  // operations between snapshots
    qint64 maxOutputBytes() const { return m_maxOutputBytes; }
    int maxUnauthenticated() const { return m_maxUnauthenticated; }
    int maxUnauthenticatedPerAddress() const { return m_maxUnauthenticatedPerAddress; }
    int maxDocumentsPerUser() const { return m_maxDocumentsPerUser; }
    int historyGapSeconds() const { return m_historyGapSeconds; }
    int maxCreationsPerHour() const { return m_maxCreationsPerHour; }

    LogLevel logLevel() const { return m_logLevel; }
    // A QLoggingCategory filter rule string for the level, e.g. "coscribe.*.debug=false".
    QString loggingRules() const;

    QString configFile() const { return m_configFile; }
    QStringList warnings() const { return m_warnings; }

    // One line per setting, for the start-up log. Contains no secret (database password redacted).
    QString summary() const;

    // Parsers used for every source; public for the tests and for error messages elsewhere.
    static std::optional<qint64> parseSize(const QString &text);
    static std::optional<std::chrono::milliseconds> parseDuration(const QString &text);

private:
    QString m_listenText = QStringLiteral("127.0.0.1");
    QHostAddress m_listenAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 m_port = defaultPort;
    quint16 m_metricsPort = 0;
    QStringList m_allowedOrigins;
    bool m_webEditor = true;
    QString m_dataDir;
    Database m_database;
    QString m_tokensFile;
    QString m_tlsCert;
    QString m_tlsKey;
    qint64 m_maxMessageBytes = defaults::maxMessageBytes;
    qint64 m_maxDocumentBytes = defaults::maxDocumentBytes;
    int m_opsPerSecond = defaults::opsPerSecond;
    int m_burst = defaults::burst;
    int m_maxConnectionsPerAddress = defaults::maxConnectionsPerAddress;
    int m_maxConnections = defaults::maxConnections;
    std::chrono::milliseconds m_helloTimeout = defaults::helloTimeout;
    std::chrono::milliseconds m_pingInterval = defaults::pingInterval;
    std::chrono::milliseconds m_pingTimeout = defaults::pingTimeout;
    int m_snapshotInterval = defaults::snapshotInterval;
    qint64 m_maxOutputBytes = defaults::maxOutputBytes;
    int m_maxUnauthenticated = defaults::maxUnauthenticated;
    int m_maxUnauthenticatedPerAddress = defaults::maxUnauthenticatedPerAddress;
    int m_maxDocumentsPerUser = defaults::maxDocumentsPerUser;
    int m_historyGapSeconds = defaults::historyGapSeconds;
    int m_maxCreationsPerHour = defaults::maxCreationsPerHour;
    LogLevel m_logLevel = LogLevel::Info;
    QString m_configFile;
    QStringList m_warnings;
};

} // namespace relay
