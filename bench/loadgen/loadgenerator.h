// SPDX-License-Identifier: MIT
#pragma once

#include "latencyhistogram.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <random>
#include <vector>

namespace bench {

class LoadClient;

// LoadGenerator: drives one share of a relay load test. It opens `connections` WebSocket connections spread
// over `documents` documents (all clients of a document live in this process, so the time an operation was
// sent is known where its broadcast arrives), lets every client type at a human rate from startAt on, and
// measures from startAt + warmup for `duration`:
//   ack latency     keystroke -> acknowledgement of the operation that carried it (per keystroke),
//   fan-out latency operation sent -> its broadcast received, per receiving client,
//   throughput      keystrokes acknowledged per second,
// plus the relay's CPU seconds, run-queue wait and peak RSS from /proc/<serverPid> when given, and this
// process's CPU and run-queue wait (a wait close to the window means the machine, not the program, set the
// pace). Typing stops at the end of the window; after a short drain the result is emitted as one JSON object.
//
// Every client acts once per round(1000 / opsPerSecond) ms (the same rounding as sharedb-loadgen.js), so the
// offered load is exactly connections × 1000 / interval actions per second; `offeredKeystrokesPerSecond`
// reports the keystroke share of it.
class LoadGenerator : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QUrl url;
        int connections = 10;
        int documents = 1;
        int firstDocument = 0;             // documents are <prefix><firstDocument + i>
        QString documentPrefix = QStringLiteral("bench-");
        double opsPerSecond = 5;           // per client
        double cursorJumpShare = 0.1;      // share of actions that move the caret (a selection message)
        double warmupSeconds = 5;
        double durationSeconds = 20;
        qint64 startAtMs = 0;              // wall clock (ms since epoch) when typing starts; 0 = when connected
        qint64 serverPid = 0;
        int seed = 1;
        double connectTimeoutSeconds = 60;
    };

    explicit LoadGenerator(Settings settings, QObject *parent = nullptr);
    ~LoadGenerator() override;

    void start();

    // Called by the clients. Times are steady-clock microseconds (CLOCK_MONOTONIC, shared by processes).
    static qint64 nowUs();
    bool isMeasured(qint64 timeUs) const;
    std::mt19937 &random() { return m_random; }
    const Settings &settings() const { return m_settings; }
    void operationSent(const QString &clientId, qint64 sequence, qint64 timeUs);
    void keystrokesAcknowledged(const std::vector<qint64> &keystrokeTimesUs, qint64 timeUs);
    void broadcastReceived(const QString &author, qint64 sequence, qint64 timeUs);
    void keystrokeMade(qint64 timeUs);
    void messageSent(qint64 timeUs);
    void operationMessageSent(qint64 timeUs);
    void errorReceived(const QString &message);

Q_SIGNALS:
    void finished(const QJsonObject &result);

private:
    void connectNext();
    void onClientReady();
    void onClientFailed(const QString &why);
    void beginTyping();
    void beginWindow();
    void endWindow();
    void finish();

    // An operation as its broadcast names it: author's client id and sequence.
    struct SentOperation
    {
        QString author;
        qint64 sequence = 0;
        friend bool operator==(const SentOperation &, const SentOperation &) = default;
        friend size_t qHash(const SentOperation &key, size_t seed = 0) noexcept
        {
            return qHashMulti(seed, key.author, key.sequence);
        }
    };

    Settings m_settings;
    std::mt19937 m_random;
    std::vector<LoadClient *> m_clients;
    int m_opened = 0;
    int m_ready = 0;
    size_t m_nextToConnect = 0;
    static constexpr int maxHandshakes = 8;
    qint64 m_windowStartUs = -1;
    qint64 m_windowEndUs = -1;
    QHash<SentOperation, qint64> m_sendTimes; // sent, for operations sent in the window
    LatencyHistogram m_ack;
    LatencyHistogram m_fanout;
    qint64 m_keystrokes = 0;              // made in the window
    qint64 m_messages = 0;                // sent in the window (ops and selections)
    qint64 m_opMessages = 0;              // op messages sent in the window (keystrokes compose while one is in flight)
    int m_intervalMs = 200;
    qint64 m_errors = 0;
    QString m_firstError;
    QStringList m_failures;
    QStringList m_warnings;               // worth reporting, but the measurement stands
    double m_serverCpuStart = 0;
    double m_serverCpuEnd = 0;
    double m_ownCpuStart = 0;
    double m_ownCpuEnd = 0;
    double m_serverWaitStart = 0;
    double m_serverWaitEnd = 0;
    double m_ownWaitStart = 0;
    double m_ownWaitEnd = 0;
};

} // namespace bench
