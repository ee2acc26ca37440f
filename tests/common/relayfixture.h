// SPDX-License-Identifier: MIT
#pragma once

// An in-process coscribe-relay on 127.0.0.1 for the editor's tests: start, stop (dropping every connection
// as a crash would) and start again on the same port and data directory.
#include <relayserver.h>
#include <sqlstorage.h>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

class RelayFixture
{
public:
    // The rate limit each connection gets (messages per second sustained, and at once).
    int opsPerSecond = 1000;
    int burst = 2000;
    // Access tokens (none: everyone may do everything).
    std::optional<relay::TokenStore> tokens;

    bool start()
    {
        relay::SqlStorage::Options options;
        options.databaseName = m_dir.filePath(QStringLiteral("relay.sqlite"));
        options.synchronousFull = false;
        m_storage = std::make_unique<relay::SqlStorage>(options);
        if (!m_storage->open())
            return false;
        relay::RelayServer::Settings settings;
        settings.port = m_port; // 0 the first time; the same port after a restart
        settings.opsPerSecond = opsPerSecond;
        settings.burst = burst;
        if (tokens)
            settings.tokens = *tokens;
        m_server = std::make_unique<relay::RelayServer>(*m_storage, settings);
        if (!m_server->listen())
            return false;
        m_port = m_server->port();
        return true;
    }

    // As SIGTERM does: every connection is closed with 1001, then the server goes away.
    void stop()
    {
        if (m_server) {
            QSignalSpy finished(m_server.get(), &relay::RelayServer::shutdownFinished);
            m_server->shutdown();
            if (finished.isEmpty())
                finished.wait(5000);
        }
        m_server.reset();
        m_storage.reset();
    }

    bool isRunning() const { return m_server != nullptr; }
    quint16 port() const { return m_port; }
    QString dataDirectory() const { return m_dir.path(); }
    QUrl documentUrl(const QString &document) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/%2").arg(m_port).arg(document));
    }
    // While stopped: the relay loses everything it stored (a database replaced by an older backup, or lost).
    void wipeStorage()
    {
        for (const char *suffix : {"", "-wal", "-shm", "-journal"})
            QFile::remove(databasePath() + QLatin1String(suffix));
    }

    // The relay's SQLite file (tests open it beside the relay to break and mend its storage).
    QString databasePath() const { return m_dir.filePath(QStringLiteral("relay.sqlite")); }

private:
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    std::unique_ptr<relay::SqlStorage> m_storage;
    std::unique_ptr<relay::RelayServer> m_server;
};
