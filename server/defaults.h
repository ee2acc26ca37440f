// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <chrono>

// The relay's defaults, in one place: the option table (config.cpp, and so --help and docs/SELF-HOSTING.md),
// RelayServer::Settings and DocumentHub::Limits all take their values from here.
namespace relay::defaults {

using namespace std::chrono_literals;

inline constexpr quint16 port = 7300;
inline constexpr qint64 maxMessageBytes = 1024 * 1024;
inline constexpr qint64 maxDocumentBytes = 16 * 1024 * 1024;      // UTF-8 size of a document's text
inline constexpr int opsPerSecond = 100;
inline constexpr int burst = 200;
inline constexpr int maxConnectionsPerAddress = 64;
inline constexpr int maxConnections = 2000;                        // after hello
inline constexpr int maxUnauthenticated = 256;                     // before hello, in total
inline constexpr int maxUnauthenticatedPerAddress = 16;
inline constexpr qint64 preHelloMessageBytes = 16 * 1024;
// It must hold the largest reply: a snapshot of a document of maxDocumentBytes, escaped.
inline constexpr qint64 maxOutputBytes = 48 * 1024 * 1024;
inline constexpr std::chrono::milliseconds helloTimeout = 5s;
inline constexpr std::chrono::milliseconds pingInterval = 20s;
inline constexpr std::chrono::milliseconds pingTimeout = 10s;
inline constexpr int snapshotInterval = 500;                       // operations between snapshots
inline constexpr int historyInMemory = 1000;                       // operations kept beyond the snapshot
inline constexpr int maxCatchUpOps = 2000;
inline constexpr int maxSelectionRanges = 64;
inline constexpr int maxSelectionLag = 256;
inline constexpr int maxOperationComponents = 20000;
inline constexpr int maxOperationLag = 1000;
inline constexpr qint64 maxTransformWork = 4'000'000;
inline constexpr int maxDocumentsPerUser = 1000;
inline constexpr int maxCreationsPerHour = 120;
inline constexpr int keepIdleMs = 60000;
inline constexpr qint64 maxIdleBytes = 64 * 1024 * 1024;
// History: one author's operations with no longer pause between them are one edit session; a history
// request reads at most this many operations (a page ends early rather than scan further).
inline constexpr int historyGapSeconds = 300;
inline constexpr int maxHistoryScan = 20000;

} // namespace relay::defaults
