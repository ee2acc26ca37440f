// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QMap>
#include <QMutex>
#include <QString>

#include <array>
#include <chrono>

// Metrics: the relay's counters, gauges and one histogram, rendered in the Prometheus text exposition
// format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/) for GET /metrics.
//
// Exposed series (all prefixed coscribe_relay_):
//   connections                       gauge     WebSocket connections open now
//   connections_accepted_total        counter   connections accepted (hello passed or not)
//   connections_rejected_total{reason} counter  refused at accept/handshake (limit, origin, auth, ...)
//   documents_open                    gauge     documents loaded in memory
//   operations_applied_total          counter   operations committed and acknowledged
//   operation_commit_seconds          histogram receive -> committed to storage, per operation
//   messages_received_total           counter   WebSocket messages received
//   messages_sent_total               counter   WebSocket messages sent (a broadcast counts per recipient)
//   errors_total{code}                counter   error messages sent to clients, by protocol error code
//   start_time_seconds                gauge     Unix time the process started
//
// Thread-safe (one mutex): recording costs an uncontended lock, so a relay that later shards documents over
// threads can share one instance. Histogram buckets are upper bounds in seconds; exposition() writes them
// cumulatively, as Prometheus requires, ending with le="+Inf" (== _count).
namespace relay {

class Metrics
{
public:
    static constexpr std::array<double, 14> commitLatencyBuckets = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
    static constexpr const char *contentType = "text/plain; version=0.0.4; charset=utf-8";

    Metrics();

    void connectionOpened();
    void connectionClosed();
    void connectionRejected(const QString &reason);
    void setDocumentsOpen(qint64 count);
    void operationApplied(std::chrono::nanoseconds commitLatency);
    void messageReceived();
    void messagesSent(qint64 count = 1);
    void errorSent(const QString &code);

    // Current values (for /healthz and the tests).
    qint64 connections() const;
    qint64 documentsOpen() const;
    qint64 operationsApplied() const;
    qint64 errors(const QString &code) const;
    QDateTime startTime() const { return m_startTime; }

    QByteArray exposition() const;

    // Escapes a label value (\ " and newline) as the exposition format requires.
    static QByteArray escapeLabelValue(const QString &value);

private:
    mutable QMutex m_mutex;
    const QDateTime m_startTime;
    qint64 m_connections = 0;
    qint64 m_connectionsAccepted = 0;
    QMap<QString, qint64> m_rejected;
    qint64 m_documentsOpen = 0;
    qint64 m_operationsApplied = 0;
    std::array<qint64, commitLatencyBuckets.size()> m_latencyBuckets{};  // non-cumulative counts
    qint64 m_latencyCount = 0;
    double m_latencySum = 0;
    qint64 m_messagesReceived = 0;
    qint64 m_messagesSent = 0;
    QMap<QString, qint64> m_errors;
};

} // namespace relay
