// SPDX-License-Identifier: MIT
// `coscribe-relay token add|list|revoke` (server/tokencommand.h): in-process on temporary files, then the
// real binary managing the file of a running relay, which reloads it by itself (and on SIGHUP) and closes only
// the connections whose token went away or whose access changed.
#include "relayprocess.h"
#include "relaytestclient.h"
#include "tokencommand.h"
#include "tokenstore.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using relay::TokenCommand;
using relay::TokenStore;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

Run token(const QStringList &arguments, const QString &file)
{
    Run r;
    QTextStream out(&r.out);
    QTextStream err(&r.err);
    r.code = TokenCommand::run(arguments + QStringList{QStringLiteral("--tokens"), file}, QProcessEnvironment(), out, err);
    return r;
}

QByteArray contents(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The secret `token add` printed (the line after "token for ...").
QString secretFrom(const Run &r)
{
    return r.out.split(u'\n').value(1).trimmed();
}

} // namespace

class tst_TokenCommand : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void addPrintsTheSecretOnceAndStoresItsDigest()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("tokens"));
        const Run added = token({QStringLiteral("add"), QStringLiteral("ada"), QStringLiteral("write:*")}, file);
        QCOMPARE(added.code, 0);
        const QString secret = secretFrom(added);
        QVERIFY2(secret.size() == 64, qPrintable(added.out));
        QVERIFY(!contents(file).contains(secret.toUtf8()));
        QVERIFY(contents(file).contains(TokenStore::digestLine(secret).toUtf8()));
        QCOMPARE(QFile::permissions(file) & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());

        auto store = TokenStore::load(file);
        QVERIFY(std::holds_alternative<TokenStore>(store));
        const auto account = std::get<TokenStore>(store).authenticate(secret);
        QVERIFY(account);
        QCOMPARE(account->user, QStringLiteral("ada"));
        QCOMPARE(account->roleFor(QStringLiteral("notes")), std::optional(collab::Role::Write));
        QVERIFY(!std::get<TokenStore>(store).authenticate(TokenStore::digestLine(secret)));  // the digest is no token

        // list shows ids and grants, never a secret.
        const Run listed = token({QStringLiteral("list")}, file);
        QCOMPARE(listed.code, 0);
        QVERIFY(listed.out.contains(TokenStore::redact(secret)));
        QVERIFY(listed.out.contains(QStringLiteral("ada  write:*")));
        QVERIFY(!listed.out.contains(secret));
    }

    void revokeByIdOrByUser()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("tokens"));
        const QString ada = secretFrom(token({QStringLiteral("add"), QStringLiteral("ada"), QStringLiteral("admin:*")}, file));
        const QString bob1 = secretFrom(token({QStringLiteral("add"), QStringLiteral("bob"), QStringLiteral("read:*")}, file));
        const QString bob2 = secretFrom(token({QStringLiteral("add"), QStringLiteral("bob"), QStringLiteral("write:b-*")}, file));

        const Run byId = token({QStringLiteral("revoke"), TokenStore::redact(ada)}, file);
        QCOMPARE(byId.code, 0);
        QVERIFY(byId.out.contains(QStringLiteral("revoked ") + TokenStore::redact(ada)));
        auto store = std::get<TokenStore>(TokenStore::load(file));
        QVERIFY(!store.authenticate(ada));
        QVERIFY(store.authenticate(bob1) && store.authenticate(bob2));
        QVERIFY(!contents(file).contains("# ada,"));

        QCOMPARE(token({QStringLiteral("revoke"), QStringLiteral("bob")}, file).code, 0);
        store = std::get<TokenStore>(TokenStore::load(file));
        QCOMPARE(store.size(), 0);
        QCOMPARE(token({QStringLiteral("revoke"), QStringLiteral("bob")}, file).code, 1);  // nothing left to revoke
    }

    void mistakesLeaveTheFileAlone_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("code");
        QTest::newRow("bad role") << QStringList{QStringLiteral("add"), QStringLiteral("eve"), QStringLiteral("root:*")} << 2;
        QTest::newRow("no grant") << QStringList{QStringLiteral("add"), QStringLiteral("eve")} << 2;
        QTest::newRow("bad user") << QStringList{QStringLiteral("add"), QStringLiteral("e ve!"), QStringLiteral("read:*")} << 2;
        QTest::newRow("short id") << QStringList{QStringLiteral("revoke"), QStringLiteral("token:12")} << 2;
        QTest::newRow("unknown verb") << QStringList{QStringLiteral("rotate")} << 2;
    }
    void mistakesLeaveTheFileAlone()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, code);
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("tokens"));
        QCOMPARE(token({QStringLiteral("add"), QStringLiteral("ada"), QStringLiteral("admin:*")}, file).code, 0);
        const QByteArray before = contents(file);
        const Run r = token(arguments, file);
        QCOMPARE(r.code, code);
        QVERIFY(!r.err.isEmpty());
        QCOMPARE(contents(file), before);
    }

    // The real relay, its tokens file changed under it by the real command: revoked connections close with
    // 1008 after a `forbidden`, changed access closes with 4011, the others stay and keep editing.
    void aRunningRelayReloadsTheFile()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("tokens"));
        const QString ada = secretFrom(token({QStringLiteral("add"), QStringLiteral("ada"), QStringLiteral("write:*")}, file));
        const QString bob = secretFrom(token({QStringLiteral("add"), QStringLiteral("bob"), QStringLiteral("write:*")}, file));
        QProcess relayProcess;
        const quint16 port = testutil::startRelayProcess(relayProcess, {QStringLiteral("--port"), QStringLiteral("0"),
                                                                      QStringLiteral("--database"), QStringLiteral(":memory:"),
                                                                      QStringLiteral("--tokens"), file});
        QVERIFY(port != 0);
        const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
        RelayTestClient a, b;
        QVERIFY(a.open(url) && !a.hello(QStringLiteral("Ada"), ada).isEmpty());
        QVERIFY(b.open(url) && !b.hello(QStringLiteral("Bob"), bob).isEmpty());
        QVERIFY(!a.openDocument(QStringLiteral("notes")).isEmpty());
        QVERIFY(!b.openDocument(QStringLiteral("notes")).isEmpty());

        // The command line, as an administrator types it.
        QProcess revoke;
        revoke.start(testutil::relayBinary(), {QStringLiteral("token"), QStringLiteral("revoke"), TokenStore::redact(bob),
                                               QStringLiteral("--tokens"), file});
        QVERIFY(revoke.waitForFinished(10000));
        QCOMPARE(revoke.exitCode(), 0);
        QVERIFY(!b.waitForError(QStringLiteral("forbidden")).isEmpty());
        QVERIFY(b.waitForDisconnect(10000));
        QCOMPARE(b.closeCode, 1008);
        // Ada is still there and still edits.
        QCOMPARE(a.edit(QStringLiteral("notes"), 0, 1, collab::TextOperation::makeInsert(0, 0, QStringLiteral("still here"))), 1);

        // Bob's new token works at once, without a restart.
        QProcess add;
        add.start(testutil::relayBinary(), {QStringLiteral("token"), QStringLiteral("add"), QStringLiteral("bob"),
                                            QStringLiteral("read:*"), QStringLiteral("--tokens"), file});
        QVERIFY(add.waitForFinished(10000));
        QCOMPARE(add.exitCode(), 0);
        const QString bobAgain = QString::fromUtf8(add.readAllStandardOutput()).split(u'\n').value(1).trimmed();
        QTest::qWait(600);  // the relay reads the file once the writer is done
        RelayTestClient b2;
        QVERIFY(b2.open(url) && !b2.hello(QStringLiteral("Bob"), bobAgain).isEmpty());

        // An edit by hand that changes Ada's grant (read when the file changes or on the SIGHUP, whichever comes
        // first): her connection closes with 4011 (her editor reconnects with the new role); Bob's stays.
        QByteArray text = contents(file);
        text.replace("ada write:*", "ada read:*");
        QFile edited(file);
        QVERIFY(edited.open(QIODevice::WriteOnly | QIODevice::Truncate));
        edited.write(text);
        edited.close();
        ::kill(pid_t(relayProcess.processId()), SIGHUP);
        QVERIFY(a.waitForDisconnect(10000));
        QCOMPARE(a.closeCode, 4011);
        QVERIFY(b2.socket.state() == QAbstractSocket::ConnectedState);
        RelayTestClient a2;
        QVERIFY(a2.open(url) && !a2.hello(QStringLiteral("Ada"), ada).isEmpty());
        QCOMPARE(a2.openDocument(QStringLiteral("notes")).value(QStringLiteral("role")).toString(), QStringLiteral("read"));

        // A broken file is not taken: everyone keeps the access in force.
        QVERIFY(edited.open(QIODevice::WriteOnly | QIODevice::Truncate));
        edited.write("this is not a tokens file\n");
        edited.close();
        ::kill(pid_t(relayProcess.processId()), SIGHUP);
        QTest::qWait(500);
        QVERIFY(a2.socket.state() == QAbstractSocket::ConnectedState && b2.socket.state() == QAbstractSocket::ConnectedState);
        RelayTestClient a3;
        QVERIFY(a3.open(url) && !a3.hello(QStringLiteral("Ada"), ada).isEmpty());

        relayProcess.terminate();
        QVERIFY(relayProcess.waitForFinished(10000));
    }
};

QTEST_GUILESS_MAIN(tst_TokenCommand)
#include "tst_tokencommand.moc"
