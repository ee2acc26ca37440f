// SPDX-License-Identifier: MIT
// coscribe-loadgen: a headless load generator for coscribe-relay (docs/PROTOCOL.md). Several processes can
// share one load: give each its own --first-document and the same --start-at, and merge their JSON lines
// with bench/node/relay-report.js (bench/run-relay-vs-sharedb does all of this).
#include "loadgenerator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>

#include <cstdio>

int main(int argc, char **argv)
{
    // A headless client has no use for glib's event dispatcher (see RELAY-PERFORMANCE notes).
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Load generator for coscribe-relay: prints one JSON line"));
    parser.addHelpOption();
    const auto option = [&](const char *name, const char *help, const char *value, const char *dflt) {
        parser.addOption({QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(value),
                          QString::fromLatin1(dflt)});
    };
    option("url", "Relay URL.", "url", "ws://127.0.0.1:7300/");
    option("connections", "Connections (one client each).", "n", "10");
    option("documents", "Documents the connections are spread over.", "n", "1");
    option("first-document", "Index of the first document (for several processes).", "n", "0");
    option("document-prefix", "Document id prefix.", "prefix", "bench-");
    option("rate", "Actions per second per client.", "n", "5");
    option("warmup", "Seconds of typing before measuring.", "s", "5");
    option("duration", "Seconds measured.", "s", "20");
    option("start-at", "Wall-clock ms since the epoch at which typing starts (0: when connected).", "ms", "0");
    option("server-pid", "Relay process to read CPU and RSS from.", "pid", "0");
    option("seed", "Random seed.", "n", "1");
    option("connect-timeout", "Give up when not every client has its document open after this many s.", "s", "60");
    parser.process(app);

    bench::LoadGenerator::Settings s;
    s.url = QUrl(parser.value(QStringLiteral("url")));
    s.connections = parser.value(QStringLiteral("connections")).toInt();
    s.documents = std::max(1, parser.value(QStringLiteral("documents")).toInt());
    s.firstDocument = parser.value(QStringLiteral("first-document")).toInt();
    s.documentPrefix = parser.value(QStringLiteral("document-prefix"));
    s.opsPerSecond = parser.value(QStringLiteral("rate")).toDouble();
    s.warmupSeconds = parser.value(QStringLiteral("warmup")).toDouble();
    s.durationSeconds = parser.value(QStringLiteral("duration")).toDouble();
    s.startAtMs = parser.value(QStringLiteral("start-at")).toLongLong();
    s.serverPid = parser.value(QStringLiteral("server-pid")).toLongLong();
    s.seed = parser.value(QStringLiteral("seed")).toInt();
    s.connectTimeoutSeconds = parser.value(QStringLiteral("connect-timeout")).toDouble();

    bench::LoadGenerator generator(s);
    QObject::connect(&generator, &bench::LoadGenerator::finished, &app, [&app](const QJsonObject &result) {
        std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
        std::fflush(stdout);
        app.quit();
    });
    generator.start();
    return app.exec();
}
