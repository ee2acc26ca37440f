// SPDX-License-Identifier: MIT
// Soak: four well-behaved editors type into one document of a real coscribe-relay process (default limits)
// over 127.0.0.1 while adversarial connections run the attacks of tst_trust one after another. Per phase the
// test prints the editors' acknowledgement latencies (p50, p99, and the max: the longest stall they saw)
// and the relay's resident memory, and requires:
//   - ack p99 < 100 ms in every phase;
//   - relay RSS < 96 MiB + 48 MiB (--max-output-bytes) for each connection that may hold a full output
//     budget at once (the attacks use at most four such connections): 288 MiB;
//   - each attack was answered as designed (dropped for unread output, missed pongs or flooding, refused
//     at the handshake, refused over quota, too much work refused), which the relay's /metrics count;
//   - afterwards every editor has the same text as the relay, and no revision was acknowledged twice.
#include "headlesseditor.h"
#include "relayprocess.h"
#include "relaytestclient.h"
#include "sqlstorage.h"

#include "../../bench/processstats.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <set>

using namespace collab;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 OutputBudget = 48 * MiB;   // coscribe-relay's default --max-output-bytes
constexpr int BudgetHolders = 4;            // attack connections that may each hold a full budget at once
constexpr qint64 RssBound = 96 * MiB + BudgetHolders * OutputBudget;
constexpr qint64 AckP99BoundMs = 100;
constexpr int PhaseMs = 4000;
constexpr int MaxPhaseMs = 30000;

// A raw WebSocket peer that never reads what the relay sends (Qt stops reading from the kernel once its
// one-byte read buffer is full, so the relay's writes back up), optionally from another loopback address.
struct RawPeer
{
    QTcpSocket tcp;
    bool handshake(quint16 port, const QHostAddress &from = QHostAddress::LocalHost)
    {
        if (from != QHostAddress::LocalHost && !tcp.bind(from))
            return false;
        if (!rawHandshake(tcp, port))
            return false;
        tcp.setReadBufferSize(1);
        return true;
    }
    void hello()
    {
        tcp.write(rawFrame(Message::encode(Message::Hello{1, QUuid::createUuid().toString(QUuid::WithoutBraces),
                                                          QStringLiteral("attacker"), QStringLiteral("#000000"),
                                                          std::nullopt, Message::Hello::newSecret()})));
    }
    void write(const QByteArray &json) { tcp.write(rawFrame(json)); }
};

struct Percentiles
{
    int count = 0;
    qint64 p50 = 0;
    qint64 p99 = 0;
    qint64 max = 0;
};

Percentiles percentiles(std::vector<qint64> v)
{
    Percentiles p;
    p.count = int(v.size());
    if (v.empty())
        return p;
    std::sort(v.begin(), v.end());
    p.p50 = v[v.size() / 2];
    p.p99 = v[std::min(v.size() - 1, (v.size() * 99) / 100)];
    p.max = v.back();
    return p;
}

} // namespace

class tst_Soak : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void editorsStayResponsiveUnderAttack();

private:
    // Documents the attacks ask for, written straight into the relay's database before it starts: "big"
    // (a 2 MiB text) and "long" (100,000 operations, for catch-ups from revision 0).
    bool seedDatabase(QString *error);
    bool startRelay();
    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(m_port)); }
    // One sample of the relay's /metrics: value of `name` with the given label (or none).
    double metric(const QString &name, const QString &label = {});
    double rejected(const QString &reason)
    {
        return metric(QStringLiteral("connections_rejected_total"), QStringLiteral("reason=\"%1\"").arg(reason));
    }
    // Connections the relay dropped for not reading, not answering pings, or flooding.
    double dropped()
    {
        return rejected(QStringLiteral("slow-consumer")) + rejected(QStringLiteral("heartbeat"))
                + rejected(QStringLiteral("flood"));
    }
    void sampleRss() { m_peakRss = std::max(m_peakRss, bench::ProcessStats::rssKb(m_relay.processId()) * 1024); }
    // Runs the event loop while the editors type, sampling RSS, for PhaseMs and then until `done` (checked
    // every 250 ms) holds, at most MaxPhaseMs; `tick` runs every 10 ms. Returns whether `done` held.
    bool runPhase(const QString &name, const std::function<void()> &tick = {}, const std::function<bool()> &done = {});

    QTemporaryDir m_dir;
    QProcess m_relay;
    quint16 m_port = 0;
    std::vector<std::unique_ptr<HeadlessEditor>> m_editors;
    QRandomGenerator m_random{20261202};
    qint64 m_peakRss = 0;
    struct PhaseResult
    {
        QString name;
        Percentiles acks;
        qint64 peakRss = 0;
    };
    QList<PhaseResult> m_results;
};

bool tst_Soak::seedDatabase(QString *error)
{
    relay::SqlStorage::Options options;
    options.databaseName = m_dir.filePath(QStringLiteral("relay.sqlite"));
    options.synchronousFull = false;
    relay::SqlStorage storage(options);
    auto failed = [&] {
        *error = storage.lastError();
        return false;
    };
    if (!storage.open())
        return failed();
    const QString big(2 * MiB, u'b');
    if (!storage.createDocument(QStringLiteral("big"), QStringLiteral("big"))
        || !storage.appendOperation(QStringLiteral("big"),
                                    {1, TextOperation::makeInsert(0, 0, big).toJsonText(), QStringLiteral("seed"), 1, {}, {}, {}})
        || !storage.saveSnapshot(QStringLiteral("big"), 1, big))
        return failed();
    if (!storage.createDocument(QStringLiteral("long"), QStringLiteral("long")) || !storage.beginTransaction())
        return failed();
    const QString line(39, u'l');
    qsizetype length = 0;
    for (int revision = 1; revision <= 100000; ++revision) {
        const QString op = TextOperation::makeInsert(length, length, line + u'\n').toJsonText();
        if (!storage.appendOperation(QStringLiteral("long"), {revision, op, QStringLiteral("seed"), revision, {}, {}, {}}))
            return failed();
        length += 40;
    }
    if (!storage.commitTransaction())
        return failed();
    QString text;
    text.reserve(length);
    for (int i = 0; i < 100000; ++i)
        text += line + u'\n';
    return storage.saveSnapshot(QStringLiteral("long"), 100000, text) || failed();
}

bool tst_Soak::startRelay()
{
    m_relay.setStandardErrorFile(m_dir.filePath(QStringLiteral("relay.log")));
    // Default limits, but a heartbeat short enough for a phase: a peer that answers no ping is gone in ~4 s.
    m_port = testutil::startRelayProcess(m_relay, {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"),
                                                   m_dir.path(), QStringLiteral("--ping-interval"), QStringLiteral("1s"),
                                                   QStringLiteral("--ping-timeout"), QStringLiteral("3s"),
                                                   QStringLiteral("--hello-timeout"), QStringLiteral("2s")},
                                         30000);
    return m_port != 0;
}

void tst_Soak::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // COSCRIBE_KEEP_SOAK=1 keeps the relay's database and log (relay.log) for a look afterwards.
    if (qEnvironmentVariableIsSet("COSCRIBE_KEEP_SOAK")) {
        m_dir.setAutoRemove(false);
        qInfo("relay data and log in %s", qPrintable(m_dir.path()));
    }
    QString error;
    QVERIFY2(seedDatabase(&error), qPrintable(error));
    QVERIFY2(startRelay(), "coscribe-relay did not start");
}

void tst_Soak::cleanupTestCase()
{
    m_editors.clear();
    if (m_relay.state() != QProcess::NotRunning) {
        m_relay.terminate();
        if (!m_relay.waitForFinished(10000))
            m_relay.kill();
    }
}

double tst_Soak::metric(const QString &name, const QString &label)
{
    QNetworkAccessManager manager;
    manager.setProxy(QNetworkProxy::NoProxy); // loopback only, whatever the environment says
    QNetworkReply *reply = manager.get(QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(m_port))));
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(5000, &loop, &QEventLoop::quit);
    loop.exec();
    const QString body = QString::fromUtf8(reply->readAll());
    reply->deleteLater();
    const QString key = QStringLiteral("coscribe_relay_") + name + (label.isEmpty() ? QString() : u'{' + label + u'}');
    const QRegularExpression line(QStringLiteral("^%1 (\\S+)$").arg(QRegularExpression::escape(key)),
                                  QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = line.match(body);
    if (!m.hasMatch() && qEnvironmentVariableIsSet("COSCRIBE_KEEP_SOAK"))
        qInfo("no %s in /metrics (%s): %s", qPrintable(key), qPrintable(reply->errorString()), body.left(300).toUtf8().constData());
    return m.hasMatch() ? m.captured(1).toDouble() : 0.0;
}

bool tst_Soak::runPhase(const QString &name, const std::function<void()> &tick, const std::function<bool()> &done)
{
    m_peakRss = 0;
    const qint64 start = HeadlessEditor::clock();
    const double relayCpu = bench::ProcessStats::cpuSeconds(m_relay.processId());
    const double ownCpu = bench::ProcessStats::cpuSeconds();
    QTimer typing;
    typing.setInterval(40); // 25 keystrokes a second per editor, composed while an op is in flight
    connect(&typing, &QTimer::timeout, this, [this] {
        for (auto &e : m_editors)
            e->type(m_random);
    });
    QTimer ticker;
    ticker.setInterval(10);
    connect(&ticker, &QTimer::timeout, this, [&] {
        sampleRss();
        if (tick)
            tick();
    });
    typing.start();
    ticker.start();
    QTest::qWait(PhaseMs);
    bool finished = !done || done();
    while (!finished && HeadlessEditor::clock() - start < MaxPhaseMs) {
        QTest::qWait(250);
        finished = done();
    }
    typing.stop();
    ticker.stop();
    // Let what is in flight land before the next phase (its acks count to this one).
    const bool landed = QTest::qWaitFor([this] {
        return std::all_of(m_editors.begin(), m_editors.end(),
                           [](const auto &e) { return !e->engine().outstanding(); });
    }, 5000);
    if (!landed)
        qWarning("%s: operations still in flight 5 s after the phase", qPrintable(name));
    for (auto &e : m_editors)
        if (!e->failure.isEmpty())
            qWarning("%s: %s", qPrintable(name), qPrintable(e->failure));
    std::vector<qint64> latencies;
    for (auto &e : m_editors)
        for (const auto &t : e->ackTimings)
            if (t.at >= start)
                latencies.push_back(t.latency);
    m_results.append({name, percentiles(std::move(latencies)), m_peakRss});
    const PhaseResult &r = m_results.last();
    const double seconds = double(HeadlessEditor::clock() - start) / 1000.0;
    qInfo("%-34s acks %5d  p50 %4lld ms  p99 %4lld ms  max %5lld ms  relay RSS peak %4lld MiB  CPU relay %3.0f%%"
          " test %3.0f%%", qPrintable(name), r.acks.count, r.acks.p50, r.acks.p99, r.acks.max, r.peakRss / MiB,
          100.0 * (bench::ProcessStats::cpuSeconds(m_relay.processId()) - relayCpu) / seconds,
          100.0 * (bench::ProcessStats::cpuSeconds() - ownCpu) / seconds);
    return finished;
}

void tst_Soak::editorsStayResponsiveUnderAttack()
{
    const QString doc = QStringLiteral("soak");
    for (int i = 0; i < 4; ++i) {
        auto e = std::make_unique<HeadlessEditor>(QList<QUrl>{url()},
                                                  0, doc);
        QVERIFY2(e->connect(), qPrintable(e->failure));
        m_editors.push_back(std::move(e));
    }

    runPhase(QStringLiteral("baseline"));

    // 1. Readers that never read: re-open a 2 MiB document over and over (120 MiB asked for each). Each open
    //    is charged its reply's size in rate-limit tokens, so most are refused; what was sent stays within
    //    the output budget; they end closed (budget, heartbeat or flood).
    {
        const double before = dropped();
        std::vector<std::unique_ptr<RawPeer>> peers;
        for (int i = 0; i < BudgetHolders; ++i) {
            auto p = std::make_unique<RawPeer>();
            QVERIFY(p->handshake(m_port));
            p->hello();
            for (int k = 0; k < 60; ++k) {
                p->write(R"({"type":"open","id":"o","doc":"big"})");
                p->write(R"({"type":"close","doc":"big"})");
            }
            peers.push_back(std::move(p));
        }
        QVERIFY2(runPhase(QStringLiteral("readers that never read"), {}, [&] { return dropped() - before >= BudgetHolders; }),
                 "the readers were not all dropped");
    }

    // 2. Catch-up floods: open "long" (100,000 operations) at revision 0 with pending, again and again. Each
    //    reply is one page (maxCatchUpOps), so they never fill an output budget: they end as peers that
    //    answer no ping.
    {
        const double before = dropped();
        std::vector<std::unique_ptr<RawPeer>> peers;
        for (int i = 0; i < BudgetHolders; ++i) {
            auto p = std::make_unique<RawPeer>();
            QVERIFY(p->handshake(m_port));
            p->hello();
            for (int k = 0; k < 20; ++k) {
                p->write(R"({"type":"open","id":"o","doc":"long","revision":0,"pending":true})");
                p->write(R"({"type":"close","doc":"long"})");
            }
            peers.push_back(std::move(p));
        }
        QVERIFY2(runPhase(QStringLiteral("catch-up floods"), {}, [&] { return dropped() - before >= BudgetHolders; }),
                 "the catch-up floods were not all dropped");
    }

    // 3. Before hello: from ten other loopback addresses, 16 sockets each send a 15 KiB message and never
    //    say hello, and 30 more each stop after TCP connect. A new editor still gets in meanwhile.
    {
        const double before = rejected(QStringLiteral("address-limit"));
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        std::vector<std::unique_ptr<RawPeer>> peers;
        const QByteArray junk = QByteArray(R"({"type":"list","pad":")") + QByteArray(15 * 1024, 'j') + "\"}";
        for (int a = 2; a < 12; ++a) {
            const QHostAddress from(QStringLiteral("127.0.0.%1").arg(a));
            for (int i = 0; i < 16; ++i) {
                auto p = std::make_unique<RawPeer>();
                if (p->handshake(m_port, from))
                    p->write(junk);
                peers.push_back(std::move(p));
            }
            for (int i = 0; i < 30; ++i) {
                auto s = std::make_unique<QTcpSocket>();
                QVERIFY(s->bind(from));
                s->connectToHost(QHostAddress::LocalHost, m_port);
                sockets.push_back(std::move(s));
            }
        }
        bool newcomerOk = false;
        runPhase(QStringLiteral("sockets that never say hello"), [&] {
            if (newcomerOk)
                return;
            newcomerOk = true; // once
            auto newcomer = std::make_unique<HeadlessEditor>(QList<QUrl>{url()}, 0, doc);
            newcomerOk = newcomer->connect();
            QVERIFY2(newcomerOk, qPrintable(newcomer->failure));
        });
        QVERIFY(newcomerOk);
        QVERIFY2(rejected(QStringLiteral("address-limit")) - before >= 10 * 30,
                 "the half-open sockets beyond 16 per address were not refused");
    }

    // 4. Work per message: an editor that sends 20,000-component operations into the document everyone
    //    types in, and a participant sending 64-range selections 250 revisions behind, 50 a second.
    {
        HeadlessEditor heavy(QList<QUrl>{url()}, 0, doc);
        QVERIFY2(heavy.connect(), qPrintable(heavy.failure));
        QVERIFY(heavy.edit(TextOperation::makeInsert(heavy.text().size(), 0, QString(10000, u'h'))));
        RelayTestClient selector;
        QVERIFY(selector.open(url()) && !selector.hello().isEmpty());
        const QJsonObject opened = selector.openDocument(doc);
        int revision = opened.value(QStringLiteral("revision")).toInt();
        QList<Selection::Range> ranges;
        for (int i = 0; i < 64; ++i)
            ranges.append(Selection::Range{i, i + 1});
        int heavyOps = 0;
        int tick = 0;
        int refused = 0;
        runPhase(QStringLiteral("20k-component ops, wide selections"), [&] {
            if (++tick % 2 != 0)
                return; // 50 selections a second: within the rate limit
            for (const QJsonObject &o : std::as_const(selector.received)) {
                if (o.value(QStringLiteral("type")).toString() == u"op")
                    revision = std::max(revision, o.value(QStringLiteral("rev")).toInt());
                refused += o.value(QStringLiteral("code")).toString() == u"revision-too-old" ? 1 : 0;
            }
            selector.received.clear();
            selector.send(Message::SetSelection{doc, std::max(0, revision - 250), Selection(ranges)});
            if (!heavy.engine().outstanding() && heavy.text().size() >= 10000) {
                TextOperation op;
                for (int i = 0; i < 9999; ++i)
                    op.retain(1).insert(QStringLiteral("y"));
                op.retain(heavy.text().size() - 9999);
                if (heavy.edit(op))
                    ++heavyOps;
            }
        });
        QVERIFY2(heavy.failure.isEmpty(), qPrintable(heavy.failure));
        QVERIFY2(heavyOps >= 10, qPrintable(QStringLiteral("only %1 heavy operations went through").arg(heavyOps)));
        qInfo("selections refused as too much work to move: %d", refused);
        qInfo("heavy operations applied: %d", heavyOps);
    }

    // 5. Quotas: create documents as fast as the rate limit lets one connection.
    {
        RelayTestClient creator;
        QVERIFY(creator.open(url()) && !creator.hello().isEmpty());
        int n = 0;
        runPhase(QStringLiteral("document creation flood"), [&] {
            creator.send(Message::Create{QStringLiteral("c"), QStringLiteral("spam%1").arg(n++), QString()});
            creator.received.erase(std::remove_if(creator.received.begin(), creator.received.end(), [](const QJsonObject &o) {
                                       return o.value(QStringLiteral("type")).toString() == u"error"
                                               && o.value(QStringLiteral("code")).toString() == u"rate-limited";
                                   }), creator.received.end());
        });
        QVERIFY2(creator.count(QStringLiteral("created")) <= 120,
                 qPrintable(QString::number(creator.count(QStringLiteral("created")))));
        QVERIFY(creator.count(QStringLiteral("created")) > 0);
        QVERIFY(!creator.waitForError(QStringLiteral("quota-exceeded"), 0).isEmpty());
    }

    // 6. Writers that never read: join the document everyone types in (every op is broadcast to them) and
    //    keep sending, answering no ping.
    {
        const double before = rejected(QStringLiteral("heartbeat"));
        std::vector<std::unique_ptr<RawPeer>> peers;
        for (int i = 0; i < BudgetHolders; ++i) {
            auto p = std::make_unique<RawPeer>();
            QVERIFY(p->handshake(m_port));
            p->hello();
            p->write(R"({"type":"open","id":"o","doc":"soak"})");
            peers.push_back(std::move(p));
        }
        int tick = 0;
        QVERIFY2(runPhase(QStringLiteral("writers that never read"), [&] {
            if (++tick % 5 == 0) // 20 messages a second each, within the rate limit
                for (auto &p : peers)
                    p->write(R"({"type":"list","id":"l"})");
        }, [&] { return rejected(QStringLiteral("heartbeat")) - before >= BudgetHolders; }),
                 "the writers that answer no ping were not all dropped");
    }

    // Everyone converged on what the relay has, and no revision was acknowledged twice.
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_editors.begin(), m_editors.end(), [](const auto &e) {
                                 return !e->engine().outstanding() && !e->engine().buffer();
                             }), 10000);
    for (auto &e : m_editors)
        QVERIFY2(e->failure.isEmpty(), qPrintable(e->failure));
    RelayTestClient reader;
    QVERIFY(reader.open(url()) && !reader.hello().isEmpty());
    const QJsonObject final = reader.openDocument(doc);
    const QString relayText = final.value(QStringLiteral("snapshot")).toString();
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(m_editors.begin(), m_editors.end(),
                                         [&](const auto &e) { return e->text() == relayText; }), 10000);
    std::set<int> revisions;
    for (auto &e : m_editors)
        for (const auto &[seq, rev] : e->acked)
            QVERIFY2(revisions.insert(rev).second, qPrintable(QStringLiteral("revision %1 acknowledged twice").arg(rev)));

    qInfo("bounds: ack p99 < %lld ms, relay RSS < %lld MiB", AckP99BoundMs, RssBound / MiB);
    for (const PhaseResult &r : std::as_const(m_results)) {
        QVERIFY2(r.acks.count > 50, qPrintable(r.name + QStringLiteral(": too few acks to judge")));
        QVERIFY2(r.acks.p99 < AckP99BoundMs,
                 qPrintable(QStringLiteral("%1: ack p99 %2 ms").arg(r.name).arg(r.acks.p99)));
        QVERIFY2(r.peakRss < RssBound,
                 qPrintable(QStringLiteral("%1: relay RSS %2 MiB").arg(r.name).arg(r.peakRss / MiB)));
    }
}

QTEST_GUILESS_MAIN(tst_Soak)
#include "tst_soak.moc"
