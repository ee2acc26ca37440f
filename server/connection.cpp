// SPDX-License-Identifier: MIT
#include "connection.h"

#include <QWebSocket>

#include <climits>
#include <cmath>

using namespace collab;

namespace relay {

Connection::Connection(QWebSocket *socket, QString id, QHostAddress peer, QObject *parent)
    : QObject(parent), m_socket(socket), m_id(std::move(id)), m_peer(std::move(peer))
{
    m_socket->setParent(this);
    m_lastSeen.start();
    m_refill.start();
    m_helloTimer.setSingleShot(true);
    // Liveness is judged by pongs alone: a client that keeps writing but never reads answers no ping.
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &message) {
        if (!m_closing)
            Q_EMIT textReceived(message);
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        if (!m_closing)
            Q_EMIT binaryReceived();
    });
    connect(m_socket, &QWebSocket::pong, this, [this](quint64, const QByteArray &) { m_lastSeen.restart(); });
    connect(m_socket, &QWebSocket::disconnected, this, &Connection::onDisconnected);
}

Connection::~Connection() = default;

void Connection::onDisconnected()
{
    m_closing = true;
    m_helloTimer.stop();
    if (!m_closedEmitted) {
        m_closedEmitted = true;
        Q_EMIT closed();
    }
}

void Connection::authenticate(std::optional<TokenStore::Account> account, const Message::Hello &hello)
{
    m_authenticated = true;
    m_account = std::move(account);
    m_user = m_account ? m_account->user : QStringLiteral("anonymous");
    m_clientId = hello.clientId;
    m_name = hello.name.isEmpty() ? m_user : hello.name;
    m_color = hello.color.isEmpty() ? QStringLiteral("#808080") : hello.color;
    m_helloTimer.stop();
}

std::optional<Role> Connection::roleFor(const QString &documentId) const
{
    if (!m_authenticated)
        return std::nullopt;
    if (!m_account)
        return Role::Admin;
    return m_account->roleFor(documentId);
}

void Connection::send(const QString &payload)
{
    if (m_closing)
        return;
    // What the peer has not read stays in this process. Past the budget it is not a slow reader but one
    // that does not read at all (or cannot keep up): drop it rather than let it grow the relay.
    if (m_outputBudget > 0 && m_socket->bytesToWrite() + payload.size() > m_outputBudget) {
        Q_EMIT outputBudgetExceeded();
        // Not aborted here: send() runs inside broadcasts, which must not see a member leave under them;
        // closeWith() aborts a second later if the peer does not finish the close.
        closeWith(CloseCode::SlowConsumer, QStringLiteral("too much unread output"));
        return;
    }
    m_socket->sendTextMessage(payload);
    Q_EMIT messageSent();
}

void Connection::sendError(ProtocolErrorCode code, const QString &message, const QString &ref, const QString &doc,
                           std::optional<int> retryAfterMs)
{
    const QString name = protocolErrorName(code);
    Q_EMIT errorSent(name);
    sendMessage(Message::Error{code, message, ref, doc, retryAfterMs});
}

void Connection::sendError(const ProtocolError &error)
{
    sendError(error.code, error.message, error.ref, error.doc);
}

void Connection::closeWith(CloseCode code, const QString &reason)
{
    closeWith(quint16(code), reason);
}

void Connection::closeWith(quint16 code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_helloTimer.stop();
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
    // A peer that never answers the close frame must not hold the slot.
    QTimer::singleShot(1000, m_socket, [socket = m_socket] {
        if (socket->state() != QAbstractSocket::UnconnectedState)
            socket->abort();
    });
}

void Connection::setRateLimit(int perSecond, int burst)
{
    m_perSecond = perSecond;
    m_burst = std::max(burst, 1);
    m_tokens = m_burst;
    m_refill.restart();
}

int Connection::chargeReply(qint64 replyBytes)
{
    if (m_perSecond <= 0)
        return 0;
    const qint64 tokens = replyBytes / bytesPerToken;
    m_tokens -= double(tokens);
    return int(std::min<qint64>(tokens, INT_MAX - 1));
}

int Connection::takeToken()
{
    if (m_perSecond <= 0)
        return 0;
    m_tokens = std::min(m_burst, m_tokens + double(m_refill.restart()) * m_perSecond / 1000.0);
    if (m_tokens >= 1.0) {
        m_tokens -= 1.0;
        m_rejections = 0;
        return 0;
    }
    ++m_rejections;
    return std::max(1, int(std::ceil((1.0 - m_tokens) * 1000.0 / m_perSecond)));
}

void Connection::ping()
{
    if (!m_closing)
        m_socket->ping();
}

} // namespace relay
