// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>

#include <map>
#include <vector>

namespace bench {

// LatencyHistogram: latencies in 10 µs buckets (exact maximum kept), so several load generator processes can
// merge theirs: toJson() gives {"bucketUs":10,"count":n,"maxUs":m,"buckets":{"<bucket>":count,...}} and
// bench/node/relay-report.js (and sharedb-loadgen.js) use the same form. Latencies below one second (nearly all
// of them) are counted in a flat array: add() runs ten times per operation in the load generator.
class LatencyHistogram
{
public:
    static constexpr qint64 BucketUs = 10;

    void add(qint64 microseconds);
    qint64 count() const { return m_count; }
    qint64 maxUs() const { return m_maxUs; }
    // The q-quantile (0..1) in microseconds, bucket resolution.
    qint64 quantileUs(double q) const;
    QJsonObject toJson() const;

private:
    static constexpr qint64 FlatBuckets = 100000; // 1 s
    std::vector<qint64> m_flat;                    // buckets below FlatBuckets, grown on demand
    std::map<qint64, qint64> m_buckets;            // the rest
    qint64 m_count = 0;
    qint64 m_maxUs = 0;
};

} // namespace bench
