// SPDX-License-Identifier: MIT
// LocalStore: replicas survive, claims exclude each other, and a real `coscribe` process killed while offline
// with unsent edits delivers them when started again.
#include "relayfixture.h"

#include <documentbinding.h>
#include <localstore.h>
#include <mainwindow.h>
#include <syncconnection.h>

#include <QProcess>
#include <QTest>

using collab::TextOperation;
using ui::LocalStore;

class tst_LocalStore : public QObject
{
    Q_OBJECT

private:
    static QString editorBinary()
    {
        return qEnvironmentVariable("COSCRIBE_BINARY_DIR") + QStringLiteral("/app/coscribe");
    }

    static int pendingIn(const QString &storeDir, const QString &document)
    {
        LocalStore store(storeDir);
        if (!store.open())
            return -1;
        for (const LocalStore::CachedDocument &d : store.cachedDocuments()) {
            if (d.document == document)
                return d.pendingEdits;
        }
        return 0;
    }

    void startEditor(QProcess &process, const QString &storeDir, const QUrl &url, const QStringList &extra = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("COSCRIBE_LOCAL_STORE_DIR"), storeDir);
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), storeDir + QStringLiteral("/config"));
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(editorBinary(), QStringList{url.toString(), QStringLiteral("--name"), QStringLiteral("Kim")} + extra);
        QVERIFY2(process.waitForStarted(), qPrintable(process.errorString()));
    }

private Q_SLOTS:
    void replicaRoundTrip()
    {
        QTemporaryDir dir;
        qint64 id = -1;
        QString clientId;
        {
            LocalStore store(dir.path());
            QVERIFY(store.open());
            std::optional<LocalStore::Replica> r = store.claim(QStringLiteral("ws://h:1"), QStringLiteral("d"));
            QVERIFY(r);
            id = r->id;
            clientId = r->clientId;
            r->synced = true;
            r->revision = 7;
            r->snapshot = QStringLiteral("hello");
            r->outstanding = collab::Client::Outgoing{7, 3, TextOperation::makeInsert(5, 5, QStringLiteral("!"))};
            r->buffer = TextOperation::makeInsert(6, 0, QStringLiteral(">"));
            r->lastSequence = 3;
            r->pendingEdits = 2;
            QVERIFY(store.save(*r, true));

            // Claimed: a second claim of the same document gets another replica with another client id.
            std::optional<LocalStore::Replica> other = store.claim(QStringLiteral("ws://h:1"), QStringLiteral("d"));
            QVERIFY(other);
            QVERIFY(other->id != id);
            QVERIFY(other->clientId != clientId);
        }
        LocalStore store(dir.path());
        QVERIFY(store.open());
        std::optional<LocalStore::Replica> r = store.claim(QStringLiteral("ws://h:1"), QStringLiteral("d"));
        QVERIFY(r);
        QCOMPARE(r->id, id); // the one with pending edits comes first
        QCOMPARE(r->clientId, clientId);
        QCOMPARE(r->revision, 7);
        QCOMPARE(r->localText().value_or(QString()), QStringLiteral(">hello!"));
        QCOMPARE(r->outstanding->sequence, 3);
        QCOMPARE(r->pendingEdits, 2);
    }

    void killedEditorLosesNothing()
    {
        if (!QFile::exists(editorBinary()))
            QSKIP("the coscribe binary is not built");
        RelayFixture relay;
        QVERIFY(relay.start());
        const QUrl url = relay.documentUrl(QStringLiteral("crash"));
        QTemporaryDir editorStore;
        QTemporaryDir watcherStore;

        // A watcher window in this process puts some text in and later checks what arrived.
        ui::MainWindow watcher(watcherStore.path());
        watcher.connection()->setReconnectDelays(50, 300);
        watcher.show();
        watcher.openDocument(url, ui::SyncConnection::Profile{QStringLiteral("Wat"), QColor(Qt::blue), QString(), {}});
        QTRY_COMPARE(watcher.connection()->status(), ui::SyncConnection::Status::Online);
        watcher.binding()->applyLocal(TextOperation::makeInsert(0, 0, QStringLiteral("[shared]")),
                                      ui::DocumentBinding::Origin::User);
        QTRY_COMPARE(watcher.connection()->pendingEdits(), 0);

        // 1. The editor syncs once (so it has the document cached), then is killed.
        {
            QProcess editor;
            startEditor(editor, editorStore.path(), url);
            QTRY_VERIFY_WITH_TIMEOUT(watcher.connection()->participants().size() == 1, 15000);
            editor.kill();
            editor.waitForFinished();
        }
        // 2. The relay goes down; the editor starts offline from its cache, the user types, and the editor is
        //    killed (SIGKILL) while every edit is still unsent.
        relay.stop();
        const QString typed = QStringLiteral("typed offline ");
        {
            QProcess editor;
            startEditor(editor, editorStore.path(), url, {QStringLiteral("--type"), typed});
            QTRY_VERIFY_WITH_TIMEOUT(pendingIn(editorStore.path(), QStringLiteral("crash")) == typed.size(), 20000);
            editor.kill();
            editor.waitForFinished();
        }
        QCOMPARE(pendingIn(editorStore.path(), QStringLiteral("crash")), typed.size());

        // 3. The relay is back; the editor starts again, reconnects by itself and the edits arrive.
        QVERIFY(relay.start());
        QTRY_COMPARE_WITH_TIMEOUT(watcher.connection()->status(), ui::SyncConnection::Status::Online, 15000);
        QProcess editor;
        startEditor(editor, editorStore.path(), url);
        QTRY_COMPARE_WITH_TIMEOUT(watcher.binding()->text(), typed + QStringLiteral("[shared]"), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(pendingIn(editorStore.path(), QStringLiteral("crash")), 0, 10000);
        editor.terminate();
        if (!editor.waitForFinished(5000))
            editor.kill();
    }
};

QTEST_MAIN(tst_LocalStore)
#include "tst_localstore.moc"
