// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

namespace bench {

// ProcessStats: what /proc says about a process (Linux only): peak resident set (VmHWM) and CPU time
// (utime + stime). A pid of 0 means this process. Values are -1 when the process is gone.
class ProcessStats
{
public:
    static qint64 peakRssKb(qint64 pid = 0);
    static qint64 rssKb(qint64 pid = 0);
    static double cpuSeconds(qint64 pid = 0);
    // Bytes this process has allocated with malloc and not freed (glibc mallinfo2), in KiB.
    static qint64 heapInUseKb();
};

} // namespace bench
