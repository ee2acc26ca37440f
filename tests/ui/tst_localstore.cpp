// SPDX-License-Identifier: MIT
// LocalStore: replicas survive, claims exclude each other, the base text is rebuilt exactly from a snapshot
// and the operations logged since (and a damaged log is never built upon), a version-0 database migrates,
// and a real `coscribe` process killed between snapshot writes, or while offline with unsent edits, loses
// nothing when started again.
#include "relayfixture.h"

#include <documentbinding.h>
#include <localstore.h>
#include <mainwindow.h>
#include <documentsession.h>

#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

using collab::TextOperation;
using syncing::LocalStore;

namespace {

const QString Server = QStringLiteral("ws://h:1");
const QString Document = QStringLiteral("d");

// Run SQL on a store's database behind its back (to damage it, or to build an old one).
bool rawSql(const QString &storeDir, const QStringList &statements, QVariant *firstValue = nullptr)
{
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        db.setDatabaseName(storeDir + QStringLiteral("/coscribe-local.sqlite"));
        ok = db.open();
        for (const QString &sql : statements) {
            QSqlQuery query(db);
            ok = ok && query.exec(sql);
            if (ok && firstValue && query.next())
                *firstValue = query.value(0);
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    return ok;
}

// A random edit of `text` (inserts with some non-ASCII, deletes, replaces), never splitting a surrogate pair.
TextOperation randomEdit(QRandomGenerator &random, const QString &text)
{
    const qsizetype n = text.size();
    qsizetype position = random.bounded(int(n + 1));
    if (position > 0 && position < n && text[position].isLowSurrogate())
        --position;
    qsizetype removed = n > position ? random.bounded(int(std::min<qsizetype>(n - position, 8) + 1)) : 0;
    if (position + removed < n && removed > 0 && text[position + removed].isLowSurrogate())
        ++removed;
    static const QStringList pieces{QStringLiteral("a"), QStringLiteral("é"), QStringLiteral("東京"),
                                    QStringLiteral("\n"), QStringLiteral("🙂"), QStringLiteral("\"\\")};
    const QString inserted = random.bounded(3) == 0 ? QString() : pieces.at(random.bounded(int(pieces.size())));
    if (removed == 0 && inserted.isEmpty())
        return TextOperation::makeInsert(n, position, QStringLiteral("x"));
    return TextOperation::makeReplace(n, position, removed, inserted);
}

// A replica stored as a snapshot at revision 2 and five logged operations (revisions 3 to 7) with an edit
// pending on top; texts[r] is the base text at revision r.
QMap<int, QString> storeReplicaWithLog(const QString &storeDir)
{
    QMap<int, QString> texts;
    LocalStore store(storeDir);
    if (!store.open())
        return texts;
    std::optional<LocalStore::Replica> r = store.claim(Server, Document);
    if (!r)
        return texts;
    r->synced = true;
    r->revision = 2;
    r->snapshot = QStringLiteral("base text");
    if (!store.save(*r, true))
        return texts;
    texts[2] = r->snapshot;
    QString text = r->snapshot;
    for (int revision = 3; revision <= 7; ++revision) {
        const TextOperation op = TextOperation::makeInsert(text.size(), text.size(), QStringLiteral(" +%1").arg(revision));
        text = op.apply(text).value();
        r->revision = revision;
        if (revision == 7) {
            r->outstanding = collab::Client::Outgoing{7, 1, TextOperation::makeInsert(text.size(), 0, QStringLiteral(">"))};
            r->lastSequence = 1;
            r->pendingEdits = 1;
        }
        if (!store.appendOperations(*r, {{revision, op}}))
            return {};
        texts[revision] = text;
    }
    return texts;
}

} // namespace

class tst_LocalStore : public QObject
{
    Q_OBJECT

private:
    static QString editorBinary()
    {
        return qEnvironmentVariable("COSCRIBE_BINARY_DIR") + QStringLiteral("/app/coscribe");
    }

    static LocalStore::CachedDocument cachedIn(const QString &storeDir, const QString &document)
    {
        LocalStore store(storeDir);
        if (!store.open())
            return LocalStore::CachedDocument{QString(), QString(), -1, -1, -1, -1};
        for (const LocalStore::CachedDocument &d : store.cachedDocuments()) {
            if (d.document == document)
                return d;
        }
        return LocalStore::CachedDocument{};
    }
    static int pendingIn(const QString &storeDir, const QString &document)
    {
        return cachedIn(storeDir, document).pendingEdits;
    }

    // A watcher window in this process, online on `url`, the document holding `text`.
    std::unique_ptr<ui::MainWindow> openWatcher(const QString &storeDir, const QUrl &url, const QString &text)
    {
        auto watcher = std::make_unique<ui::MainWindow>(storeDir);
        watcher->session()->setReconnectDelays(50, 300);
        watcher->show();
        watcher->openDocument(url, syncing::DocumentSession::Profile{QStringLiteral("Wat"), QColor(Qt::blue).name(), QString(), {}});
        if (!QTest::qWaitFor([&] { return watcher->session()->status() == syncing::DocumentSession::Status::Online; }))
            return nullptr;
        watcher->binding()->applyLocal(TextOperation::makeInsert(0, 0, text), ui::DocumentBinding::Origin::User);
        if (!QTest::qWaitFor([&] { return watcher->session()->pendingEdits() == 0; }))
            return nullptr;
        return watcher;
    }

    // The watcher appends `count` edits, one revision each (every one acknowledged before the next).
    static bool appendEdits(ui::MainWindow &watcher, int count)
    {
        for (int i = 0; i < count; ++i) {
            const qsizetype length = watcher.binding()->length();
            watcher.binding()->applyLocal(TextOperation::makeInsert(length, length, QStringLiteral(" w%1").arg(i)),
                                          ui::DocumentBinding::Origin::User);
            if (!QTest::qWaitFor([&] { return watcher.session()->pendingEdits() == 0; }))
                return false;
        }
        return true;
    }

    // A real editor that synced `url`, typed "ack " (acknowledged), received `edits` remote operations from
    // the watcher (all logged, none snapshotted) and was then killed (SIGKILL).
    void killEditorWithLog(const QString &storeDir, const QUrl &url, ui::MainWindow &watcher, int edits)
    {
        const QString document = url.path().mid(1);
        QProcess editor;
        startEditor(editor, storeDir, url, {QStringLiteral("--type"), QStringLiteral("ack ")});
        QTRY_VERIFY_WITH_TIMEOUT(watcher.session()->participants().size() == 1, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(watcher.binding()->text().startsWith(QStringLiteral("ack ")), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(pendingIn(storeDir, document), 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(cachedIn(storeDir, document).revision, watcher.session()->revision(), 10000);
        const int openedAt = watcher.session()->revision();
        QVERIFY(appendEdits(watcher, edits));
        QTRY_COMPARE_WITH_TIMEOUT(cachedIn(storeDir, document).revision, openedAt + edits, 10000);
        editor.kill();
        editor.waitForFinished();
    }

    void startEditor(QProcess &process, const QString &storeDir, const QUrl &url, const QStringList &extra = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("COSCRIBE_LOCAL_STORE_DIR"), storeDir);
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), storeDir + QStringLiteral("/config"));
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(editorBinary(), QStringList{url.toString(), QStringLiteral("--create"), QStringLiteral("--name"),
                                                  QStringLiteral("Kim")} + extra);
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

    // Keystrokes after the outstanding edit are journaled one row each (writing the whole buffer per keystroke
    // costs O(buffer)): a store opened after a crash composes them onto the written buffer, and the next
    // write of the pending edits empties the journal in the same statement. A journal that does not fit is
    // damage, never built upon.
    void journaledEditsSurviveACrash()
    {
        QTemporaryDir dir;
        QRandomGenerator random(20261203);
        QString local = QStringLiteral("hello");
        qint64 id = -1;
        {
            LocalStore store(dir.path());
            QVERIFY(store.open());
            std::optional<LocalStore::Replica> r = store.claim(Server, Document);
            QVERIFY(r);
            id = r->id;
            r->synced = true;
            r->revision = 7;
            r->snapshot = local;
            QVERIFY(!store.appendEdit(*r, TextOperation::makeInsert(5, 0, QStringLiteral("x")))); // no outstanding yet
            r->outstanding = collab::Client::Outgoing{7, 1, TextOperation::makeInsert(5, 5, QStringLiteral("!"))};
            r->lastSequence = 1;
            r->pendingEdits = 1;
            QVERIFY(store.save(*r, true));
            local += u'!';
            for (int i = 0; i < 300; ++i) {
                const TextOperation edit = randomEdit(random, local);
                QVERIFY(store.appendEdit(*r, edit));
                local = *edit.apply(local);
            }
        } // no save: as a kill would leave it
        {
            LocalStore store(dir.path());
            QVERIFY(store.open());
            std::optional<LocalStore::Replica> r = store.claim(Server, Document);
            QVERIFY(r);
            QCOMPARE(r->id, id);
            QVERIFY(!r->damaged);
            QCOMPARE(r->localText().value_or(QString()), local);
            QCOMPARE(r->pendingEdits, 301);
            QVERIFY(r->buffer);
            // Written as a whole: the journal is empty, the text the same.
            QVERIFY(store.save(*r, false));
            QVariant rows;
            QVERIFY(rawSql(dir.path(), {QStringLiteral("SELECT COUNT(*) FROM replica_edits")}, &rows));
            QCOMPARE(rows.toInt(), 0);
            const TextOperation more = TextOperation::makeInsert(local.size(), 0, QStringLiteral("<"));
            QVERIFY(store.appendEdit(*r, more));
            local = *more.apply(local);
        }
        {
            LocalStore store(dir.path());
            QVERIFY(store.open());
            std::optional<LocalStore::Replica> r = store.claim(Server, Document);
            QVERIFY(r);
            QCOMPARE(r->localText().value_or(QString()), local);
        }
        // A journaled edit that does not apply after the buffer: damaged, the pending edits dropped.
        QVERIFY(rawSql(dir.path(), {QStringLiteral("INSERT INTO replica_edits (replica_id, op) VALUES (%1, '[99999,\"x\"]')").arg(id)}));
        LocalStore store(dir.path());
        QVERIFY(store.open());
        std::optional<LocalStore::Replica> r = store.claim(Server, Document);
        QVERIFY(r);
        QVERIFY(r->damaged);
        QVERIFY(!r->outstanding && !r->buffer);
    }

    // Many operations logged without a snapshot write: a new store rebuilds the exact base text and revision,
    // pending edits on top; a snapshot then empties the log.
    void operationLogReplays()
    {
        QTemporaryDir dir;
        QRandomGenerator random(20240611);
        QString text = QStringLiteral("snapshot é 🙂 text\n");
        {
            LocalStore store(dir.path());
            QVERIFY(store.open());
            std::optional<LocalStore::Replica> r = store.claim(Server, Document);
            QVERIFY(r);
            r->synced = true;
            r->revision = 3;
            r->snapshot = text;
            QVERIFY(store.save(*r, true));
            // 600 operations in batches of 1 to 5 (a catch-up logs several at once).
            int revision = 3;
            while (revision < 603) {
                std::vector<LocalStore::LoggedOperation> batch;
                const int size = std::min(1 + int(random.bounded(5)), 603 - revision);
                for (int i = 0; i < size; ++i) {
                    const TextOperation op = randomEdit(random, text);
                    text = op.apply(text).value();
                    batch.push_back({++revision, op});
                }
                r->revision = revision;
                QVERIFY(store.appendOperations(*r, batch).value_or(0) > 0);
            }
            r->outstanding = collab::Client::Outgoing{603, 4, TextOperation::makeInsert(text.size(), 0, QStringLiteral("<"))};
            r->buffer = TextOperation::makeInsert(text.size() + 1, text.size() + 1, QStringLiteral(">"));
            r->lastSequence = 4;
            r->pendingEdits = 2;
            QVERIFY(store.save(*r, false));
            const LocalStore::CachedDocument cached = store.cachedDocuments().value(0);
            QCOMPARE(cached.revision, 603);
            QCOMPARE(cached.length, text.size());
            QCOMPARE(cached.loggedOperations, 600);
        } // as a killed editor leaves it: no snapshot since revision 3

        LocalStore store(dir.path());
        QVERIFY(store.open());
        std::optional<LocalStore::Replica> r = store.claim(Server, Document);
        QVERIFY(r);
        QVERIFY(!r->damaged);
        QVERIFY(r->synced);
        QCOMPARE(r->revision, 603);
        QCOMPARE(r->snapshot, text);
        QCOMPARE(r->loggedOperations, 600);
        QVERIFY(r->loggedBytes > 0);
        QCOMPARE(r->localText().value_or(QString()), QLatin1Char('<') + text + QLatin1Char('>'));
        QCOMPARE(r->outstanding->sequence, 4);

        QVERIFY(store.save(*r, true));
        QCOMPARE(store.cachedDocuments().value(0).loggedOperations, 0);
        store.release(r->id);
        r = store.claim(Server, Document);
        QVERIFY(r);
        QCOMPARE(r->snapshot, text);
        QCOMPARE(r->revision, 603);
        QCOMPARE(r->loggedOperations, 0);
    }

    // appendOperations() takes only operations that follow on from what is stored, and changes nothing else.
    void appendRefusesWhatDoesNotFollowOn_data()
    {
        QTest::addColumn<int>("first");
        QTest::addColumn<int>("last");
        QTest::addColumn<bool>("synced");
        QTest::newRow("follows on") << 8 << 8 << true;
        QTest::newRow("gap") << 9 << 9 << false;
        QTest::newRow("seen already") << 7 << 7 << false;
        QTest::newRow("replica revision elsewhere") << 8 << 9 << false;
        QTest::newRow("base not synced") << 8 << 8 << false;
    }
    void appendRefusesWhatDoesNotFollowOn()
    {
        QFETCH(int, first);
        QFETCH(int, last);
        QFETCH(bool, synced);
        QTemporaryDir dir;
        const QMap<int, QString> texts = storeReplicaWithLog(dir.path());
        QVERIFY(!texts.isEmpty());
        if (QByteArray(QTest::currentDataTag()) == "base not synced")
            QVERIFY(rawSql(dir.path(), {QStringLiteral("UPDATE replicas SET synced = 0")}));
        LocalStore store(dir.path());
        QVERIFY(store.open());
        std::optional<LocalStore::Replica> r = store.claim(Server, Document);
        QVERIFY(r);
        const QString text = texts[7];
        r->revision = last;
        const std::optional<qint64> bytes = store.appendOperations(
            *r, {{first, TextOperation::makeInsert(text.size(), 0, QStringLiteral("!"))}});
        QCOMPARE(bytes.has_value(), synced);
        QCOMPARE(store.cachedDocuments().value(0).revision, synced ? 8 : 7);
        QCOMPARE(store.cachedDocuments().value(0).loggedOperations, synced ? 6 : 5);
    }

    // A log that cannot be replayed exactly (a row missing or damaged, a log ending short of the replica's
    // revision, a lost snapshot) is not built upon: the replica comes back as never synced, without its
    // pending edits, with the text it could rebuild, so the connection takes the relay's text.
    void damagedLogFallsBackToResync_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<int>("rebuiltTo"); // the revision whose text is rebuilt, -1: none (empty)
        QTest::newRow("missing row") << QStringLiteral("DELETE FROM replica_operations WHERE revision = 5") << 4;
        QTest::newRow("undecodable row") << QStringLiteral("UPDATE replica_operations SET op = '[3,' WHERE revision = 5") << 4;
        QTest::newRow("operation does not fit")
            << QStringLiteral("UPDATE replica_operations SET op = '[1000,\"x\"]' WHERE revision = 5") << 4;
        QTest::newRow("wrong length") << QStringLiteral("UPDATE replica_operations SET length = length + 1 WHERE revision = 5") << 4;
        QTest::newRow("last row missing") << QStringLiteral("DELETE FROM replica_operations WHERE revision = 7") << 6;
        QTest::newRow("log short of revision") << QStringLiteral("UPDATE replicas SET revision = 9") << 7;
        QTest::newRow("snapshot missing") << QStringLiteral("DELETE FROM replica_snapshots") << -1;
    }
    void damagedLogFallsBackToResync()
    {
        QFETCH(QString, damage);
        QFETCH(int, rebuiltTo);
        QTemporaryDir dir;
        const QMap<int, QString> texts = storeReplicaWithLog(dir.path());
        QVERIFY(!texts.isEmpty());
        QVERIFY(rawSql(dir.path(), {damage}));

        LocalStore store(dir.path());
        QVERIFY(store.open());
        std::optional<LocalStore::Replica> r = store.claim(Server, Document);
        QVERIFY(r);
        QVERIFY(r->damaged);
        QVERIFY(!r->synced);
        QCOMPARE(r->revision, 0);
        QVERIFY(!r->outstanding);
        QVERIFY(!r->buffer);
        QCOMPARE(r->pendingEdits, 0);
        QCOMPARE(r->snapshot, texts.value(rebuiltTo));
    }

    // A version-0 database (snapshot in replicas.snapshot) opens with everything in place, and moves on.
    void versionZeroDatabaseMigrates()
    {
        QTemporaryDir dir;
        QVERIFY(rawSql(dir.path(), {
            QStringLiteral("CREATE TABLE replicas (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                           " server TEXT NOT NULL, document TEXT NOT NULL, client_id TEXT NOT NULL,"
                           " synced INTEGER NOT NULL DEFAULT 0, revision INTEGER NOT NULL DEFAULT 0,"
                           " snapshot TEXT, last_sequence INTEGER NOT NULL DEFAULT 0,"
                           " outstanding_revision INTEGER, outstanding_sequence INTEGER, outstanding_op TEXT,"
                           " buffer_op TEXT, pending_edits INTEGER NOT NULL DEFAULT 0,"
                           " updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"),
            QStringLiteral("INSERT INTO replicas (server, document, client_id, synced, revision, snapshot,"
                           " last_sequence, outstanding_revision, outstanding_sequence, outstanding_op, pending_edits)"
                           " VALUES ('ws://h:1', 'd', 'old-client', 1, 5, 'héllo 🙂', 2, 5, 2, '[8,\"!\"]', 1)"),
            // An empty document whose snapshot was stored as NULL.
            QStringLiteral("INSERT INTO replicas (server, document, client_id, synced, revision)"
                           " VALUES ('ws://h:1', 'empty', 'other-client', 1, 4)")}));

        LocalStore store(dir.path());
        QVERIFY(store.open());
        std::optional<LocalStore::Replica> r = store.claim(Server, Document);
        QVERIFY(r);
        QVERIFY(!r->damaged);
        QCOMPARE(r->clientId, QStringLiteral("old-client"));
        QCOMPARE(r->revision, 5);
        QCOMPARE(r->snapshot, QStringLiteral("héllo 🙂"));
        QCOMPARE(r->localText().value_or(QString()), QStringLiteral("héllo 🙂!"));
        std::optional<LocalStore::Replica> empty = store.claim(Server, QStringLiteral("empty"));
        QVERIFY(empty);
        QVERIFY(!empty->damaged);
        QCOMPARE(empty->revision, 4);
        QCOMPARE(empty->snapshot, QString());

        // The log continues from the migrated snapshot.
        r->revision = 6;
        QVERIFY(store.appendOperations(*r, {{6, TextOperation::makeInsert(8, 0, QStringLiteral("¡"))}}));
        QVariant version;
        QVERIFY(rawSql(dir.path(), {QStringLiteral("PRAGMA user_version")}, &version));
        QCOMPARE(version.toInt(), LocalStore::SchemaVersion);
        QVariant legacy;
        QVERIFY(rawSql(dir.path(), {QStringLiteral("SELECT COUNT(*) FROM replicas WHERE snapshot IS NOT NULL")}, &legacy));
        QCOMPARE(legacy.toInt(), 0);
    }

    // A database from a newer editor is not touched.
    void newerSchemaIsRefused()
    {
        QTemporaryDir dir;
        QVERIFY(rawSql(dir.path(), {QStringLiteral("PRAGMA user_version = %1").arg(LocalStore::SchemaVersion + 1)}));
        LocalStore store(dir.path());
        QVERIFY(!store.open());
        QVERIFY(!store.claim(Server, Document));
    }

    // A real editor killed (SIGKILL) after acknowledged edits of its own and many remote operations, with no
    // snapshot write since it opened the document: its store rebuilds the exact text and revision; restarted
    // offline it takes edits, killed again and restarted online, it catches up from its rebuilt base and
    // delivers them.
    void killedEditorReplaysItsLog()
    {
        if (!QFile::exists(editorBinary()))
            QFAIL("the coscribe binary is not built (a build dependency of this test)");
        RelayFixture relay;
        QVERIFY(relay.start());
        const QUrl url = relay.documentUrl(QStringLiteral("replay"));
        QTemporaryDir editorStore;
        QTemporaryDir watcherStore;
        std::unique_ptr<ui::MainWindow> watcher = openWatcher(watcherStore.path(), url, QStringLiteral("[shared]"));
        QVERIFY(watcher);

        constexpr int Edits = 40;
        killEditorWithLog(editorStore.path(), url, *watcher, Edits);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(cachedIn(editorStore.path(), QStringLiteral("replay")).loggedOperations >= Edits);
        // The watcher's own acknowledged edits are logged the same way.
        QVERIFY(cachedIn(watcherStore.path(), QStringLiteral("replay")).loggedOperations >= Edits);
        {
            QString server;
            QString document;
            QVERIFY(syncing::DocumentSession::splitUrl(url, &server, &document));
            LocalStore store(editorStore.path());
            QVERIFY(store.open());
            std::optional<LocalStore::Replica> r = store.claim(server, document);
            QVERIFY(r);
            QVERIFY(!r->damaged);
            QVERIFY(r->synced);
            QCOMPARE(r->revision, watcher->session()->revision());
            QCOMPARE(r->snapshot, watcher->binding()->text());
            QVERIFY(r->loggedOperations >= Edits);
        }

        relay.stop();
        const QString typed = QStringLiteral("offline ");
        {
            QProcess editor;
            startEditor(editor, editorStore.path(), url, {QStringLiteral("--type"), typed});
            QTRY_VERIFY_WITH_TIMEOUT(pendingIn(editorStore.path(), QStringLiteral("replay")) == typed.size(), 20000);
            editor.kill();
            editor.waitForFinished();
        }
        const QString expected = typed + watcher->binding()->text();
        QVERIFY(relay.start());
        QTRY_COMPARE_WITH_TIMEOUT(watcher->session()->status(), syncing::DocumentSession::Status::Online, 15000);
        // Meanwhile the others went on: the restarted editor catches up over these before its edits land.
        QVERIFY(appendEdits(*watcher, 3));
        QProcess editor;
        startEditor(editor, editorStore.path(), url);
        QTRY_COMPARE_WITH_TIMEOUT(watcher->binding()->text(), expected + QStringLiteral(" w0 w1 w2"), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(pendingIn(editorStore.path(), QStringLiteral("replay")), 0, 10000);
        editor.terminate();
        if (!editor.waitForFinished(5000))
            editor.kill();
    }

    // The same killed editor with a row of its log gone: reopened, it shows the relay's text (not the
    // rebuilt one with a hole), and the log is compacted when the window closes.
    void damagedLogResynchronises()
    {
        if (!QFile::exists(editorBinary()))
            QFAIL("the coscribe binary is not built (a build dependency of this test)");
        RelayFixture relay;
        QVERIFY(relay.start());
        const QUrl url = relay.documentUrl(QStringLiteral("damaged"));
        QTemporaryDir editorStore;
        QTemporaryDir watcherStore;
        std::unique_ptr<ui::MainWindow> watcher = openWatcher(watcherStore.path(), url, QStringLiteral("[shared]"));
        QVERIFY(watcher);
        killEditorWithLog(editorStore.path(), url, *watcher, 10);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(rawSql(editorStore.path(),
                       {QStringLiteral("DELETE FROM replica_operations WHERE revision = (SELECT MIN(revision) + 3"
                                       " FROM replica_operations)")}));
        const QString text = watcher->binding()->text();
        {
            ui::MainWindow editor(editorStore.path());
            editor.session()->setReconnectDelays(50, 300);
            editor.show();
            editor.openDocument(url, syncing::DocumentSession::Profile{QStringLiteral("Kim"), QColor(Qt::red).name(), QString(), {}});
            QTRY_COMPARE_WITH_TIMEOUT(editor.session()->status(), syncing::DocumentSession::Status::Online, 10000);
            QTRY_COMPARE(editor.binding()->text(), text);
            QCOMPARE(editor.session()->revision(), watcher->session()->revision());
            // And it keeps converging from there.
            QVERIFY(appendEdits(*watcher, 2));
            QTRY_COMPARE(editor.binding()->text(), watcher->binding()->text());
            QTRY_VERIFY(cachedIn(editorStore.path(), QStringLiteral("damaged")).loggedOperations > 0);
        }
        QCOMPARE(watcher->binding()->text(), text + QStringLiteral(" w0 w1"));
        QCOMPARE(cachedIn(editorStore.path(), QStringLiteral("damaged")).loggedOperations, 0);
    }

    // Remote operations are logged, not snapshotted, until the log holds about as many bytes as the text:
    // then one snapshot replaces it.
    void logIsCompactedWhenAsLargeAsTheText()
    {
        RelayFixture relay;
        QVERIFY(relay.start());
        const QUrl url = relay.documentUrl(QStringLiteral("compact"));
        QTemporaryDir aStore;
        QTemporaryDir bStore;
        std::unique_ptr<ui::MainWindow> a = openWatcher(aStore.path(), url, QStringLiteral("[a]"));
        QVERIFY(a);
        std::unique_ptr<ui::MainWindow> b = openWatcher(bStore.path(), url, QStringLiteral("[b]"));
        QVERIFY(b);
        QTRY_COMPARE(a->binding()->text(), b->binding()->text());
        const int logged = cachedIn(aStore.path(), QStringLiteral("compact")).loggedOperations;
        QVERIFY(logged > 0);
        // Three inserts of 120 000 characters (2000 lines): each is logged (the log stays smaller than the
        // text)...
        for (int i = 0; i < 3; ++i) {
            const qsizetype length = b->binding()->length();
            const QString lines = (QString(59, QChar(u'a' + i)) + QLatin1Char('\n')).repeated(2000);
            b->binding()->applyLocal(TextOperation::makeInsert(length, length, lines), ui::DocumentBinding::Origin::User);
            QTRY_COMPARE(b->session()->pendingEdits(), 0);
            QTRY_COMPARE(a->session()->revision(), b->session()->revision());
            QCOMPARE(cachedIn(aStore.path(), QStringLiteral("compact")).loggedOperations, logged + i + 1);
        }
        // ... and the next one finds the log as large as the text (over 256 KB): a snapshot, no log.
        QVERIFY(appendEdits(*b, 1));
        QTRY_COMPARE(a->session()->revision(), b->session()->revision());
        const LocalStore::CachedDocument cached = cachedIn(aStore.path(), QStringLiteral("compact"));
        QCOMPARE(cached.loggedOperations, 0);
        QCOMPARE(cached.revision, a->session()->revision());
        QCOMPARE(cached.length, a->binding()->length());
        QVERIFY(appendEdits(*b, 1));
        QTRY_COMPARE(cachedIn(aStore.path(), QStringLiteral("compact")).loggedOperations, 1);
        QCOMPARE(a->binding()->text(), b->binding()->text());
    }

    void killedEditorLosesNothing()
    {
        if (!QFile::exists(editorBinary()))
            QFAIL("the coscribe binary is not built (a build dependency of this test)");
        RelayFixture relay;
        QVERIFY(relay.start());
        const QUrl url = relay.documentUrl(QStringLiteral("crash"));
        QTemporaryDir editorStore;
        QTemporaryDir watcherStore;

        // A watcher window in this process puts some text in and later checks what arrived.
        ui::MainWindow watcher(watcherStore.path());
        watcher.session()->setReconnectDelays(50, 300);
        watcher.show();
        watcher.openDocument(url, syncing::DocumentSession::Profile{QStringLiteral("Wat"), QColor(Qt::blue).name(), QString(), {}});
        QTRY_COMPARE(watcher.session()->status(), syncing::DocumentSession::Status::Online);
        watcher.binding()->applyLocal(TextOperation::makeInsert(0, 0, QStringLiteral("[shared]")),
                                      ui::DocumentBinding::Origin::User);
        QTRY_COMPARE(watcher.session()->pendingEdits(), 0);

        // 1. The editor syncs once (so it has the document cached), then is killed.
        {
            QProcess editor;
            startEditor(editor, editorStore.path(), url);
            QTRY_VERIFY_WITH_TIMEOUT(watcher.session()->participants().size() == 1, 15000);
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
        QTRY_COMPARE_WITH_TIMEOUT(watcher.session()->status(), syncing::DocumentSession::Status::Online, 15000);
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
