// SPDX-License-Identifier: MIT
// coscribe: the desktop editor. Thin: parse the command line, install the translation, open a window.
#include <connectdialog.h>
#include <mainwindow.h>

#include <collabeditor.h>
#include <documentlink.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QKeyEvent>
#include <QTimer>
#include <QIcon>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

#include <cstdio>
#include <optional>

namespace {

// Qt takes "-name" / "--name" for itself (the X11 resource name) and removes it from the arguments before
// QCommandLineParser sees them, so the display name is read from the raw arguments first.
QString rawNameArgument(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if ((arg == "--name" || arg == "-name") && i + 1 < argc)
            return QString::fromLocal8Bit(argv[i + 1]);
        if (arg.startsWith("--name="))
            return QString::fromLocal8Bit(arg.mid(7));
    }
    return {};
}

// --help, --help-all, --version (or -h, -?, -v): printed with no window, so without a display too.
bool asksOnlyToPrint(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "-h" || arg == "-?" || arg == "--help" || arg == "--help-all" || arg == "-v" || arg == "--version")
            return true;
    }
    return false;
}

// The interface follows the system locale (LANG / LC_ALL / LC_MESSAGES).
struct Translations
{
    Translations()
    {
        if (qt.load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
            QCoreApplication::installTranslator(&qt);
        if (own.load(QLocale(), QStringLiteral("coscribe"), QStringLiteral("_"), QStringLiteral(":/i18n")))
            QCoreApplication::installTranslator(&own);
    }
    QTranslator qt;
    QTranslator own;
};

struct CommandLine
{
    CommandLine()
    {
        parser.setApplicationDescription(QCoreApplication::translate("main", "Write a text together with other people."));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addPositionalArgument(QStringLiteral("url"),
                                     QCoreApplication::translate("main", "The document to open: ws://host:port/document, a "
                                                                         "coscribe:// link or the web editor's address."),
                                     QStringLiteral("[url]"));
        parser.addOption(failover);
        parser.addOption(type);
        parser.addOption(name);
        parser.addOption(color);
        parser.addOption(token);
        parser.addOption(create);
    }
    QCommandLineParser parser;
    const QCommandLineOption name{QStringLiteral("name"), QCoreApplication::translate("main", "Your display name."),
                                  QCoreApplication::translate("main", "name")};
    const QCommandLineOption color{QStringLiteral("color"), QCoreApplication::translate("main", "Your cursor colour, #rrggbb."),
                                   QCoreApplication::translate("main", "colour")};
    const QCommandLineOption token{QStringLiteral("token"),
                                   QCoreApplication::translate("main", "Access token, if the server needs one."),
                                   QCoreApplication::translate("main", "token")};
    // Types text into the document as if from the keyboard, one character every 30 ms: for demonstrations,
    // screenshots and the crash-recovery test (which kills the editor while it has unsent edits).
    const QCommandLineOption type{QStringLiteral("type"), QCoreApplication::translate("main", "Type this text into the document (demo)."),
                                  QCoreApplication::translate("main", "text")};
    // Without it, a document that does not exist is made only after asking (a typo must not become one).
    const QCommandLineOption create{QStringLiteral("create"),
                                    QCoreApplication::translate("main", "Create the document if it does not exist, without asking.")};
    const QCommandLineOption failover{QStringLiteral("failover"),
                                      QCoreApplication::translate("main", "Another relay of the same deployment to fail over "
                                                                          "to, ws://host:port (repeatable)."),
                                      QCoreApplication::translate("main", "url")};
};

void nameApplication()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Coscribe"));
    QCoreApplication::setApplicationName(QStringLiteral("coscribe"));
    QCoreApplication::setApplicationVersion(QStringLiteral(COSCRIBE_VERSION));
}

} // namespace

int main(int argc, char *argv[])
{
    if (asksOnlyToPrint(argc, argv)) {
        QCoreApplication app(argc, argv);
        nameApplication();
        const Translations translations;
        CommandLine commandLine;
        commandLine.parser.process(app); // prints, and exits
        return 0;
    }
    const QString nameArgument = rawNameArgument(argc, argv);
    QApplication app(argc, argv);
    nameApplication();
    QApplication::setApplicationDisplayName(QStringLiteral("Coscribe"));
    QApplication::setDesktopFileName(QStringLiteral("coscribe"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/coscribe-256.png")));
    const Translations translations;
    CommandLine commandLine;
    QCommandLineParser &parser = commandLine.parser;
    parser.process(app);

    syncing::DocumentSession::Profile profile = ui::ConnectDialog::savedProfile();
    const QString savedName = profile.name;
    if (parser.isSet(commandLine.name))
        profile.name = parser.value(commandLine.name);
    else if (!nameArgument.isEmpty())
        profile.name = nameArgument;
    // Another name than the saved one (a second window as someone else): its own colour too, unless given.
    if (profile.name != savedName && !parser.isSet(commandLine.color))
        profile.color = ui::ConnectDialog::defaultColor(profile.name).name();
    if (parser.isSet(commandLine.color) && QColor::fromString(parser.value(commandLine.color)).isValid())
        profile.color = QColor::fromString(parser.value(commandLine.color)).name();
    if (parser.isSet(commandLine.token))
        profile.token = parser.value(commandLine.token);
    for (const QString &relay : parser.values(commandLine.failover))
        profile.failoverServers.append(QUrl::fromUserInput(relay));

    // ws://, coscribe:// (a clicked link) or the web editor's http:// address: the same document.
    const QStringList args = parser.positionalArguments();
    const std::optional<QUrl> link = args.isEmpty() ? std::nullopt : syncing::DocumentLink::fromText(args.first());
    if (!args.isEmpty() && !link) {
        std::fprintf(stderr, "%s\n",
                     qPrintable(QCoreApplication::translate("main", "coscribe: not a document link: %1 (expected "
                                                                    "ws://host:port/document, coscribe://host:port/"
                                                                    "document or http://host:port/d/document)")
                                    .arg(args.first())));
        return 2;
    }
    // An invite link carries the token it was made with (DocumentLink); --token still wins.
    if (link && !parser.isSet(commandLine.token))
        if (const QString invited = syncing::DocumentLink::inviteToken(args.first()); !invited.isEmpty())
            profile.token = invited;

    auto *window = new ui::MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    if (link) {
        window->openDocument(*link, profile, parser.isSet(commandLine.create) ? ui::MainWindow::Creation::Create
                                                                               : ui::MainWindow::Creation::Ask);
        if (parser.isSet(commandLine.type)) {
            auto *timer = new QTimer(window);
            timer->setInterval(30);
            QObject::connect(timer, &QTimer::timeout, window,
                             [window, timer, text = parser.value(commandLine.type), i = qsizetype(0)]() mutable {
                                 if (i >= text.size()) {
                                     timer->stop();
                                     return;
                                 }
                                 const QChar c = text.at(i++);
                                 const int key = c == u'\n' ? Qt::Key_Return : 0;
                                 QKeyEvent press(QEvent::KeyPress, key, Qt::NoModifier, key ? QString() : QString(c));
                                 QCoreApplication::sendEvent(window->editor(), &press);
                             });
            QTimer::singleShot(300, timer, qOverload<>(&QTimer::start));
        }
    } else {
        ui::ConnectDialog dialog(window);
        if (dialog.exec() == QDialog::Accepted)
            window->openDocument(dialog.documentUrl(), dialog.profile(), ui::MainWindow::Creation::Ask);
    }
    return app.exec();
}
