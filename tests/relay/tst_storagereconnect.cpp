// SPDX-License-Identifier: MIT
// SqlStorage rides out a lost database connection: a backend killed with pg_terminate_backend, a PostgreSQL
// stopped (pg_ctl stop -m fast / immediate) and started again on the same port and data directory. Storage
// level first (what each call returns, that a lost transaction is never reported committed, that a down
// database is not hammered), then a relay over real sockets on 127.0.0.1 (edits during the outage are refused,
// never acknowledged; after the restart they are, and each acknowledged edit is in the log exactly once).
//
// What QPSQL (Qt 6.4, libpq 15) reports, seen here: a killed or shut-down backend fails the next statement
// with a StatementError ("FATAL: terminating connection due to administrator command / server closed the
// connection unexpectedly", SQLSTATE 57P01 from exec, none from prepare), a failed COMMIT with a
// TransactionError, a reconnect while the server is down with a ConnectionError ("Connection refused"); after
// any of them the driver's isOpen() is false.
//
// Without PostgreSQL server binaries these tests FAIL, they do not skip (CI installs postgresql).
#include "pgcluster.h"
#include "relayserver.h"
#include "relaytestclient.h"
#include "sqlstorage.h"
#include "textoperation.h"

#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <map>
#include <optional>
#include <set>

using relay::SqlStorage;
using relay::Storage;
using namespace collab;

namespace {

const QString D = QStringLiteral("doc");

Storage::OperationRecord op(int revision)
{
    return {revision, QByteArray("[") + QByteArray::number(revision) + "]", QStringLiteral("alice"), revision, {}, {}, {}};
}

// The revisions stored for D: must be exactly 1..n, each once, each with its own content.
bool logIsExactly(SqlStorage &s, int n)
{
    const auto ops = s.operations(D, 0, INT_MAX);
    if (!ops || int(ops->size()) != n) {
        qWarning() << "expected" << n << "operations, got" << (ops ? int(ops->size()) : -1) << s.lastError();
        return false;
    }
    for (int i = 0; i < n; ++i) {
        if (ops->at(i).revision != i + 1 || ops->at(i).operation != op(i + 1).operation) {
            qWarning() << "operation" << i << "is revision" << ops->at(i).revision << ops->at(i).operation;
            return false;
        }
    }
    return true;
}

} // namespace

namespace {

// The status code of GET /healthz on the relay's own port (0 if there is no answer). The relay runs in this
// thread: wait with the event loop running, never with the blocking waitFor* calls.
int healthStatus(const QUrl &relay)
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(relay.port()));
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 3000))
        return 0;
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray reply;
    if (!QTest::qWaitFor([&] {
            reply += socket.readAll();
            return reply.contains("\r\n");
        }, 3000))
        return 0;
    const QList<QByteArray> statusLine = reply.left(reply.indexOf("\r\n")).split(' ');
    return statusLine.size() >= 2 ? statusLine.at(1).toInt() : 0;
}

} // namespace

class tst_StorageReconnect : public QObject
{
    Q_OBJECT
public:
    using Call = std::function<bool(SqlStorage &)>;

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanupTestCase();

    void backendKilledWhileIdle_data();
    void backendKilledWhileIdle();
    void backendKilledInsideTransaction_data();
    void backendKilledInsideTransaction();
    void databaseRestart_data();
    void databaseRestart();
    void sqliteFailuresAreNotConnectionLosses();

    void relayRidesOutKilledBackend();
    void relayRidesOutDatabaseRestart();

private:
    std::optional<SqlStorage::Options> freshDatabase(QString *error);
    // The first column of the first row of `sql`, run on a new connection to the maintenance database;
    // invalid on failure.
    QVariant adminScalar(const QString &sql, const QVariantList &values = {});
    // pg_terminate_backend every connection to `database`, and wait until they are gone (a terminated backend
    // says goodbye and exits asynchronously).
    bool killConnections(const QString &database);
    std::unique_ptr<relay::RelayServer> startRelay(SqlStorage &storage);

    testutil::PgCluster m_cluster;
    int m_databases = 0;
};

Q_DECLARE_METATYPE(tst_StorageReconnect::Call)

void tst_StorageReconnect::initTestCase()
{
    QString error;
    QVERIFY2(m_cluster.start(&error), qPrintable(error));
}

void tst_StorageReconnect::init()
{
    // A failed restart test must not take the following tests down with it.
    QString error;
    if (!m_cluster.isRunning())
        QVERIFY2(m_cluster.startServer(&error), qPrintable(error));
}

void tst_StorageReconnect::cleanupTestCase()
{
    m_cluster.stop();
}

QVariant tst_StorageReconnect::adminScalar(const QString &sql, const QVariantList &values)
{
    QVariant result;
    {
        QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("admin"));
        admin.setHostName(QStringLiteral("127.0.0.1"));
        admin.setPort(m_cluster.port());
        admin.setUserName(testutil::PgCluster::user());
        admin.setDatabaseName(testutil::PgCluster::database());
        if (admin.open()) {
            QSqlQuery q(admin);
            q.prepare(sql);
            for (const QVariant &v : values)
                q.addBindValue(v);
            if (q.exec() && q.next())
                result = q.value(0);
            else
                qWarning().noquote() << sql << q.lastError().text();
        } else {
            qWarning().noquote() << admin.lastError().text();
        }
        admin.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("admin"));
    return result;
}

bool tst_StorageReconnect::killConnections(const QString &database)
{
    const QVariant killed = adminScalar(QStringLiteral("SELECT COUNT(*) FILTER (WHERE k) FROM (SELECT"
                                                       " pg_terminate_backend(pid) AS k FROM pg_stat_activity"
                                                       " WHERE datname = ?) t"),
                                        {database});
    if (killed.toInt() < 1) {
        qWarning() << "no connection to" << database << "was terminated";
        return false;
    }
    return QTest::qWaitFor([&] {
        return adminScalar(QStringLiteral("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = ?"), {database})
                       .toInt() == 0;
    }, 5000);
}

std::optional<SqlStorage::Options> tst_StorageReconnect::freshDatabase(QString *error)
{
    const QString name = QStringLiteral("reconnect_%1").arg(++m_databases);
    if (!adminScalar(QStringLiteral("SELECT 1")).isValid()) {
        *error = QStringLiteral("cannot reach the test cluster");
        return std::nullopt;
    }
    if (!m_cluster.createDatabase(name, error))
        return std::nullopt;
    SqlStorage::Options o;
    o.driver = QStringLiteral("QPSQL");
    o.host = QStringLiteral("127.0.0.1");
    o.port = m_cluster.port();
    o.user = testutil::PgCluster::user();
    o.databaseName = name;
    return o;
}

#define OPEN_STORAGE(var)                                                                                            \
    QString setupError;                                                                                              \
    const std::optional<SqlStorage::Options> options = freshDatabase(&setupError);                                   \
    QVERIFY2(options, qPrintable(setupError));                                                                       \
    SqlStorage var(*options);                                                                                        \
    QVERIFY2(var.open(), qPrintable(var.lastError()))

// The connection died while the storage was idle: the next call finds it dead before anything ran, so
// whatever it is — a read, a write outside a transaction, a whole transaction — it reconnects once and
// succeeds. Nothing committed before is lost.
void tst_StorageReconnect::backendKilledWhileIdle_data()
{
    QTest::addColumn<Call>("call");
    QTest::addColumn<int>("revisionsAfter");
    QTest::newRow("append") << Call([](SqlStorage &s) { return s.appendOperation(D, op(6)); }) << 6;
    QTest::newRow("operations") << Call([](SqlStorage &s) {
        const auto ops = s.operations(D, 2, INT_MAX);
        return ops && ops->size() == 3 && ops->front().revision == 3;
    }) << 5;
    QTest::newRow("document") << Call([](SqlStorage &s) {
        const auto d = s.document(D);
        return d && d->revision == 5;
    }) << 5;
    QTest::newRow("documents") << Call([](SqlStorage &s) {
        const auto list = s.documents();
        return list && list->size() == 1;
    }) << 5;
    QTest::newRow("lastApplied") << Call([](SqlStorage &s) {
        const auto applied = s.lastApplied(D, QStringLiteral("alice"));
        return applied && applied->revision == 5;
    }) << 5;
    QTest::newRow("latestSnapshot") << Call([](SqlStorage &s) {
        const auto snapshot = s.latestSnapshot(D);
        return snapshot && snapshot->revision == 4;
    }) << 5;
    QTest::newRow("saveSnapshot") << Call([](SqlStorage &s) { return s.saveSnapshot(D, 5, QStringLiteral("five")); })
                                  << 5;
    QTest::newRow("createDocument") << Call([](SqlStorage &s) {
        return s.createDocument(QStringLiteral("other"), QStringLiteral("Other"));
    }) << 5;
    QTest::newRow("transaction") << Call([](SqlStorage &s) {
        return s.beginTransaction() && s.appendOperation(D, op(6)) && s.appendOperation(D, op(7))
                && s.commitTransaction();
    }) << 7;
}

void tst_StorageReconnect::backendKilledWhileIdle()
{
    QFETCH(Call, call);
    QFETCH(int, revisionsAfter);
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    for (int r = 1; r <= 5; ++r)
        QVERIFY2(s.appendOperation(D, op(r)), qPrintable(s.lastError()));
    QVERIFY(s.saveSnapshot(D, 4, QStringLiteral("four")));

    QVERIFY(killConnections(options->databaseName));
    QVERIFY2(call(s), qPrintable(s.lastError()));
    QVERIFY(s.isConnected());
    QCOMPARE(s.reconnectAttempts(), 1);
    QVERIFY(logIsExactly(s, revisionsAfter));
    QVERIFY2(s.appendOperation(D, op(revisionsAfter + 1)), qPrintable(s.lastError()));
    QCOMPARE(s.reconnectAttempts(), 1);
}

// The connection dies inside a transaction: the transaction is lost and reported so — its later appends and
// its commit fail, without reconnecting (the rest of the batch must not commit alone) — and rollback succeeds.
// Nothing of it is stored; the next transaction commits on a new connection.
void tst_StorageReconnect::backendKilledInsideTransaction_data()
{
    QTest::addColumn<bool>("killBeforeCommit"); // else before the second append
    QTest::newRow("before an append") << false;
    QTest::newRow("before commit") << true;
}

void tst_StorageReconnect::backendKilledInsideTransaction()
{
    QFETCH(bool, killBeforeCommit);
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    for (int r = 1; r <= 5; ++r)
        QVERIFY(s.appendOperation(D, op(r)));

    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(6)));
    if (killBeforeCommit) {
        QVERIFY(s.appendOperation(D, op(7)));
        QVERIFY(killConnections(options->databaseName));
    } else {
        QVERIFY(killConnections(options->databaseName));
        QVERIFY(!s.appendOperation(D, op(7)));
        QVERIFY2(s.lastError().contains(QStringLiteral("connection lost")), qPrintable(s.lastError()));
        QVERIFY(!s.appendOperation(D, op(8))); // still the lost transaction: no reconnect in the middle of it
        QVERIFY2(s.lastError().contains(QStringLiteral("transaction was lost")), qPrintable(s.lastError()));
    }
    QVERIFY(!s.commitTransaction());
    qInfo().noquote() << "commit after the kill:" << s.lastError();
    QVERIFY(!s.lastError().isEmpty());
    QVERIFY(!s.isConnected());
    QCOMPARE(s.reconnectAttempts(), 0);
    QVERIFY(s.rollbackTransaction());

    QVERIFY(logIsExactly(s, 5));
    QCOMPARE(s.reconnectAttempts(), 1);
    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(6)));
    QVERIFY(s.appendOperation(D, op(7)));
    QVERIFY2(s.commitTransaction(), qPrintable(s.lastError()));
    QVERIFY(logIsExactly(s, 7));
}

// PostgreSQL stops, then starts again on the same port and data directory. While it is down, calls fail fast
// with an error that says so, and reconnect attempts are spaced out; a transaction that was open is reported
// failed. Once it is back, calls succeed within one backoff, and the data committed before is all there.
void tst_StorageReconnect::databaseRestart_data()
{
    QTest::addColumn<QString>("mode");
    QTest::newRow("fast") << QStringLiteral("fast");
    QTest::newRow("immediate") << QStringLiteral("immediate");
}

void tst_StorageReconnect::databaseRestart()
{
    QFETCH(QString, mode);
    OPEN_STORAGE(s);
    QVERIFY(s.createDocument(D, D));
    for (int r = 1; r <= 5; ++r)
        QVERIFY(s.appendOperation(D, op(r)));
    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(6)));

    QString error;
    QVERIFY2(m_cluster.stopServer(mode, &error), qPrintable(error));
    QVERIFY(!s.commitTransaction()); // never "committed" on a dead connection
    qInfo().noquote() << "commit while stopped (" << mode << "):" << s.lastError();
    QVERIFY(s.rollbackTransaction());

    // Down: every call fails, each fast; the first reconnect is immediate, later ones wait 0.5, 1, 2 s.
    QElapsedTimer down;
    down.start();
    int calls = 0;
    qint64 slowest = 0;
    while (down.elapsed() < 2000) {
        QElapsedTimer call;
        call.start();
        QVERIFY(!s.appendOperation(D, op(6)));
        QVERIFY(!s.operations(D, 0, INT_MAX));
        slowest = std::max(slowest, call.elapsed());
        ++calls;
        QTest::qWait(5);
    }
    qInfo().noquote() << "while stopped:" << s.lastError();
    QVERIFY2(s.lastError().contains(QStringLiteral("database unavailable")), qPrintable(s.lastError()));
    QVERIFY(!s.isConnected());
    QVERIFY2(slowest < 500, qPrintable(QStringLiteral("a call took %1 ms").arg(slowest)));
    QVERIFY(calls > 50);
    // At most one attempt per backoff: at 0, 0.5, 1.5 s (and 3.5 s), whatever the number of calls.
    QVERIFY2(s.reconnectAttempts() >= 2 && s.reconnectAttempts() <= 4,
             qPrintable(QStringLiteral("%1 reconnect attempts in 2 s").arg(s.reconnectAttempts())));

    QVERIFY2(m_cluster.startServer(&error), qPrintable(error));
    QElapsedTimer up;
    up.start();
    // Back within one backoff (at most reconnectBackoffMax, 4 s) of the restart.
    QVERIFY2(QTest::qWaitFor([&] { return s.document(D).has_value(); }, 10000), qPrintable(s.lastError()));
    qInfo("storage usable again %lld ms after the restart (%d reconnect attempts in all)", up.elapsed(),
          s.reconnectAttempts());
    QVERIFY(up.elapsed() < 4000 + 2000);
    QVERIFY(s.isConnected());
    QVERIFY(logIsExactly(s, 5)); // neither the failed transaction nor the refused appends were stored
    QVERIFY2(s.appendOperation(D, op(6)), qPrintable(s.lastError()));
    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(7)));
    QVERIFY(s.commitTransaction());
    QVERIFY(logIsExactly(s, 7));
}

// The same code on SQLite: a constraint failure is not a lost connection, and a rollback still rolls back.
void tst_StorageReconnect::sqliteFailuresAreNotConnectionLosses()
{
    QTemporaryDir dir;
    SqlStorage::Options o;
    o.databaseName = dir.filePath(QStringLiteral("relay.sqlite"));
    o.synchronousFull = false;
    SqlStorage s(o);
    QVERIFY2(s.open(), qPrintable(s.lastError()));
    QVERIFY(s.createDocument(D, D));
    QVERIFY(s.appendOperation(D, op(1)));
    QVERIFY(!s.appendOperation(D, op(1)));
    QVERIFY(!s.lastError().contains(QStringLiteral("connection")));
    QVERIFY(s.isConnected());
    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(2)));
    QVERIFY(!s.appendOperation(D, op(2)));
    QVERIFY(s.rollbackTransaction());
    QVERIFY(logIsExactly(s, 1));
    QVERIFY(s.beginTransaction());
    QVERIFY(s.appendOperation(D, op(2)));
    QVERIFY(s.commitTransaction());
    QVERIFY(logIsExactly(s, 2));
    QVERIFY(s.isConnected());
    QCOMPARE(s.reconnectAttempts(), 0);
}

std::unique_ptr<relay::RelayServer> tst_StorageReconnect::startRelay(SqlStorage &storage)
{
    relay::RelayServer::Settings settings;
    settings.opsPerSecond = 10000;
    settings.burst = 10000;
    auto server = std::make_unique<relay::RelayServer>(storage, settings);
    if (!server->listen()) {
        qWarning() << server->errorString();
        return nullptr;
    }
    return server;
}

// The relay's storage connection dies while idle (pg_terminate_backend, a failover): the next batch's BEGIN
// finds it dead and runs on a new connection; the client notices nothing.
void tst_StorageReconnect::relayRidesOutKilledBackend()
{
    OPEN_STORAGE(storage);
    auto server = startRelay(storage);
    QVERIFY(server);
    RelayTestClient client;
    QVERIFY(client.open(server->url()) && !client.hello().isEmpty());
    QVERIFY(!client.openDocument(D).isEmpty());
    QCOMPARE(client.edit(D, 0, 1, TextOperation::makeInsert(0, 0, QStringLiteral("ab"))), 1);
    QVERIFY(killConnections(options->databaseName));
    QCOMPARE(client.edit(D, 1, 2, TextOperation::makeInsert(2, 2, QStringLiteral("c"))), 2);
    QCOMPARE(client.edit(D, 2, 3, TextOperation::makeInsert(3, 3, QStringLiteral("d"))), 3);
    QCOMPARE(client.count(QStringLiteral("error")), 0);
    QCOMPARE(storage.reconnectAttempts(), 1);
    const auto ops = storage.operations(D, 0, INT_MAX);
    QVERIFY(ops);
    QCOMPARE(int(ops->size()), 3);
}

// PostgreSQL restarts under a relay serving an editor. During the outage its edit is refused (an error, no
// acknowledgement); once the database is back, the editor reopens the document, resends the refused edit
// (same sequence number) and goes on: every acknowledged edit is in the log, at its revision, exactly once.
void tst_StorageReconnect::relayRidesOutDatabaseRestart()
{
    OPEN_STORAGE(storage);
    auto server = startRelay(storage);
    QVERIFY(server);
    RelayTestClient client;
    QVERIFY(client.open(server->url()) && !client.hello().isEmpty());
    QVERIFY(!client.openDocument(D).isEmpty());
    std::map<qint64, int> acked; // seq -> revision
    QString text;
    qint64 seq = 0;
    for (const QString &s : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}) {
        const int rev = client.edit(D, int(seq), seq + 1, TextOperation::makeInsert(text.size(), text.size(), s));
        QCOMPARE(rev, int(seq) + 1);
        acked[++seq] = rev;
        text += s;
    }

    QString error;
    QVERIFY2(m_cluster.stopServer(QStringLiteral("fast"), &error), qPrintable(error));
    const TextOperation refusedOp = TextOperation::makeInsert(text.size(), text.size(), QStringLiteral("d"));
    client.send(Message::Op{D, 3, seq + 1, refusedOp, std::nullopt});
    const QJsonObject refused = client.waitForError(QStringLiteral("server-error"));
    QVERIFY(!refused.isEmpty());
    qInfo().noquote() << "edit during the outage:" << QJsonDocument(refused).toJson(QJsonDocument::Compact);
    // Besides the document closing (the relay cannot reload it either), the edit itself is refused.
    QVERIFY(!client.waitFor(QStringLiteral("error"), [](const QJsonObject &o) {
                       return o.value(QStringLiteral("message")).toString().contains(QStringLiteral("nothing was applied"));
                   }).isEmpty());
    QTest::qWait(300);
    QCOMPARE(client.count(QStringLiteral("ack")), 0);
    QVERIFY(client.socket.state() == QAbstractSocket::ConnectedState); // the relay is still up
    QCOMPARE(healthStatus(server->url()), 503); // storage unavailable: a load balancer looks elsewhere

    QVERIFY2(m_cluster.startServer(&error), qPrintable(error));
    // The editor reopens (the relay closed the document it could not reload); while the relay's next reconnect
    // attempt is still due, opening fails with a storage error: retry, bounded.
    QJsonObject opened;
    QElapsedTimer clock;
    clock.start();
    while (opened.isEmpty() && clock.elapsed() < 15000) {
        client.received.clear();
        client.send(Message::Open{QString(), D, 3, false, true, {}}); // pending: it holds the refused edit
        const bool answered = QTest::qWaitFor([&] {
            return client.count(QStringLiteral("opened")) + client.count(QStringLiteral("error")) > 0;
        }, 3000);
        if (answered && client.count(QStringLiteral("opened")) > 0)
            opened = client.waitFor(QStringLiteral("opened"), {}, 0);
        else
            QTest::qWait(200);
    }
    QVERIFY2(!opened.isEmpty(), "the document never reopened after the database restart");
    qInfo("reopened %lld ms after the restart", clock.elapsed());
    QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), 3); // nothing of the outage was stored
    QCOMPARE(healthStatus(server->url()), 200);

    // The refused edit, resent with its sequence number, and more.
    QCOMPARE(client.edit(D, 3, seq + 1, refusedOp), 4);
    acked[++seq] = 4;
    text += u'd';
    for (const QString &s : {QStringLiteral("e"), QStringLiteral("f")}) {
        const int rev = client.edit(D, int(seq), seq + 1, TextOperation::makeInsert(text.size(), text.size(), s));
        QCOMPARE(rev, int(seq) + 1);
        acked[++seq] = rev;
        text += s;
    }

    const auto ops = storage.operations(D, 0, INT_MAX);
    QVERIFY2(ops, qPrintable(storage.lastError()));
    QCOMPARE(int(ops->size()), int(acked.size()));
    std::set<qint64> seen;
    for (std::size_t i = 0; i < ops->size(); ++i) {
        const Storage::OperationRecord &r = ops->at(i);
        QCOMPARE(r.revision, int(i) + 1);
        QCOMPARE(r.clientId, client.clientId);
        QVERIFY2(seen.insert(r.sequence).second, "an edit was stored twice");
        QCOMPARE(acked.at(r.sequence), r.revision);
    }
}

QTEST_GUILESS_MAIN(tst_StorageReconnect)
#include "tst_storagereconnect.moc"
