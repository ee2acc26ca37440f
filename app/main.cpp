// SPDX-License-Identifier: MIT
// coscribe: the desktop editor. Thin: parse the command line, install the translation, open a window.
#include <connectdialog.h>
#include <mainwindow.h>

#include <collabeditor.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QKeyEvent>
#include <QTimer>
#include <QIcon>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

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

} // namespace

int main(int argc, char *argv[])
{
    const QString nameArgument = rawNameArgument(argc, argv);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Coscribe"));
    QApplication::setApplicationName(QStringLiteral("coscribe"));
    QApplication::setApplicationDisplayName(QStringLiteral("Coscribe"));
    QApplication::setApplicationVersion(QStringLiteral(COSCRIBE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("coscribe"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/coscribe-256.png")));

    // The interface follows the system locale (LANG / LC_ALL / LC_MESSAGES).
    QTranslator qtTranslator;
    if (qtTranslator.load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"),
                          QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(&qtTranslator);
    QTranslator translator;
    if (translator.load(QLocale(), QStringLiteral("coscribe"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QApplication::installTranslator(&translator);

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Write a text together with other people."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("url"),
                                 QApplication::translate("main", "The document to open, ws://host:port/document."),
                                 QStringLiteral("[url]"));
    QCommandLineOption nameOption(QStringLiteral("name"), QApplication::translate("main", "Your display name."),
                                  QApplication::translate("main", "name"));
    QCommandLineOption colorOption(QStringLiteral("color"),
                                   QApplication::translate("main", "Your cursor colour, #rrggbb."),
                                   QApplication::translate("main", "colour"));
    QCommandLineOption tokenOption(QStringLiteral("token"),
                                   QApplication::translate("main", "Access token, if the server needs one."),
                                   QApplication::translate("main", "token"));
    // Types text into the document as if from the keyboard, one character every 30 ms: for demonstrations,
    // screenshots and the crash-recovery test (which kills the editor while it has unsent edits).
    QCommandLineOption typeOption(QStringLiteral("type"),
                                  QApplication::translate("main", "Type this text into the document (demo)."),
                                  QApplication::translate("main", "text"));
    QCommandLineOption relayOption(QStringLiteral("failover"),
                                   QApplication::translate("main", "Another relay of the same deployment to fail over "
                                                                   "to, ws://host:port (repeatable)."),
                                   QApplication::translate("main", "url"));
    parser.addOption(relayOption);
    parser.addOption(typeOption);
    parser.addOption(nameOption);
    parser.addOption(colorOption);
    parser.addOption(tokenOption);
    parser.process(app);

    syncing::DocumentSession::Profile profile = ui::ConnectDialog::savedProfile();
    if (parser.isSet(nameOption))
        profile.name = parser.value(nameOption);
    else if (!nameArgument.isEmpty())
        profile.name = nameArgument;
    if (parser.isSet(colorOption) && QColor::fromString(parser.value(colorOption)).isValid())
        profile.color = QColor::fromString(parser.value(colorOption)).name();
    if (parser.isSet(tokenOption))
        profile.token = parser.value(tokenOption);
    for (const QString &relay : parser.values(relayOption))
        profile.failoverServers.append(QUrl::fromUserInput(relay));

    auto *window = new ui::MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    const QStringList args = parser.positionalArguments();
    if (!args.isEmpty()) {
        window->openDocument(QUrl::fromUserInput(args.first()), profile);
        if (parser.isSet(typeOption)) {
            auto *timer = new QTimer(window);
            timer->setInterval(30);
            QObject::connect(timer, &QTimer::timeout, window,
                             [window, timer, text = parser.value(typeOption), i = qsizetype(0)]() mutable {
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
            window->openDocument(dialog.documentUrl(), dialog.profile());
    }
    return app.exec();
}
