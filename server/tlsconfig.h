// SPDX-License-Identifier: MIT
#pragma once

#include <QSslConfiguration>
#include <QString>

#include <variant>

// TlsConfig: turns --tls-cert / --tls-key (PEM files) into the QSslConfiguration the relay serves wss:// with,
// with errors an operator can act on (missing file, not PEM, encrypted key, no TLS backend, expired cert).
//
// How the relay serves TLS, keeping TCP_NODELAY and the /healthz peek:
//   - Listen with a QSslServer (Qt 6.4, a QTcpServer subclass) instead of a plain QTcpServer:
//         auto *server = new QSslServer(this);
//         server->setSslConfiguration(tls);          // from TlsConfig::load()
//         server->setHandshakeTimeout(helloTimeoutMs);
//     QSslServer creates a QSslSocket per connection and runs the server handshake; the socket returned by
//     nextPendingConnection() is that QSslSocket (a QTcpSocket, so the rest of the code is unchanged).
//   - Take sockets on QTcpServer::pendingConnectionAvailable, NOT newConnection: QSslServer emits
//     newConnection at TCP accept, before the handshake, when nextPendingConnection() still returns nullptr;
//     the socket is queued (and pendingConnectionAvailable emitted) only once it is encrypted. A plain
//     QTcpServer emits both signals together, so one handler connected to pendingConnectionAvailable serves
//     both cases:
//         connect(server, &QTcpServer::pendingConnectionAvailable, this, &RelayServer::onPendingConnection);
//         while (QTcpSocket *socket = server->nextPendingConnection()) { ... }
//   - In that handler, as for plain TCP: setSocketOption(LowDelayOption, 1) and
//     HttpEndpoints::route(socket, handOver). readyRead/peek on a QSslSocket see decrypted bytes only, so the
//     /healthz check and QWebSocketServer::handleConnection() work the same over TLS.
//   - Keep QWebSocketServer in NonSecureMode: it never touches the TLS layer when given sockets through
//     handleConnection() (SecureMode only matters for its own listen()). The one visible effect is that
//     QWebSocket::requestUrl() on the server side says ws:// — do not rely on its scheme.
// tests/relay/tst_tlsconfig.cpp exercises exactly this path (QSslServer + route + QWebSocketServer).
namespace relay {

class TlsConfig
{
public:
    // certificatePath: PEM, the server certificate first, then any intermediates. keyPath: PEM private key
    // (RSA or EC), unencrypted. Returns the configuration or an error message naming the file.
    static std::variant<QSslConfiguration, QString> load(const QString &certificatePath, const QString &keyPath);

    // False when Qt has no working TLS backend (libssl missing); the message says so.
    static bool isAvailable(QString *why = nullptr);
};

} // namespace relay
