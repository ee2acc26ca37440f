// SPDX-License-Identifier: MIT
#include "metrics.h"

#include <QLocale>
#include <QMutexLocker>

namespace relay {

namespace {

QByteArray number(double value)
{
    // Fixed notation, shortest round-trip digits: le="0.0005" rather than 5e-04 or 0.00050000000000000001.
    return QByteArray::number(value, 'f', QLocale::FloatingPointShortest);
}

void header(QByteArray &out, const char *name, const char *type, const char *help)
{
    out += "# HELP coscribe_relay_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE coscribe_relay_";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(QByteArray &out, const char *name, qint64 value, const QByteArray &labels = {})
{
    out += "coscribe_relay_";
    out += name;
    out += labels;
    out += ' ';
    out += QByteArray::number(value);
    out += '\n';
}

void labelled(QByteArray &out, const char *name, const char *label, const QMap<QString, qint64> &values)
{
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        sample(out, name, it.value(), QByteArray("{") + label + "=\"" + Metrics::escapeLabelValue(it.key()) + "\"}");
}

} // namespace

Metrics::Metrics() : m_startTime(QDateTime::currentDateTimeUtc()) {}

void Metrics::connectionOpened()
{
    QMutexLocker lock(&m_mutex);
    ++m_connections;
    ++m_connectionsAccepted;
}

void Metrics::connectionClosed()
{
    QMutexLocker lock(&m_mutex);
    if (m_connections > 0)
        --m_connections;
}

void Metrics::connectionRejected(const QString &reason)
{
    QMutexLocker lock(&m_mutex);
    ++m_rejected[reason];
}

void Metrics::setDocumentsOpen(qint64 count)
{
    QMutexLocker lock(&m_mutex);
    m_documentsOpen = count;
}

void Metrics::operationApplied(std::chrono::nanoseconds commitLatency)
{
    const double seconds = std::chrono::duration<double>(commitLatency).count();
    QMutexLocker lock(&m_mutex);
    ++m_operationsApplied;
    ++m_latencyCount;
    m_latencySum += seconds;
    for (size_t i = 0; i < commitLatencyBuckets.size(); ++i) {
        if (seconds <= commitLatencyBuckets[i]) {
            ++m_latencyBuckets[i];
            break;
        }
    }
}

void Metrics::messageReceived()
{
    QMutexLocker lock(&m_mutex);
    ++m_messagesReceived;
}

void Metrics::messagesSent(qint64 count)
{
    QMutexLocker lock(&m_mutex);
    m_messagesSent += count;
}

void Metrics::errorSent(const QString &code)
{
    QMutexLocker lock(&m_mutex);
    ++m_errors[code];
}

qint64 Metrics::connections() const
{
    QMutexLocker lock(&m_mutex);
    return m_connections;
}

qint64 Metrics::documentsOpen() const
{
    QMutexLocker lock(&m_mutex);
    return m_documentsOpen;
}

qint64 Metrics::operationsApplied() const
{
    QMutexLocker lock(&m_mutex);
    return m_operationsApplied;
}

qint64 Metrics::errors(const QString &code) const
{
    QMutexLocker lock(&m_mutex);
    return m_errors.value(code);
}

QByteArray Metrics::escapeLabelValue(const QString &value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray Metrics::exposition() const
{
    QMutexLocker lock(&m_mutex);
    QByteArray out;
    out.reserve(4096);

    header(out, "connections", "gauge", "WebSocket connections currently open.");
    sample(out, "connections", m_connections);
    header(out, "connections_accepted_total", "counter", "WebSocket connections accepted.");
    sample(out, "connections_accepted_total", m_connectionsAccepted);
    header(out, "connections_rejected_total", "counter", "Connections refused, by reason.");
    labelled(out, "connections_rejected_total", "reason", m_rejected);
    header(out, "documents_open", "gauge", "Documents currently loaded in memory.");
    sample(out, "documents_open", m_documentsOpen);
    header(out, "operations_applied_total", "counter", "Operations committed to storage and acknowledged.");
    sample(out, "operations_applied_total", m_operationsApplied);

    header(out, "operation_commit_seconds", "histogram",
           "Time from receiving an operation to having it committed to storage.");
    qint64 cumulative = 0;
    for (size_t i = 0; i < commitLatencyBuckets.size(); ++i) {
        cumulative += m_latencyBuckets[i];
        sample(out, "operation_commit_seconds_bucket", cumulative,
               "{le=\"" + number(commitLatencyBuckets[i]) + "\"}");
    }
    sample(out, "operation_commit_seconds_bucket", m_latencyCount, "{le=\"+Inf\"}");
    out += "coscribe_relay_operation_commit_seconds_sum " + number(m_latencySum) + '\n';
    sample(out, "operation_commit_seconds_count", m_latencyCount);

    header(out, "messages_received_total", "counter", "WebSocket messages received.");
    sample(out, "messages_received_total", m_messagesReceived);
    header(out, "messages_sent_total", "counter", "WebSocket messages sent (per recipient).");
    sample(out, "messages_sent_total", m_messagesSent);
    header(out, "errors_total", "counter", "Error messages sent to clients, by error code.");
    labelled(out, "errors_total", "code", m_errors);
    header(out, "start_time_seconds", "gauge", "Unix time at which the relay started.");
    out += "coscribe_relay_start_time_seconds " + number(double(m_startTime.toMSecsSinceEpoch()) / 1000.0) + '\n';
    return out;
}

} // namespace relay
