// SPDX-License-Identifier: MIT
#include "relayserver.h"

#include "config.h"
#include "connection.h"
#include "httpendpoints.h"
#include "webpage.h"
#include "logsafe.h"
#include "metrics.h"
#include "storage.h"

#include <QCryptographicHash>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

Q_LOGGING_CATEGORY(lcRelay, "coscribe.relay")

using namespace collab;

namespace relay {

RelayServer::Settings RelayServer::Settings::fromConfig(const Config &config)
{
    Settings s;
    s.address = config.listenAddress();
    s.port = config.port();
    s.allowedOrigins = config.allowedOrigins();
    s.webEditor = config.webEditor();
    s.maxMessageBytes = config.maxMessageBytes();
    s.opsPerSecond = config.opsPerSecond();
    s.burst = config.burst();
    s.maxConnectionsPerAddress = config.maxConnectionsPerAddress();
    s.maxConnections = config.maxConnections();
    s.helloTimeout = config.helloTimeout();
    s.pingInterval = config.pingInterval();
    s.pingTimeout = config.pingTimeout();
    s.documents.maxDocumentBytes = config.maxDocumentBytes();
    s.documents.snapshotInterval = config.snapshotInterval();
    s.documents.maxDocumentsPerUser = config.maxDocumentsPerUser();
    s.documents.historyGapSeconds = config.historyGapSeconds();
    s.documents.maxCreationsPerHour = config.maxCreationsPerHour();
    s.maxOutputBytes = config.maxOutputBytes();
    s.maxUnauthenticated = config.maxUnauthenticated();
    s.maxUnauthenticatedPerAddress = config.maxUnauthenticatedPerAddress();
    return s;
}

RelayServer::RelayServer(Storage &storage, Settings settings, Metrics *metrics, QObject *parent)
    : QObject(parent), m_storage(storage), m_settings(std::move(settings)), m_metrics(metrics)
{
    if (!m_metrics) {
        m_ownMetrics = std::make_unique<Metrics>();
        m_metrics = m_ownMetrics.get();
    }
    m_hub = new DocumentHub(m_storage, m_settings.documents, this);
    connect(m_hub, &DocumentHub::operationCommitted, this,
            [this](std::chrono::nanoseconds latency) { m_metrics->operationApplied(latency); });
    connect(m_hub, &DocumentHub::documentsChanged, this, [this](int n) { m_metrics->setDocumentsOpen(n); });

    m_http = new HttpEndpoints(m_metrics, this);
    m_http->setVersion(m_settings.serverName);
    // Browsers always send Origin; native clients usually do not. A cross-site page must not be able to drive
    // a user's relay session (WebSocket hijacking): only the relay's own page and the listed origins may.
    m_http->setAllowedOrigins(m_settings.allowedOrigins);
    if (m_settings.webEditor) {
        m_webPage = std::make_unique<WebPage>();
        m_http->setWebPage(m_webPage.get());
    }
    m_http->setHealthProvider([this] {
        const bool storageOk = m_storage.isAvailable();
        // Reachable but failing to commit (a full disk, a corrupt database): degraded, not ok.
        const bool committing = !m_hub->commitsFailing();
        const QString status = m_shuttingDown ? QStringLiteral("stopping")
                : !storageOk                   ? QStringLiteral("storage-unavailable")
                : !committing                  ? QStringLiteral("degraded")
                                               : QStringLiteral("ok");
        return QJsonObject{{QStringLiteral("status"), status},
                           {QStringLiteral("storage"), !storageOk ? QStringLiteral("unavailable")
                                                       : !committing ? QStringLiteral("failing")
                                                                     : QStringLiteral("ok")},
                           {QStringLiteral("connections"), connectionCount()},
                           {QStringLiteral("documentsOpen"), m_hub->loadedDocuments()}};
    });

    m_ws = new QWebSocketServer(m_settings.serverName, QWebSocketServer::NonSecureMode, this);
    m_ws->setHandshakeTimeout(int(m_settings.helloTimeout.count()));
    connect(m_ws, &QWebSocketServer::newConnection, this, &RelayServer::onWebSocketConnection);

    m_heartbeat.setInterval(m_settings.pingInterval);
    connect(&m_heartbeat, &QTimer::timeout, this, &RelayServer::onHeartbeat);
}

RelayServer::~RelayServer()
{
    // Commit (and acknowledge) what is queued while storage and connections still exist. Then connections,
    // which reference the hub: take them down first, without notifying anyone.
    m_hub->flush();
    const auto connections = m_connections.keys();
    for (Connection *c : connections) {
        disconnect(c, nullptr, this, nullptr);
        delete c;
    }
    m_connections.clear();
}

bool RelayServer::listen()
{
    if (m_settings.tls) {
        auto *ssl = new QSslServer(this);
        ssl->setSslConfiguration(*m_settings.tls);
        ssl->setHandshakeTimeout(int(m_settings.helloTimeout.count()));
        m_tcp = ssl;
    } else {
        m_tcp = new QTcpServer(this);
    }
    connect(m_tcp, &QTcpServer::pendingConnectionAvailable, this, &RelayServer::onTcpConnection);
    if (!m_tcp->listen(m_settings.address, m_settings.port)) {
        m_errorString = QStringLiteral("cannot listen on %1:%2: %3")
                                .arg(m_settings.address.toString())
                                .arg(m_settings.port)
                                .arg(m_tcp->errorString());
        return false;
    }
    m_heartbeat.start();
    qCInfo(lcRelay).noquote() << "listening on" << url().toString();
    return true;
}

quint16 RelayServer::port() const
{
    return m_tcp ? m_tcp->serverPort() : 0;
}

QUrl RelayServer::url() const
{
    QUrl url;
    url.setScheme(m_settings.tls ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setHost(m_settings.address.toString());
    url.setPort(port());
    url.setPath(QStringLiteral("/"));
    return url;
}

void RelayServer::onTcpConnection()
{
    while (QTcpSocket *socket = m_tcp->nextPendingConnection()) {
        // Nagle would hold every small frame for the delayed-ACK timer.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_shuttingDown) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        // Counted from the TCP accept, before any byte is read: half-open sockets and unfinished handshakes
        // are bounded per address and in total like everything else, apart from authenticated users.
        const QHostAddress peer = socket->peerAddress();
        const bool tooManyHere = m_socketsPerAddress.value(peer)
                        >= m_settings.maxConnectionsPerAddress + m_settings.maxUnauthenticatedPerAddress
                || m_unauthenticatedPerAddress.value(peer) >= m_settings.maxUnauthenticatedPerAddress;
        const bool tooManyTotal = unauthenticatedCount() >= m_settings.maxUnauthenticated;
        if (tooManyHere || tooManyTotal) {
            m_metrics->connectionRejected(tooManyHere ? QStringLiteral("address-limit")
                                                      : QStringLiteral("unauthenticated-limit"));
            socket->abort();
            socket->deleteLater();
            continue;
        }
        ++m_socketsPerAddress[peer];
        ++m_unauthenticatedPerAddress[peer];
        ++m_handshaking;
        // Found again by its peer's address and port when it comes out of the WebSocket handshake (a
        // QWebSocket does not show the socket it took over).
        const Endpoint endpoint{peer, socket->peerPort()};
        m_handshakes.insert(endpoint, socket);
        connect(socket, &QObject::destroyed, this, [this, peer, endpoint](QObject *gone) {
            if (--m_socketsPerAddress[peer] <= 0)
                m_socketsPerAddress.remove(peer);
            leftHandshake(gone, endpoint);
        });
        connect(socket, &QAbstractSocket::disconnected, this, [this, socket, endpoint] { leftHandshake(socket, endpoint); });
        m_http->route(socket, [this](QTcpSocket *s) { m_ws->handleConnection(s); });
    }
}

int RelayServer::unauthenticatedCount() const
{
    return m_handshaking + m_unauthenticatedConnections;
}

// A socket that came through its handshake (as a WebSocket, or as an HTTP request answered) or went away:
// the first of these for a socket ends its count; later ones find nothing.
bool RelayServer::leftHandshake(QObject *socket, const Endpoint &endpoint)
{
    const auto it = m_handshakes.constFind(endpoint);
    if (it == m_handshakes.cend() || it.value() != socket)
        return false;
    m_handshakes.erase(it);
    --m_handshaking;
    if (--m_unauthenticatedPerAddress[endpoint.address] <= 0)
        m_unauthenticatedPerAddress.remove(endpoint.address);
    return true;
}

// A connection that was counted as unauthenticated said hello or went away; false if it was not counted.
bool RelayServer::leftUnauthenticated(Connection &c)
{
    if (!c.property("coscribe.unauthenticated").toBool())
        return false;
    c.setProperty("coscribe.unauthenticated", false);
    --m_unauthenticatedConnections;
    if (--m_unauthenticatedPerAddress[c.peerAddress()] <= 0)
        m_unauthenticatedPerAddress.remove(c.peerAddress());
    return true;
}

RelayServer::TokenReload RelayServer::reloadTokens(TokenStore tokens)
{
    TokenReload result;
    m_settings.tokens = std::move(tokens);
    const auto connections = m_connections.keys();
    for (Connection *c : connections) {
        if (!c->isAuthenticated() || c->isClosing() || !c->account())
            continue;
        const std::optional<TokenStore::Account> now = m_settings.tokens->accountForDigest(c->account()->digest);
        if (!now) {
            qCInfo(lcRelay).noquote() << c->id() << logSafe(c->user()) << c->account()->tokenId
                                      << "revoked: closing";
            sendError(*c, ProtocolError{ProtocolErrorCode::Forbidden, QStringLiteral("the token was revoked"), {}, {}});
            c->closeWith(CloseCode::PolicyViolation, QStringLiteral("token revoked"));
            ++result.revoked;
        } else if (!now->sameAccess(*c->account())) {
            qCInfo(lcRelay).noquote() << c->id() << logSafe(c->user()) << c->account()->tokenId
                                      << "access changed: closing so that it reconnects with it";
            c->closeWith(CloseCode::AccessChanged, QStringLiteral("access changed: reconnect"));
            ++result.changed;
        } else {
            ++result.kept;
        }
    }
    qCInfo(lcRelay).noquote() << "tokens reloaded:" << m_settings.tokens->size() << "tokens;" << result.kept
                              << "connections kept," << result.revoked << "revoked," << result.changed
                              << "with changed access";
    return result;
}

void RelayServer::onWebSocketConnection()
{
    while (QWebSocket *socket = m_ws->nextPendingConnection()) {
        const QHostAddress peer = socket->peerAddress();
        const QString id = m_settings.connectionIdPrefix + QString::number(m_nextConnectionId++);
        // Before hello only a small message is taken (Qt closes with 1009 above it): a socket that never
        // authenticates holds at most that much. The full limit comes with the hello (handleHello).
        socket->setMaxAllowedIncomingMessageSize(quint64(m_settings.preHelloMessageBytes));
        socket->setMaxAllowedIncomingFrameSize(quint64(m_settings.preHelloMessageBytes));
        // Every message in one frame: Qt 6.4 splits a text message into 512 KiB frames at any byte, a
        // multi-byte character can straddle two frames, and Qt's receiver rejects each such frame as invalid
        // UTF-8 (close 1007) — a large non-ASCII snapshot could never be delivered.
        socket->setOutgoingFrameSize(QWebSocket::maxOutgoingFrameSize());
        auto *c = new Connection(socket, id, peer, this);
        // The handshake's count moves to the connection, which counts as unauthenticated until its hello.
        const Endpoint endpoint{peer, socket->peerPort()};
        if (const auto it = m_handshakes.constFind(endpoint); it != m_handshakes.cend() && leftHandshake(it.value(), endpoint)) {
            ++m_unauthenticatedPerAddress[peer];
            c->setProperty("coscribe.unauthenticated", true);
            ++m_unauthenticatedConnections;
        }
        c->setRateLimit(m_settings.opsPerSecond, m_settings.burst);
        c->setOutputBudget(m_settings.maxOutputBytes);
        m_connections.insert(c, peer);
        ++m_perAddress[peer];
        m_metrics->connectionOpened();
        connect(c, &Connection::messageSent, this, [this] { m_metrics->messagesSent(); });
        connect(c, &Connection::outputBudgetExceeded, this, [this, c] {
            qCWarning(lcRelay).noquote() << c->id() << logSafe(c->user()) << "closed: more than"
                                         << m_settings.maxOutputBytes << "bytes of unread output";
            m_metrics->connectionRejected(QStringLiteral("slow-consumer"));
        });
        connect(c, &Connection::textReceived, this, [this, c](const QString &text) { onText(*c, text); });
        connect(c, &Connection::binaryReceived, this, [this, c] { onBinary(*c); });
        connect(c, &Connection::closed, this, [this, c] { onClosed(*c); });
        connect(c, &Connection::errorSent, this, [this](const QString &code) { m_metrics->errorSent(code); });

        if (m_shuttingDown) {
            c->closeWith(CloseCode::GoingAway, QStringLiteral("server shutting down"));
            continue;
        }
        // The total is checked at hello: only authenticated users take those places.
        if (m_perAddress.value(peer) > m_settings.maxConnectionsPerAddress) {
            m_metrics->connectionRejected(QStringLiteral("address-limit"));
            qCWarning(lcRelay).noquote() << id << "refused: per-address connection limit reached for"
                                         << peer.toString();
            c->sendError(ProtocolErrorCode::TooManyConnections, QStringLiteral("too many connections from your address"));
            c->closeWith(CloseCode::PolicyViolation, QStringLiteral("too many connections"));
            continue;
        }
        connect(&c->helloTimer(), &QTimer::timeout, c, [c] {
            c->closeWith(CloseCode::HelloTimeout, QStringLiteral("no hello"));
        });
        c->helloTimer().start(m_settings.helloTimeout);
        qCDebug(lcRelay).noquote() << id << "connected from" << peer.toString();
    }
}

void RelayServer::onClosed(Connection &c)
{
    qCDebug(lcRelay).noquote() << c.id() << "disconnected";
    if (!leftUnauthenticated(c) && c.isAuthenticated())
        --m_authenticated;
    m_hub->connectionClosed(c);
    const auto it = m_connections.find(&c);
    if (it != m_connections.end()) {
        if (--m_perAddress[it.value()] <= 0)
            m_perAddress.remove(it.value());
        m_connections.erase(it);
        m_metrics->connectionClosed();
    }
    c.deleteLater();
    if (m_shuttingDown && m_connections.isEmpty())
        finishShutdown();
}

void RelayServer::finishShutdown()
{
    if (m_shutdownFinished)
        return;
    m_shutdownFinished = true;
    Q_EMIT shutdownFinished();
}

void RelayServer::sendError(Connection &c, const ProtocolError &error)
{
    c.sendError(error);
}

bool RelayServer::admitRateLimited(Connection &c, const QString &text)
{
    const int waitMs = c.takeToken();
    if (waitMs == 0)
        return true;
    // A client that keeps sending into an empty bucket for a whole burst's worth is flooding, not typing.
    if (c.consecutiveRejections() > std::max(m_settings.burst, 10)) {
        qCWarning(lcRelay).noquote() << c.id() << c.user() << "closed for flooding";
        m_metrics->connectionRejected(QStringLiteral("flood"));
        c.closeWith(CloseCode::Flood, QStringLiteral("rate limit exceeded"));
        return false;
    }
    // Name what was dropped, so the client knows what to send again.
    QString ref;
    QString doc;
    if (text.size() <= m_settings.maxMessageBytes) {
        if (ProtocolResult<Message::Client> decoded = Message::decodeClient(text)) {
            std::visit([&](const auto &m) {
                if constexpr (requires { m.id; })
                    ref = m.id;
                if constexpr (requires { m.doc; })
                    doc = m.doc;
            }, *decoded);
        }
    }
    c.sendError(ProtocolErrorCode::RateLimited,
                QStringLiteral("more than %1 messages per second; message dropped").arg(m_settings.opsPerSecond), ref,
                doc, waitMs);
    return false;
}

void RelayServer::onBinary(Connection &c)
{
    m_metrics->messageReceived();
    if (!admitRateLimited(c, {}))
        return;
    sendError(c, ProtocolError{ProtocolErrorCode::BinaryFrame, QStringLiteral("binary frames are not supported; send JSON text"),
                               {}, {}});
}

void RelayServer::onText(Connection &c, const QString &text)
{
    m_metrics->messageReceived();
    // A connection being closed (over its output budget, a flood) gets no more work done for it: the rest
    // of a burst it sent in one read is dropped, not answered into a socket that is going away.
    if (c.isClosing())
        return;
    if (!admitRateLimited(c, text))
        return;
    // The limit counts the bytes the frame had on the wire. UTF-8 takes at least one byte per UTF-16 unit: only
    // a frame that might fit is counted exactly. Decoded as Qt handed it over, not converted back to UTF-8.
    if (text.size() > m_settings.maxMessageBytes || utf8Size(text) > m_settings.maxMessageBytes) {
        sendError(c, ProtocolError{ProtocolErrorCode::MessageTooLarge,
                                   QStringLiteral("message larger than %1 bytes").arg(m_settings.maxMessageBytes), {}, {}});
        return;
    }
    ProtocolResult<Message::Client> decoded = Message::decodeClient(text);
    if (!decoded) {
        sendError(c, decoded.error());
        return;
    }
    if (const auto *hello = std::get_if<Message::Hello>(&*decoded)) {
        handleHello(c, *hello);
        return;
    }
    if (!c.isAuthenticated()) {
        const auto [ref, doc] = std::visit(
                [](const auto &m) {
                    std::pair<QString, QString> r;
                    if constexpr (requires { m.id; })
                        r.first = m.id;
                    if constexpr (requires { m.doc; })
                        r.second = m.doc;
                    return r;
                },
                *decoded);
        sendError(c, ProtocolError{ProtocolErrorCode::NotAuthenticated, QStringLiteral("send hello first"), ref, doc});
        return;
    }
    std::visit(
            [this, &c](const auto &m) {
                using M = std::decay_t<decltype(m)>;
                if constexpr (!std::is_same_v<M, Message::Hello>)
                    m_hub->handle(c, m);
            },
            *decoded);
}

void RelayServer::handleHello(Connection &c, const Message::Hello &hello)
{
    if (c.isAuthenticated()) {
        sendError(c, ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("hello: already received"), {}, {}});
        return;
    }
    if (hello.protocol != ProtocolVersion) {
        sendError(c, ProtocolError{ProtocolErrorCode::ProtocolVersion,
                                   QStringLiteral("protocol %1 is not supported; this relay speaks protocol %2")
                                           .arg(hello.protocol)
                                           .arg(ProtocolVersion),
                                   {}, {}});
        c.closeWith(CloseCode::ProtocolVersion, QStringLiteral("unsupported protocol version"));
        return;
    }
    std::optional<TokenStore::Account> account;
    if (m_settings.tokens) {
        if (hello.token)
            account = m_settings.tokens->authenticate(*hello.token);
        if (!account) {
            // Never log the token itself: its redacted digest prefix is enough to correlate.
            qCWarning(lcRelay).noquote() << c.id() << "from" << c.peerAddress().toString() << "refused:"
                                         << (hello.token ? TokenStore::redact(*hello.token) : QStringLiteral("no token"));
            m_metrics->connectionRejected(QStringLiteral("auth"));
            sendError(c, ProtocolError{ProtocolErrorCode::Forbidden, QStringLiteral("a valid token is required"), {}, {}});
            c.closeWith(CloseCode::PolicyViolation, QStringLiteral("authentication failed"));
            return;
        }
    }
    const QString user = account ? account->user : QStringLiteral("anonymous");
    if (m_authenticated >= m_settings.maxConnections) {
        m_metrics->connectionRejected(QStringLiteral("total-limit"));
        sendError(c, ProtocolError{ProtocolErrorCode::TooManyConnections,
                                   QStringLiteral("the relay has reached its connection limit"), {}, {}});
        c.closeWith(CloseCode::PolicyViolation, QStringLiteral("too many connections"));
        return;
    }
    if (!claimClientId(c, hello, user))
        return;
    c.authenticate(std::move(account), hello);
    leftUnauthenticated(c);
    ++m_authenticated;
    // Qt closes with 1009 above this; between maxMessageBytes and it, the client gets a readable error.
    const qint64 hardLimit = std::max<qint64>(m_settings.maxMessageBytes * 4, m_settings.maxMessageBytes + 65536);
    c.socket()->setMaxAllowedIncomingMessageSize(quint64(hardLimit));
    c.socket()->setMaxAllowedIncomingFrameSize(quint64(hardLimit));
    qCInfo(lcRelay).noquote() << c.id() << "hello from" << logSafe(c.user()) << "client" << logSafe(c.clientId())
                              << "at" << c.peerAddress().toString();
    Message::Welcome welcome;
    welcome.server = m_settings.serverName;
    welcome.user = c.user();
    welcome.connectionId = c.id();
    welcome.maxMessageBytes = m_settings.maxMessageBytes;
    welcome.maxDocumentBytes = m_settings.documents.maxDocumentBytes;
    welcome.opsPerSecond = m_settings.opsPerSecond;
    welcome.burst = m_settings.burst;
    welcome.maxOperationComponents = m_settings.documents.maxOperationComponents;
    welcome.maxSelectionRanges = m_settings.documents.maxSelectionRanges;
    welcome.maxOperationLag = m_settings.documents.maxOperationLag;
    welcome.heartbeatSeconds = int(std::max<qint64>(1, m_settings.pingInterval.count() / 1000));
    c.sendMessage(welcome);
}

// A client id is an identity: the relay deduplicates and orders operations by (client id, sequence), and
// every participant sees the others' ids. The first hello with an id claims it (storage keeps the digest of
// its secret and its user); later hellos must present the same secret as the same user. Without this, anyone
// could say hello with Alice's id and her next sequence number, and Alice's real edit would be acknowledged
// as a duplicate and never applied.
bool RelayServer::claimClientId(Connection &c, const Message::Hello &hello, const QString &user)
{
    const QByteArray digest = QCryptographicHash::hash(hello.secret.toUtf8(), QCryptographicHash::Sha256).toHex();
    std::optional<Storage::ClientRecord> owner = m_storage.client(hello.clientId);
    if (!owner && m_storage.lastError().isEmpty()) {
        if (m_storage.registerClient(Storage::ClientRecord{hello.clientId, digest, user}))
            return true;
        if (m_storage.lastError().isEmpty()) // claimed a moment ago (another relay): compare with that
            owner = m_storage.client(hello.clientId);
    }
    if (!owner) {
        qCWarning(lcRelay).noquote() << c.id() << "client id check failed:" << m_storage.lastError();
        sendError(c, ProtocolError{ProtocolErrorCode::ServerError,
                                   QStringLiteral("the relay cannot check your client id right now; try again"), {}, {}});
        c.closeWith(CloseCode::ServerError, QStringLiteral("storage unavailable"));
        return false;
    }
    // Digests, not secrets, are compared: how long a comparison takes tells nothing about the secret.
    if (owner->secretDigest == digest && owner->user == user)
        return true;
    qCWarning(lcRelay).noquote() << c.id() << "from" << c.peerAddress().toString() << "refused: client id"
                                 << logSafe(hello.clientId) << "belongs to another client";
    m_metrics->connectionRejected(QStringLiteral("client-id"));
    sendError(c, ProtocolError{ProtocolErrorCode::ClientIdTaken,
                               QStringLiteral("this clientId belongs to another client: use a new random clientId "
                                              "and secret"),
                               {}, {}});
    c.closeWith(CloseCode::PolicyViolation, QStringLiteral("client id taken"));
    return false;
}

void RelayServer::onHeartbeat()
{
    const qint64 bound = m_settings.pingInterval.count() + m_settings.pingTimeout.count();
    const auto connections = m_connections.keys();
    for (Connection *c : connections) {
        if (c->isClosing())
            continue;
        if (c->msSinceLastSeen() > bound) {
            qCInfo(lcRelay).noquote() << c->id() << "heartbeat timeout after" << c->msSinceLastSeen() << "ms";
            m_metrics->connectionRejected(QStringLiteral("heartbeat"));
            // A silent peer will not complete a closing handshake either: drop it now.
            c->closeWith(CloseCode::PongTimeout, QStringLiteral("heartbeat timeout"));
            c->socket()->abort();
            continue;
        }
        c->ping();
    }
}

void RelayServer::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_heartbeat.stop();
    if (m_tcp)
        m_tcp->close();
    m_hub->flush(); // acknowledge queued operations before saying goodbye
    qCInfo(lcRelay).noquote() << "shutting down;" << m_connections.size() << "connections";
    const auto connections = m_connections.keys();
    for (Connection *c : connections)
        c->closeWith(CloseCode::GoingAway, QStringLiteral("server shutting down"));
    // Give peers up to two seconds to complete the closing handshake (Connection aborts after one).
    QTimer::singleShot(m_connections.isEmpty() ? 0 : 2000, this, &RelayServer::finishShutdown);
}

} // namespace relay
