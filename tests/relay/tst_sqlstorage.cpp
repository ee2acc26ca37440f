// SPDX-License-Identifier: MIT
// SqlStorage on SQLite: schema, documents, operations, snapshots, durability settings, persistence.
#include "sqlstorage.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using relay::SqlStorage;
using relay::Storage;

class tst_SqlStorage : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void documents();
    void operationsAndSnapshots();
    void revisionsAreUnique();
    void persistsAcrossReopen();
    void walAndFullSync();
    void unopenableDatabaseFails();
};

namespace {
SqlStorage::Options optionsFor(const QTemporaryDir &dir)
{
    SqlStorage::Options o;
    o.databaseName = dir.filePath(QStringLiteral("relay.sqlite"));
    return o;
}
} // namespace

void tst_SqlStorage::documents()
{
    QTemporaryDir dir;
    SqlStorage s(optionsFor(dir));
    QVERIFY(s.open());
    QVERIFY(!s.document(QStringLiteral("a")));
    QVERIFY(s.lastError().isEmpty());
    QVERIFY(s.createDocument(QStringLiteral("a"), QStringLiteral("Alpha")));
    QVERIFY(s.createDocument(QStringLiteral("b"), QStringLiteral("Beta")));
    QVERIFY(!s.createDocument(QStringLiteral("a"), QStringLiteral("again")));
    QVERIFY(s.renameDocument(QStringLiteral("a"), QStringLiteral("Alpha 2")));
    const auto list = s.documents();
    QVERIFY(list);
    QCOMPARE(int(list->size()), 2);
    QCOMPARE(list->at(0).name, QStringLiteral("Alpha 2"));
    QVERIFY(s.appendOperation(QStringLiteral("b"), {1, R"(["x"])", QStringLiteral("c"), 1, {}, {}, {}}));
    QVERIFY(s.saveSnapshot(QStringLiteral("b"), 1, QStringLiteral("x")));
    QCOMPARE(s.document(QStringLiteral("b"))->revision, 1);
    QVERIFY(s.deleteDocument(QStringLiteral("b")));
    QVERIFY(!s.document(QStringLiteral("b")));
    QCOMPARE(int(s.operations(QStringLiteral("b"), 0, 100)->size()), 0);
    QVERIFY(!s.latestSnapshot(QStringLiteral("b")));
}

void tst_SqlStorage::operationsAndSnapshots()
{
    QTemporaryDir dir;
    SqlStorage s(optionsFor(dir));
    QVERIFY(s.open());
    QVERIFY(s.createDocument(QStringLiteral("d"), QStringLiteral("d")));
    for (int i = 1; i <= 10; ++i)
        QVERIFY(s.appendOperation(QStringLiteral("d"), {i, QByteArray::number(i), i % 2 ? QStringLiteral("odd") : QStringLiteral("even"), (i + 1) / 2, {}, {}, {}}));
    const auto range = s.operations(QStringLiteral("d"), 3, 6);
    QVERIFY(range);
    QCOMPARE(int(range->size()), 3);
    QCOMPARE(range->front().revision, 4);
    QCOMPARE(range->back().operation, QByteArray("6"));
    QCOMPARE(s.lastApplied(QStringLiteral("d"), QStringLiteral("odd"))->sequence, 5);
    QCOMPARE(s.lastApplied(QStringLiteral("d"), QStringLiteral("odd"))->revision, 9);
    QCOMPARE(*s.revisionOf(QStringLiteral("d"), QStringLiteral("even"), 2), 4);
    QVERIFY(!s.revisionOf(QStringLiteral("d"), QStringLiteral("even"), 99));
    QVERIFY(!s.lastApplied(QStringLiteral("d"), QStringLiteral("nobody")));

    QVERIFY(s.saveSnapshot(QStringLiteral("d"), 4, QStringLiteral("four")));
    QVERIFY(s.saveSnapshot(QStringLiteral("d"), 8, QStringLiteral("eight")));
    QCOMPARE(s.latestSnapshot(QStringLiteral("d"))->text, QStringLiteral("eight"));
    QCOMPARE(s.latestSnapshot(QStringLiteral("d"), 7)->revision, 4);
    QVERIFY(!s.latestSnapshot(QStringLiteral("d"), 3));
}

void tst_SqlStorage::revisionsAreUnique()
{
    QTemporaryDir dir;
    SqlStorage s(optionsFor(dir));
    QVERIFY(s.open());
    QVERIFY(s.createDocument(QStringLiteral("d"), QStringLiteral("d")));
    QVERIFY(s.appendOperation(QStringLiteral("d"), {1, "[1]", QStringLiteral("a"), 1, {}, {}, {}}));
    QVERIFY(!s.appendOperation(QStringLiteral("d"), {1, "[2]", QStringLiteral("b"), 1, {}, {}, {}}));
    QVERIFY(!s.lastError().isEmpty());
    QCOMPARE(s.operations(QStringLiteral("d"), 0, 10)->front().operation, QByteArray("[1]"));
}

void tst_SqlStorage::persistsAcrossReopen()
{
    QTemporaryDir dir;
    {
        SqlStorage s(optionsFor(dir));
        QVERIFY(s.open());
        QVERIFY(s.createDocument(QStringLiteral("d"), QStringLiteral("Doc \u00e9")));
        QVERIFY(s.appendOperation(QStringLiteral("d"), {1, R"(["\u00e9\ud83d\ude00"])", QStringLiteral("a"), 1, {}, {}, {}}));
        QVERIFY(s.saveSnapshot(QStringLiteral("d"), 1, QStringLiteral("\u00e9\U0001F600")));
    }
    SqlStorage again(optionsFor(dir));
    QVERIFY(again.open());
    QCOMPARE(again.document(QStringLiteral("d"))->name, QStringLiteral("Doc \u00e9"));
    QCOMPARE(again.latestSnapshot(QStringLiteral("d"))->text, QStringLiteral("\u00e9\U0001F600"));
    QCOMPARE(again.operations(QStringLiteral("d"), 0, 1)->front().operation, QByteArray(R"(["\u00e9\ud83d\ude00"])"));
}

void tst_SqlStorage::walAndFullSync()
{
    QTemporaryDir dir;
    SqlStorage s(optionsFor(dir));
    QVERIFY(s.open());
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("probe"));
    db.setDatabaseName(dir.filePath(QStringLiteral("relay.sqlite")));
    QVERIFY(db.open());
    {
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("probe"));
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("relay.sqlite-wal"))));
}

void tst_SqlStorage::unopenableDatabaseFails()
{
    SqlStorage::Options o;
    o.databaseName = QStringLiteral("/nonexistent-dir/for/sure/relay.sqlite");
    SqlStorage s(o);
    QVERIFY(!s.open());
    QVERIFY(!s.lastError().isEmpty());
}

QTEST_GUILESS_MAIN(tst_SqlStorage)
#include "tst_sqlstorage.moc"
