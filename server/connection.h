// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"
#include "tokenstore.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

#include <optional>

class QWebSocket;

namespace relay {

// Connection: one client's WebSocket and its session state — who it is once its hello is accepted
// (account, clientId, display name, colour), which documents it has open, and its rate limit.
//
// It owns the socket and does no routing: frames come out as signals, replies go in through send*(). A
// Connection is created by RelayServer and deleted (deleteLater) after its socket disconnects; the
// `closed` signal is the moment everyone else must forget it.
//
// Rate limit: a token bucket of `burst` tokens refilled at `perSecond`; every message after hello costs one.
class Connection : public QObject
{
    Q_OBJECT
public:
    Connection(QWebSocket *socket, QString id, QHostAddress peer, QObject *parent = nullptr);
    ~Connection() override;

    const QString &id() const { return m_id; }
    const QHostAddress &peerAddress() const { return m_peer; }
    QWebSocket *socket() const { return m_socket; }

    // Session (valid once isAuthenticated()).
    bool isAuthenticated() const { return m_authenticated; }
    void authenticate(std::optional<TokenStore::Account> account, const collab::Message::Hello &hello);
    const QString &user() const { return m_user; }
    const QString &clientId() const { return m_clientId; }
    const QString &displayName() const { return m_name; }
    const QString &color() const { return m_color; }
    // The role on a document: anonymous sessions (loopback relays without tokens) are admin everywhere.
    std::optional<collab::Role> roleFor(const QString &documentId) const;
    // The token's account (nullopt: anonymous).
    const std::optional<TokenStore::Account> &account() const { return m_account; }

    QSet<QString> &openDocuments() { return m_openDocuments; }

    // Sending. Broadcasts build the payload once and pass the same QString to every recipient.
    void send(const QString &payload);
    template<typename M>
    void sendMessage(const M &message)
    {
        send(collab::Message::encodeText(message));
    }
    void sendError(collab::ProtocolErrorCode code, const QString &message, const QString &ref = {},
                   const QString &doc = {}, std::optional<int> retryAfterMs = std::nullopt);
    void sendError(const collab::ProtocolError &error);
    // Send nothing more; close with a WebSocket close code, and abort if the peer does not finish the
    // closing handshake within a second.
    void closeWith(collab::CloseCode code, const QString &reason);
    void closeWith(quint16 code, const QString &reason);
    bool isClosing() const { return m_closing; }

    // Rate limiting. Returns 0 when the message may proceed, else the milliseconds until a token is free.
    void setRateLimit(int perSecond, int burst);
    int takeToken();
    // A message whose reply is large costs more than one token: one more per `bytesPerToken` of the reply
    // (the bucket may go below zero: the messages after it wait until it refills).
    // Returns the tokens charged (beyond the message's own one).
    int chargeReply(qint64 replyBytes);
    static constexpr qint64 bytesPerToken = collab::ReplyUnitsPerToken;
    int consecutiveRejections() const { return m_rejections; }

    // Output budget: bytes queued for the peer (not yet taken by the kernel) beyond which the connection is
    // closed with CloseCode::SlowConsumer; 0: no limit.
    void setOutputBudget(qint64 bytes) { m_outputBudget = bytes; }

    // Heartbeat bookkeeping: only a pong counts as a sign of life (the peer reads what we send).
    qint64 msSinceLastSeen() const { return m_lastSeen.elapsed(); }
    void ping();

    QTimer &helloTimer() { return m_helloTimer; }

Q_SIGNALS:
    void textReceived(const QString &message);
    void binaryReceived();
    void errorSent(const QString &code);
    void messageSent();
    void outputBudgetExceeded();
    void closed();

private:
    void onDisconnected();

    QWebSocket *m_socket;
    QString m_id;
    QHostAddress m_peer;
    bool m_authenticated = false;
    bool m_closing = false;
    bool m_closedEmitted = false;
    std::optional<TokenStore::Account> m_account;
    QString m_user;
    QString m_clientId;
    QString m_name;
    QString m_color;
    QSet<QString> m_openDocuments;

    double m_tokens = 0;
    double m_perSecond = 0;
    double m_burst = 0;
    QElapsedTimer m_refill;
    int m_rejections = 0;

    qint64 m_outputBudget = 0;
    QElapsedTimer m_lastSeen;
    QTimer m_helloTimer;
};

} // namespace relay
