// SPDX-License-Identifier: MIT
#include "processstats.h"

#include <QFile>
#include <QList>

#include <malloc.h>
#include <unistd.h>

namespace bench {

namespace {

QByteArray procFile(qint64 pid, const char *name)
{
    QFile f(pid ? QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(name))
                : QStringLiteral("/proc/self/%1").arg(QLatin1String(name)));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

qint64 statusField(qint64 pid, const QByteArray &field)
{
    const QByteArray status = procFile(pid, "status");
    for (const QByteArray &line : status.split('\n')) {
        if (line.startsWith(field))
            return line.mid(field.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

} // namespace

qint64 ProcessStats::peakRssKb(qint64 pid)
{
    return statusField(pid, "VmHWM:");
}

qint64 ProcessStats::rssKb(qint64 pid)
{
    return statusField(pid, "VmRSS:");
}

double ProcessStats::cpuSeconds(qint64 pid)
{
    const QByteArray stat = procFile(pid, "stat");
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are plain.
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return -1;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    // After ")": state is field 3, so utime (14) and stime (15) are at indices 11 and 12.
    if (fields.size() < 13)
        return -1;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / ticks;
}

} // namespace bench

namespace bench {

qint64 ProcessStats::heapInUseKb()
{
    const struct mallinfo2 info = mallinfo2();
    return qint64((info.uordblks + info.hblkhd) / 1024);
}

} // namespace bench
