// SPDX-License-Identifier: MIT
// The `coscribe` binary's command line without a display: --help and --version print and exit 0 (a window
// application would abort when it finds no display to connect to); a link that names no document is refused.
#include <QProcess>
#include <QTest>

class tst_EditorCommandLine : public QObject
{
    Q_OBJECT

    static QString binary() { return qEnvironmentVariable("COSCRIBE_BINARY_DIR") + QStringLiteral("/app/coscribe"); }

    // Runs the editor with no display at all (no X, no Wayland, no platform chosen).
    static std::pair<int, QByteArray> run(const QStringList &arguments, bool offscreen = false)
    {
        QProcess editor;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
            env.remove(QString::fromLatin1(name));
        if (offscreen)
            env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("LANG"), QStringLiteral("C"));
        editor.setProcessEnvironment(env);
        editor.start(binary(), arguments);
        if (!editor.waitForFinished(15000)) {
            editor.kill();
            editor.waitForFinished();
            return {-1, {}};
        }
        return {editor.exitStatus() == QProcess::NormalExit ? editor.exitCode() : -2,
                editor.readAllStandardOutput() + editor.readAllStandardError()};
    }

private Q_SLOTS:
    void helpPrintsWithoutADisplay_data()
    {
        QTest::addColumn<QString>("argument");
        QTest::newRow("--help") << QStringLiteral("--help");
        QTest::newRow("-h") << QStringLiteral("-h");
        QTest::newRow("--help-all") << QStringLiteral("--help-all");
    }
    void helpPrintsWithoutADisplay()
    {
        QFETCH(QString, argument);
        const auto [code, out] = run({argument});
        QCOMPARE(code, 0);
        QVERIFY2(out.contains("Usage:") && out.contains("--name <name>") && out.contains("--failover <url>"), out.constData());
    }

    // What a link handler passes (the .desktop file's Exec=coscribe %u): anything that is not a document link is
    // refused with exit code 2 and the forms that are, before any window opens.
    void badLinkIsRefused_data()
    {
        QTest::addColumn<QString>("link");
        QTest::newRow("web list page") << QStringLiteral("http://127.0.0.1:7300/");
        QTest::newRow("other scheme") << QStringLiteral("ftp://127.0.0.1/doc");
        QTest::newRow("no document") << QStringLiteral("coscribe://127.0.0.1:7300/");
    }
    void badLinkIsRefused()
    {
        QFETCH(QString, link);
        const auto [code, out] = run({link}, true);
        QCOMPARE(code, 2);
        QVERIFY2(out.contains("not a document link") && out.contains("coscribe://host:port/document"), out.constData());
    }

    void versionPrintsWithoutADisplay()
    {
        const auto [code, out] = run({QStringLiteral("--version")});
        QCOMPARE(code, 0);
        QVERIFY2(out.startsWith("coscribe ") && out.contains(COSCRIBE_VERSION), out.constData());
    }
};

QTEST_GUILESS_MAIN(tst_EditorCommandLine)
#include "tst_editorcommandline.moc"
