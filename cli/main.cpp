// SPDX-License-Identifier: MIT
// coscribe-cli: the document session of sync/ from the command line (see cli/command.h).
#include "command.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

#include <csignal>
#include <cstdio>

namespace {

int usage(const QCommandLineParser &parser, const QString &message)
{
    std::fprintf(stderr, "coscribe-cli: %s\n\n%s", qPrintable(message), qPrintable(parser.helpText()));
    return cli::Command::Usage;
}

QString fromEnvironment(const char *name, const QString &fallback = {})
{
    const QString value = qEnvironmentVariable(name);
    return value.isEmpty() ? fallback : value;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("coscribe-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(COSCRIBE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Read and write Coscribe documents from scripts.\n\n"
        "Commands:\n"
        "  ls URL            list the relay's documents: id, revision, people, length, name (tab-separated)\n"
        "  get URL/DOC       print the document's text\n"
        "  put FILE URL/DOC  replace the text with FILE's (- for stdin) as one edit everyone sees\n"
        "  watch URL/DOC     print the text and a line holding U+001E, then one JSON line per change\n"
        "                    as it arrives: {\"revision\":N,\"author\":NAME,\"operation\":[...]}\n"
        "  type URL/DOC      make each line of stdin an edit appended to the document\n"
        "  log URL/DOC       the named versions (version, revision, time, user, name), then the edit\n"
        "                    sessions, newest first: revisions, start, end, user, name, +inserted,\n"
        "                    -deleted, operations (tab-separated; --limit, --before)\n"
        "  version URL/DOC NAME  name the current revision (--revision N: that one); --delete: delete it\n"
        "  get URL/DOC --revision N   print the text as it was at revision N\n"
        "  diff URL/DOC A B  the changes from revision A to B, line by line, and who made them\n"
        "  blame URL/DOC     each line of the text with who wrote it (names, a tab, the line)\n"
        "  new URL TITLE     make a document titled TITLE (the relay picks its id) and print its address\n"
        "  mv URL/DOC TITLE  give the document a new title (admin role)\n"
        "  rm URL/DOC        delete the document with its history, for everyone (admin role)\n\n"
        "URL is ws://host:port or wss://host:port. Exit codes: 0 done (edits acknowledged by the relay),\n"
        "1 bad arguments, 2 relay unreachable or timed out, 3 refused by the relay, 4 input unreadable."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption tokenOption(QStringLiteral("token"),
                                         QStringLiteral("Access token (default: $COSCRIBE_TOKEN)."),
                                         QStringLiteral("token"));
    const QCommandLineOption nameOption(QStringLiteral("name"),
                                        QStringLiteral("Name shown to others (default: $COSCRIBE_NAME or coscribe-cli)."),
                                        QStringLiteral("name"));
    const QCommandLineOption colorOption(QStringLiteral("color"), QStringLiteral("Cursor colour, #rrggbb."),
                                         QStringLiteral("color"), QStringLiteral("#607d8b"));
    const QCommandLineOption timeoutOption(QStringLiteral("timeout"),
                                           QStringLiteral("Seconds to wait for the relay (default 30)."),
                                           QStringLiteral("seconds"), QStringLiteral("30"));
    const QCommandLineOption appendOption(QStringLiteral("append"), QStringLiteral("put: append instead of replacing."));
    const QCommandLineOption fullOption(QStringLiteral("full"),
                                        QStringLiteral("watch: print the whole text after each change "
                                                       "(each followed by a line holding U+001E)."));
    const QCommandLineOption countOption(QStringLiteral("count"),
                                         QStringLiteral("watch: stop after N changes."), QStringLiteral("N"));
    const QCommandLineOption failoverOption(QStringLiteral("failover"),
                                            QStringLiteral("Another relay of the same deployment (repeatable)."),
                                            QStringLiteral("url"));
    const QCommandLineOption revisionOption(QStringLiteral("revision"),
                                            QStringLiteral("get: the text as it was at revision N."), QStringLiteral("N"));
    const QCommandLineOption limitOption(QStringLiteral("limit"), QStringLiteral("log: print at most N sessions (default 50)."),
                                         QStringLiteral("N"), QStringLiteral("50"));
    const QCommandLineOption beforeOption(QStringLiteral("before"),
                                          QStringLiteral("log: only sessions up to revision N."), QStringLiteral("N"));
    const QCommandLineOption deleteOption(QStringLiteral("delete"), QStringLiteral("version: delete the named version."));
    parser.addOptions({tokenOption, nameOption, colorOption, timeoutOption, appendOption, fullOption, countOption,
                       failoverOption, revisionOption, limitOption, beforeOption, deleteOption});
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QStringLiteral("ls, get, put, watch, type, log, diff, blame, version, new, mv or rm."));
    parser.addPositionalArgument(QStringLiteral("arguments"), QStringLiteral("The command's arguments."),
                                 QStringLiteral("[arguments...]"));
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        return usage(parser, QStringLiteral("no command given"));
    const QString name = args.first();
    cli::Command::Options options;
    const qsizetype expected = name == u"put" || name == u"version" || name == u"new" || name == u"mv" ? 3
                               : name == u"diff"                                                 ? 4
                                                                                                 : 2;
    if (name == u"ls")
        options.kind = cli::Command::Kind::List;
    else if (name == u"get")
        options.kind = cli::Command::Kind::Get;
    else if (name == u"put")
        options.kind = cli::Command::Kind::Put;
    else if (name == u"watch")
        options.kind = cli::Command::Kind::Watch;
    else if (name == u"type")
        options.kind = cli::Command::Kind::Type;
    else if (name == u"log")
        options.kind = cli::Command::Kind::Log;
    else if (name == u"diff")
        options.kind = cli::Command::Kind::Diff;
    else if (name == u"blame")
        options.kind = cli::Command::Kind::Blame;
    else if (name == u"version")
        options.kind = cli::Command::Kind::Version;
    else if (name == u"new")
        options.kind = cli::Command::Kind::New;
    else if (name == u"mv")
        options.kind = cli::Command::Kind::Rename;
    else if (name == u"rm")
        options.kind = cli::Command::Kind::Remove;
    else
        return usage(parser, QStringLiteral("unknown command \"%1\"").arg(name));
    if (args.size() != expected)
        return usage(parser, QStringLiteral("%1 takes %2 argument(s)").arg(name).arg(expected - 1));
    if (options.kind == cli::Command::Kind::Put)
        options.file = args.at(1);
    options.url = QUrl(args.at(1 + (options.kind == cli::Command::Kind::Put ? 1 : 0)));
    if (options.kind == cli::Command::Kind::Version) {
        options.versionName = args.at(2).trimmed();
        options.deleteVersion = parser.isSet(deleteOption);
        if (options.versionName.isEmpty() || options.versionName.size() > 256)
            return usage(parser, QStringLiteral("a version name has 1 to 256 characters"));
    }
    if (options.kind == cli::Command::Kind::New || options.kind == cli::Command::Kind::Rename) {
        options.title = args.at(2).simplified();
        if (options.title.isEmpty() || options.title.size() > 256)
            return usage(parser, QStringLiteral("a title has 1 to 256 characters"));
    }
    if (options.kind == cli::Command::Kind::Diff) {
        bool fromOk = false;
        bool toOk = false;
        options.from = args.at(2).toInt(&fromOk);
        options.to = args.at(3).toInt(&toOk);
        if (!fromOk || !toOk || options.from < 0 || options.to < options.from)
            return usage(parser, QStringLiteral("diff takes two revisions A <= B"));
    }
    if (!options.url.isValid() || (options.url.scheme() != u"ws" && options.url.scheme() != u"wss"))
        return usage(parser, QStringLiteral("not a relay address: %1 (expected ws://host:port%2)")
                                 .arg(options.url.toString(), options.kind == cli::Command::Kind::List || options.kind == cli::Command::Kind::New ? QString()
                                                                                            : QStringLiteral("/document")));
    if (options.kind != cli::Command::Kind::List && options.kind != cli::Command::Kind::New) {
        QString server;
        QString document;
        if (!syncing::DocumentSession::splitUrl(options.url, &server, &document))
            return usage(parser, QStringLiteral("not a document address: %1 (expected ws://host:port/document)")
                                     .arg(options.url.toString()));
    }
    bool ok = false;
    const int timeout = parser.value(timeoutOption).toInt(&ok);
    if (!ok || timeout <= 0)
        return usage(parser, QStringLiteral("--timeout takes a positive number of seconds"));
    options.timeoutMs = timeout * 1000;
    if (parser.isSet(countOption)) {
        options.count = parser.value(countOption).toInt(&ok);
        if (!ok || options.count < 0)
            return usage(parser, QStringLiteral("--count takes a number"));
    }
    const auto number = [&](const QCommandLineOption &option, int min, int &out) {
        if (!parser.isSet(option))
            return true;
        out = parser.value(option).toInt(&ok);
        return ok && out >= min;
    };
    if (!number(revisionOption, 0, options.revision))
        return usage(parser, QStringLiteral("--revision takes a revision number (0 or more)"));
    if (!number(limitOption, 1, options.limit))
        return usage(parser, QStringLiteral("--limit takes a positive number"));
    if (!number(beforeOption, 1, options.before))
        return usage(parser, QStringLiteral("--before takes a revision number (1 or more)"));
    options.append = parser.isSet(appendOption);
    options.fullText = parser.isSet(fullOption);
    options.profile.name = parser.isSet(nameOption) ? parser.value(nameOption)
                                                    : fromEnvironment("COSCRIBE_NAME", QStringLiteral("coscribe-cli"));
    options.profile.token = parser.isSet(tokenOption) ? parser.value(tokenOption) : fromEnvironment("COSCRIBE_TOKEN");
    options.profile.color = parser.value(colorOption);
    for (const QString &failover : parser.values(failoverOption))
        options.profile.failoverServers.append(QUrl(failover));

    // Ctrl-C and SIGTERM end a watch or type cleanly (the session closes its document on the relay).
    for (int signal : {SIGINT, SIGTERM})
        std::signal(signal, [](int) { QMetaObject::invokeMethod(qApp, "quit", Qt::QueuedConnection); });

    cli::Command command(options);
    int exitCode = cli::Command::Ok;
    QObject::connect(&command, &cli::Command::finished, &app, [&](int code) {
        exitCode = code;
        app.quit();
    });
    QTimer::singleShot(0, &command, &cli::Command::start);
    app.exec();
    return exitCode;
}
