// SPDX-License-Identifier: MIT
#pragma once

#include "defaults.h"

#include "documenthub.h"
#include "tokenstore.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QTcpServer;
class QWebSocketServer;
QT_END_NAMESPACE

namespace relay {

class Config;
class Connection;
class HttpEndpoints;
class Metrics;
class Storage;
class WebPage;

// RelayServer: the WebSocket front of coscribe-relay. It accepts TCP (or TLS) connections itself so it can
// set TCP_NODELAY on each socket (QWebSocketServer does not, and Nagle adds ~40 ms to every remote
// keystroke; see RELAY-PERFORMANCE.md), lets HttpEndpoints answer /healthz and /metrics on the same port, and
// hands WebSocket upgrades to a QWebSocketServer via handleConnection().
//
// Per connection it enforces, in this order: the origin (the relay's own or allow-listed, before the handshake), connection limits, the
// hello within helloTimeout, message size, rate limit, then decodes and routes: hello here, document
// requests to DocumentHub. A heartbeat pings every pingInterval and drops peers silent for longer than
// pingInterval + pingTimeout. shutdown() closes everyone with 1001 and emits shutdownFinished.
//
// Single-threaded: everything runs on the thread that owns the RelayServer.
class RelayServer : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        QHostAddress address = QHostAddress(QHostAddress::LocalHost);
        quint16 port = 0;
        QStringList allowedOrigins;              // besides the relay's own origin; "*": any
        bool webEditor = true;                   // serve the browser editor at / and /d/<doc> (webpage.h)
        qint64 maxMessageBytes = defaults::maxMessageBytes;
        int opsPerSecond = defaults::opsPerSecond;
        int burst = defaults::burst;
        int maxConnectionsPerAddress = defaults::maxConnectionsPerAddress;
        int maxConnections = defaults::maxConnections; // after hello
        // Before hello (TCP accepted, WebSocket handshake, or upgraded but not yet authenticated): bounded
        // apart, so sockets that never authenticate cannot lock out token holders. A message before hello may
        // be at most preHelloMessageBytes.
        int maxUnauthenticated = defaults::maxUnauthenticated;
        int maxUnauthenticatedPerAddress = defaults::maxUnauthenticatedPerAddress;
        qint64 preHelloMessageBytes = defaults::preHelloMessageBytes;
        // Unread output queued for one connection before it is closed (CloseCode::SlowConsumer). It must
        // hold the largest reply: a snapshot of a document of maxDocumentBytes, escaped.
        qint64 maxOutputBytes = defaults::maxOutputBytes;
        std::chrono::milliseconds helloTimeout = defaults::helloTimeout;
        std::chrono::milliseconds pingInterval = defaults::pingInterval;
        std::chrono::milliseconds pingTimeout = defaults::pingTimeout;
        DocumentHub::Limits documents;
        std::optional<TokenStore> tokens;        // nullopt: anonymous (only sensible on loopback)
        std::optional<QSslConfiguration> tls;
        QString serverName = QStringLiteral("coscribe-relay/0.1");
        // Connection ids are "<prefix><n>"; relays sharing a database need distinct prefixes (ClusterBus's
        // relay id) so participant ids stay unique across them.
        QString connectionIdPrefix = QStringLiteral("c");

        static Settings fromConfig(const Config &config);
    };

    RelayServer(Storage &storage, Settings settings, Metrics *metrics = nullptr, QObject *parent = nullptr);
    ~RelayServer() override;

    bool listen();
    QString errorString() const { return m_errorString; }
    quint16 port() const;
    QUrl url() const;

    int connectionCount() const { return int(m_connections.size()); }
    DocumentHub &hub() { return *m_hub; }
    HttpEndpoints &http() { return *m_http; }

    // Close every connection with 1001 and stop accepting; shutdownFinished follows once all are gone (at
    // most ~2 s later).
    void shutdown();

    // A new tokens file (reloaded on change or SIGHUP): connections whose token is gone are told (forbidden)
    // and closed (1008), those whose user or grants changed are closed with 4011 (their editors reconnect
    // and get the new role), everyone else carries on untouched. Returns how many of each.
    struct TokenReload
    {
        int kept = 0;
        int revoked = 0;
        int changed = 0;
    };
    TokenReload reloadTokens(TokenStore tokens);

Q_SIGNALS:
    void shutdownFinished();

private:
    void onTcpConnection();
    void onWebSocketConnection();
    void onText(Connection &c, const QString &text);
    void onBinary(Connection &c);
    void onClosed(Connection &c);
    void onHeartbeat();
    bool admitRateLimited(Connection &c, const QString &text);
    int unauthenticatedCount() const;
    struct Endpoint
    {
        QHostAddress address;
        quint16 port = 0;
        bool operator==(const Endpoint &o) const { return port == o.port && address == o.address; }
        friend size_t qHash(const Endpoint &e, size_t seed = 0) { return qHashMulti(seed, e.address, e.port); }
    };
    bool leftHandshake(QObject *socket, const Endpoint &endpoint);
    bool leftUnauthenticated(Connection &c);
    void handleHello(Connection &c, const collab::Message::Hello &hello);
    bool claimClientId(Connection &c, const collab::Message::Hello &hello, const QString &user);
    void sendError(Connection &c, const collab::ProtocolError &error);
    void finishShutdown();

    Storage &m_storage;
    Settings m_settings;
    Metrics *m_metrics;
    std::unique_ptr<Metrics> m_ownMetrics;
    QTcpServer *m_tcp = nullptr;
    QWebSocketServer *m_ws = nullptr;
    HttpEndpoints *m_http = nullptr;
    std::unique_ptr<WebPage> m_webPage;
    DocumentHub *m_hub = nullptr;
    QHash<Connection *, QHostAddress> m_connections;
    QHash<QHostAddress, int> m_perAddress;
    QHash<QHostAddress, int> m_socketsPerAddress;         // TCP sockets, from accept to destruction
    QHash<QHostAddress, int> m_unauthenticatedPerAddress; // handshaking sockets and connections before hello
    int m_handshaking = 0;
    QHash<Endpoint, QObject *> m_handshakes; // sockets accepted and not through their handshake yet
    int m_unauthenticatedConnections = 0;
    int m_authenticated = 0;
    QTimer m_heartbeat;
    quint64 m_nextConnectionId = 1;
    bool m_shuttingDown = false;
    bool m_shutdownFinished = false;
    QString m_errorString;
};

} // namespace relay
