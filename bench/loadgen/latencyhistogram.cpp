// SPDX-License-Identifier: MIT
#include "latencyhistogram.h"

#include <algorithm>
#include <cmath>

namespace bench {

void LatencyHistogram::add(qint64 microseconds)
{
    microseconds = std::max<qint64>(0, microseconds);
    const qint64 bucket = microseconds / BucketUs;
    if (bucket < FlatBuckets) {
        if (bucket >= qint64(m_flat.size()))
            m_flat.resize(std::size_t(std::min(FlatBuckets, std::max<qint64>(bucket + 1, qint64(m_flat.size()) * 2))));
        ++m_flat[std::size_t(bucket)];
    } else {
        ++m_buckets[bucket];
    }
    ++m_count;
    m_maxUs = std::max(m_maxUs, microseconds);
}

qint64 LatencyHistogram::quantileUs(double q) const
{
    if (m_count == 0)
        return 0;
    const qint64 rank = std::max<qint64>(1, qint64(std::ceil(q * double(m_count))));
    qint64 seen = 0;
    for (std::size_t bucket = 0; bucket < m_flat.size(); ++bucket) {
        seen += m_flat[bucket];
        if (seen >= rank)
            return std::min(m_maxUs, qint64(bucket) * BucketUs + BucketUs / 2);
    }
    for (const auto &[bucket, n] : m_buckets) {
        seen += n;
        if (seen >= rank)
            return std::min(m_maxUs, bucket * BucketUs + BucketUs / 2);
    }
    return m_maxUs;
}

QJsonObject LatencyHistogram::toJson() const
{
    QJsonObject buckets;
    for (std::size_t bucket = 0; bucket < m_flat.size(); ++bucket)
        if (m_flat[bucket])
            buckets.insert(QString::number(bucket), m_flat[bucket]);
    for (const auto &[bucket, n] : m_buckets)
        buckets.insert(QString::number(bucket), n);
    return QJsonObject{{QStringLiteral("bucketUs"), BucketUs},
                       {QStringLiteral("count"), m_count},
                       {QStringLiteral("maxUs"), m_maxUs},
                       {QStringLiteral("buckets"), buckets}};
}

} // namespace bench
