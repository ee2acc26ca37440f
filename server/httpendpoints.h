// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

QT_BEGIN_NAMESPACE
class QTcpServer;
class QTcpSocket;
QT_END_NAMESPACE

// HttpEndpoints: the relay's plain-HTTP endpoints, GET /healthz (JSON), GET /metrics (Prometheus text) and the
// browser editor's files (webpage.h), served either on the relay's own port, in front of the WebSocket handshake, or on a separate --metrics-port.
// A deliberately minimal HTTP/1.1 responder: one request per connection, answered with Connection: close.
//
// (b) On the relay port. The relay accepts sockets with its own QTcpServer (LowDelay) or
// QSslServer (TLS, see tlsconfig.h); for each accepted socket it calls route() instead of handing it straight
// to QWebSocketServer (connect to pendingConnectionAvailable, which works for both server kinds):
//
//     connect(m_tcpServer, &QTcpServer::pendingConnectionAvailable, this, [this] {
//         while (QTcpSocket *socket = m_tcpServer->nextPendingConnection()) {
//             socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
//             m_http->route(socket, [this](QTcpSocket *s) { m_webSocketServer->handleConnection(s); });
//         }
//     });
//
// route() waits (non-blocking) until the request header is complete, peeks at it without consuming, and
//   - for a WebSocket upgrade (an Upgrade: websocket header) from an allowed origin (setAllowedOrigins) calls
//     handOver(socket) with every byte still unread: QWebSocketServer::handleConnection() re-emits readyRead
//     when data is already buffered (Qt 6.4); from another origin answers 403;
//   - for any other HTTP request answers it here: /healthz, /metrics (when served on this port), the web
//     editor (setWebPage), 404, 405, or 426 Upgrade Required for other paths, then closes the socket and
//     deleteLater()s it.
// A socket that sends no complete header within headerTimeout() (or a header over 16 KiB) is answered with an
// error and closed. Ownership: route() takes over the socket until handOver is called.
//
// (a) On a separate port: listen(address, port) runs its own QTcpServer with the same responder.
//
// The primitives classify() and respond() are pure and public for the tests and for a relay that wants to
// do its own socket handling.
namespace relay {

class Metrics;
class WebPage;

class HttpEndpoints : public QObject
{
    Q_OBJECT

public:
    enum class RequestKind {
        Incomplete,  // header not complete yet: wait for more bytes
        WebSocket,   // a WebSocket upgrade: hand over to QWebSocketServer
        Http,        // plain HTTP (or garbage / oversized): answer with respond()
    };

    // Which paths respond() serves. On the relay port other paths get 426 Upgrade Required (it is a WebSocket
    // endpoint); with a --metrics-port the relay port serves /healthz only (metrics stay off the public port).
    enum class Routes {
        RelayPort,            // /healthz, /metrics; other paths 426
        RelayPortHealthOnly,  // /healthz; /metrics 404; other paths 426
        MetricsPort,          // /healthz, /metrics; other paths 404
    };

    explicit HttpEndpoints(Metrics *metrics, QObject *parent = nullptr);
    ~HttpEndpoints() override;

    // Extra fields merged into the /healthz JSON (e.g. storage status, open documents). Called per request.
    // If it sets "status" to anything but "ok", /healthz answers 503.
    void setHealthProvider(std::function<QJsonObject()> provider);
    void setVersion(const QString &version);

    // The browser editor served on the relay port at /, /d/<doc> and /assets/ (nullptr: not served; those
    // paths get 426 like any other). Not owned; must outlive this object.
    void setWebPage(const WebPage *page);
    // WebSocket upgrades with an Origin header are handed over only from the relay's own origin (the Origin's
    // host and port equal the request's Host) or from one of these ("*": any). Refused: 403 before the
    // handshake, counted as connections_rejected_total{reason="origin"}. No Origin (native clients): allowed.
    void setAllowedOrigins(const QStringList &origins);
    static bool originAllowed(const QByteArray &head, const QStringList &allowedOrigins);

    // Routes served by route() on the relay port (default RelayPort; RelayPortHealthOnly with --metrics-port).
    void setRelayPortRoutes(Routes routes);
    void setHeaderTimeout(int milliseconds);
    int headerTimeout() const { return m_headerTimeoutMs; }

    // (b) See the header comment.
    void route(QTcpSocket *socket, std::function<void(QTcpSocket *)> handOver);

    // (a) A separate port serving /healthz and /metrics. Returns false (see errorString()) if it cannot bind.
    bool listen(const QHostAddress &address, quint16 port);
    quint16 serverPort() const;
    QString errorString() const;
    void close();

    static constexpr qsizetype maxHeaderBytes = 16 * 1024;
    static RequestKind classify(const QByteArray &head);
    // The complete HTTP response (status line, headers, body) for a request header.
    QByteArray respond(const QByteArray &head, Routes routes) const;

private:
    void onMetricsConnection();
    void serveWhenComplete(QTcpSocket *socket, Routes routes, std::function<void(QTcpSocket *)> handOver);
    QJsonObject health() const;

    Metrics *m_metrics;
    QTcpServer *m_server = nullptr;
    std::function<QJsonObject()> m_healthProvider;
    QString m_version;
    Routes m_relayPortRoutes = Routes::RelayPort;
    const WebPage *m_webPage = nullptr;
    QStringList m_allowedOrigins;
    int m_headerTimeoutMs = 10000;
    QElapsedTimer m_uptime;
    QString m_errorString;
};

} // namespace relay
