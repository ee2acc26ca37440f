// SPDX-License-Identifier: MIT
#pragma once

#include <message.h>

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <deque>

namespace syncing {

// RelayLink: one WebSocket to coscribe-relay (docs/PROTOCOL.md), with everything that is about the link and
// not about a document: the hello/welcome handshake, heartbeats, reconnecting with backoff and failover,
// and what a close or an error means to the user. The document session, the document browser and
// coscribe-cli all talk to the relay through one.
//
//   open() --socket--> connected --hello--> welcome --welcomed()--> the owner sends list/open/...
//   any frame -------> decoded --received()
//   the link drops --> dropped(why) --> (auto-reconnect) backoff, next address --> open again
//
// Heartbeat: a WebSocket ping every 5 s; no pong for three intervals means the link is silently dead, and it
// is aborted (and reconnected). The backoff (exponential with jitter, so that a relay coming back is not hit
// by every editor at the same moment) is shared with the owner, which may also retry on the open link
// (reopening a document) and decides when the link has proved healthy (resetBackoff()).
class RelayLink : public QObject
{
    Q_OBJECT
public:
    enum class State { Offline, Connecting, Connected }; // Connected: welcome received

    struct Identity
    {
        QString clientId;
        QString secret;   // proves clientId is ours to the relay
        QString name;
        QString color;    // #rrggbb
        QString token;    // empty: none

        // A new client id (`prefix` and a UUID) with a new secret: a client the relay has never seen.
        static Identity fresh(const QString &prefix, const QString &name, const QString &color, const QString &token);
    };

    explicit RelayLink(QObject *parent = nullptr);
    ~RelayLink() override;

    void setIdentity(const Identity &identity) { m_identity = identity; }
    // The relay's address, then other relays of the same deployment (sharing one database): when the link
    // fails or drops, the next attempt goes to the next address, round robin.
    void setAddresses(const QList<QUrl> &addresses);
    // Reconnect after a drop (the default) or stay offline (a one-shot command).
    void setAutoReconnect(bool on) { m_autoReconnect = on; }
    // Reconnect delays: the first retry waits about `initialMs`, doubling up to `maxMs` (with jitter).
    void setReconnectDelays(int initialMs, int maxMs);

    void open();
    // Close the link for good (no reconnect) until open() is called again.
    void close();
    // Retry now instead of waiting for the backoff timer.
    void reconnectNow();
    // Drop the connection and make a new one at once, with a new hello (after setIdentity()).
    void restart();
    // Send one frame if the socket is connected (it is dropped otherwise: the owner resends after welcome).
    // Frames keep to the rate the relay announced (welcome: `opsPerSecond`, `burst`), which it enforces by
    // dropping what exceeds it: one that would exceed it waits, in order, until the rate allows it.
    void send(const QString &frame);
    // The relay charged `tokens` more than one for a frame (a large reply, docs/PROTOCOL.md: a reply's
    // length or its `charged`): later frames wait for them too.
    void charge(int tokens);
    // Frames waiting for the rate to allow them.
    qsizetype queuedFrames() const { return m_queue.size(); }

    // The next delay of the shared backoff (counts an attempt); resetBackoff() starts it over.
    int nextBackoffMs();
    void resetBackoff() { m_attempt = 0; }
    // The WebSocket close code of the last drop (1001: the relay shut down; 1006: no close frame).
    int lastCloseCode() const { return m_lastCloseCode; }
    int attempts() const { return m_attempt; }

    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    bool isSocketConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QUrl currentAddress() const { return m_addresses.value(m_index); }
    QString connectionId() const { return m_welcome.connectionId; }
    const collab::Message::Welcome &welcome() const { return m_welcome; }
    qint64 roundTripMs() const { return m_rttMs; }

    // What the user can do about an error the relay sent, or about the way it closed the link; empty for
    // what is recovered from without the user.
    static QString adviceForError(collab::ProtocolErrorCode code, const QString &message);
    static QString adviceForClose(int code, const QString &reason);

Q_SIGNALS:
    void stateChanged();
    void welcomed(const collab::Message::Welcome &welcome);
    void received(const collab::Message::Server &message);
    // The link dropped or could not be made. `why` says what the user can act on (empty when the relay
    // closed it in the normal way); `reached` is false when no connection was made at all.
    void dropped(const QString &why, bool reached);
    void roundTripMeasured(qint64 ms);
    // A frame went out (for load generators and statistics).
    void frameSent();

private:
    void connectToServer();
    void setState(State state);
    void onConnected();
    void onDisconnected();
    void onTextMessage(const QString &message);
    void onPingTimer();
    void sendQueued();
    // Refills the mirror of the relay's token bucket; false when the relay announced no rate.
    bool refill();

    QWebSocket m_socket;
    Identity m_identity;
    QList<QUrl> m_addresses;
    qsizetype m_index = 0;
    bool m_closing = true;
    bool m_autoReconnect = true;
    bool m_reached = false;
    State m_state = State::Offline;
    collab::Message::Welcome m_welcome;

    QTimer m_reconnectTimer;
    int m_attempt = 0;
    int m_lastCloseCode = 0;
    int m_initialDelayMs = 500;
    int m_maxDelayMs = 30000;

    // The relay's token bucket as seen from here (a margin below its figures, for the network's jitter).
    double m_tokens = 0;
    QElapsedTimer m_refill;
    std::deque<QString> m_queue;
    QTimer m_queueTimer;

    QTimer m_pingTimer;
    QElapsedTimer m_sincePong;
    qint64 m_rttMs = -1;
};

} // namespace syncing
