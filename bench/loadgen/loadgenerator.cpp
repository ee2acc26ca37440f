// SPDX-License-Identifier: MIT
#include "loadgenerator.h"

#include "loadclient.h"
#include "processstats.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QTimer>

#include <chrono>
#include <cmath>

namespace bench {

namespace {

// Seconds the process's main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat, field 2);
// 0 when unavailable.
double runQueueWaitSeconds(qint64 pid)
{
    QFile f(pid ? QStringLiteral("/proc/%1/schedstat").arg(pid) : QStringLiteral("/proc/self/schedstat"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = f.readAll().trimmed().split(' ');
    return fields.size() >= 2 ? double(fields.at(1).toLongLong()) / 1e9 : 0;
}

QJsonObject summary(const LatencyHistogram &h)
{
    QJsonObject o = h.toJson();
    o.insert(QStringLiteral("p50Us"), h.quantileUs(0.5));
    o.insert(QStringLiteral("p99Us"), h.quantileUs(0.99));
    return o;
}

} // namespace

LoadGenerator::LoadGenerator(Settings settings, QObject *parent)
    : QObject(parent), m_settings(std::move(settings)), m_random(quint32(m_settings.seed))
{
}

LoadGenerator::~LoadGenerator() = default;

qint64 LoadGenerator::nowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
}

bool LoadGenerator::isMeasured(qint64 timeUs) const
{
    return m_windowStartUs >= 0 && timeUs >= m_windowStartUs && (m_windowEndUs < 0 || timeUs < m_windowEndUs);
}

void LoadGenerator::start()
{
    // At most maxHandshakes connections between connect and "opened" at a time: the relay refuses more than
    // a few connections per address that have not said hello yet (server/defaults.h), so a burst of
    // connects would be cut off. Each client that is ready (or fails) lets the next one connect.
    for (int i = 0; i < m_settings.connections; ++i) {
        const QString doc = m_settings.documentPrefix
                + QString::number(m_settings.firstDocument + i % m_settings.documents);
        auto *client = new LoadClient(this, i, doc, this);
        connect(client, &LoadClient::ready, this, &LoadGenerator::onClientReady);
        connect(client, &LoadClient::failed, this, &LoadGenerator::onClientFailed);
        m_clients.push_back(client);
    }
    for (int i = 0; i < maxHandshakes; ++i)
        connectNext();
    // A relay that never answers some opens must not hang the benchmark.
    QTimer::singleShot(int(m_settings.connectTimeoutSeconds * 1000), this, [this] {
        if (m_ready >= m_settings.connections)
            return;
        m_failures << QStringLiteral("only %1 of %2 clients opened their document in %3 s")
                              .arg(m_ready)
                              .arg(m_settings.connections)
                              .arg(m_settings.connectTimeoutSeconds);
        m_windowStartUs = m_windowEndUs = nowUs();
        finish();
    });
}

void LoadGenerator::connectNext()
{
    if (m_nextToConnect < m_clients.size())
        m_clients[m_nextToConnect++]->open(m_settings.url);
}

void LoadGenerator::onClientReady()
{
    connectNext();
    if (++m_ready < m_settings.connections)
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (m_settings.startAtMs > 0 && now > m_settings.startAtMs)
        m_warnings << QStringLiteral("connections were ready %1 ms after the agreed start")
                              .arg(now - m_settings.startAtMs);
    const qint64 wait = m_settings.startAtMs > 0 ? std::max<qint64>(0, m_settings.startAtMs - now) : 0;
    QTimer::singleShot(int(wait), this, &LoadGenerator::beginTyping);
}

void LoadGenerator::onClientFailed(const QString &why)
{
    if (m_ready < m_settings.connections)
        connectNext();
    if (m_failures.size() < 20)
        m_failures << why;
}

void LoadGenerator::beginTyping()
{
    m_intervalMs = std::max(1, int(std::lround(1000.0 / m_settings.opsPerSecond)));
    for (LoadClient *c : m_clients)
        c->startTyping(int(m_random() % quint32(m_intervalMs)), m_intervalMs);
    QTimer::singleShot(int(m_settings.warmupSeconds * 1000), this, &LoadGenerator::beginWindow);
}

void LoadGenerator::beginWindow()
{
    m_windowStartUs = nowUs();
    m_serverCpuStart = m_settings.serverPid ? ProcessStats::cpuSeconds(m_settings.serverPid) : 0;
    m_ownCpuStart = ProcessStats::cpuSeconds();
    m_serverWaitStart = m_settings.serverPid ? runQueueWaitSeconds(m_settings.serverPid) : 0;
    m_ownWaitStart = runQueueWaitSeconds(0);
    QTimer::singleShot(int(m_settings.durationSeconds * 1000), this, &LoadGenerator::endWindow);
}

void LoadGenerator::endWindow()
{
    m_windowEndUs = nowUs();
    m_serverCpuEnd = m_settings.serverPid ? ProcessStats::cpuSeconds(m_settings.serverPid) : 0;
    m_ownCpuEnd = ProcessStats::cpuSeconds();
    m_serverWaitEnd = m_settings.serverPid ? runQueueWaitSeconds(m_settings.serverPid) : 0;
    m_ownWaitEnd = runQueueWaitSeconds(0);
    for (LoadClient *c : m_clients)
        c->stopTyping();
    // Let the last acknowledgements and broadcasts arrive.
    QTimer::singleShot(2000, this, &LoadGenerator::finish);
}

void LoadGenerator::operationSent(const QString &clientId, qint64 sequence, qint64 timeUs)
{
    if (isMeasured(timeUs))
        m_sendTimes.insert(SentOperation{clientId, sequence}, timeUs);
}

void LoadGenerator::keystrokesAcknowledged(const std::vector<qint64> &keystrokeTimesUs, qint64 timeUs)
{
    for (qint64 t : keystrokeTimesUs) {
        if (isMeasured(t))
            m_ack.add(timeUs - t);
    }
}

void LoadGenerator::broadcastReceived(const QString &author, qint64 sequence, qint64 timeUs)
{
    const auto it = m_sendTimes.constFind(SentOperation{author, sequence});
    if (it != m_sendTimes.cend())
        m_fanout.add(timeUs - *it);
}

void LoadGenerator::keystrokeMade(qint64 timeUs)
{
    if (isMeasured(timeUs))
        ++m_keystrokes;
}

void LoadGenerator::messageSent(qint64 timeUs)
{
    if (isMeasured(timeUs))
        ++m_messages;
}

void LoadGenerator::operationMessageSent(qint64 timeUs)
{
    if (isMeasured(timeUs))
        ++m_opMessages;
}

void LoadGenerator::errorReceived(const QString &message)
{
    if (m_errors++ == 0)
        m_firstError = message;
}

void LoadGenerator::finish()
{
    const double seconds = double(m_windowEndUs - m_windowStartUs) / 1e6;
    QJsonObject result{
            {QStringLiteral("impl"), QStringLiteral("coscribe")},
            {QStringLiteral("connections"), m_settings.connections},
            {QStringLiteral("documents"), m_settings.documents},
            {QStringLiteral("windowSeconds"), seconds},
            {QStringLiteral("keystrokes"), m_keystrokes},
            {QStringLiteral("keystrokesAcked"), m_ack.count()},
            {QStringLiteral("messagesSent"), m_messages},
            {QStringLiteral("opsSent"), m_opMessages},
            {QStringLiteral("intervalMs"), m_intervalMs},
            {QStringLiteral("offeredKeystrokesPerSecond"),
             m_settings.connections * 1000.0 / m_intervalMs * (1.0 - m_settings.cursorJumpShare)},
            {QStringLiteral("ack"), summary(m_ack)},
            {QStringLiteral("fanout"), summary(m_fanout)},
            {QStringLiteral("errors"), m_errors},
            {QStringLiteral("firstError"), m_firstError},
            {QStringLiteral("failures"), QJsonArray::fromStringList(m_failures)},
            {QStringLiteral("warnings"), QJsonArray::fromStringList(m_warnings)},
            {QStringLiteral("loadgenCpuSeconds"), m_ownCpuEnd - m_ownCpuStart},
            {QStringLiteral("loadgenWaitSeconds"), m_ownWaitEnd - m_ownWaitStart},
    };
    if (m_settings.serverPid) {
        result.insert(QStringLiteral("serverCpuSeconds"), m_serverCpuEnd - m_serverCpuStart);
        result.insert(QStringLiteral("serverWaitSeconds"), m_serverWaitEnd - m_serverWaitStart);
        result.insert(QStringLiteral("serverPeakRssKb"), ProcessStats::peakRssKb(m_settings.serverPid));
    }
    for (LoadClient *c : m_clients)
        c->deleteLater();
    m_clients.clear();
    Q_EMIT finished(result);
}

} // namespace bench
