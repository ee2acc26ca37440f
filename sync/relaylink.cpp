// SPDX-License-Identifier: MIT
#include "relaylink.h"

#include <QRandomGenerator>
#include <QUuid>

#include <cmath>

namespace syncing {

namespace {
constexpr int PingIntervalMs = 5000;
constexpr int PongTimeoutMs = 3 * PingIntervalMs;
// How much of the relay's announced rate and burst this side uses: its bucket refills by the relay's clock
// and frames arrive bunched by the network, so a little is left unused.
constexpr double RateShare = 0.9;
constexpr double BurstShare = 0.8;
} // namespace

RelayLink::Identity RelayLink::Identity::fresh(const QString &prefix, const QString &name, const QString &color,
                                               const QString &token)
{
    return {prefix + QUuid::createUuid().toString(QUuid::WithoutBraces), collab::Message::Hello::newSecret(), name,
            color, token};
}

RelayLink::RelayLink(QObject *parent) : QObject(parent)
{
    // One frame per message (see RelayServer::onWebSocketConnection: Qt's 512 KiB frames can split a UTF-8
    // character, which Qt's receiver rejects as invalid text).
    m_socket.setOutgoingFrameSize(QWebSocket::maxOutgoingFrameSize());
    connect(&m_socket, &QWebSocket::connected, this, &RelayLink::onConnected);
    connect(&m_socket, &QWebSocket::disconnected, this, &RelayLink::onDisconnected);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &RelayLink::onTextMessage);
    connect(&m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) {
                // A refused or failed connection attempt never emits disconnected().
                if (m_socket.state() == QAbstractSocket::UnconnectedState)
                    onDisconnected();
            });
    connect(&m_socket, &QWebSocket::pong, this, [this](quint64 elapsed, const QByteArray &) {
        m_rttMs = qint64(elapsed);
        m_sincePong.restart();
        Q_EMIT roundTripMeasured(m_rttMs);
    });
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RelayLink::connectToServer);
    m_queueTimer.setSingleShot(true);
    connect(&m_queueTimer, &QTimer::timeout, this, &RelayLink::sendQueued);
    m_pingTimer.setInterval(PingIntervalMs);
    connect(&m_pingTimer, &QTimer::timeout, this, &RelayLink::onPingTimer);
}

RelayLink::~RelayLink()
{
    close();
}

void RelayLink::setAddresses(const QList<QUrl> &addresses)
{
    m_addresses = addresses;
    m_index = 0;
}

void RelayLink::setReconnectDelays(int initialMs, int maxMs)
{
    m_initialDelayMs = std::max(1, initialMs);
    m_maxDelayMs = std::max(m_initialDelayMs, maxMs);
}

void RelayLink::open()
{
    m_closing = false;
    m_attempt = 0;
    m_index = 0;
    m_reconnectTimer.stop();
    if (m_socket.state() == QAbstractSocket::UnconnectedState)
        connectToServer();
}

void RelayLink::close()
{
    m_closing = true;
    m_reconnectTimer.stop();
    m_pingTimer.stop();
    m_queue.clear();
    m_queueTimer.stop();
    if (m_socket.state() != QAbstractSocket::UnconnectedState) {
        m_socket.close();
        m_socket.abort();
    }
    m_welcome = {};
    m_state = State::Offline;
}

void RelayLink::reconnectNow()
{
    if (m_closing || m_socket.state() != QAbstractSocket::UnconnectedState)
        return;
    m_reconnectTimer.stop();
    connectToServer();
}

void RelayLink::restart()
{
    if (m_closing)
        return;
    m_socket.abort();  // seen as any drop (dropped(), state), then:
    reconnectNow();
}

void RelayLink::send(const QString &frame)
{
    if (m_socket.state() != QAbstractSocket::ConnectedState)
        return;
    m_queue.push_back(frame);
    sendQueued();
}

void RelayLink::charge(int tokens)
{
    if (refill())
        m_tokens -= std::max(0, tokens);
}

bool RelayLink::refill()
{
    const int rate = m_welcome.opsPerSecond;
    if (rate <= 0)
        return false;
    const double ceiling = std::max(1.0, m_welcome.burst * BurstShare);
    m_tokens = std::min(ceiling, m_tokens + double(m_refill.restart()) * rate * RateShare / 1000.0);
    return true;
}

void RelayLink::sendQueued()
{
    if (m_socket.state() != QAbstractSocket::ConnectedState) {
        m_queue.clear();
        return;
    }
    const bool paced = refill();
    while (!m_queue.empty() && (!paced || m_tokens >= 1.0)) {
        const QString frame = std::move(m_queue.front());
        m_queue.pop_front();
        m_tokens -= 1.0;
        // Written as text (Message::encodeText): QWebSocket's conversion to UTF-8 is the only one.
        m_socket.sendTextMessage(frame);
        Q_EMIT frameSent();
    }
    if (!m_queue.empty() && !m_queueTimer.isActive())
        m_queueTimer.start(int(std::ceil((1.0 - m_tokens) * 1000.0 / (m_welcome.opsPerSecond * RateShare))));
}

int RelayLink::nextBackoffMs()
{
    const int exponent = std::min(m_attempt, 16);
    const qint64 ceiling = std::min<qint64>(m_maxDelayMs, qint64(m_initialDelayMs) << exponent);
    ++m_attempt;
    return int(ceiling / 2 + QRandomGenerator::global()->bounded(ceiling / 2 + 1));
}

void RelayLink::connectToServer()
{
    if (m_closing || m_addresses.isEmpty())
        return;
    m_reached = false;
    setState(State::Connecting);
    m_socket.open(currentAddress());
}

void RelayLink::setState(State state)
{
    m_state = state;
    Q_EMIT stateChanged();
}

void RelayLink::onConnected()
{
    m_reached = true;
    collab::Message::Hello hello;
    hello.clientId = m_identity.clientId;
    hello.secret = m_identity.secret;
    hello.name = m_identity.name;
    hello.color = m_identity.color.isEmpty() ? QStringLiteral("#3366cc") : m_identity.color;
    if (!m_identity.token.isEmpty())
        hello.token = m_identity.token;
    send(collab::Message::encodeText(hello));
    m_sincePong.start();
    m_pingTimer.start();
}

void RelayLink::onDisconnected()
{
    // A failed attempt can report twice (error, then disconnected): the first one counts.
    if (m_state == State::Offline)
        return;
    m_pingTimer.stop();
    m_welcome = {};
    m_queue.clear(); // the owner resends after the next welcome
    m_queueTimer.stop();
    if (m_closing) {
        m_state = State::Offline;
        return;
    }
    m_lastCloseCode = int(m_socket.closeCode());
    QString why = adviceForClose(m_lastCloseCode, m_socket.closeReason());
    if (why.isEmpty() && !m_reached && m_socket.error() != QAbstractSocket::UnknownSocketError)
        why = tr("Cannot reach %1: %2").arg(currentAddress().toString(QUrl::RemovePath), m_socket.errorString());
    const bool reached = m_reached;
    if (m_autoReconnect && !m_reconnectTimer.isActive()) {
        const int delay = nextBackoffMs();
        if (m_addresses.size() > 1)
            m_index = (m_index + 1) % m_addresses.size();
        m_reconnectTimer.start(delay);
    }
    setState(State::Offline);
    Q_EMIT dropped(why, reached);
}

void RelayLink::onPingTimer()
{
    if (m_sincePong.isValid() && m_sincePong.elapsed() > PongTimeoutMs) {
        m_socket.abort();
        return;
    }
    m_socket.ping();
}

void RelayLink::onTextMessage(const QString &message)
{
    collab::ProtocolResult<collab::Message::Server> decoded = collab::Message::decodeServer(message);
    if (!decoded) {
        qWarning("RelayLink: undecodable message from the relay: %s", qPrintable(decoded.error().message));
        return;
    }
    if (const auto *welcome = std::get_if<collab::Message::Welcome>(&decoded.value())) {
        m_welcome = *welcome;
        // The relay's bucket starts full for a new connection.
        m_tokens = std::max(1.0, m_welcome.burst * BurstShare);
        m_refill.start();
        setState(State::Connected);
        Q_EMIT welcomed(m_welcome);
        return;
    }
    Q_EMIT received(decoded.value());
}

QString RelayLink::adviceForError(collab::ProtocolErrorCode code, const QString &message)
{
    using Code = collab::ProtocolErrorCode;
    if (code == Code::Forbidden)
        return tr("The relay refused access (%1). Check the token in File › Connect…").arg(message);
    if (code == Code::ClientIdTaken)
        return tr("The relay says this editor's identity for the document belongs to another client. Close the"
                  " document and open it again in a fresh profile, and report this to the relay's admin.");
    if (code == Code::MessageTooLarge)
        return tr("An edit was larger than the relay accepts in one message (%1). It is kept here; the relay's"
                  " admin can raise --max-message-bytes.").arg(message);
    if (code == Code::DocumentTooLarge)
        return tr("The document would exceed the relay's size limit (%1): your last edit is kept here but not"
                  " sent. Undo it, or remove text, to go on sharing.").arg(message);
    if (code == Code::QuotaExceeded)
        return tr("%1. Ask the relay's admin to raise the limit, or delete documents you no longer need.").arg(message);
    if (code == Code::ProtocolVersion)
        return tr("This editor and the relay speak different protocol versions (%1): update the editor.").arg(message);
    if (code == Code::TooManyConnections)
        return tr("The relay has no room for another connection (%1); retrying.").arg(message);
    if (code == Code::ReadOnly)
        return tr("You have read-only access to this document: your edits stay here and are not shared.");
    if (code == Code::NoSuchDocument || code == Code::InvalidDocumentId)
        return tr("The relay cannot open this document: %1").arg(message);
    return {};
}

QString RelayLink::adviceForClose(int code, const QString &reason)
{
    switch (code) {
    case 1000:
    case 1001: // the relay is restarting: reconnect quietly
    case 1006: // no close frame (network): the connection error says more
        return {};
    case 1008:
        return tr("The relay closed the connection: %1. Check the token and address in File › Connect…").arg(reason);
    case 1009:
        return tr("The relay closed the connection because a message was too large (%1).").arg(reason);
    case 1011:
        return tr("The relay has trouble with its storage (%1); retrying, your edits are kept.").arg(reason);
    case 4002:
        return tr("The relay does not speak this editor's protocol version: update the editor.");
    case 4008:
        return tr("The relay timed out waiting for this editor to introduce itself; retrying.");
    case 4010:
        return tr("The relay stopped hearing from this editor (heartbeat); retrying.");
    case 4011:
        return {};  // the relay's tokens changed this editor's access: it reconnects with the new role at once
    case 4013:
        return tr("The relay dropped the connection because this editor did not read fast enough; retrying.");
    case 4029:
        return tr("The relay dropped the connection for sending too fast; retrying more slowly.");
    default:
        return tr("The relay closed the connection (code %1: %2); retrying.").arg(code).arg(reason);
    }
}

} // namespace syncing
