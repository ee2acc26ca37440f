// SPDX-License-Identifier: MIT
// The relay in-process over real sockets on 127.0.0.1: sessions, editing, presence, reconnects, catalogue,
// access control, limits and heartbeats.
#include "relayserver.h"
#include "relaytestclient.h"
#include "sqlstorage.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace collab;
using relay::RelayServer;

namespace {

QString text(const QJsonObject &o, const char *key) { return o.value(QLatin1StringView(key)).toString(); }

} // namespace

class tst_RelayServer : public QObject
{
    Q_OBJECT

private:
    // One relay per test, on an ephemeral port over a fresh SQLite file.
    struct Relay
    {
        QTemporaryDir dir;
        std::unique_ptr<relay::SqlStorage> storage;
        std::unique_ptr<RelayServer> server;
    };
    std::unique_ptr<Relay> startRelay(RelayServer::Settings settings = {})
    {
        auto r = std::make_unique<Relay>();
        relay::SqlStorage::Options options;
        options.databaseName = r->dir.filePath(QStringLiteral("relay.sqlite"));
        options.synchronousFull = false;
        r->storage = std::make_unique<relay::SqlStorage>(options);
        if (!r->storage->open())
            return nullptr;
        settings.port = 0;
        r->server = std::make_unique<RelayServer>(*r->storage, std::move(settings));
        if (!r->server->listen())
            return nullptr;
        return r;
    }
    static QUrl url(const Relay &r) { return r.server->url(); }

    // A relay with access tokens: `tokens` in the tokens file's form (token user role:pattern per line).
    std::unique_ptr<Relay> startRelayWithTokens(const char *tokens)
    {
        auto parsed = relay::TokenStore::parse(tokens, QStringLiteral("test"));
        if (!std::holds_alternative<relay::TokenStore>(parsed))
            return nullptr;
        RelayServer::Settings settings;
        settings.tokens = std::get<relay::TokenStore>(parsed);
        return startRelay(settings);
    }

    // A connected, greeted client.
    std::unique_ptr<RelayTestClient> client(const Relay &r, const QString &name = QStringLiteral("tester"))
    {
        auto c = std::make_unique<RelayTestClient>();
        if (!c->open(url(r)) || c->hello(name).isEmpty())
            return nullptr;
        return c;
    }

    static QString snapshotOf(RelayTestClient &c, const QString &doc)
    {
        Message::Close close;
        close.doc = doc;
        c.send(close);
        c.waitFor(QStringLiteral("closed"));
        return text(c.openDocument(doc), "snapshot");
    }

private Q_SLOTS:
    void welcomeAndHello();
    void editAckBroadcast();
    void largeNonAsciiSnapshotArrives();
    void byteOrderMarksAreStoredAsTyped();
    void concurrentEditsAreTransformed();
    void severalDocumentsPerConnection();
    void presenceForLateJoiner();
    void reconnectGetsMissedOps();
    void reconnectFarBehindUsesStorage();
    void pendingEditsCatchUpByOperations();
    void oldBaseRevisionLoadsHistory();
    void duplicateResendIsReackedNotReapplied();
    void catalogue();
    void documentListSaysWhatAUserSees();
    void documentsMadeFromTitles();
    void invalidDocumentIds_data();
    void invalidDocumentIds();
    void readOnlyAndTokens();
    void originAllowList();
    void connectionLimits();
    void helloEndsTheUnauthenticatedCount();
    void helloTimeoutAndProtocolVersion();
    void heartbeatDropsSilentPeer();
    void shutdownClosesWith1001();
    void historyGroupsEditSessions();
    void textAtEveryRevision();
    void olderDatabasesGainAuthorColumns();
    void authorsAndDiffsFollowTheLog();
    void namedVersions();
    void authorshipStartsOverForADocumentMadeAgain();
    void authorshipIsKeptLiveAndStoredWithSnapshots();
};

void tst_RelayServer::welcomeAndHello()
{
    auto r = startRelay();
    QVERIFY(r);
    RelayTestClient c;
    QVERIFY(c.open(url(*r)));
    c.send(Message::List{QStringLiteral("early")});
    const QJsonObject early = c.waitForError(QStringLiteral("not-authenticated"));
    QCOMPARE(text(early, "ref"), QStringLiteral("early"));
    QVERIFY(!c.hello(QStringLiteral("Ada")).isEmpty());
    c.send(Message::List{QStringLiteral("1")});
    const QJsonObject docs = c.waitFor(QStringLiteral("documents"));
    QCOMPARE(text(docs, "ref"), QStringLiteral("1"));
    QVERIFY(docs.value(QStringLiteral("documents")).toArray().isEmpty());
}

void tst_RelayServer::editAckBroadcast()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r, QStringLiteral("A"));
    auto b = client(*r, QStringLiteral("B"));
    auto c = client(*r, QStringLiteral("C"));
    QVERIFY(a && b && c);
    QCOMPARE(a->openDocument(QStringLiteral("doc")).value(QStringLiteral("revision")).toInt(), 0);
    QVERIFY(!b->openDocument(QStringLiteral("doc")).isEmpty());
    QVERIFY(!c->openDocument(QStringLiteral("doc")).isEmpty());

    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("hello"))), 1);
    for (RelayTestClient *other : {b.get(), c.get()}) {
        const QJsonObject op = other->waitFor(QStringLiteral("op"));
        QCOMPARE(op.value(QStringLiteral("rev")).toInt(), 1);
        QCOMPARE(text(op, "author"), a->clientId);
        QCOMPARE(text(op, "connectionId"), a->connectionId);
        QCOMPARE(op.value(QStringLiteral("seq")).toInt(), 1);
        QCOMPARE(QJsonDocument(op.value(QStringLiteral("op")).toArray()).toJson(QJsonDocument::Compact),
                 QByteArray(R"(["hello"])"));
    }
    QCOMPARE(a->count(QStringLiteral("op")), 0); // the sender gets an ack, not its own op
    QCOMPARE(snapshotOf(*b, QStringLiteral("doc")), QStringLiteral("hello"));
    // Committed before acknowledged.
    const auto stored = r->storage->operations(QStringLiteral("doc"), 0, 100);
    QVERIFY(stored);
    QCOMPARE(int(stored->size()), 1);
    QCOMPARE(stored->front().clientId, a->clientId);
}

// A document of a few MB of non-ASCII text reaches a newcomer as one snapshot. Qt 6.4 cuts text messages into
// 512 KiB frames at any byte and its receiver rejects a frame ending inside a UTF-8 character (close 1007), so
// the relay must send each message as one frame.
void tst_RelayServer::largeNonAsciiSnapshotArrives()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r, QStringLiteral("A"));
    QVERIFY(a);
    QVERIFY(!a->openDocument(QStringLiteral("big")).isEmpty());
    QString chunk;
    while (chunk.size() < 150000) // ~330 KB of UTF-8 per edit: under the 1 MB message limit
        chunk += QStringLiteral("café, naïve, 東京 — ");
    QString expected;
    for (int i = 0; i < 12; ++i) {
        QCOMPARE(a->edit(QStringLiteral("big"), i, i + 1,
                         TextOperation::makeInsert(expected.size(), expected.size(), chunk)),
                 i + 1);
        expected += chunk;
    }
    QVERIFY(expected.toUtf8().size() > 2 * 1024 * 1024); // several of Qt's 512 KiB frames
    auto b = client(*r, QStringLiteral("B"));
    QVERIFY(b);
    const QJsonObject opened = b->openDocument(QStringLiteral("big"));
    QVERIFY2(!opened.isEmpty(), qPrintable(QStringLiteral("no snapshot; socket closed with %1 %2")
                                                   .arg(int(b->socket.closeCode()))
                                                   .arg(b->socket.closeReason())));
    QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), 12);
    QCOMPARE(text(opened, "snapshot"), expected);
}

// U+FEFF is a character like any other inside a document. The relay used to read frames through
// QString::fromUtf8, which drops one at the start of a string: an insert "\ufeffhi" was stored and applied as
// "hi", the sender's next edit (made against three characters) no longer fitted, and the stored text differed.
void tst_RelayServer::byteOrderMarksAreStoredAsTyped()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r, QStringLiteral("A"));
    QVERIFY(a);
    QVERIFY(!a->openDocument(QStringLiteral("bom")).isEmpty());
    const QString typed = QStringLiteral("\ufeffhi");
    QCOMPARE(a->edit(QStringLiteral("bom"), 0, 1, TextOperation::makeInsert(0, 0, typed)), 1);
    QCOMPARE(a->edit(QStringLiteral("bom"), 1, 2, TextOperation::makeInsert(3, 3, QStringLiteral("!"))), 2);
    const auto stored = r->storage->operations(QStringLiteral("bom"), 0, 100);
    QVERIFY(stored);
    QCOMPARE(int(stored->size()), 2);
    const auto first = TextOperation::fromJsonText(stored->front().operation);
    QVERIFY(first);
    QCOMPARE(first->components()[0].text, typed);
}

void tst_RelayServer::concurrentEditsAreTransformed()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    auto b = client(*r);
    QVERIFY(a && b);
    a->openDocument(QStringLiteral("doc"));
    b->openDocument(QStringLiteral("doc"));
    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("abc"))), 1);
    // B has not seen revision 1: its insert at 0 is based on revision 0.
    QCOMPARE(b->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("X"))), 2);
    const QJsonObject toA = a->waitFor(QStringLiteral("op"));
    QCOMPARE(toA.value(QStringLiteral("rev")).toInt(), 2);
    QCOMPARE(QJsonDocument(toA.value(QStringLiteral("op")).toArray()).toJson(QJsonDocument::Compact),
             QByteArray(R"(["X",3])"));
    QCOMPARE(snapshotOf(*a, QStringLiteral("doc")), QStringLiteral("Xabc"));
}

void tst_RelayServer::severalDocumentsPerConnection()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    auto b = client(*r);
    QVERIFY(a && b);
    for (const char *doc : {"one", "two"}) {
        a->openDocument(QLatin1StringView(doc));
        b->openDocument(QLatin1StringView(doc));
    }
    QCOMPARE(a->edit(QStringLiteral("one"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("1"))), 1);
    QCOMPARE(a->edit(QStringLiteral("two"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("22"))), 1);
    QCOMPARE(b->edit(QStringLiteral("two"), 1, 1, TextOperation::makeInsert(2, 2, QStringLiteral("!"))), 2);
    QVERIFY(!b->waitFor(QStringLiteral("op"), [](const QJsonObject &o) { return text(o, "doc") == u"one"; }).isEmpty());
    QVERIFY(!a->waitFor(QStringLiteral("op"), [](const QJsonObject &o) { return text(o, "doc") == u"two"; }).isEmpty());
    QCOMPARE(snapshotOf(*a, QStringLiteral("one")), QStringLiteral("1"));
    QCOMPARE(snapshotOf(*a, QStringLiteral("two")), QStringLiteral("22!"));
}

void tst_RelayServer::presenceForLateJoiner()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r, QStringLiteral("Ada"));
    auto b = client(*r, QStringLiteral("Bob"));
    QVERIFY(a && b);
    a->openDocument(QStringLiteral("doc"));
    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("0123456789"))), 1);
    b->openDocument(QStringLiteral("doc"));
    const QJsonObject join = a->waitFor(QStringLiteral("join"));
    QCOMPARE(text(join.value(QStringLiteral("participant")).toObject(), "name"), QStringLiteral("Bob"));

    // Ada selects [4, 6) at revision 1, then goes idle.
    a->send(Message::SetSelection{QStringLiteral("doc"), 1, Selection({Selection::Range{4, 6}})});
    const QJsonObject sel = b->waitFor(QStringLiteral("selection"));
    QCOMPARE(text(sel, "connectionId"), a->connectionId);
    a->send(Message::SetIdle{QStringLiteral("doc"), true});
    QVERIFY(!b->waitFor(QStringLiteral("idle")).isEmpty());

    // Bob inserts three characters before it and deletes one inside it.
    QCOMPARE(b->edit(QStringLiteral("doc"), 1, 1, TextOperation::makeInsert(10, 0, QStringLiteral("abc"))), 2);
    QCOMPARE(b->edit(QStringLiteral("doc"), 2, 2, TextOperation::makeDelete(13, 7, 1)), 3);

    // A late joiner sees Ada's selection moved to [7, 8) and her idle state, with names and colours.
    auto c = client(*r, QStringLiteral("Cy"));
    QVERIFY(c);
    const QJsonObject opened = c->openDocument(QStringLiteral("doc"));
    QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), 3);
    const QJsonArray participants = opened.value(QStringLiteral("participants")).toArray();
    QCOMPARE(participants.size(), 2);
    std::optional<Participant> ada;
    for (const QJsonValue &v : participants) {
        auto p = Participant::fromJsonBytes(QJsonDocument(v.toObject()).toJson());
        QVERIFY(p);
        if (p->connectionId == a->connectionId)
            ada = *p;
    }
    QVERIFY(ada);
    QCOMPARE(ada->name, QStringLiteral("Ada"));
    QCOMPARE(ada->color, QStringLiteral("#336699"));
    QVERIFY(ada->idle);
    QCOMPARE(ada->selection, Selection({Selection::Range{7, 8}}));

    // Leaving is announced.
    a->socket.close();
    const QJsonObject leave = c->waitFor(QStringLiteral("leave"));
    QCOMPARE(text(leave, "connectionId"), a->connectionId);
}

void tst_RelayServer::reconnectGetsMissedOps()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    auto b = client(*r);
    QVERIFY(a && b);
    a->openDocument(QStringLiteral("doc"));
    b->openDocument(QStringLiteral("doc"));
    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("start"))), 1);
    const QString clientId = a->clientId;
    a->socket.close();
    QVERIFY(a->waitForDisconnect());
    for (int i = 0; i < 3; ++i)
        QCOMPARE(b->edit(QStringLiteral("doc"), 1 + i, i + 1, TextOperation::makeInsert(5 + i, 5 + i, QStringLiteral("!"))),
                 2 + i);

    RelayTestClient again;
    again.clientId = clientId;
    again.secret = a->secret;
    QVERIFY(again.open(url(*r)));
    QVERIFY(!again.hello().isEmpty());
    const QJsonObject opened = again.openDocument(QStringLiteral("doc"), 1);
    QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), 4);
    QVERIFY(!opened.contains(QStringLiteral("snapshot")));
    const QJsonArray ops = opened.value(QStringLiteral("ops")).toArray();
    QCOMPARE(ops.size(), 3);
    QCOMPARE(ops.at(0).toObject().value(QStringLiteral("rev")).toInt(), 2);
    QCOMPARE(text(ops.at(2).toObject(), "author"), b->clientId);

    // Without a revision: the snapshot.
    RelayTestClient fresh;
    QVERIFY(fresh.open(url(*r)));
    QVERIFY(!fresh.hello().isEmpty());
    QCOMPARE(text(fresh.openDocument(QStringLiteral("doc")), "snapshot"), QStringLiteral("start!!!"));
    // A revision the relay never had: the snapshot too (never a dead end).
    RelayTestClient ahead;
    QVERIFY(ahead.open(url(*r)));
    QVERIFY(!ahead.hello().isEmpty());
    QCOMPARE(text(ahead.openDocument(QStringLiteral("doc"), 99), "snapshot"), QStringLiteral("start!!!"));
}

void tst_RelayServer::reconnectFarBehindUsesStorage()
{
    RelayServer::Settings settings;
    settings.documents.snapshotInterval = 5;
    settings.documents.historyInMemory = 3;
    auto r = startRelay(settings);
    QVERIFY(r);
    auto a = client(*r);
    QVERIFY(a);
    a->openDocument(QStringLiteral("doc"));
    for (int i = 0; i < 30; ++i)
        QCOMPARE(a->edit(QStringLiteral("doc"), i, i + 1, TextOperation::makeInsert(i, i, QStringLiteral("x"))), i + 1);
    auto b = client(*r);
    QVERIFY(b);
    const QJsonObject opened = b->openDocument(QStringLiteral("doc"), 2);
    QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), 30);
    QCOMPARE(opened.value(QStringLiteral("ops")).toArray().size(), 28);
    QVERIFY(r->storage->latestSnapshot(QStringLiteral("doc")));
    QCOMPARE(r->storage->latestSnapshot(QStringLiteral("doc"))->revision, 30);
}

// A client with unacknowledged edits must get operations, never a snapshot, however far behind it is: its own
// applied-but-unacknowledged edit then comes back with its author and sequence and is not applied twice.
void tst_RelayServer::pendingEditsCatchUpByOperations()
{
    RelayServer::Settings settings;
    settings.documents.maxCatchUpOps = 2;
    settings.documents.snapshotInterval = 5;
    settings.documents.historyInMemory = 3;
    auto r = startRelay(settings);
    QVERIFY(r);
    auto a = client(*r);
    QVERIFY(a);
    a->openDocument(QStringLiteral("doc"));
    for (int i = 0; i < 12; ++i)
        QCOMPARE(a->edit(QStringLiteral("doc"), i, i + 1, TextOperation::makeInsert(i, i, QStringLiteral("x"))), i + 1);

    auto behind = client(*r);
    QVERIFY(behind);
    // Without pending edits, 11 operations are more than maxCatchUpOps: a snapshot.
    const QJsonObject plain = behind->openDocument(QStringLiteral("doc"), 1);
    QVERIFY(plain.contains(QStringLiteral("snapshot")));
    QVERIFY(!plain.contains(QStringLiteral("ops")));
    // With pending edits: every operation after revision 1, in order, partly read back from storage.
    const QJsonObject caughtUp = behind->openDocument(QStringLiteral("doc"), 1, true, true);
    QVERIFY(!caughtUp.contains(QStringLiteral("snapshot")));
    // A page at a time (maxCatchUpOps each, "more": true), opening again from where each page ends.
    QJsonArray ops = caughtUp.value(QStringLiteral("ops")).toArray();
    QJsonObject page = caughtUp;
    while (page.value(QStringLiteral("more")).toBool()) {
        QCOMPARE(page.value(QStringLiteral("ops")).toArray().size(), 2);
        page = behind->openDocument(QStringLiteral("doc"), page.value(QStringLiteral("revision")).toInt(), true, true);
        for (const QJsonValue &v : page.value(QStringLiteral("ops")).toArray())
            ops.append(v);
    }
    QCOMPARE(ops.size(), 11);
    for (int i = 0; i < ops.size(); ++i) {
        QCOMPARE(ops.at(i).toObject().value(QStringLiteral("rev")).toInt(), i + 2);
        QCOMPARE(ops.at(i).toObject().value(QStringLiteral("seq")).toInt(), i + 2);
        QCOMPARE(text(ops.at(i).toObject(), "author"), a->clientId);
    }
}

void tst_RelayServer::oldBaseRevisionLoadsHistory()
{
    RelayServer::Settings settings;
    settings.documents.snapshotInterval = 5;
    settings.documents.historyInMemory = 3;
    auto r = startRelay(settings);
    QVERIFY(r);
    auto a = client(*r);
    auto b = client(*r);
    QVERIFY(a && b);
    a->openDocument(QStringLiteral("doc"));
    b->openDocument(QStringLiteral("doc"));
    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("ab"))), 1);
    for (int i = 1; i < 20; ++i)
        QCOMPARE(a->edit(QStringLiteral("doc"), i, i + 1, TextOperation::makeInsert(1 + i, 1 + i, QStringLiteral("."))), i + 1);
    // B is still at revision 1 (a very slow link): its insert between a and b lands there.
    QCOMPARE(b->edit(QStringLiteral("doc"), 1, 1, TextOperation::makeInsert(2, 1, QStringLiteral("Z"))), 21);
    QCOMPARE(snapshotOf(*a, QStringLiteral("doc")), QStringLiteral("aZb") + QString(19, u'.'));
}

void tst_RelayServer::duplicateResendIsReackedNotReapplied()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    auto b = client(*r);
    QVERIFY(a && b);
    a->openDocument(QStringLiteral("doc"));
    b->openDocument(QStringLiteral("doc"));
    const TextOperation op = TextOperation::makeInsert(0, 0, QStringLiteral("once"));
    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, op), 1);
    QCOMPARE(b->edit(QStringLiteral("doc"), 1, 1, TextOperation::makeInsert(4, 4, QStringLiteral("."))), 2);
    // The ack was "lost": A resends, even after reconnecting.
    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, op), 1);
    RelayTestClient again;
    again.clientId = a->clientId;
    again.secret = a->secret;
    QVERIFY(again.open(url(*r)));
    QVERIFY(!again.hello().isEmpty());
    again.openDocument(QStringLiteral("doc"), 0);
    QCOMPARE(again.edit(QStringLiteral("doc"), 0, 1, op), 1);
    QTest::qWait(50);
    QCOMPARE(b->count(QStringLiteral("op")), 1);
    QCOMPARE(snapshotOf(*b, QStringLiteral("doc")), QStringLiteral("once."));
    QCOMPARE(int(r->storage->operations(QStringLiteral("doc"), 0, 100)->size()), 2);
}

void tst_RelayServer::catalogue()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    auto b = client(*r);
    QVERIFY(a && b);
    a->send(Message::Create{QStringLiteral("c1"), QStringLiteral("notes.md"), QStringLiteral("Notes")});
    const QJsonObject created = a->waitFor(QStringLiteral("created"));
    QCOMPARE(text(created, "ref"), QStringLiteral("c1"));
    QCOMPARE(text(created, "doc"), QStringLiteral("notes.md"));
    a->send(Message::Create{QStringLiteral("c2"), QStringLiteral("notes.md"), QStringLiteral("Again")});
    QCOMPARE(text(a->waitForError(QStringLiteral("document-exists")), "ref"), QStringLiteral("c2"));
    a->send(Message::Create{QStringLiteral("c3"), {}, QStringLiteral("Untitled")});
    const QString generated = text(a->waitFor(QStringLiteral("created")), "doc");
    QVERIFY(isValidDocumentId(generated));

    a->send(Message::List{QStringLiteral("l")});
    QJsonArray docs = a->waitFor(QStringLiteral("documents")).value(QStringLiteral("documents")).toArray();
    QCOMPARE(docs.size(), 2);

    b->openDocument(QStringLiteral("notes.md"), std::nullopt, false);
    a->send(Message::Rename{QStringLiteral("r"), QStringLiteral("notes.md"), QStringLiteral("Final notes")});
    QCOMPARE(text(a->waitFor(QStringLiteral("renamed")), "name"), QStringLiteral("Final notes"));
    QCOMPARE(text(b->waitFor(QStringLiteral("renamed")), "name"), QStringLiteral("Final notes"));
    a->send(Message::List{});
    docs = a->waitFor(QStringLiteral("documents")).value(QStringLiteral("documents")).toArray();
    bool found = false;
    for (const QJsonValue &v : docs) {
        if (text(v.toObject(), "id") == u"notes.md") {
            found = true;
            QCOMPARE(text(v.toObject(), "name"), QStringLiteral("Final notes"));
            QCOMPARE(v.toObject().value(QStringLiteral("participants")).toInt(), 1);
        }
    }
    QVERIFY(found);

    a->send(Message::Delete{QStringLiteral("d"), QStringLiteral("notes.md")});
    QVERIFY(!a->waitFor(QStringLiteral("deleted")).isEmpty());
    QVERIFY(!b->waitFor(QStringLiteral("deleted")).isEmpty());
    // B's subscription ended: its edits are refused, and the document is gone.
    b->send(Message::Op{QStringLiteral("notes.md"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("x")), {}});
    QVERIFY(!b->waitForError(QStringLiteral("not-open")).isEmpty());
    b->send(Message::Open{QStringLiteral("o"), QStringLiteral("notes.md"), std::nullopt, false, {}, {}});
    QVERIFY(!b->waitForError(QStringLiteral("no-such-document")).isEmpty());
    QVERIFY(!r->storage->document(QStringLiteral("notes.md")));
    a->send(Message::Delete{QStringLiteral("d2"), QStringLiteral("notes.md")});
    QVERIFY(!a->waitForError(QStringLiteral("no-such-document")).isEmpty());
}

// The list carries what a document browser shows: title, last change, exact size (also once the document is
// unloaded), who is in it and the caller's role.
void tst_RelayServer::documentListSaysWhatAUserSees()
{
    auto parsed = relay::TokenStore::parse("0123456789abcdef0123 alice admin:*\nfedcba9876543210fedc bob read:*\n",
                                           QStringLiteral("test"));
    QVERIFY(std::holds_alternative<relay::TokenStore>(parsed));
    RelayServer::Settings settings;
    settings.tokens = std::get<relay::TokenStore>(parsed);
    settings.documents.keepIdleMs = 0; // unloaded as soon as nobody has it open
    auto r = startRelay(settings);
    QVERIFY(r);
    RelayTestClient alice, bob;
    QVERIFY(alice.open(url(*r)) && !alice.hello(QStringLiteral("Alice"), QStringLiteral("0123456789abcdef0123")).isEmpty());
    QVERIFY(bob.open(url(*r)) && !bob.hello(QStringLiteral("Bob"), QStringLiteral("fedcba9876543210fedc")).isEmpty());
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(!alice.openDocument(QStringLiteral("plan")).isEmpty());
    const QString body = QStringLiteral("caf\u00e9 \U0001F600 plan"); // 12 UTF-16 code units
    QCOMPARE(alice.edit(QStringLiteral("plan"), 0, 1, TextOperation::makeInsert(0, 0, body)), 1);
    QVERIFY(!bob.openDocument(QStringLiteral("plan"), std::nullopt, false).isEmpty());

    const auto entry = [](RelayTestClient &c, const QString &id) {
        c.send(Message::List{QStringLiteral("l")});
        const QJsonArray docs = c.waitFor(QStringLiteral("documents")).value(QStringLiteral("documents")).toArray();
        for (const QJsonValue &v : docs)
            if (v.toObject().value(QStringLiteral("id")).toString() == id)
                return v.toObject();
        return QJsonObject();
    };
    QJsonObject plan = entry(alice, QStringLiteral("plan"));
    QCOMPARE(plan.value(QStringLiteral("length")).toInt(), int(body.size()));
    QCOMPARE(plan.value(QStringLiteral("revision")).toInt(), 1);
    QCOMPARE(plan.value(QStringLiteral("role")).toString(), QStringLiteral("admin"));
    const qint64 modified = qint64(plan.value(QStringLiteral("modified")).toDouble());
    QVERIFY2(modified >= before - 1000 && modified <= QDateTime::currentMSecsSinceEpoch() + 1000,
             qPrintable(QString::number(modified)));
    QStringList people;
    for (const QJsonValue &v : plan.value(QStringLiteral("people")).toArray())
        people << v.toString();
    people.sort();
    QCOMPARE(people, (QStringList{QStringLiteral("Alice"), QStringLiteral("Bob")}));
    QCOMPARE(entry(bob, QStringLiteral("plan")).value(QStringLiteral("role")).toString(), QStringLiteral("read"));

    // Everyone leaves: the document unloads, and the list still knows its size (and nobody is in it).
    for (RelayTestClient *c : {&alice, &bob}) {
        c->send(Message::Close{QStringLiteral("c"), QStringLiteral("plan")});
        QVERIFY(!c->waitFor(QStringLiteral("closed")).isEmpty());
    }
    QTRY_COMPARE_WITH_TIMEOUT(r->server->hub().loadedDocuments(), 0, 5000);
    plan = entry(alice, QStringLiteral("plan"));
    QCOMPARE(plan.value(QStringLiteral("length")).toInt(), int(body.size()));
    QVERIFY(!plan.contains(QStringLiteral("people")));
    QCOMPARE(plan.value(QStringLiteral("participants")).toInt(), 0);
    QCOMPARE(qint64(plan.value(QStringLiteral("modified")).toDouble()), modified);
}

// A title with any Unicode makes a safe id; the same title again gets the next free one; open with create
// carries the title too.
void tst_RelayServer::documentsMadeFromTitles()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    QVERIFY(a);
    const QString title = QStringLiteral("Mis notas de caf\u00e9");
    a->send(Message::Create{QStringLiteral("c1"), {}, title});
    QJsonObject created = a->waitFor(QStringLiteral("created"));
    QCOMPARE(text(created, "doc"), QStringLiteral("Mis-notas-de-cafe"));
    QCOMPARE(text(created, "name"), title);
    a->send(Message::Create{QStringLiteral("c2"), {}, title});
    created = a->waitFor(QStringLiteral("created"));
    QCOMPARE(text(created, "doc"), QStringLiteral("Mis-notas-de-cafe-2"));
    a->send(Message::Create{QStringLiteral("c3"), {}, QStringLiteral("\u65e5\u672c\u8a9e")});
    const QString cjk = text(a->waitFor(QStringLiteral("created")), "doc");
    QVERIFY2(isValidDocumentId(cjk) && cjk.startsWith(u"doc-"), qPrintable(cjk));

    Message::Open open{QStringLiteral("o"), QStringLiteral("Trip-2027"), std::nullopt, true, false,
                       QStringLiteral("Trip 2027 \u2708")};
    a->send(open);
    QCOMPARE(text(a->waitFor(QStringLiteral("opened")), "name"), QStringLiteral("Trip 2027 \u2708"));
    QCOMPARE(r->storage->document(QStringLiteral("Trip-2027"))->name, QStringLiteral("Trip 2027 \u2708"));
    QCOMPARE(r->storage->document(QStringLiteral("Mis-notas-de-cafe-2"))->name, title);
}

void tst_RelayServer::invalidDocumentIds_data()
{
    QTest::addColumn<QString>("id");
    QTest::newRow("parent") << QStringLiteral("../etc/passwd");
    QTest::newRow("slash") << QStringLiteral("a/b");
    QTest::newRow("leading-dot") << QStringLiteral(".hidden");
    QTest::newRow("dot-dot") << QStringLiteral("..");
    QTest::newRow("too-long") << QString(65, u'a');
    QTest::newRow("space") << QStringLiteral("a b");
    QTest::newRow("backslash") << QStringLiteral("a\\b");
    QTest::newRow("nul") << QStringLiteral("a") + QChar(0) + QStringLiteral("b");
    QTest::newRow("non-ascii") << QStringLiteral("caf\u00e9");
    QTest::newRow("empty") << QString();
}

void tst_RelayServer::invalidDocumentIds()
{
    QFETCH(QString, id);
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    QVERIFY(a);
    for (const char *type : {"create", "open", "rename", "delete"}) {
        QJsonObject m{{QStringLiteral("type"), QLatin1StringView(type)},
                      {QStringLiteral("id"), QLatin1StringView(type)},
                      {QStringLiteral("doc"), id},
                      {QStringLiteral("name"), QStringLiteral("n")}};
        a->sendRaw(QString::fromUtf8(QJsonDocument(m).toJson(QJsonDocument::Compact)));
        const QJsonObject error = a->waitForError(QStringLiteral("invalid-document-id"));
        QVERIFY2(!error.isEmpty(), type);
        QCOMPARE(text(error, "ref"), QLatin1StringView(type));
    }
    QCOMPARE(int(r->storage->documents()->size()), 0);
}

void tst_RelayServer::readOnlyAndTokens()
{
    auto r = startRelayWithTokens("0123456789abcdef0123 alice admin:*\nfedcba9876543210fedc bob read:*\n");
    QVERIFY(r);

    RelayTestClient anonymous;
    QVERIFY(anonymous.open(url(*r)));
    anonymous.send(Message::Hello{1, anonymous.clientId, QStringLiteral("x"), QStringLiteral("#000000"), std::nullopt,
                                  anonymous.secret});
    QVERIFY(!anonymous.waitForError(QStringLiteral("forbidden")).isEmpty());
    QVERIFY(anonymous.waitForDisconnect());
    QCOMPARE(anonymous.closeCode, 1008);

    RelayTestClient alice, bob;
    QVERIFY(alice.open(url(*r)) && bob.open(url(*r)));
    QVERIFY(!alice.hello(QStringLiteral("Alice"), QStringLiteral("0123456789abcdef0123")).isEmpty());
    QVERIFY(!bob.hello(QStringLiteral("Bob"), QStringLiteral("fedcba9876543210fedc")).isEmpty());
    QCOMPARE(text(alice.openDocument(QStringLiteral("doc")), "role"), QStringLiteral("admin"));
    const QJsonObject opened = bob.openDocument(QStringLiteral("doc"), std::nullopt, false);
    QCOMPARE(text(opened, "role"), QStringLiteral("read"));
    const QJsonObject join = alice.waitFor(QStringLiteral("join"));
    QVERIFY(join.value(QStringLiteral("participant")).toObject().value(QStringLiteral("readOnly")).toBool());
    QCOMPARE(text(join.value(QStringLiteral("participant")).toObject(), "user"), QStringLiteral("bob"));

    bob.send(Message::Op{QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("x")), {}});
    QVERIFY(!bob.waitForError(QStringLiteral("read-only")).isEmpty());
    bob.send(Message::Create{{}, QStringLiteral("mine"), {}});
    QVERIFY(!bob.waitForError(QStringLiteral("forbidden")).isEmpty());
    // Presence still works for readers.
    bob.send(Message::SetSelection{QStringLiteral("doc"), 0, Selection::cursor(0)});
    QVERIFY(!alice.waitFor(QStringLiteral("selection")).isEmpty());
    QCOMPARE(alice.edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("ok"))), 1);
    QVERIFY(!bob.waitFor(QStringLiteral("op")).isEmpty());
}

void tst_RelayServer::originAllowList()
{
    RelayServer::Settings settings;
    settings.allowedOrigins = {QStringLiteral("https://editor.example")};
    auto r = startRelay(settings);
    QVERIFY(r);
    RelayTestClient good, none, evil;
    QVERIFY(good.open(url(*r), QStringLiteral("https://editor.example")));
    QVERIFY(!good.hello().isEmpty());
    QVERIFY(none.open(url(*r)));          // native clients send no Origin
    QVERIFY(!none.hello().isEmpty());
    QVERIFY(!evil.open(url(*r), QStringLiteral("https://evil.example")));
    QVERIFY(evil.waitForDisconnect());
}

void tst_RelayServer::connectionLimits()
{
    RelayServer::Settings settings;
    settings.maxConnectionsPerAddress = 2;
    auto r = startRelay(settings);
    QVERIFY(r);
    auto a = client(*r);
    auto b = client(*r);
    QVERIFY(a && b);
    RelayTestClient third;
    QVERIFY(third.open(url(*r)));
    QVERIFY(!third.waitForError(QStringLiteral("too-many-connections")).isEmpty());
    QVERIFY(third.waitForDisconnect());
    QCOMPARE(third.closeCode, 1008);
    // The others are unaffected; a slot frees when one leaves.
    a->openDocument(QStringLiteral("doc"));
    QCOMPARE(a->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("x"))), 1);
    b->socket.close();
    QVERIFY(b->waitForDisconnect());
    QTRY_COMPARE_WITH_TIMEOUT(r->server->connectionCount(), 1, 5000);
    auto c = client(*r);
    QVERIFY(c);
}

// The pre-hello limit per address bounds sockets that have not said hello yet, not editors: behind one NAT
// or one reverse proxy, many more people than that limit share an address. Connections open one after the
// other, each saying hello before the next, as many as maxConnectionsPerAddress.
void tst_RelayServer::helloEndsTheUnauthenticatedCount()
{
    RelayServer::Settings settings;
    settings.maxUnauthenticatedPerAddress = 3;
    settings.maxConnectionsPerAddress = 10;
    auto r = startRelay(settings);
    QVERIFY(r);
    std::vector<std::unique_ptr<RelayTestClient>> clients;
    for (int i = 0; i < settings.maxConnectionsPerAddress; ++i) {
        auto c = client(*r);
        QVERIFY2(c, qPrintable(QStringLiteral("connection %1 was refused").arg(i + 1)));
        clients.push_back(std::move(c));
    }
    QCOMPARE(r->server->connectionCount(), settings.maxConnectionsPerAddress);
    // One more is over the per-address limit of editors, and is told so.
    RelayTestClient extra;
    QVERIFY(extra.open(url(*r)));
    QVERIFY(!extra.waitForError(QStringLiteral("too-many-connections")).isEmpty());
}

void tst_RelayServer::helloTimeoutAndProtocolVersion()
{
    RelayServer::Settings settings;
    settings.helloTimeout = std::chrono::milliseconds(300);
    auto r = startRelay(settings);
    QVERIFY(r);
    RelayTestClient silent;
    QVERIFY(silent.open(url(*r)));
    QVERIFY(silent.waitForDisconnect(5000));
    QCOMPARE(silent.closeCode, 4008);

    RelayTestClient future;
    QVERIFY(future.open(url(*r)));
    future.send(Message::Hello{2, future.clientId, QStringLiteral("x"), QStringLiteral("#000000"), std::nullopt,
                               future.secret});
    QVERIFY(!future.waitForError(QStringLiteral("protocol-version")).isEmpty());
    QVERIFY(future.waitForDisconnect());
    QCOMPARE(future.closeCode, 4002);
}

void tst_RelayServer::heartbeatDropsSilentPeer()
{
    RelayServer::Settings settings;
    settings.pingInterval = std::chrono::milliseconds(200);
    settings.pingTimeout = std::chrono::milliseconds(300);
    auto r = startRelay(settings);
    QVERIFY(r);
    auto watcher = client(*r);
    QVERIFY(watcher);
    watcher->openDocument(QStringLiteral("doc"));

    // A raw peer that says hello, opens the document, then never answers a ping (a dead laptop).
    QTcpSocket raw;
    QVERIFY(rawHandshake(raw, r->server->port()));
    Message::Hello hello{1, QStringLiteral("raw-client"), QStringLiteral("Raw"), QStringLiteral("#000000"), std::nullopt,
                         Message::Hello::newSecret()};
    raw.write(rawFrame(Message::encode(hello)));
    raw.write(rawFrame(Message::encode(Message::Open{{}, QStringLiteral("doc"), std::nullopt, false, {}, {}})));
    const QJsonObject join = watcher->waitFor(QStringLiteral("join"));
    QVERIFY(!join.isEmpty());
    QElapsedTimer timer;
    timer.start();
    // Still-answering clients stay; the silent one leaves within interval + timeout (+ one tick, + slack).
    const QJsonObject leave = watcher->waitFor(QStringLiteral("leave"), {}, 3000);
    QVERIFY(!leave.isEmpty());
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
    QTest::qWait(600);
    QVERIFY(watcher->socket.state() == QAbstractSocket::ConnectedState);
}

void tst_RelayServer::shutdownClosesWith1001()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r);
    QVERIFY(a);
    QSignalSpy finished(r->server.get(), &RelayServer::shutdownFinished);
    r->server->shutdown();
    QVERIFY(a->waitForDisconnect());
    QCOMPARE(a->closeCode, 1001);
    QVERIFY(finished.count() == 1 || finished.wait(5000));
}

// Every stored operation keeps its author and time; the history groups them into edit sessions (one author,
// no pause longer than the gap), newest first, and pages over them.
void tst_RelayServer::historyGroupsEditSessions()
{
    RelayServer::Settings settings;
    settings.documents.historyGapSeconds = 1;
    auto r = startRelay(settings);
    QVERIFY(r);
    auto ada = client(*r, QStringLiteral("Ada"));
    auto bob = client(*r, QStringLiteral("Bob"));
    QVERIFY(ada && bob);
    QVERIFY(!ada->openDocument(QStringLiteral("h")).isEmpty());
    QVERIFY(!bob->openDocument(QStringLiteral("h")).isEmpty());
    qsizetype length = 0;
    int revision = 0;
    qint64 adaSeq = 0;
    qint64 bobSeq = 0;
    const auto type = [&](RelayTestClient &who, qint64 &seq, const QString &what) {
        const int acked = who.edit(QStringLiteral("h"), revision, ++seq, TextOperation::makeInsert(length, length, what));
        length += what.size();
        revision = acked;
        return acked > 0;
    };
    QVERIFY(type(*ada, adaSeq, QStringLiteral("a")) && type(*ada, adaSeq, QStringLiteral("bb"))
            && type(*ada, adaSeq, QStringLiteral("c")));
    QVERIFY(type(*bob, bobSeq, QStringLiteral("dd")) && type(*bob, bobSeq, QStringLiteral("e")));
    QVERIFY(type(*ada, adaSeq, QStringLiteral("f")));
    QTest::qWait(1300); // longer than the gap: Ada's next edits are another session
    QCOMPARE(ada->edit(QStringLiteral("h"), revision, ++adaSeq, TextOperation::makeDelete(length, 0, 2)), 7);
    length -= 2;
    revision = 7;
    QVERIFY(type(*ada, adaSeq, QStringLiteral("g")));

    auto reader = client(*r, QStringLiteral("Reader"));
    QVERIFY(reader);
    reader->send(Message::History{QStringLiteral("1"), QStringLiteral("h"), 0, 50});
    const auto page = decoded<Message::HistoryPage>(reader->waitFor(QStringLiteral("history")));
    QVERIFY(page);
    QCOMPARE(page->ref, QStringLiteral("1"));
    QCOMPARE(page->revision, 8);
    QCOMPARE(page->next, 0);
    QCOMPARE(page->sessions.size(), 4);
    const auto expect = [&](int i, const char *name, int from, int to, qint64 inserted, qint64 deleted) {
        const EditSession &e = page->sessions.at(i);
        return e.name == QLatin1StringView(name) && e.user == QStringLiteral("anonymous") && e.from == from
               && e.to == to && e.operations == to - from + 1 && e.inserted == inserted && e.deleted == deleted
               && e.start <= e.end && e.end > 0;
    };
    QVERIFY(expect(0, "Ada", 7, 8, 1, 2));
    QVERIFY(expect(1, "Ada", 6, 6, 1, 0));
    QVERIFY(expect(2, "Bob", 4, 5, 3, 0));
    QVERIFY(expect(3, "Ada", 1, 3, 4, 0));
    QVERIFY(page->sessions.at(0).start - page->sessions.at(1).end > 1000);
    QVERIFY(!page->sessions.at(0).color.isEmpty());

    // Two at a time: the page says where the older ones continue.
    reader->send(Message::History{QStringLiteral("2"), QStringLiteral("h"), 0, 2});
    const auto first = decoded<Message::HistoryPage>(reader->waitFor(QStringLiteral("history")));
    QVERIFY(first);
    QCOMPARE(first->sessions, page->sessions.mid(0, 2));
    QCOMPARE(first->next, 5);
    reader->send(Message::History{QStringLiteral("3"), QStringLiteral("h"), first->next, 2});
    const auto second = decoded<Message::HistoryPage>(reader->waitFor(QStringLiteral("history")));
    QVERIFY(second);
    QCOMPARE(second->sessions, page->sessions.mid(2, 2));
    QCOMPARE(second->next, 0);

    // No such document: an error that names the request.
    reader->send(Message::History{QStringLiteral("4"), QStringLiteral("nothing"), 0, 10});
    QCOMPARE(text(reader->waitForError(QStringLiteral("no-such-document")), "ref"), QStringLiteral("4"));
}

// The text at revision r is the replay of the first r operations, at every r: from the latest snapshot at or
// before r (snapshots every 5 operations here), never from the start.
void tst_RelayServer::textAtEveryRevision()
{
    RelayServer::Settings settings;
    settings.documents.snapshotInterval = 5;
    auto r = startRelay(settings);
    QVERIFY(r);
    auto a = client(*r, QStringLiteral("A"));
    QVERIFY(a);
    QVERIFY(!a->openDocument(QStringLiteral("t")).isEmpty());
    QStringList texts{QString()};
    QRandomGenerator random(7);
    for (int i = 1; i <= 23; ++i) {
        const QString before = texts.last();
        const qsizetype at = random.bounded(int(before.size() + 1));
        const qsizetype removed = std::min<qsizetype>(random.bounded(3), before.size() - at);
        const QString inserted = QStringLiteral("é%1").arg(i);
        QCOMPARE(a->edit(QStringLiteral("t"), i - 1, i, TextOperation::makeReplace(before.size(), at, removed, inserted)), i);
        texts.append(QString(before).replace(at, removed, inserted));
    }
    auto reader = client(*r, QStringLiteral("Reader"));
    QVERIFY(reader);
    for (int revision = 0; revision <= 23; ++revision) {
        reader->send(Message::GetRevision{QString::number(revision), QStringLiteral("t"), revision});
        const auto reply = decoded<Message::RevisionText>(reader->waitFor(QStringLiteral("revision")));
        QVERIFY(reply);
        QCOMPARE(reply->revision, revision);
        QCOMPARE(reply->text, texts.at(revision));
    }
    reader->send(Message::GetRevision{QStringLiteral("future"), QStringLiteral("t"), 24});
    QCOMPARE(text(reader->waitForError(QStringLiteral("revision-from-future")), "ref"), QStringLiteral("future"));
}

// A database written by a relay that did not keep authors gains the columns in place; its operations read
// back with no author, new ones with theirs.
void tst_RelayServer::olderDatabasesGainAuthorColumns()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("old.sqlite"));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("old"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE operations (doc VARCHAR(64) NOT NULL, revision INTEGER NOT NULL,"
                                      " op TEXT NOT NULL, client_id VARCHAR(128) NOT NULL, seq BIGINT NOT NULL,"
                                      " created BIGINT NOT NULL, PRIMARY KEY (doc, revision))")));
        QVERIFY(q.exec(QStringLiteral("INSERT INTO operations VALUES ('d', 1, '[\"x\"]', 'c1', 1, 1000)")));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("old"));
    relay::SqlStorage::Options options;
    options.databaseName = path;
    relay::SqlStorage storage(options);
    QVERIFY(storage.open());
    QVERIFY(storage.appendOperation(QStringLiteral("d"), {2, QStringLiteral("[1,\"y\"]"), QStringLiteral("c2"), 1,
                                                          QStringLiteral("ada"), QStringLiteral("Ada"),
                                                          QStringLiteral("#112233")}));
    const auto ops = storage.operations(QStringLiteral("d"), 0, 10);
    QVERIFY(ops);
    QCOMPARE(int(ops->size()), 2);
    QCOMPARE(ops->at(0).user, QString());
    QCOMPARE(ops->at(0).created, 1000);
    QCOMPARE(ops->at(1).user, QStringLiteral("ada"));
    QCOMPARE(ops->at(1).name, QStringLiteral("Ada"));
    QCOMPARE(ops->at(1).color, QStringLiteral("#112233"));
    QVERIFY(ops->at(1).created >= QDateTime::currentMSecsSinceEpoch() - 60000);
}

// Authorship: every character belongs to whoever inserted it, through concurrent edits the relay transforms.
// Each author types characters of their own class (Ada lowercase, Bob uppercase, Cy digits), so the final
// text itself says who wrote each character. The diff between any two revisions, applied to the text at the
// first, gives the text at the second, and names the authors of the operations in between — read from the
// log, or (over a span longer than the scan limit) by comparing the two texts.
void tst_RelayServer::authorsAndDiffsFollowTheLog()
{
    for (const int maxScan : {20000, 5}) {
        RelayServer::Settings settings;
        settings.documents.snapshotInterval = 7;
        settings.documents.maxHistoryScan = maxScan;
        auto r = startRelay(settings);
        QVERIFY(r);
        const QStringList names{QStringLiteral("Ada"), QStringLiteral("Bob"), QStringLiteral("Cy")};
        std::vector<std::unique_ptr<RelayTestClient>> clients;
        for (const QString &name : names) {
            clients.push_back(client(*r, name));
            QVERIFY(clients.back());
            QVERIFY(!clients.back()->openDocument(QStringLiteral("a")).isEmpty());
        }
        const auto letter = [](int who, int i) {
            return QChar(who == 0 ? u'a' + i % 26 : who == 1 ? u'A' + i % 26 : u'0' + i % 10);
        };
        QStringList texts{QString()};
        QList<int> authorOf{-1}; // who made each revision
        std::vector<qint64> sequences(3, 0);
        QRandomGenerator random(11 + maxScan);
        for (int i = 1; i <= 60; ++i) {
            const QString before = texts.last();
            const qsizetype at = random.bounded(int(before.size() + 1));
            const qsizetype removed = std::min<qsizetype>(random.bounded(3) == 0 ? random.bounded(4) : 0, before.size() - at);
            const int who = random.bounded(3);
            const QString inserted = QString(random.bounded(3) + 1, letter(who, i));
            const int revision = clients[size_t(who)]->edit(QStringLiteral("a"), i - 1, ++sequences[size_t(who)],
                                                            TextOperation::makeReplace(before.size(), at, removed, inserted));
            QCOMPARE(revision, i);
            texts.append(QString(before).replace(at, removed, inserted));
            authorOf.append(who);
        }
        // Two edits made on the same revision: the relay transforms the second over the first.
        const int base = 60;
        const qsizetype length = texts.last().size();
        Message::Op first{QStringLiteral("a"), base, ++sequences[0], TextOperation::makeInsert(length, length / 2, QStringLiteral("xyz")), {}};
        Message::Op second{QStringLiteral("a"), base, ++sequences[1], TextOperation::makeReplace(length, length / 3, std::min<qsizetype>(2, length - length / 3), QStringLiteral("QR")), {}};
        clients[0]->send(first);
        clients[1]->send(second);
        QVERIFY(!clients[0]->waitFor(QStringLiteral("ack")).isEmpty());
        QVERIFY(!clients[1]->waitFor(QStringLiteral("ack")).isEmpty());

        auto reader = client(*r, QStringLiteral("Reader"));
        QVERIFY(reader);
        reader->send(Message::GetRevision{QStringLiteral("now"), QStringLiteral("a"), base + 2});
        const auto now = decoded<Message::RevisionText>(reader->waitFor(QStringLiteral("revision")));
        QVERIFY(now);
        // The loaded document keeps its authorship as operations commit: answered at once, whatever the
        // replay limit (authorshipIsKeptLiveAndStoredWithSnapshots covers the replay).
        std::optional<Message::Authors> authors;
        int retries = 0;
        for (int attempt = 0; attempt < 10 && !authors; ++attempt) {
            reader->send(Message::GetAuthors{QStringLiteral("who"), QStringLiteral("a")});
            const QJsonObject reply = reader->waitFor(QString(), [](const QJsonObject &o) {
                return o.value(QStringLiteral("ref")).toString() == QStringLiteral("who");
            });
            if (text(reply, "type") == QStringLiteral("error")) {
                QCOMPARE(text(reply, "code"), QStringLiteral("conflict-retry"));
                ++retries;
            } else {
                authors = decoded<Message::Authors>(reply);
                QVERIFY(authors);
            }
        }
        QVERIFY(authors);
        QCOMPARE(retries, 0);
        QCOMPARE(authors->revision, base + 2);
        qsizetype position = 0;
        for (const AuthorRun &run : authors->runs) {
            QVERIFY(run.author >= 0 && run.author < authors->authors.size());
            const int who = int(names.indexOf(authors->authors.at(run.author).name));
            QVERIFY(who >= 0);
            for (qsizetype k = 0; k < run.length; ++k) {
                const QChar ch = now->text.at(position + k);
                QCOMPARE(ch.isLower() ? 0 : ch.isUpper() ? 1 : 2, who);
            }
            position += run.length;
        }
        QCOMPARE(position, now->text.size());
        texts.append(QString()); // revisions 61, 62: read from the relay
        texts.append(now->text);
        reader->send(Message::GetRevision{QStringLiteral("61"), QStringLiteral("a"), 61});
        const auto at61 = decoded<Message::RevisionText>(reader->waitFor(QStringLiteral("revision")));
        QVERIFY(at61);
        texts[61] = at61->text;
        authorOf.append({0, 1});

        for (int k = 0; k < 25; ++k) {
            int a = random.bounded(base + 3);
            int b = random.bounded(base + 3);
            if (a > b)
                std::swap(a, b);
            reader->send(Message::GetDiff{QString::number(k), QStringLiteral("a"), a, b});
            const auto diff = decoded<Message::Diff>(reader->waitFor(QStringLiteral("diff")));
            QVERIFY(diff);
            QCOMPARE(*diff->operation.apply(texts.at(a)), texts.at(b));
            if (b - a <= maxScan) {
                QSet<QString> expected;
                for (int rev = a + 1; rev <= b; ++rev)
                    expected.insert(names.at(authorOf.at(rev)));
                QSet<QString> got;
                for (const Author &who : diff->authors)
                    got.insert(who.name);
                QCOMPARE(got, expected);
            }
            // Back in time (a slider moving left): the same span the other way takes text(b) to text(a).
            reader->send(Message::GetDiff{QStringLiteral("back%1").arg(k), QStringLiteral("a"), b, a});
            const auto back = decoded<Message::Diff>(reader->waitFor(QStringLiteral("diff")));
            QVERIFY(back);
            QCOMPARE(back->from, b);
            QCOMPARE(back->to, a);
            QCOMPARE(*back->operation.apply(texts.at(b)), texts.at(a));
        }
        reader->send(Message::GetDiff{QStringLiteral("future"), QStringLiteral("a"), 0, base + 3});
        QCOMPARE(text(reader->waitForError(QStringLiteral("revision-from-future")), "ref"), QStringLiteral("future"));
        reader->send(Message::GetDiff{QStringLiteral("future back"), QStringLiteral("a"), base + 3, 0});
        QCOMPARE(text(reader->waitForError(QStringLiteral("revision-from-future")), "ref"), QStringLiteral("future back"));
    }
}

// Named versions: write access names a revision (the current one by default), anyone who may read lists them
// (newest revision first), a name is taken once per document, and write access deletes them.
void tst_RelayServer::namedVersions()
{
    auto r = startRelayWithTokens("0123456789abcdef0123 alice write:*\nfedcba9876543210fedc bob read:*\n");
    QVERIFY(r);
    RelayTestClient alice, bob;
    QVERIFY(alice.open(url(*r)) && bob.open(url(*r)));
    QVERIFY(!alice.hello(QStringLiteral("Alice"), QStringLiteral("0123456789abcdef0123")).isEmpty());
    QVERIFY(!bob.hello(QStringLiteral("Bob"), QStringLiteral("fedcba9876543210fedc")).isEmpty());
    QVERIFY(!alice.openDocument(QStringLiteral("v")).isEmpty());
    QCOMPARE(alice.edit(QStringLiteral("v"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("draft"))), 1);
    QCOMPARE(alice.edit(QStringLiteral("v"), 1, 2, TextOperation::makeInsert(5, 5, QStringLiteral(" two"))), 2);

    const auto versions = [](RelayTestClient &c, const Message::Versions &m) {
        c.send(m);
        return decoded<Message::VersionList>(c.waitFor(QStringLiteral("versions")));
    };
    const auto saved = versions(alice, Message::Versions{QStringLiteral("1"), QStringLiteral("v"),
                                                         QStringLiteral("Draft sent to the board"), std::nullopt, true, false});
    QVERIFY(saved);
    QCOMPARE(saved->versions.size(), 1);
    QCOMPARE(saved->versions.at(0).revision, 2);
    QCOMPARE(saved->versions.at(0).user, QStringLiteral("alice"));
    QVERIFY(saved->versions.at(0).created > 0);
    QVERIFY(versions(alice, Message::Versions{QStringLiteral("2"), QStringLiteral("v"), QStringLiteral("First"), 1, true, false}));

    // Bob may read: he sees both, newest revision first; he may not name or delete.
    const auto seen = versions(bob, Message::Versions{QStringLiteral("3"), QStringLiteral("v"), {}, std::nullopt, false, false});
    QVERIFY(seen);
    QCOMPARE(seen->versions.size(), 2);
    QCOMPARE(seen->versions.at(0).name, QStringLiteral("Draft sent to the board"));
    QCOMPARE(seen->versions.at(1).name, QStringLiteral("First"));
    QCOMPARE(seen->versions.at(1).revision, 1);
    bob.send(Message::Versions{QStringLiteral("4"), QStringLiteral("v"), QStringLiteral("Mine"), std::nullopt, true, false});
    QCOMPARE(text(bob.waitForError(QStringLiteral("read-only")), "ref"), QStringLiteral("4"));

    // A name is taken once; a revision from the future is no version; a missing one cannot be deleted.
    alice.send(Message::Versions{QStringLiteral("5"), QStringLiteral("v"), QStringLiteral("First"), 2, true, false});
    QCOMPARE(text(alice.waitForError(QStringLiteral("invalid-message")), "ref"), QStringLiteral("5"));
    alice.send(Message::Versions{QStringLiteral("6"), QStringLiteral("v"), QStringLiteral("Later"), 3, true, false});
    QCOMPARE(text(alice.waitForError(QStringLiteral("revision-from-future")), "ref"), QStringLiteral("6"));
    alice.send(Message::Versions{QStringLiteral("7"), QStringLiteral("v"), QStringLiteral("Nothing"), std::nullopt, false, true});
    QCOMPARE(text(alice.waitForError(QStringLiteral("invalid-message")), "ref"), QStringLiteral("7"));

    const auto removed = versions(alice, Message::Versions{QStringLiteral("8"), QStringLiteral("v"), QStringLiteral("First"),
                                                           std::nullopt, false, true});
    QVERIFY(removed);
    QCOMPARE(removed->versions.size(), 1);
    QCOMPARE(removed->versions.at(0).name, QStringLiteral("Draft sent to the board"));
}

// A document deleted and made again under the same id has none of the old one's authors.
void tst_RelayServer::authorshipStartsOverForADocumentMadeAgain()
{
    auto r = startRelay();
    QVERIFY(r);
    auto ada = client(*r, QStringLiteral("Ada"));
    auto bob = client(*r, QStringLiteral("Bob"));
    QVERIFY(ada && bob);
    QVERIFY(!ada->openDocument(QStringLiteral("again")).isEmpty());
    QCOMPARE(ada->edit(QStringLiteral("again"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("aaa"))), 1);
    const auto authorsOf = [&](RelayTestClient &c) {
        c.send(Message::GetAuthors{QStringLiteral("a"), QStringLiteral("again")});
        return decoded<Message::Authors>(c.waitFor(QStringLiteral("authors")));
    };
    const auto first = authorsOf(*bob);
    QVERIFY(first);
    QCOMPARE(first->authors.size(), 1);
    QCOMPARE(first->authors.at(0).name, QStringLiteral("Ada"));
    ada->send(Message::Delete{QStringLiteral("d"), QStringLiteral("again")});
    QVERIFY(!ada->waitFor(QStringLiteral("deleted")).isEmpty());
    QVERIFY(!bob->openDocument(QStringLiteral("again")).isEmpty());
    QCOMPARE(bob->edit(QStringLiteral("again"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("bbbb"))), 1);
    const auto second = authorsOf(*bob);
    QVERIFY(second);
    QCOMPARE(second->authors.size(), 1);
    QCOMPARE(second->authors.at(0).name, QStringLiteral("Bob"));
    QCOMPARE(second->runs, (QList<AuthorRun>{AuthorRun{4, 0}}));
}

// A loaded document keeps who wrote its text as operations commit and stores it with each snapshot, so a
// relay restarted on the database knows it at once (snapshot + the operations after it). A database whose
// snapshots lack it (an older relay's) is replayed from the log, a budget per request (conflict-retry until
// done), and the loaded document keeps the result from then on.
void tst_RelayServer::authorshipIsKeptLiveAndStoredWithSnapshots()
{
    RelayServer::Settings settings;
    settings.documents.snapshotInterval = 5;
    settings.documents.maxHistoryScan = 2; // one authorship request replays at most 10 operations
    auto r = startRelay(settings);
    QVERIFY(r);
    const QString doc = QStringLiteral("kept");
    const auto restart = [&] {
        r->server.reset();
        settings.port = 0;
        r->server = std::make_unique<RelayServer>(*r->storage, settings);
        return r->server->listen();
    };
    struct Writer
    {
        std::unique_ptr<RelayTestClient> client;
        qint64 sequence = 0;
    };
    std::vector<Writer> writers;
    const auto connectWriters = [&] {
        writers.clear();
        for (const QString &name : {QStringLiteral("Ada"), QStringLiteral("Bob")}) {
            writers.push_back({client(*r, name), 0});
            if (!writers.back().client || writers.back().client->openDocument(doc).isEmpty())
                return false;
        }
        return true;
    };
    QString expected; // lower case: Ada's, upper case: Bob's
    int revision = 0;
    QRandomGenerator random(5);
    const auto type = [&](int edits) {
        for (int i = 0; i < edits; ++i) {
            const int who = random.bounded(2);
            const qsizetype at = random.bounded(int(expected.size() + 1));
            const qsizetype removed = std::min<qsizetype>(random.bounded(2), expected.size() - at);
            const QString inserted(random.bounded(1, 4), who == 0 ? QChar(u'a' + i % 26) : QChar(u'A' + i % 26));
            Writer &w = writers[size_t(who)];
            if (w.client->edit(doc, revision, ++w.sequence, TextOperation::makeReplace(expected.size(), at, removed, inserted))
                != revision + 1)
                return false;
            ++revision;
            expected.replace(at, removed, inserted);
        }
        return true;
    };
    // Who wrote the text, asked until answered; checked against the letters' case.
    const auto authors = [&](int *retries) -> std::optional<Message::Authors> {
        auto reader = client(*r, QStringLiteral("Reader"));
        if (!reader)
            return std::nullopt;
        *retries = 0;
        for (int attempt = 0; attempt < 10; ++attempt) {
            reader->send(Message::GetAuthors{QStringLiteral("who"), doc});
            const QJsonObject reply = reader->waitFor(QString(), [](const QJsonObject &o) {
                return o.value(QStringLiteral("ref")).toString() == QStringLiteral("who");
            });
            if (text(reply, "type") == QStringLiteral("error")) {
                if (text(reply, "code") != QStringLiteral("conflict-retry"))
                    return std::nullopt;
                ++*retries;
                continue;
            }
            std::optional<Message::Authors> a = decoded<Message::Authors>(reply);
            if (!a || a->revision != revision)
                return std::nullopt;
            qsizetype position = 0;
            for (const AuthorRun &run : a->runs) {
                const QString name = a->authors.value(run.author).name;
                for (qsizetype k = 0; k < run.length; ++k)
                    if (name != (expected.at(position + k).isLower() ? QStringLiteral("Ada") : QStringLiteral("Bob")))
                        return std::nullopt;
                position += run.length;
            }
            if (position != expected.size())
                return std::nullopt;
            return a;
        }
        return std::nullopt;
    };

    QVERIFY(connectWriters());
    QVERIFY(type(23));
    int retries = -1;
    const auto live = authors(&retries);
    QVERIFY(live);
    QCOMPARE(retries, 0);
    const auto snapshot = r->storage->latestSnapshot(doc);
    QVERIFY(snapshot);
    QCOMPARE(snapshot->revision, 20);
    QVERIFY(relay::Authorship::fromStored(snapshot->authorship, snapshot->revision, snapshot->length));

    // Restarted: the latest snapshot's authorship and the three operations after it.
    writers.clear();
    QVERIFY(restart());
    QVERIFY(connectWriters());
    const auto restarted = authors(&retries);
    QVERIFY(restarted);
    QCOMPARE(retries, 0);
    QCOMPARE(restarted->runs, live->runs);

    // An older relay's database: no authorship in its snapshots.
    writers.clear();
    r->server.reset();
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("older"));
        db.setDatabaseName(r->dir.filePath(QStringLiteral("relay.sqlite")));
        QVERIFY(db.open());
        QVERIFY(QSqlQuery(db).exec(QStringLiteral("UPDATE snapshots SET authors = NULL")));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("older"));
    QVERIFY(restart());
    QVERIFY(connectWriters()); // loaded: its authorship unknown
    const auto replayed = authors(&retries);
    QVERIFY(replayed);
    QCOMPARE(retries, 2); // 23 operations, 10 per request
    QCOMPARE(replayed->runs, live->runs);
    // Handed to the loaded document, which keeps it: 15 more operations need no replay.
    QVERIFY(type(15));
    QVERIFY(authors(&retries));
    QCOMPARE(retries, 0);
    QVERIFY(!r->storage->latestSnapshot(doc)->authorship.isEmpty()); // stored again with the next snapshot
}

QTEST_GUILESS_MAIN(tst_RelayServer)
#include "tst_relayserver.moc"
