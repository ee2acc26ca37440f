// SPDX-License-Identifier: MIT
// coscribe-cli against a real coscribe-relay process: every command, its output and its exit code.
#include "relayprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString cliBinary()
{
    const QString fromEnv = qEnvironmentVariable("COSCRIBE_BINARY_DIR");
    if (!fromEnv.isEmpty() && QFile::exists(fromEnv + QStringLiteral("/cli/coscribe-cli")))
        return fromEnv + QStringLiteral("/cli/coscribe-cli");
    return QStringLiteral(COSCRIBE_CLI_BINARY);
}

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run runCli(const QStringList &arguments, const QByteArray &input = {}, const QStringList &environment = {})
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &pair : environment)
        env.insert(pair.section(u'=', 0, 0), pair.section(u'=', 1));
    process.setProcessEnvironment(env);
    process.start(cliBinary(), arguments);
    Run run;
    if (!process.waitForStarted(5000))
        return run;
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished(5000);
        run.err = "timed out";
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// The tab-separated line `ls` prints for a document, split into fields; empty if it is not listed.
QList<QByteArray> listed(const QByteArray &lsOutput, const QByteArray &id)
{
    for (const QByteArray &line : lsOutput.split('\n')) {
        const QList<QByteArray> fields = line.split('\t');
        if (fields.value(0) == id)
            return fields;
    }
    return {};
}

} // namespace

class tst_Cli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QProcess m_relay;
    QString m_base; // ws://127.0.0.1:PORT

    QString url(const QString &document) const { return m_base + u'/' + document; }
    QString writeFile(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            return {};
        return path;
    }
    int revisionOf(const QString &document)
    {
        const Run ls = runCli({QStringLiteral("ls"), QStringLiteral("--token=reader-token-0123456789"), m_base});
        return ls.exitCode == 0 ? listed(ls.out, document.toUtf8()).value(1, "-1").toInt() : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(cliBinary()), "coscribe-cli is a build dependency of this test");
        const QString tokens = writeFile(QStringLiteral("tokens"),
                                         "writer-token-0123456789 wendy write:*\n"
                                         "reader-token-0123456789 rita read:*\n"
                                         "admin-token-01234567890 ada admin:*\n");
        QVERIFY(!tokens.isEmpty());
        const quint16 port = testutil::startRelayProcess(
            m_relay, {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), m_dir.path(),
                      QStringLiteral("--tokens"), tokens});
        QVERIFY(port != 0);
        m_base = QStringLiteral("ws://127.0.0.1:%1").arg(port);
    }

    void cleanupTestCase()
    {
        m_relay.terminate();
        if (!m_relay.waitForFinished(5000))
            m_relay.kill();
    }

    void putThenGetRoundTripsTheText_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("lines") << QByteArray("first line\nsecond line\n");
        QTest::newRow("no final newline") << QByteArray("no newline at the end");
        QTest::newRow("non-ASCII") << QByteArray("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac\n");
        QTest::newRow("empty") << QByteArray();
    }
    void putThenGetRoundTripsTheText()
    {
        QFETCH(QByteArray, text);
        const QString doc = QStringLiteral("roundtrip-") + QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-');
        const QStringList env{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789")};
        const Run put = runCli({QStringLiteral("put"), writeFile(doc, text), url(doc)}, {}, env);
        QVERIFY2(put.exitCode == 0, put.err.constData());
        const Run get = runCli({QStringLiteral("get"), url(doc), QStringLiteral("--token"),
                                QStringLiteral("reader-token-0123456789")});
        QVERIFY2(get.exitCode == 0, get.err.constData());
        QCOMPARE(get.out, text);
    }

    // put replaces the whole text with one edit (one revision), keeping what the two texts share; --append
    // adds at the end; stdin works as the file.
    void putIsOneEditAndAppendAppends()
    {
        const QStringList env{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789")};
        const QString doc = QStringLiteral("replace");
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, "alpha\nbeta\ngamma\n", env).exitCode, 0);
        const int before = revisionOf(doc);
        QVERIFY(before >= 1);
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, "alpha\nBETA\ngamma\n", env).exitCode, 0);
        QCOMPARE(revisionOf(doc), before + 1);
        // The same text again changes nothing and exits at once with success.
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, "alpha\nBETA\ngamma\n", env).exitCode, 0);
        QCOMPARE(revisionOf(doc), before + 1);
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("--append"), QStringLiteral("-"), url(doc)}, "delta\n", env).exitCode, 0);
        QCOMPARE(runCli({QStringLiteral("get"), url(doc)}, {}, env).out, QByteArray("alpha\nBETA\ngamma\ndelta\n"));
    }

    // A file larger than the relay's message limit (1 MiB) goes as several messages and arrives whole.
    void putOfAFileLargerThanOneMessageArrivesWhole()
    {
        QByteArray text;
        for (int i = 0; text.size() < 3 * 1024 * 1024; ++i)
            text += "line " + QByteArray::number(i) + " of a large import\n";
        const QStringList env{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789")};
        const Run put = runCli({QStringLiteral("put"), writeFile(QStringLiteral("large"), text), url(QStringLiteral("large"))}, {}, env);
        QVERIFY2(put.exitCode == 0, put.err.constData());
        QVERIFY2(revisionOf(QStringLiteral("large")) >= 3, "three megabytes cannot fit in fewer than three messages");
        const Run get = runCli({QStringLiteral("get"), url(QStringLiteral("large"))}, {}, env);
        QCOMPARE(get.exitCode, 0);
        QVERIFY(get.out == text);
    }

    void lsListsDocumentsWithTheirRevision()
    {
        const QStringList env{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789")};
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(QStringLiteral("listed"))}, "12345", env).exitCode, 0);
        const Run ls = runCli({QStringLiteral("ls"), m_base}, {}, env);
        QCOMPARE(ls.exitCode, 0);
        const QList<QByteArray> fields = listed(ls.out, "listed");
        QCOMPARE(fields.size(), 5);
        QCOMPARE(fields.at(1), QByteArray("1")); // revision
        QCOMPARE(fields.at(2), QByteArray("0")); // nobody has it open
    }

    // new makes a document from a title (the relay picks a free id) and prints its address; mv and rm need
    // the admin role and say so otherwise.
    void newMvAndRmManageDocuments()
    {
        const QStringList writer{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789")};
        const QStringList admin{QStringLiteral("COSCRIBE_TOKEN=admin-token-01234567890")};
        const QString title = QStringLiteral("Quarterly report \u00b7 Q3");
        const Run made = runCli({QStringLiteral("new"), m_base, title}, {}, writer);
        QCOMPARE(made.exitCode, 0);
        QCOMPARE(made.out.trimmed(), url(QStringLiteral("Quarterly-report-Q3")).toUtf8());
        const Run again = runCli({QStringLiteral("new"), m_base, title}, {}, writer);
        QCOMPARE(again.out.trimmed(), url(QStringLiteral("Quarterly-report-Q3-2")).toUtf8());
        Run ls = runCli({QStringLiteral("ls"), m_base}, {}, writer);
        QCOMPARE(listed(ls.out, "Quarterly-report-Q3").value(4), title.toUtf8());

        const Run refused = runCli({QStringLiteral("mv"), url(QStringLiteral("Quarterly-report-Q3")), QStringLiteral("X")},
                                   {}, writer);
        QCOMPARE(refused.exitCode, 3);
        QVERIFY2(refused.err.contains("admin"), refused.err.constData());
        QCOMPARE(runCli({QStringLiteral("mv"), url(QStringLiteral("Quarterly-report-Q3")), QStringLiteral("Q3 (final)")},
                        {}, admin).exitCode, 0);
        ls = runCli({QStringLiteral("ls"), m_base}, {}, writer);
        QCOMPARE(listed(ls.out, "Quarterly-report-Q3").value(4), QByteArray("Q3 (final)"));

        QCOMPARE(runCli({QStringLiteral("rm"), url(QStringLiteral("Quarterly-report-Q3-2"))}, {}, writer).exitCode, 3);
        QCOMPARE(runCli({QStringLiteral("rm"), url(QStringLiteral("Quarterly-report-Q3-2"))}, {}, admin).exitCode, 0);
        ls = runCli({QStringLiteral("ls"), m_base}, {}, writer);
        QVERIFY(listed(ls.out, "Quarterly-report-Q3-2").isEmpty());
        QVERIFY(!listed(ls.out, "Quarterly-report-Q3").isEmpty());
        const Run gone = runCli({QStringLiteral("rm"), url(QStringLiteral("Quarterly-report-Q3-2"))}, {}, admin);
        QCOMPARE(gone.exitCode, 3);
        QVERIFY2(gone.err.contains("no-such-document"), gone.err.constData());
    }

    // Each stdin line becomes an edit; a watcher sees the text, then each change as a JSON line, in order.
    void watchSeesWhatTypeTypes()
    {
        const QStringList env{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789")};
        const QString doc = QStringLiteral("typed");
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, "start\n", env).exitCode, 0);

        QProcess watch;
        QProcessEnvironment wenv = QProcessEnvironment::systemEnvironment();
        wenv.insert(QStringLiteral("COSCRIBE_TOKEN"), QStringLiteral("reader-token-0123456789"));
        watch.setProcessEnvironment(wenv);
        watch.start(cliBinary(), {QStringLiteral("watch"), QStringLiteral("--count"), QStringLiteral("3"), url(doc)});
        QByteArray out;
        QVERIFY(QTest::qWaitFor([&] {
            out += watch.readAllStandardOutput();
            return out.contains("\x1e\n") || watch.state() == QProcess::NotRunning;
        }, 15000));
        QCOMPARE(out, QByteArray("start\n\n\x1e\n"));

        const Run type = runCli({QStringLiteral("type"), QStringLiteral("--name"), QStringLiteral("Typist"), url(doc)},
                                "one\ntwo\nthree", env);
        QVERIFY2(type.exitCode == 0, type.err.constData());
        QVERIFY(watch.waitForFinished(15000));
        QCOMPARE(watch.exitCode(), 0);
        out += watch.readAllStandardOutput();
        const QList<QByteArray> lines = out.mid(out.indexOf("\x1e\n") + 2).split('\n');
        QCOMPARE(lines.size(), 4); // three changes and the empty rest after the last newline
        QStringList inserted;
        int lastRevision = 0;
        for (int i = 0; i < 3; ++i) {
            const QJsonObject change = QJsonDocument::fromJson(lines.at(i)).object();
            QVERIFY2(change.value(QStringLiteral("revision")).toInt() > lastRevision, lines.at(i).constData());
            lastRevision = change.value(QStringLiteral("revision")).toInt();
            const QJsonArray op = change.value(QStringLiteral("operation")).toArray();
            inserted << op.last().toString();
        }
        QCOMPARE(inserted, (QStringList{QStringLiteral("one\n"), QStringLiteral("two\n"), QStringLiteral("three")}));
        QCOMPARE(runCli({QStringLiteral("get"), url(doc)}, {}, env).out, QByteArray("start\none\ntwo\nthree"));
    }

    void errorsHaveExitCodesAndSayWhy_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QByteArray>("says");
        const QString tokenW = QStringLiteral("--token=writer-token-0123456789");
        const QString tokenR = QStringLiteral("--token=reader-token-0123456789");
        QTest::newRow("no command") << QStringList{} << QByteArray() << 1 << QByteArray("no command");
        QTest::newRow("unknown command") << QStringList{QStringLiteral("fetch")} << QByteArray() << 1 << QByteArray("unknown command");
        QTest::newRow("not a document address") << QStringList{QStringLiteral("get"), QStringLiteral("http://x/y")} << QByteArray() << 1
                                                << QByteArray("not a relay address");
        QTest::newRow("missing document") << QStringList{QStringLiteral("get"), tokenW, QStringLiteral("%1/nothing-here")}
                                          << QByteArray() << 3 << QByteArray("no-such-document");
        QTest::newRow("no token") << QStringList{QStringLiteral("ls"), QStringLiteral("%1")} << QByteArray() << 3
                                  << QByteArray("forbidden");
        QTest::newRow("wrong token") << QStringList{QStringLiteral("get"), QStringLiteral("--token=wrong-token-0123456789"), QStringLiteral("%1/listed")}
                                     << QByteArray() << 3 << QByteArray("forbidden");
        QTest::newRow("read-only token writes") << QStringList{QStringLiteral("put"), tokenR, QStringLiteral("-"), QStringLiteral("%1/listed")}
                                                << QByteArray("overwrite") << 3 << QByteArray("read-only");
        QTest::newRow("not UTF-8") << QStringList{QStringLiteral("put"), tokenW, QStringLiteral("-"), QStringLiteral("%1/bytes")}
                                   << QByteArray("\xff\xfe\x00", 3) << 4 << QByteArray("not UTF-8");
        QTest::newRow("unreadable file") << QStringList{QStringLiteral("put"), tokenW, QStringLiteral("/nonexistent/file"), QStringLiteral("%1/x")}
                                         << QByteArray() << 4 << QByteArray("Cannot read");
        QTest::newRow("revision from the future") << QStringList{QStringLiteral("get"), tokenR, QStringLiteral("--revision=999999"), QStringLiteral("%1/listed")}
                                                  << QByteArray() << 3 << QByteArray("revision-from-future");
        QTest::newRow("log of nothing") << QStringList{QStringLiteral("log"), tokenR, QStringLiteral("%1/nothing-here")}
                                        << QByteArray() << 3 << QByteArray("no-such-document");
        QTest::newRow("bad revision") << QStringList{QStringLiteral("get"), tokenR, QStringLiteral("--revision=x"), QStringLiteral("%1/listed")}
                                      << QByteArray() << 1 << QByteArray("--revision");
        QTest::newRow("nobody listening") << QStringList{QStringLiteral("get"), QStringLiteral("--timeout=2"), QStringLiteral("ws://127.0.0.1:1/x")}
                                          << QByteArray() << 2 << QByteArray("Cannot reach");
    }
    void errorsHaveExitCodesAndSayWhy()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QByteArray, input);
        QFETCH(int, exitCode);
        QFETCH(QByteArray, says);
        for (QString &a : arguments)
            a.replace(QStringLiteral("%1"), m_base);
        const Run run = runCli(arguments, input);
        QVERIFY2(run.exitCode == exitCode, (QByteArray::number(run.exitCode) + ": " + run.err).constData());
        QVERIFY2(run.err.contains(says), run.err.constData());
        QVERIFY(run.out.isEmpty());
    }

    // Each put is one revision: get --revision shows each text as it was, and log shows the sessions (one
    // author, the writer token's user, within the gap: one session), with what they inserted.
    void logAndRevisionsShowTheHistory()
    {
        const QStringList env{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789")};
        const QString doc = QStringLiteral("history");
        const QList<QByteArray> texts{"one\n", "one\ntwo\n", "zero\none\ntwo\n"};
        for (const QByteArray &t : texts)
            QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, t, env).exitCode, 0);
        const int last = revisionOf(doc);
        QVERIFY(last >= 3);
        for (int i = 0; i < texts.size(); ++i) {
            const Run get = runCli({QStringLiteral("get"), QStringLiteral("--revision=%1").arg(last - 2 + i), url(doc)}, {}, env);
            QVERIFY2(get.exitCode == 0, get.err.constData());
            QCOMPARE(get.out, texts.at(i));
        }
        const Run empty = runCli({QStringLiteral("get"), QStringLiteral("--revision=0"), url(doc)}, {}, env);
        QCOMPARE(empty.exitCode, 0);
        QCOMPARE(empty.out, QByteArray());

        // Named versions: a writer names two, a reader sees them first in the log, newest revision first.
        const Run named = runCli({QStringLiteral("version"), url(doc), QStringLiteral("Draft sent")}, {}, env);
        QVERIFY2(named.exitCode == 0, named.err.constData());
        QVERIFY(named.out.contains("\tDraft sent\n"));
        QCOMPARE(runCli({QStringLiteral("version"), QStringLiteral("--revision=1"), url(doc), QStringLiteral("First")}, {}, env).exitCode, 0);
        const Run readOnly = runCli({QStringLiteral("version"), QStringLiteral("--token=reader-token-0123456789"), url(doc),
                                     QStringLiteral("Mine")});
        QCOMPARE(readOnly.exitCode, 3);
        QVERIFY(readOnly.err.contains("read-only"));
        const Run log = runCli({QStringLiteral("log"), QStringLiteral("--token=reader-token-0123456789"), url(doc)});
        QVERIFY2(log.exitCode == 0, log.err.constData());
        const QList<QByteArray> lines = log.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines.at(0).startsWith("version\t" + QByteArray::number(last) + '\t') && lines.at(0).endsWith("\twendy\tDraft sent"));
        QVERIFY(lines.at(1).startsWith("version\t1\t") && lines.at(1).endsWith("\tFirst"));
        QCOMPARE(runCli({QStringLiteral("version"), QStringLiteral("--delete"), url(doc), QStringLiteral("First")}, {}, env).exitCode, 0);
        const QList<QByteArray> fields = lines.at(2).split('\t');
        QCOMPARE(fields.size(), 8);
        QCOMPARE(fields.at(0), "1-" + QByteArray::number(last));
        QCOMPARE(fields.at(3), QByteArray("wendy"));
        QCOMPARE(fields.at(7), QByteArray::number(last));
        QVERIFY(fields.at(1).endsWith('Z') && fields.at(1) <= fields.at(2));
        QCOMPARE(fields.at(5), "+" + QByteArray::number(QString::fromUtf8("one\ntwo\n").size() + QString::fromUtf8("zero\n").size()));
    }

    // blame names who wrote each line; diff shows what changed between two revisions, and who changed it.
    void blameAndDiffNameTheAuthors()
    {
        const QString doc = QStringLiteral("blame");
        const auto as = [](const char *name) {
            return QStringList{QStringLiteral("COSCRIBE_TOKEN=writer-token-0123456789"),
                               QStringLiteral("COSCRIBE_NAME=") + QLatin1StringView(name)};
        };
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, "one\n", as("Ann")).exitCode, 0);
        const int first = revisionOf(doc);
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, "one\ntwo\n", as("Ben")).exitCode, 0);
        const int second = revisionOf(doc);
        QCOMPARE(runCli({QStringLiteral("put"), QStringLiteral("-"), url(doc)}, "zero\none\ntwo\n", as("Ann")).exitCode, 0);
        const int third = revisionOf(doc);
        QVERIFY(first > 0 && second > first && third > second);

        const QString reader = QStringLiteral("--token=reader-token-0123456789");
        const Run blame = runCli({QStringLiteral("blame"), reader, url(doc)});
        QVERIFY2(blame.exitCode == 0, blame.err.constData());
        QCOMPARE(blame.out, QByteArray("Ann\tzero\nAnn\tone\nBen\ttwo\n"));

        const Run diff = runCli({QStringLiteral("diff"), reader, url(doc), QString::number(first), QString::number(second)});
        QVERIFY2(diff.exitCode == 0, diff.err.constData());
        QCOMPARE(diff.out, "# " + QByteArray::number(first) + ".." + QByteArray::number(second) + ": Ben\n@@ line 2 @@\n+two\n");
        const Run both = runCli({QStringLiteral("diff"), reader, url(doc), QString::number(first), QString::number(third)});
        QVERIFY2(both.exitCode == 0, both.err.constData());
        QVERIFY2(both.out.startsWith("# " + QByteArray::number(first) + ".." + QByteArray::number(third) + ": Ben, Ann\n"),
                 both.out.constData());
        QVERIFY2(both.out.contains("@@ line 1 @@\n-one\n+zero\n+one\n"), both.out.constData());
        QVERIFY2(both.out.contains("+two\n"), both.out.constData());
        QCOMPARE(runCli({QStringLiteral("diff"), reader, url(doc), QStringLiteral("3"), QStringLiteral("2")}).exitCode, 1);
    }

    void helpDescribesEveryCommand()
    {
        const Run help = runCli({QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        for (const char *command : {"ls URL", "get URL/DOC", "put FILE URL/DOC", "watch URL/DOC", "type URL/DOC",
                                    "log URL/DOC", "--revision", "diff URL/DOC A B", "blame URL/DOC",
                                    "version URL/DOC NAME", "new URL TITLE", "mv URL/DOC TITLE", "rm URL/DOC", "--token"})
            QVERIFY2(help.out.contains(command), command);
    }
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
