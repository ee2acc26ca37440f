// SPDX-License-Identifier: MIT
// Group commit in DocumentHub: the operations of one event-loop pass, from several clients and documents,
// commit in one storage transaction in revision order; nothing is acknowledged or broadcast before that
// transaction commits, and a failed transaction leaves no trace: no ack, no broadcast, and the document is
// back to what storage holds.
#include "relayserver.h"
#include "relaytestclient.h"
#include "sqlstorage.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace collab;
using relay::RelayServer;

namespace {

// SqlStorage that records every transaction (the revisions appended in it, per document) and can be told to
// fail the append of one revision of one document.
class RecordingStorage final : public relay::Storage
{
public:
    explicit RecordingStorage(relay::SqlStorage &inner) : m_inner(inner) {}

    struct Transaction
    {
        std::vector<std::pair<QString, int>> appended; // (doc, revision), in append order
        bool committed = false;
    };
    std::vector<Transaction> transactions;
    std::optional<std::pair<QString, int>> failAppendOf;

    bool open() override { return m_inner.open(); }
    QString lastError() const override { return m_failed ? QStringLiteral("injected failure") : m_inner.lastError(); }
    std::optional<std::vector<DocumentRecord>> documents() override { return pass(m_inner.documents()); }
    std::optional<DocumentRecord> document(const QString &id) override { return pass(m_inner.document(id)); }
    bool createDocument(const QString &id, const QString &name) override { return pass(m_inner.createDocument(id, name)); }
    bool renameDocument(const QString &id, const QString &name) override { return pass(m_inner.renameDocument(id, name)); }
    bool deleteDocument(const QString &id) override { return pass(m_inner.deleteDocument(id)); }
    bool appendOperation(const QString &doc, const OperationRecord &op) override
    {
        if (!transactions.empty() && !transactions.back().committed)
            transactions.back().appended.emplace_back(doc, op.revision);
        if (failAppendOf && *failAppendOf == std::pair(doc, op.revision)) {
            failAppendOf.reset();
            m_failed = true;
            return false;
        }
        return pass(m_inner.appendOperation(doc, op));
    }
    bool beginTransaction() override
    {
        transactions.emplace_back();
        return pass(m_inner.beginTransaction());
    }
    bool commitTransaction() override
    {
        transactions.back().committed = pass(m_inner.commitTransaction());
        return transactions.back().committed;
    }
    bool rollbackTransaction() override { return pass(m_inner.rollbackTransaction()); }
    std::optional<std::vector<OperationRecord>> operations(const QString &doc, int after, int upTo) override
    {
        return pass(m_inner.operations(doc, after, upTo));
    }
    std::optional<Applied> lastApplied(const QString &doc, const QString &clientId) override
    {
        return pass(m_inner.lastApplied(doc, clientId));
    }
    std::optional<int> revisionOf(const QString &doc, const QString &clientId, qint64 sequence) override
    {
        return pass(m_inner.revisionOf(doc, clientId, sequence));
    }
    bool recordCreator(const QString &id, const QString &user) override { return pass(m_inner.recordCreator(id, user)); }
    std::optional<int> documentsCreatedBy(const QString &user) override { return pass(m_inner.documentsCreatedBy(user)); }
    std::optional<ClientRecord> client(const QString &clientId) override { return pass(m_inner.client(clientId)); }
    bool addVersion(const QString &doc, const VersionRecord &v) override { return pass(m_inner.addVersion(doc, v)); }
    std::optional<std::vector<VersionRecord>> versions(const QString &doc) override { return pass(m_inner.versions(doc)); }
    bool removeVersion(const QString &doc, const QString &name) override { return pass(m_inner.removeVersion(doc, name)); }
    bool registerClient(const ClientRecord &record) override { return pass(m_inner.registerClient(record)); }
    bool saveSnapshot(const QString &doc, int revision, const QString &text, const QString &authorship) override
    {
        return pass(m_inner.saveSnapshot(doc, revision, text, authorship));
    }
    std::optional<Snapshot> latestSnapshot(const QString &doc, int atOrBefore) override
    {
        return pass(m_inner.latestSnapshot(doc, atOrBefore));
    }

    int committedOperations() const
    {
        int n = 0;
        for (const Transaction &t : transactions)
            n += t.committed ? int(t.appended.size()) : 0;
        return n;
    }

private:
    template<typename T>
    T pass(T result)
    {
        m_failed = false;
        return result;
    }
    relay::SqlStorage &m_inner;
    bool m_failed = false;
};

QString text(const QJsonObject &o, const char *key) { return o.value(QLatin1StringView(key)).toString(); }

Message::Op op(const QString &doc, int revision, qint64 sequence, const TextOperation &operation)
{
    Message::Op m;
    m.doc = doc;
    m.revision = revision;
    m.sequence = sequence;
    m.operation = operation;
    return m;
}

// The stored log of `doc` replayed: its text, and each (client, sequence) with its revision.
struct Log
{
    QString text;
    std::map<std::pair<QString, qint64>, int> revisions;
    int last = 0;
    bool consecutive = true;
};
Log replay(relay::Storage &storage, const QString &doc)
{
    Log log;
    ServerDocument document;
    for (const relay::Storage::OperationRecord &r : storage.operations(doc, 0, INT_MAX).value_or(
                 std::vector<relay::Storage::OperationRecord>{})) {
        log.consecutive = log.consecutive && r.revision == log.last + 1;
        log.last = r.revision;
        log.revisions[{r.clientId, r.sequence}] = r.revision;
        document.replay({*TextOperation::fromJsonText(r.operation), r.clientId, r.sequence});
    }
    log.text = document.text().toString();
    return log;
}

} // namespace

class tst_GroupCommit : public QObject
{
    Q_OBJECT

private:
    struct Relay
    {
        QTemporaryDir dir;
        std::unique_ptr<relay::SqlStorage> sql;
        std::unique_ptr<RecordingStorage> storage;
        std::unique_ptr<RelayServer> server;
    };
    std::unique_ptr<Relay> startRelay()
    {
        auto r = std::make_unique<Relay>();
        relay::SqlStorage::Options options;
        options.databaseName = r->dir.filePath(QStringLiteral("relay.sqlite"));
        options.synchronousFull = false;
        r->sql = std::make_unique<relay::SqlStorage>(options);
        r->storage = std::make_unique<RecordingStorage>(*r->sql);
        if (!r->storage->open())
            return nullptr;
        RelayServer::Settings settings;
        settings.port = 0;
        r->server = std::make_unique<RelayServer>(*r->storage, std::move(settings));
        if (!r->server->listen())
            return nullptr;
        return r;
    }
    std::unique_ptr<RelayTestClient> client(const Relay &r, const QString &name)
    {
        auto c = std::make_unique<RelayTestClient>();
        if (!c->open(r.server->url()) || c->hello(name).isEmpty())
            return nullptr;
        return c;
    }
    static QString reopened(RelayTestClient &c, const QString &doc, int *revision = nullptr)
    {
        Message::Close close;
        close.doc = doc;
        c.send(close);
        c.waitFor(QStringLiteral("closed"));
        const QJsonObject opened = c.openDocument(doc);
        if (revision)
            *revision = opened.value(QStringLiteral("revision")).toInt();
        return text(opened, "snapshot");
    }

private Q_SLOTS:
    void burstFromSeveralClientsCommitsInOrder();
    void queuedResendIsAcknowledgedOnce();
    void failedBatchIsNeitherAcknowledgedNorBroadcast();
};

void tst_GroupCommit::burstFromSeveralClientsCommitsInOrder()
{
    auto r = startRelay();
    QVERIFY(r);
    const QStringList docs{QStringLiteral("one"), QStringLiteral("two")};
    std::vector<std::unique_ptr<RelayTestClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(client(*r, QStringLiteral("c%1").arg(i)));
        QVERIFY(clients.back());
        for (const QString &doc : docs)
            QVERIFY(!clients.back()->openDocument(doc).isEmpty());
    }
    const qsizetype before = qsizetype(r->storage->transactions.size());

    // Everyone at once, without waiting: three inserts per client and document, all based on revision 0.
    constexpr int perClient = 3;
    for (auto &c : clients)
        for (const QString &doc : docs)
            for (int s = 1; s <= perClient; ++s)
                c->send(op(doc, 0, s, TextOperation::makeInsert(0, 0, c->connectionId.right(2) + QString::number(s))));

    const int total = int(clients.size()) * int(docs.size()) * perClient;
    for (auto &c : clients) {
        for (const QString &doc : docs) {
            for (int s = 1; s <= perClient; ++s) {
                const QJsonObject ack = c->waitFor(QStringLiteral("ack"), [&](const QJsonObject &o) {
                    return text(o, "doc") == doc && o.value(QStringLiteral("seq")).toInteger() == s;
                });
                QVERIFY2(!ack.isEmpty(), qPrintable(QStringLiteral("%1 seq %2").arg(doc).arg(s)));
                // Acknowledged at the revision it is stored at.
                const Log log = replay(*r->storage, doc);
                QCOMPARE(ack.value(QStringLiteral("rev")).toInt(), log.revisions.at({c->clientId, s}));
            }
        }
    }
    // Every operation stored once, revisions 1..N without a gap, in the transactions in revision order.
    for (const QString &doc : docs) {
        const Log log = replay(*r->storage, doc);
        QVERIFY(log.consecutive);
        QCOMPARE(log.last, int(clients.size()) * perClient);
        int previous = 0;
        for (auto t = r->storage->transactions.cbegin() + before; t != r->storage->transactions.cend(); ++t) {
            QVERIFY(t->committed);
            for (const auto &[d, revision] : t->appended) {
                if (d == doc) {
                    QCOMPARE(revision, previous + 1);
                    previous = revision;
                }
            }
        }
        QCOMPARE(previous, log.last);
        // Everybody converged on the stored text, each having seen the others' operations in revision order.
        for (auto &c : clients) {
            int expected = 0;
            for (const QJsonObject &o : std::as_const(c->received)) {
                if (text(o, "type") == u"op" && text(o, "doc") == doc) {
                    QVERIFY(o.value(QStringLiteral("rev")).toInt() > expected);
                    expected = o.value(QStringLiteral("rev")).toInt();
                }
            }
        }
        QCOMPARE(reopened(*clients.front(), doc), log.text);
    }
    QCOMPARE(r->storage->committedOperations(), total);
    // Grouped: fewer transactions than operations (each client's burst arrives in one read at least).
    const qsizetype transactions = qsizetype(r->storage->transactions.size()) - before;
    qInfo("%d operations in %lld transactions", total, qlonglong(transactions));
    QVERIFY2(transactions < total, qPrintable(QString::number(transactions)));
}

void tst_GroupCommit::queuedResendIsAcknowledgedOnce()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r, QStringLiteral("A"));
    auto b = client(*r, QStringLiteral("B"));
    QVERIFY(a && b);
    QVERIFY(!a->openDocument(QStringLiteral("doc")).isEmpty());
    QVERIFY(!b->openDocument(QStringLiteral("doc")).isEmpty());
    // The same operation twice in one pass: the second finds the first queued, not yet committed.
    const Message::Op once = op(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("once")));
    a->send(once);
    a->send(once);
    QVERIFY(QTest::qWaitFor([&] { return a->count(QStringLiteral("ack")) == 2; }, 5000));
    for (const QJsonObject &o : std::as_const(a->received))
        if (text(o, "type") == u"ack")
            QCOMPARE(o.value(QStringLiteral("rev")).toInt(), 1);
    QTest::qWait(50);
    QCOMPARE(b->count(QStringLiteral("op")), 1);
    QCOMPARE(int(r->storage->operations(QStringLiteral("doc"), 0, 100)->size()), 1);
    QCOMPARE(reopened(*b, QStringLiteral("doc")), QStringLiteral("once"));
}

void tst_GroupCommit::failedBatchIsNeitherAcknowledgedNorBroadcast()
{
    auto r = startRelay();
    QVERIFY(r);
    auto a = client(*r, QStringLiteral("A"));
    auto b = client(*r, QStringLiteral("B"));
    auto c = client(*r, QStringLiteral("C"));
    QVERIFY(a && b && c);
    const QString doc = QStringLiteral("doc");
    for (RelayTestClient *x : {a.get(), b.get(), c.get()})
        QVERIFY(!x->openDocument(doc).isEmpty());
    QCOMPARE(a->edit(doc, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("base"))), 1);
    QVERIFY(!c->waitFor(QStringLiteral("op")).isEmpty());
    c->received.clear();

    // A burst from A and B; the append of revision 3 — not the first of its transaction — fails.
    r->storage->failAppendOf = std::pair(doc, 3);
    const qsizetype before = qsizetype(r->storage->transactions.size());
    a->send(op(doc, 1, 2, TextOperation::makeInsert(4, 4, QStringLiteral("a"))));
    a->send(op(doc, 1, 3, TextOperation::makeInsert(4, 4, QStringLiteral("b"))));
    b->send(op(doc, 1, 1, TextOperation::makeInsert(4, 0, QStringLiteral("B"))));
    QVERIFY(QTest::qWaitFor([&] {
        return a->count(QStringLiteral("ack")) + a->count(QStringLiteral("error")) == 2
                && b->count(QStringLiteral("ack")) + b->count(QStringLiteral("error")) == 1;
    }, 5000));
    QTest::qWait(100);

    // The transaction that failed, and which revisions it held.
    std::set<int> failed;
    for (auto t = r->storage->transactions.cbegin() + before; t != r->storage->transactions.cend(); ++t)
        if (!t->committed)
            for (const auto &[d, revision] : t->appended)
                failed.insert(revision);
    QVERIFY(failed.count(3));
    QVERIFY2(failed.size() >= 2 && *failed.begin() < 3, "the failure was not in the middle of a batch");
    QTest::qWait(100); // anything that would (wrongly) still be sent

    // Nothing of the failed transaction (nor what followed it in the batch) was acknowledged or broadcast:
    // every ack and op refers to a stored revision, carrying the stored operation's author and sequence; the
    // senders of the others heard that nothing was applied.
    const Log stored = replay(*r->storage, doc);
    QVERIFY(stored.consecutive);
    int acked = 0;
    int refused = 0;
    for (RelayTestClient *x : {a.get(), b.get(), c.get()}) {
        for (const QJsonObject &o : std::as_const(x->received)) {
            const QString type = text(o, "type");
            if (type == u"ack" || type == u"op") {
                const QString author = type == u"ack" ? x->clientId : text(o, "author");
                const auto at = stored.revisions.find({author, o.value(QStringLiteral("seq")).toInteger()});
                QVERIFY2(at != stored.revisions.end() && at->second == o.value(QStringLiteral("rev")).toInt(),
                         qPrintable(QJsonDocument(o).toJson(QJsonDocument::Compact)));
                QVERIFY(!failed.count(at->second));
                acked += type == u"ack";
            } else if (type == u"error") {
                QCOMPARE(text(o, "code"), QStringLiteral("server-error"));
                ++refused;
            }
        }
    }
    QCOMPARE(acked + refused, 3);
    QVERIFY(refused >= int(failed.size()));

    // The relay's document is what storage holds, and editing continues from there without a gap.
    QCOMPARE(stored.last, 1 + acked);
    int revision = -1;
    QCOMPARE(reopened(*c, doc, &revision), stored.text);
    QCOMPARE(revision, stored.last);
    QCOMPARE(c->edit(doc, revision, 1, TextOperation::makeInsert(stored.text.size(), stored.text.size(),
                                                                  QStringLiteral("!"))), revision + 1);
    QVERIFY(replay(*r->storage, doc).consecutive);
    QCOMPARE(replay(*r->storage, doc).text, stored.text + u'!');
}

QTEST_GUILESS_MAIN(tst_GroupCommit)
#include "tst_groupcommit.moc"
