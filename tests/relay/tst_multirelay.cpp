// SPDX-License-Identifier: MIT
// Several relays over one PostgreSQL (a throwaway cluster): in-process RelayServers with ClusterBus, and
// coscribe-relay subprocesses killed with SIGKILL. What must hold: every editor converges, the operation log
// has revisions 1..N with no gap and no duplicate, no acknowledged edit is lost, presence crosses relays and a
// dead relay's participants leave within a bounded time.
//
// Without PostgreSQL server binaries these tests FAIL, they do not skip (CI installs postgresql).
#include "client.h"
#include "authorship.h"
#include "clusterbus.h"
#include "pgcluster.h"
#include "relayserver.h"
#include "headlesseditor.h"
#include "relayprocess.h"
#include "relaytestclient.h"
#include "serverdocument.h"
#include "sqlstorage.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <csignal>
#include <memory>
#include <set>

using namespace collab;

namespace {

// One relay in this process: its own storage connection, cluster bus and server, as coscribe-relay builds
// them. Destroyed server first (it publishes leaves into the bus), then bus, then storage.
struct InProcessRelay
{
    std::unique_ptr<relay::SqlStorage> storage;
    std::unique_ptr<relay::ClusterBus> bus;
    std::unique_ptr<relay::RelayServer> server;

    ~InProcessRelay()
    {
        server.reset();
        bus.reset();
        storage.reset();
    }
    QUrl url() const { return server->url(); }
};

// Storage that lets a rival relay win every commit race while `rivalWins` is set: before each append, the
// rival commits an operation (append "r" at the end) at exactly that revision through its own connection.
class RivalStorage final : public relay::Storage
{
public:
    RivalStorage(relay::SqlStorage &inner, relay::SqlStorage &rival) : m_inner(inner), m_rival(rival) {}
    bool rivalWins = false;
    int rivalCommits = 0;

    bool open() override { return m_inner.open(); }
    QString lastError() const override { return m_inner.lastError(); }
    std::optional<std::vector<DocumentRecord>> documents() override { return m_inner.documents(); }
    std::optional<DocumentRecord> document(const QString &id) override { return m_inner.document(id); }
    bool createDocument(const QString &id, const QString &name) override { return m_inner.createDocument(id, name); }
    bool renameDocument(const QString &id, const QString &name) override { return m_inner.renameDocument(id, name); }
    bool deleteDocument(const QString &id) override { return m_inner.deleteDocument(id); }
    bool appendOperation(const QString &doc, const OperationRecord &op) override
    {
        if (rivalWins) {
            ServerDocument text; // the rival's view: the whole log replayed
            for (const OperationRecord &r : m_rival.operations(doc, 0, INT_MAX).value_or(std::vector<OperationRecord>{}))
                text.replay({*TextOperation::fromJsonText(r.operation), r.clientId, r.sequence});
            if (text.revision() == op.revision - 1) {
                const TextOperation rivalOp = TextOperation::makeInsert(text.length(), text.length(), QStringLiteral("r"));
                if (m_rival.appendOperation(doc, {op.revision, rivalOp.toJsonText(), QStringLiteral("rival"), ++m_rivalSeq, {}, {}, {}}))
                    ++rivalCommits;
            }
        }
        return m_inner.appendOperation(doc, op);
    }
    bool beginTransaction() override { return m_inner.beginTransaction(); }
    bool commitTransaction() override { return m_inner.commitTransaction(); }
    bool rollbackTransaction() override { return m_inner.rollbackTransaction(); }
    std::optional<std::vector<OperationRecord>> operations(const QString &doc, int after, int upTo) override
    {
        return m_inner.operations(doc, after, upTo);
    }
    std::optional<Applied> lastApplied(const QString &doc, const QString &clientId) override
    {
        return m_inner.lastApplied(doc, clientId);
    }
    std::optional<int> revisionOf(const QString &doc, const QString &clientId, qint64 sequence) override
    {
        return m_inner.revisionOf(doc, clientId, sequence);
    }
    bool recordCreator(const QString &id, const QString &user) override { return m_inner.recordCreator(id, user); }
    std::optional<int> documentsCreatedBy(const QString &user) override { return m_inner.documentsCreatedBy(user); }
    std::optional<ClientRecord> client(const QString &clientId) override { return m_inner.client(clientId); }
    bool addVersion(const QString &doc, const VersionRecord &v) override { return (m_inner.addVersion(doc, v)); }
    std::optional<std::vector<VersionRecord>> versions(const QString &doc) override { return (m_inner.versions(doc)); }
    bool removeVersion(const QString &doc, const QString &name) override { return (m_inner.removeVersion(doc, name)); }
    bool registerClient(const ClientRecord &record) override { return m_inner.registerClient(record); }
    bool saveSnapshot(const QString &doc, int revision, const QString &text, const QString &authorship) override
    {
        return m_inner.saveSnapshot(doc, revision, text, authorship);
    }
    std::optional<Snapshot> latestSnapshot(const QString &doc, int atOrBefore) override
    {
        return m_inner.latestSnapshot(doc, atOrBefore);
    }

private:
    relay::SqlStorage &m_inner;
    relay::SqlStorage &m_rival;
    qint64 m_rivalSeq = 0;
};

} // namespace

class tst_MultiRelay : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void randomConcurrentEditsConverge_data();
    void randomConcurrentEditsConverge();
    void lostCommitRaceIsTransformedAndRetried();
    void retriesAreBoundedWithConflictRetry();
    void presenceCrossesRelays();
    void renameAndDeleteReachOtherRelays();
    void busReconnectsAndCatchesUp();
    void sigkillMidBurstFailsOver();
    void historyAgreesAcrossRelays();

private:
    std::optional<relay::SqlStorage::Options> freshDatabase(QString *error);
    std::unique_ptr<InProcessRelay> startRelay(const relay::SqlStorage::Options &options, bool withBus = true,
                                               std::chrono::milliseconds resync = std::chrono::milliseconds(5000));
    // The log of `doc`: checks revisions are exactly 1..N and returns the text they produce.
    std::optional<QString> verifyLog(const relay::SqlStorage::Options &options, const QString &doc, int *revisions);
    quint16 startProcess(QProcess &process, const QString &databaseUrl);

    testutil::PgCluster m_cluster;
    int m_databases = 0;
};

void tst_MultiRelay::initTestCase()
{
    QString error;
    QVERIFY2(m_cluster.start(&error), qPrintable(error));
}

void tst_MultiRelay::cleanupTestCase()
{
    m_cluster.stop();
}

std::optional<relay::SqlStorage::Options> tst_MultiRelay::freshDatabase(QString *error)
{
    const QString name = QStringLiteral("multirelay_%1").arg(++m_databases);
    if (!m_cluster.createDatabase(name, error))
        return std::nullopt;
    relay::SqlStorage::Options o;
    o.driver = QStringLiteral("QPSQL");
    o.host = QStringLiteral("127.0.0.1");
    o.port = m_cluster.port();
    o.user = testutil::PgCluster::user();
    o.databaseName = name;
    return o;
}

std::unique_ptr<InProcessRelay> tst_MultiRelay::startRelay(const relay::SqlStorage::Options &options, bool withBus,
                                                           std::chrono::milliseconds resync)
{
    auto r = std::make_unique<InProcessRelay>();
    r->storage = std::make_unique<relay::SqlStorage>(options);
    if (!r->storage->open()) {
        qWarning() << r->storage->lastError();
        return nullptr;
    }
    relay::RelayServer::Settings settings;
    settings.opsPerSecond = 10000;
    settings.burst = 10000;
    settings.documents.snapshotInterval = 40; // reloads after lost races start from a snapshot
    if (withBus) {
        relay::ClusterBus::Settings bus;
        bus.heartbeatInterval = std::chrono::milliseconds(200);
        bus.staleAfter = std::chrono::milliseconds(1000);
        bus.resyncInterval = resync;
        r->bus = std::make_unique<relay::ClusterBus>(options, relay::ClusterBus::newRelayId(), bus);
        if (!r->bus->start()) {
            qWarning() << r->bus->errorString();
            return nullptr;
        }
        settings.connectionIdPrefix = r->bus->relayId() + QStringLiteral("-c");
    }
    r->server = std::make_unique<relay::RelayServer>(*r->storage, settings);
    if (r->bus)
        r->bus->attach(r->server->hub());
    if (!r->server->listen()) {
        qWarning() << r->server->errorString();
        return nullptr;
    }
    return r;
}

std::optional<QString> tst_MultiRelay::verifyLog(const relay::SqlStorage::Options &options, const QString &doc,
                                                 int *revisions)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("verify"));
    db.setHostName(options.host);
    db.setPort(options.port);
    db.setUserName(options.user);
    db.setDatabaseName(options.databaseName);
    std::optional<QString> text;
    if (db.open()) {
        QSqlQuery q(db); // (scoped: no query may outlive the connection)
        q.prepare(QStringLiteral("SELECT COUNT(*), COUNT(DISTINCT revision), COALESCE(MIN(revision), 0),"
                                 " COALESCE(MAX(revision), 0) FROM operations WHERE doc = ?"));
        q.addBindValue(doc);
        if (q.exec() && q.next()) {
            const int count = q.value(0).toInt();
            *revisions = count;
            if (count == q.value(1).toInt() && (count == 0 || q.value(2).toInt() == 1) && q.value(3).toInt() == count) {
                QSqlQuery ops(db);
                ops.prepare(QStringLiteral("SELECT op, client_id, seq FROM operations WHERE doc = ? ORDER BY revision"));
                ops.addBindValue(doc);
                ServerDocument replayed;
                bool ok = ops.exec();
                while (ok && ops.next()) {
                    auto op = TextOperation::fromJsonBytes(ops.value(0).toString().toUtf8());
                    ok = op && !replayed.replay({*op, ops.value(1).toString(), ops.value(2).toLongLong()});
                }
                if (ok)
                    text = replayed.text().toString();
            } else {
                qWarning("log of %s: %d rows, %d distinct revisions, from %d to %d", qPrintable(doc), count,
                         q.value(1).toInt(), q.value(2).toInt(), q.value(3).toInt());
            }
        }
        q = QSqlQuery();
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("verify"));
    return text;
}

quint16 tst_MultiRelay::startProcess(QProcess &process, const QString &databaseUrl)
{
    return testutil::startRelayProcess(process, {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--database"),
                                                 databaseUrl, QStringLiteral("--snapshot-interval"), QStringLiteral("40")});
}

void tst_MultiRelay::randomConcurrentEditsConverge_data()
{
    QTest::addColumn<int>("relays");
    QTest::addColumn<int>("editorsPerRelay");
    QTest::newRow("two relays") << 2 << 3;
    QTest::newRow("three relays") << 3 << 2;
}

void tst_MultiRelay::randomConcurrentEditsConverge()
{
    QFETCH(int, relays);
    QFETCH(int, editorsPerRelay);
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));

    std::vector<std::unique_ptr<InProcessRelay>> servers;
    QList<QUrl> urls;
    for (int i = 0; i < relays; ++i) {
        servers.push_back(startRelay(*options));
        QVERIFY(servers.back());
        urls.append(servers.back()->url());
    }
    const QString doc = QStringLiteral("shared");
    std::vector<std::unique_ptr<HeadlessEditor>> editors;
    for (int i = 0; i < relays * editorsPerRelay; ++i) {
        editors.push_back(std::make_unique<HeadlessEditor>(urls, i % relays, doc));
        QVERIFY2(editors.back()->connect(), qPrintable(editors.back()->failure));
    }

    // Random bursts: each round some editors type a few characters, and the event loop runs a random short
    // time, so operations cross on the relays and in the database.
    QRandomGenerator rng(QRandomGenerator::global()->generate());
    const quint32 seed = rng.generate();
    rng.seed(seed);
    int typed = 0;
    for (int round = 0; round < 150; ++round) {
        for (auto &e : editors) {
            if (rng.bounded(3) == 0)
                continue;
            const int n = 1 + rng.bounded(3);
            for (int k = 0; k < n; ++k) {
                QVERIFY2(e->type(rng), qPrintable(e->failure));
                ++typed;
            }
            QVERIFY2(e->pump(), qPrintable(e->failure));
        }
        QTest::qWait(rng.bounded(4));
    }

    const auto settled = [&] {
        int revision = -1;
        for (auto &e : editors) {
            if (!e->pump() || e->engine().state() != Client::State::Synchronized)
                return false;
            if (revision >= 0 && e->engine().revision() != revision)
                return false;
            revision = e->engine().revision();
        }
        return true;
    };
    const bool converged = QTest::qWaitFor(settled, 30000);
    for (auto &e : editors)
        QVERIFY2(e->failure.isEmpty(), qPrintable(QStringLiteral("seed %1: %2").arg(seed).arg(e->failure)));
    QVERIFY2(converged, qPrintable(QStringLiteral("seed %1: editors did not settle").arg(seed)));
    for (auto &e : editors)
        QCOMPARE(e->text(), editors.front()->text());

    int revisions = 0;
    const std::optional<QString> logText = verifyLog(*options, doc, &revisions);
    QVERIFY2(logText, "the log has a gap or a duplicate revision, or does not replay");
    QCOMPARE(*logText, editors.front()->text());
    QCOMPARE(revisions, editors.front()->engine().revision());
    // Every acknowledgement names a distinct revision, and they account for the whole log.
    std::set<int> ackedRevisions;
    for (auto &e : editors)
        for (const auto &[seq, rev] : e->acked)
            QVERIFY2(ackedRevisions.insert(rev).second, qPrintable(QStringLiteral("revision %1 acked twice").arg(rev)));
    QCOMPARE(int(ackedRevisions.size()), revisions);
    int retries = 0;
    for (auto &e : editors)
        retries += e->conflictRetries;
    int lostRaces = 0;
    for (auto &r : servers)
        lostRaces += r->server->hub().lostCommitRaces();
    qInfo("seed %u: %d keystrokes, %d operations, %d lost commit races, %d conflict-retry errors", seed, typed,
          revisions, lostRaces, retries);
    QVERIFY(revisions > 50);
    QVERIFY2(lostRaces > 0, "the schedule never made two relays race for a revision: the test proved little");
}

// Relay B has no bus (it never hears of A's commits), so its commit at a stale revision is sure to lose the
// race for that revision: it must load what A committed, forward it to its client, transform and commit after.
void tst_MultiRelay::lostCommitRaceIsTransformedAndRetried()
{
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));
    // B publishes nothing, so A learns of B's commit only from its periodic resync: keep that short (the
    // default 5 s equals waitFor's timeout, which made this test fail on a loaded machine).
    auto a = startRelay(*options, true, std::chrono::milliseconds(300));
    auto b = startRelay(*options, false);
    QVERIFY(a && b);
    const QString doc = QStringLiteral("race");

    RelayTestClient onA, onB;
    QVERIFY(onA.open(a->url()) && !onA.hello().isEmpty());
    QVERIFY(onB.open(b->url()) && !onB.hello().isEmpty());
    QVERIFY(!onA.openDocument(doc).isEmpty());
    QCOMPARE(onB.openDocument(doc).value(QStringLiteral("revision")).toInt(), 0);

    QCOMPARE(onA.edit(doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("abc"))), 1);
    QCOMPARE(onA.edit(doc, 1, 2, TextOperation::makeInsert(3, 3, QStringLiteral("def"))), 2);
    // B's client types "X" at the start of the empty text it saw at revision 0.
    QCOMPARE(onB.edit(doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("X"))), 3);
    // Before its ack, B's client received A's two operations, in order, from B.
    QCOMPARE(onB.count(QStringLiteral("op")), 2);
    const QJsonObject first = onB.waitFor(QStringLiteral("op"));
    const QJsonObject second = onB.waitFor(QStringLiteral("op"));
    QCOMPARE(first.value(QStringLiteral("rev")).toInt(), 1);
    QCOMPARE(second.value(QStringLiteral("rev")).toInt(), 2);
    QCOMPARE(first.value(QStringLiteral("author")).toString(), onA.clientId);

    int revisions = 0;
    const auto text = verifyLog(*options, doc, &revisions);
    QVERIFY(text);
    QCOMPARE(revisions, 3);
    QCOMPARE(*text, QStringLiteral("Xabcdef"));
    QCOMPARE(b->server->hub().lostCommitRaces(), 1);
    // A hears of B's commit on its resync, transformed: X at 0.
    const QJsonObject fromB = onA.waitFor(QStringLiteral("op"));
    QCOMPARE(fromB.value(QStringLiteral("rev")).toInt(), 3);
    QCOMPARE(fromB.value(QStringLiteral("op")).toArray(), QJsonArray({QStringLiteral("X"), 6}));

    // A resend of B's operation (its ack lost, its client failed over to A) is acknowledged, not applied again.
    RelayTestClient bAgain;
    bAgain.clientId = onB.clientId;
    bAgain.secret = onB.secret;
    QVERIFY(bAgain.open(a->url()) && !bAgain.hello().isEmpty());
    QVERIFY(!bAgain.openDocument(doc, 0).isEmpty());
    QCOMPARE(bAgain.edit(doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("X"))), 3);
    QVERIFY(verifyLog(*options, doc, &revisions));
    QCOMPARE(revisions, 3);
}

void tst_MultiRelay::retriesAreBoundedWithConflictRetry()
{
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));
    relay::SqlStorage inner(*options), rival(*options);
    QVERIFY(inner.open() && rival.open());
    RivalStorage storage(inner, rival);
    relay::RelayServer server(storage, relay::RelayServer::Settings{});
    QVERIFY(server.listen());
    const QString doc = QStringLiteral("busy");

    RelayTestClient client;
    QVERIFY(client.open(server.url()) && !client.hello().isEmpty());
    QVERIFY(!client.openDocument(doc).isEmpty());
    storage.rivalWins = true;
    client.send(Message::Op{doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("mine")), std::nullopt});
    const QJsonObject refused = client.waitForError(QStringLiteral("conflict-retry"));
    QVERIFY(!refused.isEmpty());
    QCOMPARE(refused.value(QStringLiteral("doc")).toString(), doc);
    QCOMPARE(storage.rivalCommits, relay::DocumentHub::maxCommitAttempts);
    QCOMPARE(client.count(QStringLiteral("ack")), 0);
    QCOMPARE(client.count(QStringLiteral("op")), relay::DocumentHub::maxCommitAttempts); // the rival's, forwarded

    int revisions = 0;
    auto text = verifyLog(*options, doc, &revisions);
    QVERIFY(text);
    QCOMPARE(revisions, relay::DocumentHub::maxCommitAttempts);
    QCOMPARE(*text, QString(relay::DocumentHub::maxCommitAttempts, u'r'));

    // The race is over: the resend (same sequence) lands, after the rival's operations.
    storage.rivalWins = false;
    QCOMPARE(client.edit(doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("mine"))),
             relay::DocumentHub::maxCommitAttempts + 1);
    text = verifyLog(*options, doc, &revisions);
    QVERIFY(text);
    QCOMPARE(*text, QStringLiteral("mine") + QString(relay::DocumentHub::maxCommitAttempts, u'r'));
}

void tst_MultiRelay::presenceCrossesRelays()
{
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));
    auto a = startRelay(*options);
    auto b = startRelay(*options);
    QVERIFY(a && b);
    const QString doc = QStringLiteral("presence");
    const auto byConnection = [](const QString &id) {
        return [id](const QJsonObject &o) { return o.value(QStringLiteral("connectionId")).toString() == id; };
    };

    RelayTestClient alice, bob;
    QVERIFY(alice.open(a->url()) && !alice.hello(QStringLiteral("Alice")).isEmpty());
    QVERIFY(bob.open(b->url()) && !bob.hello(QStringLiteral("Bob")).isEmpty());
    QVERIFY(alice.connectionId != bob.connectionId); // relay ids keep participant ids apart
    QVERIFY(!alice.openDocument(doc).isEmpty());
    QCOMPARE(alice.edit(doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("hello world"))), 1);
    alice.send(Message::SetSelection{doc, 1, Selection::cursor(5)});

    // Bob, on the other relay, sees Alice among the participants, with her cursor.
    QTest::qWait(100);
    const QJsonObject opened = bob.openDocument(doc);
    QVERIFY(!opened.isEmpty());
    const QJsonArray participants = opened.value(QStringLiteral("participants")).toArray();
    QCOMPARE(participants.size(), 1);
    const QJsonObject aliceThere = participants.at(0).toObject();
    QCOMPARE(aliceThere.value(QStringLiteral("connectionId")).toString(), alice.connectionId);
    QCOMPARE(aliceThere.value(QStringLiteral("name")).toString(), QStringLiteral("Alice"));
    QCOMPARE(aliceThere.value(QStringLiteral("selection")).toObject(), Selection::cursor(5).toJson());

    // Alice hears Bob join; Bob hears Alice move and go idle; Alice hears Bob leave.
    QVERIFY(!alice.waitFor(QStringLiteral("join"), [&](const QJsonObject &o) {
                       return o.value(QStringLiteral("participant")).toObject().value(QStringLiteral("connectionId")).toString()
                               == bob.connectionId;
                   }).isEmpty());
    alice.send(Message::SetSelection{doc, 1, Selection::cursor(2)});
    const QJsonObject moved = bob.waitFor(QStringLiteral("selection"), byConnection(alice.connectionId));
    QVERIFY(!moved.isEmpty());
    QCOMPARE(moved.value(QStringLiteral("selection")).toObject(), Selection::cursor(2).toJson());
    alice.send(Message::SetIdle{doc, true});
    QVERIFY(!bob.waitFor(QStringLiteral("idle"), byConnection(alice.connectionId)).isEmpty());
    bob.send(Message::Close{QStringLiteral("c1"), doc});
    QVERIFY(!alice.waitFor(QStringLiteral("leave"), byConnection(bob.connectionId)).isEmpty());
    // (A relay that dies without a word is sigkillMidBurstFailsOver's observer.)
}

// Rename and delete on one relay reach the windows open on another: pushed over the bus, not found by the
// periodic resync (which is off here).
void tst_MultiRelay::renameAndDeleteReachOtherRelays()
{
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));
    const std::chrono::milliseconds never(600000);
    auto a = startRelay(*options, true, never);
    auto b = startRelay(*options, true, never);
    QVERIFY(a && b);
    RelayTestClient alice, bob;
    QVERIFY(alice.open(a->url()) && !alice.hello(QStringLiteral("Alice")).isEmpty());
    QVERIFY(bob.open(b->url()) && !bob.hello(QStringLiteral("Bob")).isEmpty());
    QVERIFY(!alice.openDocument(QStringLiteral("draft")).isEmpty());
    QCOMPARE(alice.edit(QStringLiteral("draft"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("text"))), 1);
    QVERIFY(!bob.openDocument(QStringLiteral("draft"), std::nullopt, false).isEmpty());

    alice.send(Message::Rename{QStringLiteral("r"), QStringLiteral("draft"), QStringLiteral("Informe final \u00b7 2027")});
    QVERIFY(!alice.waitFor(QStringLiteral("renamed")).isEmpty());
    const QJsonObject renamed = bob.waitFor(QStringLiteral("renamed"));
    QCOMPARE(renamed.value(QStringLiteral("doc")).toString(), QStringLiteral("draft"));
    QCOMPARE(renamed.value(QStringLiteral("name")).toString(), QStringLiteral("Informe final \u00b7 2027"));
    // Relay B's own list says the new title too (its live copy followed).
    bob.send(Message::List{QStringLiteral("l")});
    const QJsonArray docs = bob.waitFor(QStringLiteral("documents")).value(QStringLiteral("documents")).toArray();
    QCOMPARE(docs.size(), 1);
    QCOMPARE(docs.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("Informe final \u00b7 2027"));

    alice.send(Message::Delete{QStringLiteral("d"), QStringLiteral("draft")});
    QVERIFY(!alice.waitFor(QStringLiteral("deleted")).isEmpty());
    QCOMPARE(bob.waitFor(QStringLiteral("deleted")).value(QStringLiteral("doc")).toString(), QStringLiteral("draft"));
    // Bob's subscription on B ended: an edit there is refused, not committed to a deleted document.
    bob.send(Message::Op{QStringLiteral("draft"), 1, 1, TextOperation::makeInsert(4, 4, QStringLiteral("!")), {}});
    QVERIFY(!bob.waitForError(QStringLiteral("not-open")).isEmpty());
    QCOMPARE(b->server->hub().loadedDocuments(), 0);
}

// The bus's database connection is killed (a PostgreSQL restart, a network cut): operations committed
// meanwhile by another relay were notified to nobody on this relay. It reconnects and reads the log.
void tst_MultiRelay::busReconnectsAndCatchesUp()
{
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));
    const std::chrono::milliseconds never(600000); // no periodic resync: only the reconnect can save B
    auto a = startRelay(*options, true, never);
    auto b = startRelay(*options, true, never);
    QVERIFY(a && b);
    const QString doc = QStringLiteral("reconnect");
    RelayTestClient onA, onB;
    QVERIFY(onA.open(a->url()) && !onA.hello().isEmpty());
    QVERIFY(onB.open(b->url()) && !onB.hello().isEmpty());
    QVERIFY(!onA.openDocument(doc).isEmpty());
    QVERIFY(!onB.openDocument(doc).isEmpty());
    QCOMPARE(onA.edit(doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("a"))), 1);
    QCOMPARE(onB.waitFor(QStringLiteral("op")).value(QStringLiteral("rev")).toInt(), 1); // via NOTIFY

    // Cut B's bus off, then commit through A while B cannot hear.
    {
        QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("killer"));
        admin.setHostName(options->host);
        admin.setPort(options->port);
        admin.setUserName(options->user);
        admin.setDatabaseName(options->databaseName);
        QVERIFY(admin.open());
        QSqlQuery q(admin);
        QVERIFY(q.exec(QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                                      "'coscribe-bus-%1'").arg(b->bus->relayId())));
        QVERIFY(q.next() && q.value(0).toBool());
        q = QSqlQuery();
        admin.close();
        admin = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("killer"));
    }
    for (int i = 0; i < 3; ++i)
        QCOMPARE(onA.edit(doc, 1 + i, 2 + i, TextOperation::makeInsert(1 + i, 1 + i, QStringLiteral("b"))), 2 + i);

    // B notices at its next heartbeat (200 ms here), reconnects, and forwards revisions 2..4 in order.
    for (int rev = 2; rev <= 4; ++rev) {
        const QJsonObject op = onB.waitFor(QStringLiteral("op"), {}, 5000);
        QVERIFY2(!op.isEmpty(), qPrintable(QStringLiteral("revision %1 never reached B").arg(rev)));
        QCOMPARE(op.value(QStringLiteral("rev")).toInt(), rev);
    }
    QVERIFY(b->bus->isConnected());
    // And B is fully usable again: its own edit reaches A.
    QCOMPARE(onB.edit(doc, 4, 1, TextOperation::makeInsert(4, 4, QStringLiteral("c"))), 5);
    QCOMPARE(onA.waitFor(QStringLiteral("op"), [](const QJsonObject &o) {
                 return o.value(QStringLiteral("rev")).toInt() == 5; }).value(QStringLiteral("rev")).toInt(), 5);
}

void tst_MultiRelay::sigkillMidBurstFailsOver()
{
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));
    const QString url = QStringLiteral("postgresql://%1@127.0.0.1:%2/%3")
                                .arg(options->user).arg(options->port).arg(options->databaseName);
    QProcess processes[3];
    QList<QUrl> urls;
    for (QProcess &p : processes) {
        const quint16 port = startProcess(p, url);
        QVERIFY(port != 0);
        // The document in the URL, as a proxy hashing on it would want (the relay ignores the path and query).
        urls.append(QUrl(QStringLiteral("ws://127.0.0.1:%1/?doc=failover").arg(port)));
    }
    const QString doc = QStringLiteral("failover");
    std::vector<std::unique_ptr<HeadlessEditor>> editors;
    for (int i = 0; i < 6; ++i) {
        editors.push_back(std::make_unique<HeadlessEditor>(urls, i % 3, doc));
        QVERIFY2(editors.back()->connect(), qPrintable(editors.back()->failure));
    }
    // An observer on relay 2 watches the killed relay's participants leave.
    RelayTestClient observer;
    QVERIFY(observer.open(urls.at(2)) && !observer.hello(QStringLiteral("observer")).isEmpty());
    QVERIFY(!observer.openDocument(doc).isEmpty());
    QStringList doomed;
    for (auto &e : editors)
        if (e->current() == 0)
            doomed.append(e->connectionId());

    QRandomGenerator rng(QRandomGenerator::global()->generate());
    const quint32 seed = rng.generate();
    rng.seed(seed);
    QElapsedTimer clock;
    clock.start();
    bool killed = false;
    qint64 killedAt = 0;
    while (clock.elapsed() < 4000) {
        if (!killed && clock.elapsed() > 1500) {
            ::kill(pid_t(processes[0].processId()), SIGKILL); // mid-burst
            killed = true;
            killedAt = clock.elapsed();
        }
        for (auto &e : editors) {
            if (e->isDisconnected()) {
                QVERIFY2(e->pump(), qPrintable(e->failure));
                QVERIFY2(e->failover(), qPrintable(e->failure));
            }
            QVERIFY2(e->type(rng), qPrintable(e->failure));
            QVERIFY2(e->pump(), qPrintable(e->failure));
        }
        QTest::qWait(5);
    }
    QVERIFY(processes[0].state() == QProcess::NotRunning || processes[0].waitForFinished(5000));
    QCOMPARE(processes[0].exitStatus(), QProcess::CrashExit);

    const auto settled = [&] {
        int revision = -1;
        for (auto &e : editors) {
            if (e->isDisconnected() && !e->failover())
                return false;
            if (!e->pump() || e->engine().state() != Client::State::Synchronized)
                return false;
            if (revision >= 0 && e->engine().revision() != revision)
                return false;
            revision = e->engine().revision();
        }
        return true;
    };
    const bool converged = QTest::qWaitFor(settled, 30000);
    for (auto &e : editors)
        QVERIFY2(e->failure.isEmpty(), qPrintable(QStringLiteral("seed %1: %2").arg(seed).arg(e->failure)));
    QVERIFY2(converged, qPrintable(QStringLiteral("seed %1: editors did not settle").arg(seed)));
    int failovers = 0;
    for (auto &e : editors) {
        QCOMPARE(e->text(), editors.front()->text());
        failovers += e->failovers;
    }
    QCOMPARE(failovers, 2);

    // The log: 1..N, replays to the editors' text; every acknowledged (client, seq) is at its revision.
    int revisions = 0;
    const auto text = verifyLog(*options, doc, &revisions);
    QVERIFY2(text, "the log has a gap or a duplicate revision, or does not replay");
    QCOMPARE(*text, editors.front()->text());
    relay::SqlStorage check(*options);
    QVERIFY(check.open());
    int verified = 0;
    for (auto &e : editors) {
        for (const auto &[seq, rev] : e->acked) {
            QCOMPARE(check.revisionOf(doc, e->clientId(), seq), std::optional<int>(rev));
            ++verified;
        }
        // And no sequence number of a client was stored twice.
        const auto ops = check.operations(doc, 0, INT_MAX);
        std::set<qint64> seqs;
        for (const auto &r : *ops)
            if (r.clientId == e->clientId())
                QVERIFY2(seqs.insert(r.sequence).second, "an operation was applied twice");
    }
    QVERIFY(verified > 50);

    // The observer saw the killed relay's participants leave, within staleAfter (5 s) + heartbeat (1 s).
    for (const QString &id : doomed) {
        const QJsonObject left = observer.waitFor(QStringLiteral("leave"), [&](const QJsonObject &o) {
            return o.value(QStringLiteral("connectionId")).toString() == id;
        }, int(std::max<qint64>(0, killedAt + 8000 - clock.elapsed())));
        QVERIFY2(!left.isEmpty(), qPrintable(QStringLiteral("%1 never left").arg(id)));
    }
    qInfo("seed %u: %d operations, %d acknowledged edits verified, %d failovers", seed, revisions, verified, failovers);

    for (int i = 1; i < 3; ++i) {
        processes[i].terminate();
        QVERIFY(processes[i].waitForFinished(5000));
    }
}

QTEST_GUILESS_MAIN(tst_MultiRelay)
// History over two relays: after random concurrent edits by editors on both, each relay answers the same
// edit sessions, texts at revisions, diffs (forward and back), named versions (named on one relay, listed on
// the other) and authorship, and the authorship is the one the shared log gives when replayed: relay B kept
// it live for operations that relay A committed (the cluster bus's catch-up), not only for its own.
void tst_MultiRelay::historyAgreesAcrossRelays()
{
    QString error;
    const auto options = freshDatabase(&error);
    QVERIFY2(options, qPrintable(error));
    std::vector<std::unique_ptr<InProcessRelay>> servers;
    const QList<QUrl> urls = [&] {
        QList<QUrl> out;
        for (int i = 0; i < 2; ++i) {
            servers.push_back(startRelay(*options));
            out.append(servers.back() ? servers.back()->url() : QUrl());
        }
        return out;
    }();
    QVERIFY(servers[0] && servers[1]);
    const QString doc = QStringLiteral("history");
    std::vector<std::unique_ptr<HeadlessEditor>> editors;
    for (int i = 0; i < 4; ++i) {
        editors.push_back(std::make_unique<HeadlessEditor>(urls, i % 2, doc));
        editors.back()->name = QStringLiteral("editor %1").arg(i);
        QVERIFY2(editors.back()->connect(), qPrintable(editors.back()->failure));
    }
    QRandomGenerator rng(QRandomGenerator::global()->generate());
    const quint32 seed = rng.generate();
    rng.seed(seed);
    for (int round = 0; round < 80; ++round) {
        for (auto &e : editors) {
            if (rng.bounded(2) == 0)
                QVERIFY2(e->type(rng), qPrintable(e->failure));
        }
        QTest::qWait(rng.bounded(4));
    }
    const auto settled = [&] {
        for (auto &e : editors) {
            if (!e->pump() || e->engine().state() != Client::State::Synchronized
                || e->engine().revision() != editors.front()->engine().revision())
                return false;
        }
        return true;
    };
    QVERIFY2(QTest::qWaitFor(settled, 30000), qPrintable(QStringLiteral("seed %1: editors did not settle").arg(seed)));
    const int revision = editors.front()->engine().revision();
    QVERIFY(revision > 40);

    // What replaying the shared log gives.
    relay::SqlStorage reader(*options);
    QVERIFY(reader.open());
    relay::Authorship replayed;
    const auto records = reader.operations(doc, 0, revision);
    QVERIFY(records && int(records->size()) == revision);
    for (const relay::Storage::OperationRecord &r : *records)
        QVERIFY(replayed.apply(r.revision, *TextOperation::fromJsonText(r.operation), r.user, r.name, r.color));
    const Message::Authors expected = replayed.message(doc);
    QCOMPARE(replayed.length(), editors.front()->text().size());

    std::vector<std::unique_ptr<RelayTestClient>> clients;
    for (const QUrl &url : urls) {
        clients.push_back(std::make_unique<RelayTestClient>());
        QVERIFY(clients.back()->open(url));
        QVERIFY(!clients.back()->hello(QStringLiteral("reader")).isEmpty());
    }
    clients[0]->send(Message::Versions{QStringLiteral("name"), doc, QStringLiteral("Draft sent to the board"), revision / 2, true, false});
    QVERIFY(!clients[0]->waitFor(QStringLiteral("versions")).isEmpty());

    const int a = 1 + rng.bounded(revision - 1);
    const int b = a + rng.bounded(revision - a + 1);
    QList<QJsonObject> answers[2];
    for (int i = 0; i < 2; ++i) {
        RelayTestClient &c = *clients[size_t(i)];
        c.send(Message::History{QStringLiteral("h"), doc, 0, 100});
        answers[i].append(c.waitFor(QStringLiteral("history")));
        for (const int at : {a, b, revision}) {
            c.send(Message::GetRevision{QStringLiteral("r%1").arg(at), doc, at});
            answers[i].append(c.waitFor(QStringLiteral("revision")));
        }
        c.send(Message::GetDiff{QStringLiteral("forward"), doc, a, b});
        answers[i].append(c.waitFor(QStringLiteral("diff")));
        c.send(Message::GetDiff{QStringLiteral("back"), doc, b, a});
        answers[i].append(c.waitFor(QStringLiteral("diff")));
        c.send(Message::Versions{QStringLiteral("list"), doc, {}, std::nullopt, false, false});
        answers[i].append(c.waitFor(QStringLiteral("versions")));
        c.send(Message::GetAuthors{QStringLiteral("who"), doc});
        const QJsonObject authors = c.waitFor(QStringLiteral("authors"));
        answers[i].append(authors);
        const auto got = decoded<Message::Authors>(authors);
        QVERIFY(got);
        QCOMPARE(got->revision, revision);
        QCOMPARE(got->runs, expected.runs);
        QCOMPARE(got->authors.size(), expected.authors.size());
        for (qsizetype k = 0; k < got->authors.size(); ++k)
            QCOMPARE(got->authors.at(k).name, expected.authors.at(k).name);
    }
    for (qsizetype k = 0; k < answers[0].size(); ++k) {
        QVERIFY2(!answers[0].at(k).isEmpty(), qPrintable(QStringLiteral("answer %1 missing").arg(k)));
        QCOMPARE(answers[1].at(k), answers[0].at(k));
    }
    // The texts are the editors' text at the end, and the named version is there on the relay that did not name it.
    QCOMPARE(answers[1].at(3).value(QStringLiteral("text")).toString(), editors.front()->text());
    QVERIFY(QJsonDocument(answers[1].at(6)).toJson().contains("Draft sent to the board"));
    QStringList names;
    for (const Author &who : expected.authors)
        names.append(who.name);
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("editor 0"), QStringLiteral("editor 1"), QStringLiteral("editor 2"),
                                 QStringLiteral("editor 3")}));
}

#include "tst_multirelay.moc"
