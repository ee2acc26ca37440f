// SPDX-License-Identifier: MIT
// bench_multirelay: 1, 2 and 3 coscribe-relay processes over one PostgreSQL, closed-loop editors (each sends
// its next keystroke when the previous one is acknowledged), documents either spread over all relays (every
// document's editors on different relays: worst case, every op crosses LISTEN/NOTIFY and relays race for
// revisions) or with affinity (all editors of a document on one relay, as consistent hashing at a proxy gives).
//
// Reports per run: acknowledged ops/s, ack latency p50/p99 (send -> ack), remote latency p50/p99 (send ->
// another editor receives it, through whichever relays), relay CPU, and a check that the log has no gap.
//
//   bench_multirelay [--relay path/to/coscribe-relay] [--database postgresql://...] [--seconds 5]
//                    [--docs 12] [--editors 4]
//   bench_multirelay --sqlite [--relay ...] [--seconds 5] [--docs 10] [--editors 10]
// --sqlite: one relay over its own SQLite file (--data-dir; WAL, synchronous=FULL: the default deployment),
// no PostgreSQL; the 1-relay row only.
// Without --database a throwaway cluster is started (testutil::PgCluster: note it runs with fsync=off, so
// commits are cheaper than in production; pass --database of a cluster with fsync=on for durable figures).
// First, the commit latency of one storage connection alone (SqlStorage::appendOperation, INSERT + NOTIFY).
#include "client.h"
#include "message.h"
#include "pgcluster.h"
#include "processstats.h"
#include "sqlstorage.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>
#include <QWebSocket>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

using namespace collab;

namespace {

struct Samples
{
    std::vector<double> ms;
    double percentile(double p)
    {
        if (ms.empty())
            return 0;
        std::sort(ms.begin(), ms.end());
        return ms[std::min(ms.size() - 1, size_t(p * double(ms.size())))];
    }
};

struct Shared
{
    QElapsedTimer clock;
    QHash<QString, qint64> sentAtNs; // "clientId:seq" -> send time
    Samples ack, remote;
    qint64 acked = 0;
    qint64 conflictRetries = 0;
    bool measuring = false;
    QString failure;
};

// One closed-loop editor: types one character, waits for the ack, types the next.
class Editor : public QObject
{
public:
    Editor(Shared &shared, QString doc, quint32 seed)
        : m_shared(shared), m_doc(std::move(doc)), m_id(QUuid::createUuid().toString(QUuid::WithoutBraces)),
          m_engine(m_id), m_rng(seed)
    {
        connect(&m_socket, &QWebSocket::textMessageReceived, this, &Editor::onMessage);
        connect(&m_socket, &QWebSocket::connected, this, [this] {
            Message::Hello hello;
            hello.clientId = m_id;
            hello.secret = m_secret;
            hello.name = QStringLiteral("bench");
            hello.color = QStringLiteral("#808080");
            m_socket.sendTextMessage(QString::fromUtf8(Message::encode(hello)));
            Message::Open open;
            open.doc = m_doc;
            open.create = true;
            m_socket.sendTextMessage(QString::fromUtf8(Message::encode(open)));
        });
    }
    void open(const QUrl &url) { m_socket.open(url); }
    bool isReady() const { return m_ready; }
    void start() { typeNext(); }
    void stop() { m_stopped = true; }

private:
    void typeNext()
    {
        if (m_stopped || m_engine.state() != Client::State::Synchronized)
            return;
        const qsizetype position = m_rng.bounded(int(m_text.size()) + 1);
        TextOperation op = m_text.size() > 2000 && m_rng.bounded(2) == 0 && position < m_text.size()
                ? TextOperation::makeDelete(m_text.size(), position, 1)
                : TextOperation::makeInsert(m_text.size(), position, QString(QChar(u'a' + m_rng.bounded(26))));
        m_text = *op.apply(m_text);
        auto effects = m_engine.applyClient(op);
        if (effects)
            send(*effects);
    }

    void send(const Client::Effects &effects)
    {
        if (!effects.send)
            return;
        m_shared.sentAtNs.insert(m_id + u':' + QString::number(effects.send->sequence), m_shared.clock.nsecsElapsed());
        m_socket.sendTextMessage(QString::fromUtf8(Message::encode(
                Message::Op{m_doc, effects.send->revision, effects.send->sequence, effects.send->operation, std::nullopt})));
    }

    void remote(int revision, const TextOperation &op, const QString &author, qint64 seq)
    {
        auto effects = m_engine.applyServer(revision, op, author, seq);
        if (!effects) {
            m_shared.failure = effects.error().message;
            return;
        }
        if (effects->apply)
            m_text = *effects->apply->apply(m_text);
        send(*effects);
    }

    void onMessage(const QString &text)
    {
        const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
        const QString type = o.value(QStringLiteral("type")).toString();
        const qint64 now = m_shared.clock.nsecsElapsed();
        if (type == u"opened") {
            m_text = o.value(QStringLiteral("snapshot")).toString();
            m_engine = Client(m_id, o.value(QStringLiteral("revision")).toInt());
            m_ready = true;
        } else if (type == u"op") {
            const QString author = o.value(QStringLiteral("author")).toString();
            const qint64 seq = o.value(QStringLiteral("seq")).toInteger();
            auto it = m_shared.sentAtNs.constFind(author + u':' + QString::number(seq));
            if (m_shared.measuring && it != m_shared.sentAtNs.cend())
                m_shared.remote.ms.push_back(double(now - *it) / 1e6);
            auto op = TextOperation::fromJson(o.value(QStringLiteral("op")));
            if (op)
                remote(o.value(QStringLiteral("rev")).toInt(), *op, author, seq);
        } else if (type == u"ack") {
            const qint64 seq = o.value(QStringLiteral("seq")).toInteger();
            auto it = m_shared.sentAtNs.constFind(m_id + u':' + QString::number(seq));
            if (m_shared.measuring && it != m_shared.sentAtNs.cend()) {
                m_shared.ack.ms.push_back(double(now - *it) / 1e6);
                ++m_shared.acked;
            }
            auto effects = m_engine.serverAck(o.value(QStringLiteral("rev")).toInt(), seq);
            if (effects)
                send(*effects);
            typeNext();
        } else if (type == u"error") {
            if (o.value(QStringLiteral("code")).toString() == u"conflict-retry") {
                ++m_shared.conflictRetries;
                m_engine.disconnected();
                send(m_engine.resumed());
            } else if (m_shared.failure.isEmpty()) {
                m_shared.failure = text;
            }
        }
    }

    Shared &m_shared;
    QString m_doc;
    QString m_id;
    QString m_secret = Message::Hello::newSecret();
    Client m_engine;
    QString m_text;
    QRandomGenerator m_rng;
    QWebSocket m_socket;
    bool m_ready = false;
    bool m_stopped = false;
};

quint16 startRelay(QProcess &p, const QString &binary, const QString &database, const QString &logFile,
                   const QString &dataDir = {})
{
    p.setProgram(binary);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.debug=false\ncoscribe.relay.documents.debug=true"));
    p.setProcessEnvironment(env);
    p.setArguments({QStringLiteral("--port"), QStringLiteral("0"),
                    dataDir.isEmpty() ? QStringLiteral("--database") : QStringLiteral("--data-dir"),
                    dataDir.isEmpty() ? database : dataDir, QStringLiteral("--ops-per-second"), QStringLiteral("100000"), QStringLiteral("--burst"),
                    QStringLiteral("100000"), QStringLiteral("--max-connections-per-address"), QStringLiteral("1000")});
    p.setStandardErrorFile(logFile); // counted afterwards: "lost the race" lines
    p.start();
    QByteArray out;
    if (!QTest::qWaitFor([&] {
            out += p.readAllStandardOutput();
            return out.contains('\n') || p.state() == QProcess::NotRunning;
        }, 15000))
        return 0;
    const qsizetype at = out.indexOf("listening ");
    return at < 0 ? 0 : quint16(out.mid(at + 10, out.indexOf('\n', at) - at - 10).trimmed().toUInt());
}

bool sql(const QString &connection, const QString &statement, QString *error = nullptr)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(statement)) {
        if (error)
            *error = q.lastError().text();
        return false;
    }
    return true;
}

// One relay over SQLite in a temporary data directory: the 1-relay row, and the log check on the file.
int runSqlite(const QString &binary, int seconds, int docs, int perDoc)
{
    QTemporaryDir dataDir;
    QProcess relay;
    const quint16 port = startRelay(relay, binary, {}, dataDir.filePath(QStringLiteral("relay.log")), dataDir.path());
    if (port == 0) {
        std::fprintf(stderr, "relay did not start\n");
        return 1;
    }
    std::printf("SQLite (WAL, synchronous=FULL); %d documents x %d closed-loop editors; %d s\n", docs, perDoc,
                seconds);
    Shared shared;
    shared.clock.start();
    std::vector<std::unique_ptr<Editor>> editors;
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
    for (int d = 0; d < docs; ++d)
        for (int e = 0; e < perDoc; ++e) {
            editors.push_back(std::make_unique<Editor>(shared, QStringLiteral("doc%1").arg(d), quint32(d * 100 + e)));
            editors.back()->open(url);
        }
    if (!QTest::qWaitFor([&] {
            return std::all_of(editors.begin(), editors.end(), [](const auto &e) { return e->isReady(); });
        }, 20000)) {
        std::fprintf(stderr, "editors did not open their documents\n");
        return 1;
    }
    for (auto &e : editors)
        e->start();
    QTest::qWait(1000); // warm-up
    const double cpuBefore = bench::ProcessStats::cpuSeconds(relay.processId());
    shared.measuring = true;
    QElapsedTimer measured;
    measured.start();
    QTest::qWait(seconds * 1000);
    shared.measuring = false;
    const double elapsed = double(measured.nsecsElapsed()) / 1e9;
    const double cpu = bench::ProcessStats::cpuSeconds(relay.processId()) - cpuBefore;
    for (auto &e : editors)
        e->stop();
    QTest::qWait(500);
    editors.clear();
    relay.terminate();
    relay.waitForFinished(5000);
    bool logOk = false;
    {
        QSqlDatabase check = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
        check.setDatabaseName(dataDir.filePath(QStringLiteral("relay.sqlite")));
        if (check.open()) {
            QSqlQuery q(check);
            logOk = q.exec(QStringLiteral("SELECT doc, COUNT(*), COUNT(DISTINCT revision), MIN(revision), MAX(revision)"
                                          " FROM operations GROUP BY doc"));
            while (q.next())
                logOk = logOk && q.value(1) == q.value(2) && q.value(3).toInt() == 1 && q.value(4) == q.value(1);
            q = QSqlQuery();
        }
        check.close();
        check = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("check"));
    }
    std::printf("%-7s %9s %8s %8s %9s %9s %8s %6s\n", "editors", "acked/s", "ack p50", "ack p99", "remote50",
                "remote99", "relayCPU", "log");
    std::printf("%-7d %9.0f %8.2f %8.2f %9.2f %9.2f %7.0f%% %6s\n", docs * perDoc, double(shared.acked) / elapsed,
                shared.ack.percentile(0.5), shared.ack.percentile(0.99), shared.remote.percentile(0.5),
                shared.remote.percentile(0.99), 100.0 * cpu / elapsed,
                logOk && shared.failure.isEmpty() ? "ok" : "BROKEN");
    if (!shared.failure.isEmpty())
        std::fprintf(stderr, "failure: %s\n", qPrintable(shared.failure));
    return logOk && shared.failure.isEmpty() ? 0 : 1;
}

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOption({QStringLiteral("relay"), QStringLiteral("coscribe-relay binary"), QStringLiteral("path"),
                      QStringLiteral(COSCRIBE_RELAY_BINARY)});
    parser.addOption({QStringLiteral("database"), QStringLiteral("postgresql:// URL (default: a throwaway cluster)"),
                      QStringLiteral("url")});
    parser.addOption({QStringLiteral("seconds"), QStringLiteral("measured seconds per run"), QStringLiteral("s"),
                      QStringLiteral("5")});
    parser.addOption({QStringLiteral("docs"), QStringLiteral("documents"), QStringLiteral("n"), QStringLiteral("12")});
    parser.addOption({QStringLiteral("editors"), QStringLiteral("editors per document"), QStringLiteral("n"),
                      QStringLiteral("4")});
    parser.addOption({QStringLiteral("sqlite"), QStringLiteral("one relay over SQLite (synchronous=FULL), no PostgreSQL")});
    parser.process(app);
    const int seconds = parser.value(QStringLiteral("seconds")).toInt();
    const int docs = parser.value(QStringLiteral("docs")).toInt();
    const int perDoc = parser.value(QStringLiteral("editors")).toInt();

    if (parser.isSet(QStringLiteral("sqlite")))
        return runSqlite(parser.value(QStringLiteral("relay")), seconds, docs, perDoc);

    testutil::PgCluster cluster;
    QString base = parser.value(QStringLiteral("database"));
    QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("admin"));
    if (base.isEmpty()) {
        QString error;
        if (!cluster.start(&error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
        base = cluster.url();
        admin.setHostName(QStringLiteral("127.0.0.1"));
        admin.setPort(cluster.port());
        admin.setUserName(cluster.user());
        admin.setDatabaseName(cluster.database());
        if (!admin.open()) {
            std::fprintf(stderr, "%s\n", qPrintable(admin.lastError().text()));
            return 1;
        }
    } else {
        const QUrl url(base);
        admin.setHostName(url.host());
        admin.setPort(url.port(5432));
        admin.setUserName(url.userName());
        admin.setPassword(url.password());
        admin.setDatabaseName(url.path().mid(1));
        if (!admin.open()) {
            std::fprintf(stderr, "%s\n", qPrintable(admin.lastError().text()));
            return 1;
        }
    }
    {
        QSqlQuery q(admin);
        q.exec(QStringLiteral("SHOW fsync"));
        q.next();
        std::printf("PostgreSQL fsync=%s; %d documents x %d closed-loop editors; %d s per run\n",
                    qPrintable(q.value(0).toString()), docs, perDoc, seconds);
    }
    {
        // One storage connection alone: how long one commit takes, hence at most how many per second one
        // relay (one synchronous connection) can commit.
        if (!sql(QStringLiteral("admin"), QStringLiteral("CREATE DATABASE bench_commit_%1").arg(QCoreApplication::applicationPid())))
            return 1;
        relay::SqlStorage::Options o;
        o.driver = QStringLiteral("QPSQL");
        o.host = admin.hostName();
        o.port = admin.port();
        o.user = admin.userName();
        o.password = admin.password();
        o.databaseName = QStringLiteral("bench_commit_%1").arg(QCoreApplication::applicationPid());
        Samples commit;
        QElapsedTimer total;
        {
            relay::SqlStorage storage(o);
            if (!storage.open() || !storage.createDocument(QStringLiteral("d"), QStringLiteral("d")))
                return 1;
            total.start();
            for (int r = 1; r <= 3000; ++r) {
                QElapsedTimer t;
                t.start();
                if (!storage.appendOperation(QStringLiteral("d"), {r, QByteArray("[\"x\"]"), QStringLiteral("c"), r, {}, {}, {}}))
                    return 1;
                commit.ms.push_back(double(t.nsecsElapsed()) / 1e6);
            }
        }
        std::printf("one connection: %.0f commits/s, commit p50 %.3f ms, p99 %.3f ms\n",
                    3000.0 / (double(total.nsecsElapsed()) / 1e9), commit.percentile(0.5), commit.percentile(0.99));
        sql(QStringLiteral("admin"), QStringLiteral("DROP DATABASE bench_commit_%1").arg(QCoreApplication::applicationPid()));
    }
    std::printf("%-7s %-9s %9s %8s %8s %9s %9s %8s %6s %9s %6s\n", "relays", "placement", "acked/s", "ack p50",
                "ack p99", "remote50", "remote99", "relayCPU", "races", "conflict", "log");

    struct Run { int relays; bool affinity; };
    const Run runs[] = {{1, true}, {2, true}, {2, false}, {3, true}, {3, false}};
    int runNumber = 0;
    for (const Run &run : runs) {
        // A fresh database per run, so every run starts from empty documents.
        const QString dbName = QStringLiteral("bench_%1_%2").arg(QCoreApplication::applicationPid()).arg(++runNumber);
        if (!sql(QStringLiteral("admin"), QStringLiteral("CREATE DATABASE %1").arg(dbName)))
            return 1;
        QUrl dbUrl(base);
        dbUrl.setPath(QLatin1Char('/') + dbName);

        std::vector<std::unique_ptr<QProcess>> relays;
        QList<QUrl> urls;
        QTemporaryDir logDir;
        for (int i = 0; i < run.relays; ++i) {
            relays.push_back(std::make_unique<QProcess>());
            const quint16 port = startRelay(*relays.back(), parser.value(QStringLiteral("relay")), dbUrl.toString(),
                                            logDir.filePath(QStringLiteral("relay%1.log").arg(i)));
            if (port == 0) {
                std::fprintf(stderr, "relay did not start\n");
                return 1;
            }
            urls.append(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)));
        }
        Shared shared;
        shared.clock.start();
        std::vector<std::unique_ptr<Editor>> editors;
        for (int d = 0; d < docs; ++d) {
            for (int e = 0; e < perDoc; ++e) {
                const QString doc = QStringLiteral("doc%1").arg(d);
                editors.push_back(std::make_unique<Editor>(shared, doc, quint32(d * 100 + e)));
                // affinity: the document's relay (what a proxy hashing the document id does); spread: round robin.
                const int relay = run.affinity ? d % run.relays : e % run.relays;
                editors.back()->open(urls.at(relay));
            }
        }
        if (!QTest::qWaitFor([&] {
                return std::all_of(editors.begin(), editors.end(), [](const auto &e) { return e->isReady(); });
            }, 20000)) {
            std::fprintf(stderr, "editors did not open their documents\n");
            return 1;
        }
        for (auto &e : editors)
            e->start();
        QTest::qWait(1000); // warm-up
        std::vector<double> cpuBefore;
        for (auto &r : relays)
            cpuBefore.push_back(bench::ProcessStats::cpuSeconds(r->processId()));
        shared.measuring = true;
        QElapsedTimer measured;
        measured.start();
        QTest::qWait(seconds * 1000);
        shared.measuring = false;
        const double elapsed = double(measured.nsecsElapsed()) / 1e9;
        double cpu = 0;
        for (size_t i = 0; i < relays.size(); ++i)
            cpu += bench::ProcessStats::cpuSeconds(relays[i]->processId()) - cpuBefore[i];
        for (auto &e : editors)
            e->stop();
        QTest::qWait(500);

        qint64 lostRaces = 0;
        for (int i = 0; i < run.relays; ++i) {
            QFile log(logDir.filePath(QStringLiteral("relay%1.log").arg(i)));
            if (log.open(QIODevice::ReadOnly))
                lostRaces += log.readAll().count("lost the race");
        }
        // The log of every document: revisions 1..N, no gap, no duplicate.
        bool logOk = true;
        {
            QSqlDatabase check = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("check"));
            check.setHostName(admin.hostName());
            check.setPort(admin.port());
            check.setUserName(admin.userName());
            check.setPassword(admin.password());
            check.setDatabaseName(dbName);
            if (check.open()) {
                QSqlQuery q(check);
                q.exec(QStringLiteral("SELECT doc, COUNT(*), COUNT(DISTINCT revision), MIN(revision), MAX(revision)"
                                      " FROM operations GROUP BY doc"));
                while (q.next())
                    logOk = logOk && q.value(1) == q.value(2) && q.value(3).toInt() == 1 && q.value(4) == q.value(1);
                q = QSqlQuery();
            } else {
                logOk = false;
            }
            check.close();
            check = QSqlDatabase();
            QSqlDatabase::removeDatabase(QStringLiteral("check"));
        }
        std::printf("%-7d %-9s %9.0f %8.2f %8.2f %9.2f %9.2f %7.0f%% %6lld %9lld %6s\n", run.relays,
                    run.relays == 1 ? "-" : run.affinity ? "affinity" : "spread", double(shared.acked) / elapsed,
                    shared.ack.percentile(0.5), shared.ack.percentile(0.99), shared.remote.percentile(0.5),
                    shared.remote.percentile(0.99), 100.0 * cpu / elapsed, lostRaces, shared.conflictRetries,
                    logOk && shared.failure.isEmpty() ? "ok" : "BROKEN");
        if (!shared.failure.isEmpty())
            std::fprintf(stderr, "failure: %s\n", qPrintable(shared.failure));
        std::fflush(stdout);
        editors.clear();
        for (auto &r : relays) {
            r->terminate();
            r->waitForFinished(5000);
        }
        relays.clear();
        sql(QStringLiteral("admin"), QStringLiteral("DROP DATABASE %1").arg(dbName));
    }
    admin.close();
    return 0;
}
