// SPDX-License-Identifier: MIT
#pragma once

// The real coscribe-relay binary as a subprocess for relay tests: where it is, and starting it on a free
// port (--port 0) and reading which one from its "listening on" line.
#include <QFile>
#include <QProcess>
#include <QTest>

namespace testutil {

inline QString relayBinary()
{
    const QString fromEnv = qEnvironmentVariable("COSCRIBE_BINARY_DIR");
    if (!fromEnv.isEmpty() && QFile::exists(fromEnv + QStringLiteral("/server/coscribe-relay")))
        return fromEnv + QStringLiteral("/server/coscribe-relay");
    return QStringLiteral(COSCRIBE_RELAY_BINARY);
}

// Starts the relay with `arguments` (which should include --port 0) and returns its port, or 0 when it did
// not come up within `timeoutMs`.
inline quint16 startRelayProcess(QProcess &process, const QStringList &arguments, int timeoutMs = 15000)
{
    process.setProgram(relayBinary());
    process.setArguments(arguments);
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.start();
    if (!process.waitForStarted(5000))
        return 0;
    QByteArray out;
    const bool started = QTest::qWaitFor([&] {
        out += process.readAllStandardOutput();
        return (out.contains("listening ") && out.contains('\n')) || process.state() == QProcess::NotRunning;
    }, timeoutMs);
    const qsizetype at = out.indexOf("listening ");
    if (!started || at < 0) {
        qWarning() << "relay did not start:" << process.readAllStandardError();
        return 0;
    }
    // coscribe-relay prints "listening PORT" on stdout once it accepts connections (server/main.cpp).
    const QByteArray line = out.mid(at + 10, out.indexOf('\n', at) - at - 10).trimmed();
    return quint16(line.toUInt());
}

} // namespace testutil
