// SPDX-License-Identifier: MIT
// One storage conformance suite, run row by row against SqlStorage on SQLite (a temporary file) and on
// PostgreSQL (a throwaway cluster, testutil::PgCluster). What one backend accepts the other must too: the
// relay has a single code path for both.
//
// The PostgreSQL rows FAIL (they do not skip) when no PostgreSQL server is installed: CI installs Debian's
// postgresql through scripts/install-deps.sh, and a silently skipped backend is an untested backend.
#include "pgcluster.h"
#include "sqlstorage.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using relay::SqlStorage;
using relay::Storage;

class tst_StorageConformance : public QObject
{
    Q_OBJECT
public:
    enum class Backend { Sqlite, Postgres };

private Q_SLOTS:
    void cleanupTestCase();

    void catalogue_data() { backends(); }
    void catalogue();
    void appendAndRanges_data() { backends(); }
    void appendAndRanges();
    void authorsAndVersions_data() { backends(); }
    void authorsAndVersions();
    void duplicateRevisionRejected_data() { backends(); }
    void duplicateRevisionRejected();
    void transactionsAllOrNothing_data() { backends(); }
    void transactionsAllOrNothing();
    void racingConnectionsOneWinner_data() { backends(); }
    void racingConnectionsOneWinner();
    void clientSequences_data() { backends(); }
    void clientSequences();
    void snapshots_data() { backends(); }
    void snapshots();
    void deleteRemovesEverything_data() { backends(); }
    void deleteRemovesEverything();
    void persistsAcrossReopen_data() { backends(); }
    void persistsAcrossReopen();
    void unicodeRoundTrip_data() { backends(); }
    void unicodeRoundTrip();

private:
    void backends()
    {
        QTest::addColumn<Backend>("backend");
        QTest::newRow("sqlite") << Backend::Sqlite;
        QTest::newRow("postgresql") << Backend::Postgres;
    }

    // Options for a fresh, empty database of the current row's backend, or nullopt with *error set.
    std::optional<SqlStorage::Options> freshDatabase(Backend backend, QString *error);

    std::unique_ptr<testutil::PgCluster> m_cluster;
    std::optional<QString> m_clusterError;
    QTemporaryDir m_dir;
    int m_databases = 0;
};

Q_DECLARE_METATYPE(tst_StorageConformance::Backend)

std::optional<SqlStorage::Options> tst_StorageConformance::freshDatabase(Backend backend, QString *error)
{
    const int n = ++m_databases;
    SqlStorage::Options o;
    if (backend == Backend::Sqlite) {
        o.databaseName = m_dir.filePath(QStringLiteral("conformance-%1.sqlite").arg(n));
        o.synchronousFull = false;
        return o;
    }
    // One cluster for the whole run (~3 s to start), one database per test.
    if (!m_cluster && !m_clusterError) {
        m_cluster = std::make_unique<testutil::PgCluster>();
        QString why;
        if (!m_cluster->start(&why))
            m_clusterError = why;
    }
    if (m_clusterError) {
        *error = *m_clusterError;
        return std::nullopt;
    }
    const QString name = QStringLiteral("conformance_%1").arg(n);
    if (!m_cluster->createDatabase(name, error))
        return std::nullopt;
    o.driver = QStringLiteral("QPSQL");
    o.host = QStringLiteral("127.0.0.1");
    o.port = m_cluster->port();
    o.user = testutil::PgCluster::user();
    o.databaseName = name;
    return o;
}

void tst_StorageConformance::cleanupTestCase()
{
    m_cluster.reset();
}

#define OPEN_STORAGE(var)                                                                                            \
    QFETCH(Backend, backend);                                                                                        \
    QString setupError;                                                                                              \
    const std::optional<SqlStorage::Options> options = freshDatabase(backend, &setupError);                          \
    QVERIFY2(options, qPrintable(setupError));                                                                       \
    SqlStorage var(*options);                                                                                        \
    QVERIFY2(var.open(), qPrintable(var.lastError()))

namespace {
const QString D = QStringLiteral("doc");

Storage::OperationRecord op(int revision, const QString &client = QStringLiteral("alice"), qint64 seq = -1)
{
    return {revision, QByteArray("[") + QByteArray::number(revision) + "]", client, seq < 0 ? revision : seq, {}, {}, {}};
}
} // namespace

void tst_StorageConformance::catalogue()
{
    OPEN_STORAGE(s);
    QVERIFY(s.documents());
    QCOMPARE(int(s.documents()->size()), 0);
    QVERIFY(!s.document(QStringLiteral("a")));
    QVERIFY2(s.lastError().isEmpty(), qPrintable(s.lastError())); // absent, not an error

    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(s.createDocument(QStringLiteral("b"), QStringLiteral("Beta")));
    QVERIFY(s.createDocument(QStringLiteral("a"), QStringLiteral("Alpha")));
    QVERIFY(!s.createDocument(QStringLiteral("a"), QStringLiteral("Again"))); // id is the key
    QVERIFY(!s.lastError().isEmpty());
    QVERIFY(s.renameDocument(QStringLiteral("a"), QStringLiteral("Alpha 2")));
    QVERIFY(s.appendOperation(QStringLiteral("b"), op(1)));
    QVERIFY(s.appendOperation(QStringLiteral("b"), op(2)));

    const auto list = s.documents();
    QVERIFY2(list, qPrintable(s.lastError()));
    QCOMPARE(int(list->size()), 2);
    QCOMPARE(list->at(0).id, QStringLiteral("a")); // ordered by id
    QCOMPARE(list->at(0).name, QStringLiteral("Alpha 2"));
    QCOMPARE(list->at(0).revision, 0);
    QCOMPARE(list->at(1).id, QStringLiteral("b"));
    QCOMPARE(list->at(1).revision, 2);
    QVERIFY(list->at(1).created >= before - 1000);

    const auto b = s.document(QStringLiteral("b"));
    QVERIFY(b);
    QCOMPARE(b->name, QStringLiteral("Beta"));
    QCOMPARE(b->revision, 2);
    QCOMPARE(b->created, list->at(1).created);
}

// Operations keep their author and commit time; named versions are one per name, listed newest revision
// first, deleted by name, and go with their document.
void tst_StorageConformance::authorsAndVersions()
{
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(s.appendOperation(D, {1, QStringLiteral("[\"é\"]"), QStringLiteral("c1"), 1, QStringLiteral("ada"),
                                  QStringLiteral("Ada Lovelace"), QStringLiteral("#3366cc")}));
    const auto ops = s.operations(D, 0, 1);
    QVERIFY2(ops, qPrintable(s.lastError()));
    QCOMPARE(ops->at(0).user, QStringLiteral("ada"));
    QCOMPARE(ops->at(0).name, QStringLiteral("Ada Lovelace"));
    QCOMPARE(ops->at(0).color, QStringLiteral("#3366cc"));
    QVERIFY(ops->at(0).created >= before - 1000);

    QVERIFY2(s.addVersion(D, {QStringLiteral("First"), 1, QStringLiteral("ada"), 0}), qPrintable(s.lastError()));
    QVERIFY(s.addVersion(D, {QStringLiteral("Draft é"), 3, QStringLiteral("bob"), 0}));
    QVERIFY(!s.addVersion(D, {QStringLiteral("First"), 2, QStringLiteral("bob"), 0}));
    QVERIFY(s.lastError().isEmpty()); // taken, not an error
    const auto versions = s.versions(D);
    QVERIFY(versions);
    QCOMPARE(int(versions->size()), 2);
    QCOMPARE(versions->at(0).name, QStringLiteral("Draft é"));
    QCOMPARE(versions->at(0).revision, 3);
    QCOMPARE(versions->at(1).user, QStringLiteral("ada"));
    QVERIFY(versions->at(1).created >= before - 1000);
    QVERIFY(!s.removeVersion(D, QStringLiteral("Nothing")));
    QVERIFY(s.lastError().isEmpty());
    QVERIFY(s.removeVersion(D, QStringLiteral("First")));
    QCOMPARE(int(s.versions(D)->size()), 1);
    QVERIFY(s.deleteDocument(D));
    QCOMPARE(int(s.versions(D)->size()), 0);
}

void tst_StorageConformance::appendAndRanges()
{
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    QVERIFY(s.createDocument(QStringLiteral("other"), D));
    for (int r = 1; r <= 20; ++r)
        QVERIFY2(s.appendOperation(D, op(r)), qPrintable(s.lastError()));
    QVERIFY(s.appendOperation(QStringLiteral("other"), op(1, QStringLiteral("bob"))));

    const auto all = s.operations(D, 0, INT_MAX);
    QVERIFY(all);
    QCOMPARE(int(all->size()), 20);
    for (int i = 0; i < 20; ++i) {
        QCOMPARE(all->at(i).revision, i + 1);
        QCOMPARE(all->at(i).operation, op(i + 1).operation);
        QCOMPARE(all->at(i).clientId, QStringLiteral("alice"));
        QCOMPARE(all->at(i).sequence, qint64(i + 1));
    }
    const auto middle = s.operations(D, 5, 9); // (5, 9]
    QVERIFY(middle);
    QCOMPARE(int(middle->size()), 4);
    QCOMPARE(middle->front().revision, 6);
    QCOMPARE(middle->back().revision, 9);
    QCOMPARE(int(s.operations(D, 20, INT_MAX)->size()), 0);
    QCOMPARE(int(s.operations(D, 7, 7)->size()), 0);
    QCOMPARE(int(s.operations(QStringLiteral("nothing"), 0, INT_MAX)->size()), 0);
    QCOMPARE(s.document(D)->revision, 20);
    QCOMPARE(s.document(QStringLiteral("other"))->revision, 1);

    // 64-bit sequence numbers survive.
    const qint64 big = (qint64(1) << 40) + 7;
    QVERIFY(s.appendOperation(D, op(21, QStringLiteral("carol"), big)));
    QCOMPARE(s.operations(D, 20, 21)->front().sequence, big);
}

void tst_StorageConformance::duplicateRevisionRejected()
{
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    QVERIFY(s.appendOperation(D, op(1)));
    QVERIFY(s.appendOperation(D, op(2)));
    QVERIFY(!s.appendOperation(D, {2, "[\"intruder\"]", QStringLiteral("bob"), 1, {}, {}, {}}));
    QVERIFY(!s.lastError().isEmpty());
    // The storage stays usable after the failure (PostgreSQL aborts only that statement's transaction).
    QVERIFY2(s.appendOperation(D, op(3)), qPrintable(s.lastError()));
    const auto all = s.operations(D, 0, INT_MAX);
    QCOMPARE(int(all->size()), 3);
    QCOMPARE(all->at(1).operation, op(2).operation);
    QCOMPARE(all->at(1).clientId, QStringLiteral("alice"));
}

// Group commit: a transaction commits all its appends or none; a failed append (a lost race) makes the caller
// roll back, after which nothing of the transaction is stored and the storage is usable (and, on SQLite as on
// PostgreSQL, still connected: a constraint violation is not a lost connection).
void tst_StorageConformance::transactionsAllOrNothing()
{
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    QVERIFY(s.appendOperation(D, op(1)));
    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(2)));
    QVERIFY(s.appendOperation(D, op(3)));
    QVERIFY2(s.commitTransaction(), qPrintable(s.lastError()));
    QCOMPARE(s.document(D)->revision, 3);

    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(4)));
    QVERIFY(!s.appendOperation(D, op(3))); // taken
    QVERIFY(!s.lastError().isEmpty());
    QVERIFY(s.rollbackTransaction());
    QCOMPARE(s.document(D)->revision, 3);
    QCOMPARE(int(s.operations(D, 0, INT_MAX)->size()), 3);

    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(4)));
    QVERIFY(s.rollbackTransaction()); // rolled back on purpose
    QCOMPARE(s.document(D)->revision, 3);

    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(4)));
    QVERIFY(s.commitTransaction());
    QCOMPARE(int(s.operations(D, 0, INT_MAX)->size()), 4);
    QVERIFY(s.isConnected());
    QCOMPARE(s.reconnectAttempts(), 0);
}

// Two connections (two relays) on one database, each trying to commit the same next revisions: exactly one
// commit per revision succeeds, whatever the order.
void tst_StorageConformance::racingConnectionsOneWinner()
{
    OPEN_STORAGE(first);
    SqlStorage second(*options);
    QVERIFY2(second.open(), qPrintable(second.lastError()));
    QVERIFY(first.createDocument(D, D));
    QVERIFY(!second.createDocument(D, D));
    int wins[2] = {0, 0};
    for (int r = 1; r <= 30; ++r) {
        SqlStorage &a = r % 2 ? first : second;
        SqlStorage &b = r % 2 ? second : first;
        const bool wonA = a.appendOperation(D, op(r, QStringLiteral("a")));
        const bool wonB = b.appendOperation(D, op(r, QStringLiteral("b")));
        QVERIFY(wonA);
        QVERIFY(!wonB);
        ++wins[r % 2];
    }
    QCOMPARE(wins[0] + wins[1], 30);
    const auto seenBySecond = second.operations(D, 0, INT_MAX);
    QCOMPARE(int(seenBySecond->size()), 30);
    QCOMPARE(second.document(D)->revision, 30);
    for (const auto &r : *seenBySecond)
        QCOMPARE(r.clientId, QStringLiteral("a"));
}

void tst_StorageConformance::clientSequences()
{
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    // alice: seq 1..5 at odd revisions; bob: seq 10..14 at even revisions.
    for (int i = 0; i < 5; ++i) {
        QVERIFY(s.appendOperation(D, op(2 * i + 1, QStringLiteral("alice"), i + 1)));
        QVERIFY(s.appendOperation(D, op(2 * i + 2, QStringLiteral("bob"), i + 10)));
    }
    const auto alice = s.lastApplied(D, QStringLiteral("alice"));
    QVERIFY(alice);
    QCOMPARE(alice->sequence, qint64(5));
    QCOMPARE(alice->revision, 9);
    QCOMPARE(s.lastApplied(D, QStringLiteral("bob"))->sequence, qint64(14));
    QCOMPARE(s.lastApplied(D, QStringLiteral("bob"))->revision, 10);
    QVERIFY(!s.lastApplied(D, QStringLiteral("nobody")));
    QVERIFY(s.lastError().isEmpty());
    QVERIFY(!s.lastApplied(QStringLiteral("elsewhere"), QStringLiteral("alice")));

    QCOMPARE(s.revisionOf(D, QStringLiteral("alice"), 3), std::optional<int>(5));
    QCOMPARE(s.revisionOf(D, QStringLiteral("bob"), 10), std::optional<int>(2));
    QVERIFY(!s.revisionOf(D, QStringLiteral("bob"), 3));
    QVERIFY(s.lastError().isEmpty());
    QVERIFY(!s.revisionOf(D, QStringLiteral("carol"), 1));
}

void tst_StorageConformance::snapshots()
{
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    QVERIFY(!s.latestSnapshot(D));
    QVERIFY(s.lastError().isEmpty());
    QVERIFY(s.saveSnapshot(D, 10, QStringLiteral("ten")));
    QVERIFY(s.saveSnapshot(D, 30, QStringLiteral("thirty")));
    QVERIFY(s.saveSnapshot(D, 20, QStringLiteral("twenty"))); // out of order is fine
    QVERIFY(!s.saveSnapshot(D, 20, QStringLiteral("again"))); // one per revision

    QCOMPARE(s.latestSnapshot(D)->revision, 30);
    QCOMPARE(s.latestSnapshot(D)->text, QStringLiteral("thirty"));
    QCOMPARE(s.latestSnapshot(D, -1)->revision, 30);
    QCOMPARE(s.latestSnapshot(D, 29)->revision, 20);
    QCOMPARE(s.latestSnapshot(D, 29)->text, QStringLiteral("twenty"));
    QCOMPARE(s.latestSnapshot(D, 20)->revision, 20);
    QCOMPARE(s.latestSnapshot(D, 10)->text, QStringLiteral("ten"));
    QVERIFY(!s.latestSnapshot(D, 9));
    QVERIFY(s.lastError().isEmpty());
    QVERIFY(!s.latestSnapshot(QStringLiteral("other")));

    // A large text (2 MiB) round-trips unchanged.
    QString big;
    big.reserve(2 * 1024 * 1024);
    for (int i = 0; big.size() < 2 * 1024 * 1024; ++i)
        big += QStringLiteral("line %1 — ünïcödé\n").arg(i);
    QVERIFY(s.saveSnapshot(D, 40, big));
    QCOMPARE(s.latestSnapshot(D)->text, big);
}

void tst_StorageConformance::deleteRemovesEverything()
{
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    QVERIFY(s.createDocument(QStringLiteral("keep"), D));
    for (int r = 1; r <= 3; ++r) {
        QVERIFY(s.appendOperation(D, op(r)));
        QVERIFY(s.appendOperation(QStringLiteral("keep"), op(r)));
    }
    QVERIFY(s.saveSnapshot(D, 2, QStringLiteral("xx")));
    QVERIFY(s.deleteDocument(D));
    QVERIFY(!s.document(D));
    QVERIFY(s.lastError().isEmpty());
    QCOMPARE(int(s.operations(D, 0, INT_MAX)->size()), 0);
    QVERIFY(!s.latestSnapshot(D));
    QVERIFY(!s.lastApplied(D, QStringLiteral("alice")));
    QCOMPARE(int(s.operations(QStringLiteral("keep"), 0, INT_MAX)->size()), 3);
    // The id can be used again, from revision 1.
    QVERIFY(s.createDocument(D, QStringLiteral("reborn")));
    QVERIFY(s.appendOperation(D, op(1)));
    QCOMPARE(s.document(D)->revision, 1);
}

void tst_StorageConformance::persistsAcrossReopen()
{
    QFETCH(Backend, backend);
    QString setupError;
    const std::optional<SqlStorage::Options> options = freshDatabase(backend, &setupError);
    QVERIFY2(options, qPrintable(setupError));
    {
        SqlStorage s(*options);
        QVERIFY2(s.open(), qPrintable(s.lastError()));
        QVERIFY(s.createDocument(D, QStringLiteral("Persistent")));
        for (int r = 1; r <= 5; ++r)
            QVERIFY(s.appendOperation(D, op(r)));
        QVERIFY(s.saveSnapshot(D, 4, QStringLiteral("four")));
    }
    SqlStorage again(*options);
    QVERIFY2(again.open(), qPrintable(again.lastError())); // schema creation is idempotent
    QCOMPARE(again.document(D)->name, QStringLiteral("Persistent"));
    QCOMPARE(again.document(D)->revision, 5);
    QCOMPARE(int(again.operations(D, 0, INT_MAX)->size()), 5);
    QCOMPARE(again.latestSnapshot(D)->text, QStringLiteral("four"));
    QCOMPARE(again.lastApplied(D, QStringLiteral("alice"))->revision, 5);
    QVERIFY(!again.appendOperation(D, op(5)));
    QVERIFY(again.appendOperation(D, op(6)));
}

void tst_StorageConformance::unicodeRoundTrip()
{
    OPEN_STORAGE(s);
    // Astral characters (surrogate pairs in UTF-16), combining marks, right-to-left, CJK, NUL-free controls.
    const QString name = QStringLiteral("Notes \u00e9\u0301 \u05e9\u05dc\u05d5\u05dd \u4f60\u597d \U0001F600\U0001F469\u200D\U0001F4BB");
    const QString text = QStringLiteral("caf\u00e9 \U0001F600\n\tna\u00efve \U0001D11E \u2603 \U0001F1EB\U0001F1F7");
    const QString client = QStringLiteral("cl\u00efent-\U0001F680");
    // The operation as the relay stores it: ot.js JSON array text, UTF-8, both raw and \u-escaped forms.
    const QByteArray operation = QStringLiteral("[3,\"\U0001F600 caf\u00e9\",-2,\"\\ud83d\\ude00\"]").toUtf8();

    QVERIFY(s.createDocument(D, name));
    QVERIFY(s.appendOperation(D, {1, operation, client, 1, {}, {}, {}}));
    QVERIFY(s.saveSnapshot(D, 1, text));

    QCOMPARE(s.document(D)->name, name);
    QCOMPARE(s.documents()->front().name, name);
    const auto ops = s.operations(D, 0, 1);
    QCOMPARE(int(ops->size()), 1);
    QCOMPARE(ops->front().operation, operation);
    QCOMPARE(ops->front().clientId, client);
    QCOMPARE(s.latestSnapshot(D)->text, text);
    QCOMPARE(s.latestSnapshot(D)->text.size(), text.size()); // same UTF-16 length: no pair was split or merged
    QCOMPARE(s.lastApplied(D, client)->revision, 1);
    QCOMPARE(s.revisionOf(D, client, 1), std::optional<int>(1));
}

QTEST_GUILESS_MAIN(tst_StorageConformance)
#include "tst_storageconformance.moc"
