// SPDX-License-Identifier: MIT
// coscribe-relay: parse the configuration, open storage, run RelayServer until SIGTERM/SIGINT (SIGHUP and a
// changed tokens file reload the tokens); `coscribe-relay token ...` manages the tokens file.
#include "clusterbus.h"
#include "config.h"
#include "httpendpoints.h"
#include "metrics.h"
#include "relayserver.h"
#include "sqlstorage.h"
#include "tlsconfig.h"
#include "tokencommand.h"
#include "tokenstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <sys/socket.h>
#include <unistd.h>

Q_DECLARE_LOGGING_CATEGORY(lcRelay)

namespace {

int signalPipe[2] = {-1, -1};

// Async-signal-safe: just wake the event loop; the real work happens in the QSocketNotifier slot.
void onSignal(int signal)
{
    const char byte = char(signal);
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[0], &byte, 1);
}

void print(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
    if (!text.endsWith(u'\n'))
        std::fputc('\n', stream);
}

} // namespace

int main(int argc, char *argv[])
{
    // A headless relay gains nothing from glib's event dispatcher and loses ~30 % CPU to it under load
    // (RELAY-PERFORMANCE.md): use Qt's own Unix dispatcher. Must happen before QCoreApplication exists.
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("coscribe-relay"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1"));

    // coscribe-relay token add|list|revoke: manage the tokens file (server/tokencommand.h).
    if (const QStringList arguments = app.arguments(); arguments.size() >= 2 && arguments.at(1) == u"token") {
        QTextStream out(stdout);
        QTextStream err(stderr);
        return relay::TokenCommand::run(arguments.mid(2), QProcessEnvironment::systemEnvironment(), out, err);
    }

    const relay::Config::Result parsed = relay::Config::parse(app.arguments(), QProcessEnvironment::systemEnvironment());
    if (const auto *exit = std::get_if<relay::Config::Exit>(&parsed)) {
        print(exit->code == 0 ? stdout : stderr, exit->message);
        return exit->code;
    }
    const relay::Config &config = std::get<relay::Config>(parsed);
    QLoggingCategory::setFilterRules(config.loggingRules());
    for (const QString &warning : config.warnings())
        qCWarning(lcRelay).noquote() << warning;
    qCInfo(lcRelay).noquote() << config.summary();

    relay::RelayServer::Settings settings = relay::RelayServer::Settings::fromConfig(config);
    QByteArray tokensLoaded;  // the tokens file as last taken (a reload compares against it)
    if (config.hasTokens()) {
        QFile file(config.tokensFile());
        if (!file.open(QIODevice::ReadOnly)) {
            print(stderr, QStringLiteral("cannot read tokens file %1: %2").arg(config.tokensFile(), file.errorString()));
            return 2;
        }
        tokensLoaded = file.readAll();
        auto tokens = relay::TokenStore::parse(tokensLoaded, config.tokensFile());
        if (const auto *error = std::get_if<QString>(&tokens)) {
            print(stderr, *error);
            return 2;
        }
        settings.tokens = std::get<relay::TokenStore>(std::move(tokens));
    }
    if (config.hasTls()) {
        auto tls = relay::TlsConfig::load(config.tlsCertificate(), config.tlsKey());
        if (const auto *error = std::get_if<QString>(&tls)) {
            print(stderr, *error);
            return 2;
        }
        settings.tls = std::get<QSslConfiguration>(std::move(tls));
    }

    const relay::Config::Database db = config.database();
    relay::SqlStorage::Options storageOptions;
    if (db.kind == relay::Config::Database::Kind::Sqlite) {
        if (!QDir().mkpath(config.dataDir())) {
            print(stderr, QStringLiteral("cannot create data directory %1").arg(config.dataDir()));
            return 1;
        }
        storageOptions.databaseName = db.path;
    } else {
        storageOptions.driver = QStringLiteral("QPSQL");
        storageOptions.databaseName = db.name;
        storageOptions.host = db.host;
        storageOptions.port = db.port;
        storageOptions.user = db.user;
        storageOptions.password = db.password;
    }
    relay::SqlStorage storage(storageOptions);
    if (!storage.open()) {
        print(stderr, QStringLiteral("cannot open storage: %1").arg(storage.lastError()));
        return 1;
    }

    // On PostgreSQL this relay may be one of several over the same database: join the others through
    // LISTEN/NOTIFY (declared before the server, which publishes leaves into it while shutting down).
    std::unique_ptr<relay::ClusterBus> cluster;
    if (storageOptions.driver == u"QPSQL") {
        cluster = std::make_unique<relay::ClusterBus>(storageOptions, relay::ClusterBus::newRelayId(),
                                                      relay::ClusterBus::Settings{});
        if (!cluster->start()) {
            print(stderr, cluster->errorString());
            return 1;
        }
        settings.connectionIdPrefix = cluster->relayId() + QStringLiteral("-c");
    }

    relay::Metrics metrics;
    relay::RelayServer server(storage, settings, &metrics);
    if (cluster)
        cluster->attach(server.hub());
    if (config.metricsPort() != 0) {
        server.http().setRelayPortRoutes(relay::HttpEndpoints::Routes::RelayPortHealthOnly);
        if (!server.http().listen(config.listenAddress(), config.metricsPort())) {
            print(stderr, server.http().errorString());
            return 1;
        }
    }
    if (!server.listen()) {
        print(stderr, server.errorString());
        return 1;
    }
    // The chosen port on one line of stdout, so scripts and tests using --port 0 can find it.
    print(stdout, QStringLiteral("listening %1").arg(server.port()));
    std::fflush(stdout);

    // SIGTERM / SIGINT -> a byte on a socketpair -> QSocketNotifier -> graceful shutdown (close 1001).
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0) {
        print(stderr, QStringLiteral("socketpair failed"));
        return 1;
    }
    // The tokens file is read again when it changes (`coscribe-relay token add|revoke`, an editor, a config
    // management tool) and on SIGHUP. A file that does not parse is reported and the tokens in force stay.
    // `asked`: SIGHUP reloads even an unchanged file; a change notification only a changed one.
    auto reloadTokens = [&](const char *why, bool asked) {
        QFile file(config.tokensFile());
        const QByteArray bytes = file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
        if (bytes == tokensLoaded && !asked)
            return;  // touched, not changed
        auto tokens = relay::TokenStore::parse(bytes, config.tokensFile());
        if (const auto *error = std::get_if<QString>(&tokens)) {
            qCWarning(lcRelay).noquote() << "tokens file not reloaded (" << why << "), the tokens in force stay:"
                                         << *error;
            return;
        }
        tokensLoaded = bytes;
        qCInfo(lcRelay).noquote() << "reloading tokens (" << why << ")";
        server.reloadTokens(std::get<relay::TokenStore>(std::move(tokens)));
    };
    QFileSystemWatcher watcher;
    QTimer settle;  // writers replace or rewrite the file in steps: read it once they are done
    settle.setSingleShot(true);
    settle.setInterval(200);
    if (config.hasTokens()) {
        // The directory too: an atomic replace (QSaveFile, `mv`) gives the path a new file the old watch misses.
        watcher.addPath(QFileInfo(config.tokensFile()).absolutePath());
        watcher.addPath(config.tokensFile());
        QObject::connect(&settle, &QTimer::timeout, &app, [&] {
            if (!watcher.files().contains(config.tokensFile()) && QFileInfo::exists(config.tokensFile()))
                watcher.addPath(config.tokensFile());
            reloadTokens("file changed", false);
        });
        QObject::connect(&watcher, &QFileSystemWatcher::fileChanged, &settle, qOverload<>(&QTimer::start));
        QObject::connect(&watcher, &QFileSystemWatcher::directoryChanged, &settle, qOverload<>(&QTimer::start));
    }

    QSocketNotifier notifier(signalPipe[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        char byte = 0;
        [[maybe_unused]] const ssize_t n = ::read(signalPipe[1], &byte, 1);
        if (byte == SIGHUP) {
            if (config.hasTokens())
                reloadTokens("SIGHUP", true);
            return;
        }
        notifier.setEnabled(false);
        qCInfo(lcRelay).noquote() << "signal" << int(byte) << "received";
        server.shutdown();
    });
    QObject::connect(&server, &relay::RelayServer::shutdownFinished, &app, [] { QCoreApplication::exit(0); });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGHUP, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    return app.exec();
}
