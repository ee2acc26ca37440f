// SPDX-License-Identifier: MIT
#include "metrics.h"

#include <QRegularExpression>
#include <QtTest>

using relay::Metrics;
using namespace std::chrono_literals;

namespace {

struct Sample
{
    QString name;
    QString labels;  // raw text inside {}, empty if none
    double value = 0;
};

// Parses an exposition strictly enough to catch format mistakes: every line is a HELP, a TYPE or a sample;
// a sample belongs to a family whose TYPE came first; names and label syntax follow the format's grammar.
bool parseExposition(const QByteArray &text, QList<Sample> *samples, QHash<QString, QString> *types, QString *error)
{
    static const QRegularExpression helpRe(QStringLiteral("^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$"));
    static const QRegularExpression typeRe(
        QStringLiteral("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$"));
    static const QRegularExpression sampleRe(QStringLiteral(
        "^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*)\\})?"
        " (-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)$"));
    if (!text.endsWith('\n')) {
        *error = QStringLiteral("exposition must end with a newline");
        return false;
    }
    const QStringList lines = QString::fromUtf8(text).split(u'\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) {
        const QString &line = lines.at(i);
        if (helpRe.match(line).hasMatch())
            continue;
        if (const auto m = typeRe.match(line); m.hasMatch()) {
            if (types->contains(m.captured(1))) {
                *error = QStringLiteral("duplicate TYPE for %1").arg(m.captured(1));
                return false;
            }
            types->insert(m.captured(1), m.captured(2));
            continue;
        }
        const auto m = sampleRe.match(line);
        if (!m.hasMatch()) {
            *error = QStringLiteral("line %1 is not valid: %2").arg(i + 1).arg(line);
            return false;
        }
        QString family = m.captured(1);
        for (const char *suffix : {"_bucket", "_sum", "_count"})
            if (!types->contains(family) && family.endsWith(QLatin1String(suffix)))
                family.chop(qsizetype(strlen(suffix)));
        if (!types->contains(family)) {
            *error = QStringLiteral("sample %1 has no TYPE before it").arg(m.captured(1));
            return false;
        }
        bool ok = true;
        const QString valueText = m.captured(3);
        const double value = valueText == u"+Inf" ? qInf() : valueText.toDouble(&ok);
        if (!ok) {
            *error = QStringLiteral("bad value on line %1").arg(i + 1);
            return false;
        }
        samples->append(Sample{m.captured(1), m.captured(2), value});
    }
    return true;
}

double valueOf(const QList<Sample> &samples, const QString &name, const QString &labels = {})
{
    for (const Sample &s : samples)
        if (s.name == name && s.labels == labels)
            return s.value;
    return -1;
}

} // namespace

class tst_Metrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyExpositionParses()
    {
        const Metrics metrics;
        QList<Sample> samples;
        QHash<QString, QString> types;
        QString error;
        QVERIFY2(parseExposition(metrics.exposition(), &samples, &types, &error), qPrintable(error));
        QCOMPARE(types.value(QStringLiteral("coscribe_relay_connections")), QStringLiteral("gauge"));
        QCOMPARE(types.value(QStringLiteral("coscribe_relay_documents_open")), QStringLiteral("gauge"));
        QCOMPARE(types.value(QStringLiteral("coscribe_relay_operations_applied_total")), QStringLiteral("counter"));
        QCOMPARE(types.value(QStringLiteral("coscribe_relay_errors_total")), QStringLiteral("counter"));
        QCOMPARE(types.value(QStringLiteral("coscribe_relay_operation_commit_seconds")), QStringLiteral("histogram"));
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_operation_commit_seconds_count")), 0.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_operation_commit_seconds_bucket"),
                         QStringLiteral("le=\"+Inf\"")), 0.0);
    }

    void countersAndGauges()
    {
        Metrics metrics;
        metrics.connectionOpened();
        metrics.connectionOpened();
        metrics.connectionOpened();
        metrics.connectionClosed();
        metrics.connectionRejected(QStringLiteral("origin"));
        metrics.setDocumentsOpen(5);
        metrics.messageReceived();
        metrics.messagesSent(9);
        metrics.errorSent(QStringLiteral("base-length-mismatch"));
        metrics.errorSent(QStringLiteral("base-length-mismatch"));
        metrics.errorSent(QStringLiteral("rate-limited"));

        QList<Sample> samples;
        QHash<QString, QString> types;
        QString error;
        QVERIFY2(parseExposition(metrics.exposition(), &samples, &types, &error), qPrintable(error));
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_connections")), 2.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_connections_accepted_total")), 3.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_connections_rejected_total"),
                         QStringLiteral("reason=\"origin\"")), 1.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_documents_open")), 5.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_messages_sent_total")), 9.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_errors_total"),
                         QStringLiteral("code=\"base-length-mismatch\"")), 2.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_errors_total"), QStringLiteral("code=\"rate-limited\"")),
                 1.0);
        QCOMPARE(metrics.errors(QStringLiteral("rate-limited")), 1);
        QVERIFY(valueOf(samples, QStringLiteral("coscribe_relay_start_time_seconds")) > 1.6e9);
        // Closing more than was opened never goes negative.
        for (int i = 0; i < 5; ++i)
            metrics.connectionClosed();
        QCOMPARE(metrics.connections(), 0);
    }

    void histogramBucketsAreCumulative()
    {
        Metrics metrics;
        // 0.05 ms, 0.3 ms, 0.3 ms, 4 ms, 40 ms, 3 s (beyond the last finite bucket)
        const std::chrono::nanoseconds latencies[] = {50us, 300us, 300us, 4ms, 40ms, 3s};
        double sum = 0;
        for (const auto latency : latencies) {
            metrics.operationApplied(latency);
            sum += std::chrono::duration<double>(latency).count();
        }
        QList<Sample> samples;
        QHash<QString, QString> types;
        QString error;
        QVERIFY2(parseExposition(metrics.exposition(), &samples, &types, &error), qPrintable(error));

        QList<QPair<double, double>> buckets;  // (le, count) in exposition order
        for (const Sample &s : samples) {
            if (s.name != u"coscribe_relay_operation_commit_seconds_bucket")
                continue;
            const QString le = s.labels.section(u'"', 1, 1);
            buckets.append({le == u"+Inf" ? qInf() : le.toDouble(), s.value});
        }
        QCOMPARE(buckets.size(), qsizetype(Metrics::commitLatencyBuckets.size() + 1));
        for (qsizetype i = 1; i < buckets.size(); ++i) {
            QVERIFY2(buckets[i].first > buckets[i - 1].first, "bucket bounds must increase");
            QVERIFY2(buckets[i].second >= buckets[i - 1].second, "bucket counts must be cumulative");
        }
        auto countAt = [&](double le) {
            for (const auto &b : buckets)
                if (qFuzzyCompare(b.first, le))
                    return b.second;
            return -1.0;
        };
        QCOMPARE(countAt(0.0001), 1.0);
        QCOMPARE(countAt(0.00025), 1.0);
        QCOMPARE(countAt(0.0005), 3.0);
        QCOMPARE(countAt(0.005), 4.0);
        QCOMPARE(countAt(0.05), 5.0);
        QCOMPARE(countAt(2.5), 5.0);
        QCOMPARE(buckets.constLast().second, 6.0);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_operation_commit_seconds_count")), 6.0);
        QVERIFY(qAbs(valueOf(samples, QStringLiteral("coscribe_relay_operation_commit_seconds_sum")) - sum) < 1e-9);
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_operations_applied_total")), 6.0);
        // Bounds are printed shortest-form, not 0.00050000000000000001.
        QVERIFY(metrics.exposition().contains("le=\"0.0005\""));
    }

    void labelValuesAreEscaped()
    {
        Metrics metrics;
        metrics.errorSent(QStringLiteral("odd\"code\\with\nnewline"));
        QList<Sample> samples;
        QHash<QString, QString> types;
        QString error;
        QVERIFY2(parseExposition(metrics.exposition(), &samples, &types, &error), qPrintable(error));
        QCOMPARE(valueOf(samples, QStringLiteral("coscribe_relay_errors_total"),
                         QStringLiteral("code=\"odd\\\"code\\\\with\\nnewline\"")), 1.0);
    }
};

QTEST_GUILESS_MAIN(tst_Metrics)
#include "tst_metrics.moc"
