// SPDX-License-Identifier: MIT
#include "loadclient.h"

#include "loadgenerator.h"
#include "message.h"

#include <QCoreApplication>

namespace bench {

using namespace collab;

LoadClient::LoadClient(LoadGenerator *generator, int index, QString document, QObject *parent)
    : QObject(parent),
      m_generator(generator),
      m_document(std::move(document)),
      m_clientId(QStringLiteral("loadgen-%1-%2").arg(QCoreApplication::applicationPid()).arg(index)),
      m_client(m_clientId)
{
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &LoadClient::onTick);
    connect(&m_socket, &QWebSocket::connected, this, &LoadClient::onConnected);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &LoadClient::onMessage);
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        if (m_timer.isActive() || !m_ready)
            fail(QStringLiteral("disconnected: %1").arg(m_socket.closeReason()));
    });
}

void LoadClient::open(const QUrl &url)
{
    m_socket.open(url);
}

void LoadClient::onConnected()
{
    Message::Hello hello;
    hello.clientId = m_clientId;
    hello.secret = m_secret;
    hello.name = m_clientId;
    hello.color = QStringLiteral("#3366cc");
    send(Message::encode(hello));
}

void LoadClient::send(const QByteArray &frame)
{
    m_socket.sendTextMessage(QString::fromUtf8(frame));
    m_generator->messageSent(LoadGenerator::nowUs());
}

void LoadClient::sendOutgoing(const Client::Outgoing &out)
{
    Message::Op op{m_document, out.revision, out.sequence, out.operation, std::nullopt};
    if (m_selectionPending) {
        op.selection = Selection::cursor(m_caret);
        m_selectionPending = false;
    }
    const qint64 now = LoadGenerator::nowUs();
    m_generator->operationSent(m_clientId, out.sequence, now);
    m_generator->operationMessageSent(now);
    send(Message::encode(op));
}

void LoadClient::fail(const QString &why)
{
    m_timer.stop();
    Q_EMIT failed(QStringLiteral("%1: %2").arg(m_clientId, why));
}

void LoadClient::onMessage(const QString &text)
{
    const qint64 now = LoadGenerator::nowUs();
    auto decoded = Message::decodeServer(text.toUtf8());
    if (!decoded) {
        m_generator->errorReceived(QStringLiteral("undecodable frame: %1").arg(decoded.error().message));
        return;
    }
    const Message::Server &message = *decoded;
    if (std::holds_alternative<Message::Welcome>(message)) {
        Message::Open open;
        open.id = QStringLiteral("open");
        open.doc = m_document;
        open.create = true;
        send(Message::encode(open));
    } else if (const auto *opened = std::get_if<Message::Opened>(&message)) {
        m_text = opened->snapshot.value_or(QString());
        m_client = Client(m_clientId, opened->revision, 0);
        m_caret = m_text.size();
        if (!m_ready) {
            m_ready = true;
            Q_EMIT ready();
        }
    } else if (const auto *ack = std::get_if<Message::Ack>(&message)) {
        auto effects = m_client.serverAck(ack->revision, ack->sequence);
        if (!effects)
            return fail(effects.error().message);
        m_generator->keystrokesAcknowledged(m_outstandingKeys, now);
        m_outstandingKeys.clear();
        if (effects->send) {
            m_outstandingKeys.swap(m_bufferKeys);
            sendOutgoing(*effects->send);
        }
    } else if (const auto *remote = std::get_if<Message::RemoteOp>(&message)) {
        m_generator->broadcastReceived(remote->author, remote->sequence, now);
        auto effects = m_client.applyServer(remote->revision, remote->operation, remote->author, remote->sequence);
        if (!effects)
            return fail(effects.error().message);
        if (effects->apply) {
            auto text = effects->apply->apply(m_text);
            if (!text)
                return fail(text.error().message);
            m_text = std::move(text.value());
            m_caret = Selection::transformIndex(m_caret, *effects->apply, false);
        }
    } else if (const auto *error = std::get_if<Message::Error>(&message)) {
        m_generator->errorReceived(QStringLiteral("%1: %2").arg(protocolErrorName(error->code), error->message));
    }
    // selection, idle, join, leave: presence of others, nothing to do for the load.
}

void LoadClient::startTyping(int firstDelayMs, int intervalMs)
{
    m_timer.setInterval(intervalMs);
    QTimer::singleShot(firstDelayMs, this, [this] {
        m_timer.start();
        onTick();
    });
}

void LoadClient::stopTyping()
{
    m_timer.stop();
}

void LoadClient::onTick()
{
    if (!m_ready)
        return;
    const qint64 now = LoadGenerator::nowUs();
    auto &random = m_generator->random();
    const double roll = std::uniform_real_distribution<double>(0, 1)(random);
    if (roll < m_generator->settings().cursorJumpShare) {
        m_caret = qsizetype(random() % quint64(m_text.size() + 1));
        if (m_client.state() == Client::State::Synchronized)
            send(Message::encode(Message::SetSelection{m_document, m_client.revision(), Selection::cursor(m_caret)}));
        else
            m_selectionPending = true;
        return;
    }
    m_generator->keystrokeMade(now);
    TextOperation op;
    if (roll < m_generator->settings().cursorJumpShare + 0.15 && m_caret > 0) {
        op = TextOperation::makeDelete(m_text.size(), m_caret - 1, 1);
        m_text.remove(m_caret - 1, 1);
        --m_caret;
    } else {
        const QString ch(QChar(u'a' + char16_t(random() % 26)));
        op = TextOperation::makeInsert(m_text.size(), m_caret, ch);
        m_text.insert(m_caret, ch);
        ++m_caret;
    }
    const bool inFlight = m_client.state() != Client::State::Synchronized;
    auto effects = m_client.applyClient(op);
    if (!effects)
        return fail(effects.error().message);
    (inFlight ? m_bufferKeys : m_outstandingKeys).push_back(now);
    if (effects->send)
        sendOutgoing(*effects->send);
}

} // namespace bench
