// SPDX-License-Identifier: MIT
#include "config.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QUrl>

#include <limits>

#ifndef COSCRIBE_RELAY_VERSION
#define COSCRIBE_RELAY_VERSION "0.1.0"
#endif

namespace relay {

namespace {

// One row per option. `fallback` is the default shown in --help (empty: none / computed).
struct OptionSpec
{
    const char *name;
    const char *valueName;  // nullptr for a flag (none yet; kept for completeness)
    const char *help;
    QString fallback;
    bool repeatable = false;
};

// "1MiB", "48MiB", "16KiB" or bytes, as parseSize() reads them.
QString sizeText(qint64 bytes)
{
    if (bytes > 0 && bytes % (1024 * 1024) == 0)
        return QString::number(bytes / (1024 * 1024)) + QStringLiteral("MiB");
    if (bytes > 0 && bytes % 1024 == 0)
        return QString::number(bytes / 1024) + QStringLiteral("KiB");
    return QString::number(bytes);
}

// "5s" or "250ms", as parseDuration() reads them.
QString durationText(std::chrono::milliseconds d)
{
    if (d.count() % 1000 == 0)
        return QString::number(d.count() / 1000) + u's';
    return QString::number(d.count()) + QStringLiteral("ms");
}

// Built at start-up: the defaults come from defaults.h.
const OptionSpec kOptions[] = {
    {"config", "file", "Read options from an INI file (keys are option names, e.g. port = 7300).", ""},
    {"listen", "address", "Address to listen on (IPv4/IPv6 literal or localhost). Listening on a non-loopback "
                          "address requires --tokens.", QStringLiteral("127.0.0.1")},
    {"port", "port", "TCP port for WebSocket connections (0 = any free port).", QString::number(defaults::port)},
    {"data-dir", "dir", "Directory for the embedded database and other state.",
     QStringLiteral("$STATE_DIRECTORY, else $XDG_DATA_HOME/coscribe-relay")},
    {"database", "path-or-url", "SQLite file (relative paths are inside --data-dir) or "
                                "postgresql://user[:password]@host[:port]/database.", QStringLiteral("relay.sqlite")},
    {"tokens", "file", "Tokens file granting users roles on documents (see docs/SELF-HOSTING.md). Without "
                       "it, anyone who can connect may edit (loopback only).", ""},
    {"allowed-origin", "origin", "Allowed WebSocket Origin, e.g. https://notes.example.org (repeatable, or a "
                                 "comma list), or * for any. The relay's own origin (its web editor) is always "
                                 "allowed; handshakes from other browser origins are refused.", "", true},
    {"web-editor", "on|off", "Serve the browser editor at / and /d/<doc> on the relay port (docs/WEB.md).",
     QStringLiteral("on")},
    {"tls-cert", "file", "PEM certificate (chain) to serve wss:// directly. Needs --tls-key.", ""},
    {"tls-key", "file", "PEM private key (unencrypted) for --tls-cert.", ""},
    {"metrics-port", "port", "Serve /healthz and /metrics on this separate port (same address) instead of the "
                             "relay port; 0 = on the relay port.", QStringLiteral("0")},
    {"max-message-bytes", "size", "Largest accepted WebSocket message.", sizeText(defaults::maxMessageBytes)},
    {"max-document-bytes", "size", "Largest document text (UTF-8); edits beyond it are refused.", sizeText(defaults::maxDocumentBytes)},
    {"ops-per-second", "n", "Sustained operations per second allowed per connection.", QString::number(defaults::opsPerSecond)},
    {"burst", "n", "Operations a connection may send at once above the sustained rate.", QString::number(defaults::burst)},
    {"max-connections-per-address", "n", "Simultaneous connections from one IP address.", QString::number(defaults::maxConnectionsPerAddress)},
    {"max-connections", "n", "Simultaneous connections in total.", QString::number(defaults::maxConnections)},
    {"hello-timeout", "duration", "Close connections that send no valid hello within this time.", durationText(defaults::helloTimeout)},
    {"ping-interval", "duration", "Interval between server pings.", durationText(defaults::pingInterval)},
    {"ping-timeout", "duration", "Drop a peer that has not answered a ping within this time.", durationText(defaults::pingTimeout)},
    {"snapshot-interval", "n", "Store a snapshot of a document every n operations.", QString::number(defaults::snapshotInterval)},
    {"max-output-bytes", "size", "Unread output the relay queues for one connection before closing it (4013).",
     sizeText(defaults::maxOutputBytes)},
    {"max-handshakes", "n", "Connections still in their handshake or before hello, in total.", QString::number(defaults::maxUnauthenticated)},
    {"max-handshakes-per-address", "n", "Connections before hello from one IP address.", QString::number(defaults::maxUnauthenticatedPerAddress)},
    {"history-gap-seconds", "s", "A pause longer than this ends an author's edit session in the history.", QString::number(defaults::historyGapSeconds)},
    {"max-documents-per-user", "n", "Documents one user (token) may have created.", QString::number(defaults::maxDocumentsPerUser)},
    {"max-creations-per-hour", "n", "Documents one user may create per hour.", QString::number(defaults::maxCreationsPerHour)},
    {"log-level", "level", "debug, info, warning or error.", QStringLiteral("info")},
};

QString envName(const char *option)
{
    return QLatin1String(Config::envPrefix) + QString::fromLatin1(option).toUpper().replace(u'-', u'_');
}

void addOptions(QCommandLineParser &parser)
{
    parser.setApplicationDescription(QStringLiteral(
        "coscribe-relay: the Coscribe collaboration relay.\n"
        "Every option can also be set in the environment (COSCRIBE_RELAY_<OPTION>, e.g. COSCRIBE_RELAY_PORT)\n"
        "or in the --config file. Precedence: command line > environment > config file > default.\n"
        "Sizes take k/M/G suffixes (powers of 1024), durations ms/s/m/h.\n"
        "Tokens: coscribe-relay token add USER ROLE:PATTERN... | list | revoke ID-or-USER [--tokens FILE];\n"
        "a running relay reloads the tokens file when it changes and on SIGHUP."));
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addHelpOption();
    parser.addVersionOption();
    for (const OptionSpec &spec : kOptions) {
        QString help = QString::fromUtf8(spec.help);
        if (!spec.fallback.isEmpty())
            help += QStringLiteral(" [default: %1]").arg(spec.fallback);
        help += QStringLiteral(" [env: %1]").arg(envName(spec.name));
        parser.addOption(QCommandLineOption(QString::fromLatin1(spec.name), help,
                                            QString::fromLatin1(spec.valueName)));
    }
}

// The resolved raw values of one option, with where they came from (for error messages).
struct Raw
{
    QStringList values;
    QString source;  // "--port", "COSCRIBE_RELAY_PORT", "config.ini: port", or empty for default
    bool isSet() const { return !values.isEmpty(); }
    QString value() const { return values.isEmpty() ? QString() : values.constLast(); }
};

QStringList splitList(const QStringList &values)
{
    QStringList out;
    for (const QString &v : values)
        for (const QString &part : v.split(u',', Qt::SkipEmptyParts))
            if (const QString t = part.trimmed(); !t.isEmpty())
                out << t;
    return out;
}

QString defaultDataDir(const QProcessEnvironment &env)
{
    if (const QString state = env.value(QStringLiteral("STATE_DIRECTORY")); !state.isEmpty())
        return state.split(u':').constFirst();  // systemd may list several
    if (const QString xdg = env.value(QStringLiteral("XDG_DATA_HOME")); !xdg.isEmpty())
        return xdg + QStringLiteral("/coscribe-relay");
    if (const QString home = env.value(QStringLiteral("HOME")); !home.isEmpty())
        return home + QStringLiteral("/.local/share/coscribe-relay");
    return QDir::current().absoluteFilePath(QStringLiteral("coscribe-data"));
}

QString readableFileError(const QString &path, const QString &what, const QString &source)
{
    const QFileInfo info(path);
    if (!info.exists())
        return QStringLiteral("%1 %2 (from %3) does not exist").arg(what, path, source);
    if (!info.isFile())
        return QStringLiteral("%1 %2 (from %3) is not a regular file").arg(what, path, source);
    if (!info.isReadable())
        return QStringLiteral("%1 %2 (from %3) is not readable by this user").arg(what, path, source);
    return {};
}

Config::Exit usageError(const QString &message)
{
    return Config::Exit{2, QStringLiteral("coscribe-relay: %1\nTry 'coscribe-relay --help'.\n").arg(message)};
}

} // namespace

namespace {

// "<digits><unit>": the number (at most maxDigits digits) and the unit, trimmed and lower case.
std::optional<std::pair<qint64, QString>> numberAndUnit(const QString &text, qsizetype maxDigits)
{
    const QString t = text.trimmed();
    qsizetype digits = 0;
    while (digits < t.size() && t.at(digits).isDigit())
        ++digits;
    if (digits == 0 || digits > maxDigits)
        return std::nullopt;
    bool ok = false;
    const qint64 number = t.left(digits).toLongLong(&ok);
    if (!ok)
        return std::nullopt;
    return std::pair{number, t.mid(digits).trimmed().toLower()};
}

} // namespace

std::optional<qint64> Config::parseSize(const QString &text)
{
    const auto parsed = numberAndUnit(text, 15);
    if (!parsed)
        return std::nullopt;
    const qint64 number = parsed->first;
    const QString &suffix = parsed->second;
    qint64 factor = 0;
    if (suffix.isEmpty() || suffix == u"b")
        factor = 1;
    else if (suffix == u"k" || suffix == u"kb" || suffix == u"kib")
        factor = qint64(1) << 10;
    else if (suffix == u"m" || suffix == u"mb" || suffix == u"mib")
        factor = qint64(1) << 20;
    else if (suffix == u"g" || suffix == u"gb" || suffix == u"gib")
        factor = qint64(1) << 30;
    else
        return std::nullopt;
    if (number > std::numeric_limits<qint64>::max() / factor)
        return std::nullopt;
    return number * factor;
}

std::optional<std::chrono::milliseconds> Config::parseDuration(const QString &text)
{
    const auto parsed = numberAndUnit(text, 9);
    if (!parsed)
        return std::nullopt;
    const qint64 number = parsed->first;
    const QString &unit = parsed->second;
    if (unit == u"ms")
        return std::chrono::milliseconds(number);
    if (unit.isEmpty() || unit == u"s")
        return std::chrono::milliseconds(number * 1000);
    if (unit == u"m" || unit == u"min")
        return std::chrono::milliseconds(number * 60'000);
    if (unit == u"h")
        return std::chrono::milliseconds(number * 3'600'000);
    return std::nullopt;
}

QString Config::helpText()
{
    QCommandLineParser parser;
    addOptions(parser);
    QString text = parser.helpText();
    // QCommandLineParser names the running executable (a test binary in tests); name the relay instead.
    const qsizetype usageEnd = text.indexOf(u' ', 7);
    if (text.startsWith(QStringLiteral("Usage: ")) && usageEnd > 0)
        text.replace(7, usageEnd - 7, QStringLiteral("coscribe-relay"));
    return text;
}

Config::Result Config::parse(const QStringList &args, const QProcessEnvironment &env)
{
    QCommandLineParser parser;
    addOptions(parser);
    if (!parser.parse(args.isEmpty() ? QStringList{QStringLiteral("coscribe-relay")} : args))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help")) || parser.isSet(QStringLiteral("help-all")))
        return Exit{0, helpText()};
    if (parser.isSet(QStringLiteral("version")))
        return Exit{0, QStringLiteral("coscribe-relay %1\n").arg(QStringLiteral(COSCRIBE_RELAY_VERSION))};
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().constFirst()));

    Config config;

    // Warn about COSCRIBE_RELAY_* variables that name no option (likely typos).
    for (const QString &key : env.keys()) {
        if (!key.startsWith(QLatin1String(envPrefix)))
            continue;
        bool known = false;
        for (const OptionSpec &spec : kOptions)
            known = known || key == envName(spec.name);
        if (!known)
            config.m_warnings << QStringLiteral("ignoring unknown environment variable %1").arg(key);
    }

    auto fromCliOrEnv = [&](const char *name) -> Raw {
        const QString option = QString::fromLatin1(name);
        if (parser.isSet(option))
            return {parser.values(option), QStringLiteral("--") + option};
        const QString var = envName(name);
        if (env.contains(var))
            return {QStringList{env.value(var)}, var};
        return {};
    };

    // The config file: located by the command line or the environment only.
    QHash<QString, Raw> fileValues;
    if (const Raw configRaw = fromCliOrEnv("config"); configRaw.isSet()) {
        const QString path = configRaw.value();
        if (const QString error = readableFileError(path, QStringLiteral("config file"), configRaw.source);
            !error.isEmpty())
            return usageError(error);
        config.m_configFile = QFileInfo(path).absoluteFilePath();
        QSettings settings(path, QSettings::IniFormat);
        if (settings.status() != QSettings::NoError)
            return usageError(QStringLiteral("config file %1 is not valid INI").arg(path));
        for (const QString &key : settings.allKeys()) {
            // Keys may be written at top level or in a [General] / [relay] section.
            QString option = key;
            if (option.startsWith(QStringLiteral("relay/")))
                option = option.mid(6);
            bool known = false;
            for (const OptionSpec &spec : kOptions)
                known = known || option == QLatin1String(spec.name);
            if (!known || option == u"config")
                return usageError(QStringLiteral("config file %1: unknown option '%2'").arg(path, key));
            const QVariant value = settings.value(key);
            // QSettings turns "a, b" into a QStringList; keep the pieces, they are re-split where lists are
            // allowed and rejoined otherwise.
            const QStringList parts = value.toStringList();
            fileValues.insert(option, Raw{QStringList{parts.join(u',')},
                                          QStringLiteral("%1: %2").arg(QFileInfo(path).fileName(), key)});
        }
    }

    auto raw = [&](const char *name) -> Raw {
        Raw r = fromCliOrEnv(name);
        if (r.isSet())
            return r;
        return fileValues.value(QString::fromLatin1(name));
    };

    auto bad = [](const Raw &r, const QString &what) {
        return usageError(QStringLiteral("invalid value '%1' for %2: %3").arg(r.value(), r.source, what));
    };

    // --listen
    if (const Raw r = raw("listen"); r.isSet()) {
        const QString text = r.value().trimmed();
        QHostAddress address;
        if (text.compare(QStringLiteral("localhost"), Qt::CaseInsensitive) == 0)
            address = QHostAddress(QHostAddress::LocalHost);
        else if (!address.setAddress(text.startsWith(u'[') && text.endsWith(u']') ? text.mid(1, text.size() - 2)
                                                                                  : text))
            return bad(r, QStringLiteral("expected an IP address such as 127.0.0.1, ::1 or 0.0.0.0"));
        config.m_listenText = text;
        config.m_listenAddress = address;
    }

    auto portValue = [&](const char *name, quint16 &out) -> std::optional<Exit> {
        const Raw r = raw(name);
        if (!r.isSet())
            return std::nullopt;
        bool ok = false;
        const uint port = r.value().trimmed().toUInt(&ok);
        if (!ok || port > 65535)
            return bad(r, QStringLiteral("expected a port number from 0 to 65535"));
        out = quint16(port);
        return std::nullopt;
    };
    if (auto e = portValue("port", config.m_port))
        return *e;
    if (auto e = portValue("metrics-port", config.m_metricsPort))
        return *e;
    if (config.m_metricsPort != 0 && config.m_metricsPort == config.m_port)
        return usageError(QStringLiteral("--metrics-port %1 is the relay port; use 0 to serve /metrics on the "
                                         "relay port, or choose another port").arg(config.m_metricsPort));

    if (const Raw r = raw("allowed-origin"); r.isSet()) {
        for (const QString &origin : splitList(r.values)) {
            const QUrl url(origin, QUrl::StrictMode);
            if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty() || !url.path().isEmpty())
                return usageError(QStringLiteral("invalid origin '%1' (from %2): expected scheme://host[:port], "
                                                 "e.g. https://notes.example.org").arg(origin, r.source));
            config.m_allowedOrigins << origin;
        }
    }

    if (const Raw r = raw("web-editor"); r.isSet()) {
        const QString v = r.value().trimmed().toLower();
        if (v == u"on" || v == u"true" || v == u"yes" || v == u"1")
            config.m_webEditor = true;
        else if (v == u"off" || v == u"false" || v == u"no" || v == u"0")
            config.m_webEditor = false;
        else
            return usageError(QStringLiteral("invalid --web-editor '%1' (from %2): expected on or off")
                                  .arg(r.value(), r.source));
    }

    // Storage
    config.m_dataDir = defaultDataDir(env);
    if (const Raw r = raw("data-dir"); r.isSet()) {
        if (r.value().trimmed().isEmpty())
            return bad(r, QStringLiteral("expected a directory"));
        config.m_dataDir = r.value().trimmed();
    }
    config.m_dataDir = QDir::cleanPath(QDir::current().absoluteFilePath(config.m_dataDir));
    if (const QFileInfo info(config.m_dataDir); info.exists() && !info.isDir())
        return usageError(QStringLiteral("data directory %1 exists and is not a directory").arg(config.m_dataDir));

    config.m_database.path = QDir(config.m_dataDir).filePath(QStringLiteral("relay.sqlite"));
    if (const Raw r = raw("database"); r.isSet()) {
        const QString text = r.value().trimmed();
        if (text.startsWith(QStringLiteral("postgresql://")) || text.startsWith(QStringLiteral("postgres://"))) {
            const QUrl url(text, QUrl::StrictMode);
            const QString name = url.path().mid(1);
            if (!url.isValid() || url.host().isEmpty() || name.isEmpty() || name.contains(u'/'))
                return usageError(QStringLiteral("invalid database URL (from %1): expected "
                                                 "postgresql://user[:password]@host[:port]/database")
                                      .arg(r.source));
            config.m_database.kind = Database::Kind::Postgres;
            config.m_database.host = url.host();
            config.m_database.port = url.port(5432);
            config.m_database.user = url.userName();
            config.m_database.password = url.password();
            config.m_database.name = name;
            config.m_database.path.clear();
        } else if (text.contains(QStringLiteral("://"))) {
            return usageError(QStringLiteral("unsupported database URL scheme (from %1): use a SQLite file path or "
                                             "postgresql://...").arg(r.source));
        } else if (text.isEmpty()) {
            return bad(r, QStringLiteral("expected a file path or URL"));
        } else {
            config.m_database.path = QDir::cleanPath(QDir(config.m_dataDir).absoluteFilePath(text));
        }
    }

    // Access and transport
    if (const Raw r = raw("tokens"); r.isSet() && !r.value().isEmpty()) {
        if (const QString error = readableFileError(r.value(), QStringLiteral("tokens file"), r.source);
            !error.isEmpty())
            return usageError(error);
        config.m_tokensFile = QFileInfo(r.value()).absoluteFilePath();
    }
    const Raw cert = raw("tls-cert");
    const Raw key = raw("tls-key");
    if (cert.isSet() != key.isSet())
        return usageError(cert.isSet() ? QStringLiteral("--tls-cert needs --tls-key (the certificate's private key)")
                                       : QStringLiteral("--tls-key needs --tls-cert (the certificate it belongs to)"));
    if (cert.isSet()) {
        if (const QString error = readableFileError(cert.value(), QStringLiteral("TLS certificate"), cert.source);
            !error.isEmpty())
            return usageError(error);
        if (const QString error = readableFileError(key.value(), QStringLiteral("TLS key"), key.source);
            !error.isEmpty())
            return usageError(error);
        config.m_tlsCert = QFileInfo(cert.value()).absoluteFilePath();
        config.m_tlsKey = QFileInfo(key.value()).absoluteFilePath();
    }

    // Limits
    auto positiveSize = [&](const char *name, qint64 &out) -> std::optional<Exit> {
        const Raw r = raw(name);
        if (!r.isSet())
            return std::nullopt;
        const auto size = parseSize(r.value());
        if (!size || *size <= 0)
            return bad(r, QStringLiteral("expected a positive size such as 65536, 64KiB or 1MiB"));
        out = *size;
        return std::nullopt;
    };
    auto positiveInt = [&](const char *name, int &out) -> std::optional<Exit> {
        const Raw r = raw(name);
        if (!r.isSet())
            return std::nullopt;
        bool ok = false;
        const int n = r.value().trimmed().toInt(&ok);
        if (!ok || n <= 0)
            return bad(r, QStringLiteral("expected a positive whole number"));
        out = n;
        return std::nullopt;
    };
    auto positiveDuration = [&](const char *name, std::chrono::milliseconds &out) -> std::optional<Exit> {
        const Raw r = raw(name);
        if (!r.isSet())
            return std::nullopt;
        const auto d = parseDuration(r.value());
        if (!d || d->count() <= 0)
            return bad(r, QStringLiteral("expected a positive duration such as 500ms, 5s or 2m"));
        out = *d;
        return std::nullopt;
    };
    for (auto e : {positiveSize("max-message-bytes", config.m_maxMessageBytes),
                   positiveSize("max-document-bytes", config.m_maxDocumentBytes),
                   positiveInt("ops-per-second", config.m_opsPerSecond),
                   positiveInt("burst", config.m_burst),
                   positiveInt("max-connections-per-address", config.m_maxConnectionsPerAddress),
                   positiveInt("max-connections", config.m_maxConnections),
                   positiveDuration("hello-timeout", config.m_helloTimeout),
                   positiveDuration("ping-interval", config.m_pingInterval),
                   positiveDuration("ping-timeout", config.m_pingTimeout),
                   positiveInt("snapshot-interval", config.m_snapshotInterval),
                   positiveSize("max-output-bytes", config.m_maxOutputBytes),
                   positiveInt("max-handshakes", config.m_maxUnauthenticated),
                   positiveInt("max-handshakes-per-address", config.m_maxUnauthenticatedPerAddress),
                   positiveInt("history-gap-seconds", config.m_historyGapSeconds),
                   positiveInt("max-documents-per-user", config.m_maxDocumentsPerUser),
                   positiveInt("max-creations-per-hour", config.m_maxCreationsPerHour)}) {
        if (e)
            return *e;
    }
    if (config.m_maxMessageBytes > std::numeric_limits<int>::max())
        return usageError(QStringLiteral("--max-message-bytes must be below 2GiB"));

    if (const Raw r = raw("log-level"); r.isSet()) {
        const QString level = r.value().trimmed().toLower();
        if (level == u"debug")
            config.m_logLevel = LogLevel::Debug;
        else if (level == u"info")
            config.m_logLevel = LogLevel::Info;
        else if (level == u"warning" || level == u"warn")
            config.m_logLevel = LogLevel::Warning;
        else if (level == u"error")
            config.m_logLevel = LogLevel::Error;
        else
            return bad(r, QStringLiteral("expected debug, info, warning or error"));
    }

    // The rule that protects a careless deployment: no open relay on a public interface.
    if (!config.m_listenAddress.isLoopback() && config.m_tokensFile.isEmpty())
        return usageError(QStringLiteral(
            "refusing to listen on %1 without a tokens file: anyone who can reach that address could read and "
            "edit every document. Pass --tokens FILE (see docs/SELF-HOSTING.md), or listen on 127.0.0.1 / ::1 "
            "(for example behind a reverse proxy on the same host).").arg(config.m_listenText));

    return config;
}

QString Config::loggingRules() const
{
    switch (m_logLevel) {
    case LogLevel::Debug:
        return QStringLiteral("coscribe.*=true");
    case LogLevel::Info:
        return QStringLiteral("coscribe.*.debug=false");
    case LogLevel::Warning:
        return QStringLiteral("coscribe.*.debug=false\ncoscribe.*.info=false");
    case LogLevel::Error:
        return QStringLiteral("coscribe.*.debug=false\ncoscribe.*.info=false\ncoscribe.*.warning=false");
    }
    return {};
}

QString Config::summary() const
{
    QString database;
    if (m_database.kind == Database::Kind::Sqlite) {
        database = QStringLiteral("sqlite:%1").arg(m_database.path);
    } else {
        database = QStringLiteral("postgresql://%1%2@%3:%4/%5")
                       .arg(m_database.user, m_database.password.isEmpty() ? QString() : QStringLiteral(":***"),
                            m_database.host)
                       .arg(m_database.port)
                       .arg(m_database.name);
    }
    const char *levels[] = {"debug", "info", "warning", "error"};
    QStringList lines;
    lines << QStringLiteral("listen=%1 port=%2 metrics-port=%3 tls=%4")
                 .arg(m_listenText).arg(m_port).arg(m_metricsPort)
                 .arg(hasTls() ? m_tlsCert : QStringLiteral("off"));
    lines << QStringLiteral("data-dir=%1 database=%2").arg(m_dataDir, database);
    lines << QStringLiteral("tokens=%1 allowed-origin=%2 web-editor=%3")
                 .arg(hasTokens() ? m_tokensFile : QStringLiteral("none (anonymous, loopback only)"),
                      m_allowedOrigins.isEmpty() ? QStringLiteral("own") : m_allowedOrigins.join(u','),
                      m_webEditor ? QStringLiteral("on") : QStringLiteral("off"));
    lines << QStringLiteral("max-message-bytes=%1 max-document-bytes=%2 ops-per-second=%3 burst=%4 "
                            "max-connections-per-address=%5 max-connections=%6")
                 .arg(m_maxMessageBytes).arg(m_maxDocumentBytes).arg(m_opsPerSecond).arg(m_burst)
                 .arg(m_maxConnectionsPerAddress).arg(m_maxConnections);
    lines << QStringLiteral("hello-timeout=%1ms ping-interval=%2ms ping-timeout=%3ms snapshot-interval=%4 "
                            "log-level=%5")
                 .arg(m_helloTimeout.count()).arg(m_pingInterval.count()).arg(m_pingTimeout.count())
                 .arg(m_snapshotInterval).arg(QLatin1String(levels[int(m_logLevel)]));
    return lines.join(u'\n');
}

} // namespace relay
