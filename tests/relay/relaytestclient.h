// SPDX-License-Identifier: MIT
#pragma once

// RelayTestClient: a WebSocket client for relay tests. It records every frame it receives (as JSON objects)
// and the close code, and waits for messages with bounded timeouts. rawFrame() builds a client frame by
// hand for a raw TCP peer (heartbeat tests need a peer that never answers pings).

#include "message.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QUrl>
#include <QUuid>
#include <QWebSocket>

#include <functional>
#include <optional>

// A reply read by the editor's own decoder.
template<typename M>
std::optional<M> decoded(const QJsonObject &o)
{
    const auto m = collab::Message::decodeServer(QJsonDocument(o).toJson(QJsonDocument::Compact));
    if (!m || !std::holds_alternative<M>(*m))
        return std::nullopt;
    return std::get<M>(*m);
}

class RelayTestClient : public QObject
{
    Q_OBJECT
public:
    explicit RelayTestClient(QObject *parent = nullptr) : QObject(parent)
    {
        connect(&socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            received.append(QJsonDocument::fromJson(text.toUtf8()).object());
        });
        connect(&socket, &QWebSocket::disconnected, this, [this] {
            closeCode = int(socket.closeCode());
            disconnectedFlag = true;
        });
    }

    bool open(const QUrl &url, const QString &origin = {})
    {
        QNetworkRequest request(url);
        if (!origin.isEmpty())
            request.setRawHeader("Origin", origin.toUtf8());
        socket.open(request);
        QSignalSpy connected(&socket, &QWebSocket::connected);
        return connected.count() > 0 || connected.wait(5000);
    }

    // hello + welcome. Returns the connectionId, or an empty string on failure.
    QString hello(const QString &name = QStringLiteral("tester"), const QString &token = {})
    {
        collab::Message::Hello h;
        h.clientId = clientId;
        h.secret = secret;
        h.name = name;
        h.color = QStringLiteral("#336699");
        if (!token.isEmpty())
            h.token = token;
        send(h);
        const QJsonObject welcome = waitFor(QStringLiteral("welcome"));
        connectionId = welcome.value(QStringLiteral("connectionId")).toString();
        return connectionId;
    }

    template<typename M>
    void send(const M &message)
    {
        socket.sendTextMessage(QString::fromUtf8(collab::Message::encode(message)));
    }
    void sendRaw(const QString &text) { socket.sendTextMessage(text); }

    // The first received message of `type` (empty: any) matching `predicate`, removed from the queue; an empty object
    // after `timeoutMs`.
    QJsonObject waitFor(const QString &type, const std::function<bool(const QJsonObject &)> &predicate = {},
                        int timeoutMs = 5000)
    {
        QJsonObject found;
        auto match = [&] {
            for (qsizetype i = 0; i < received.size(); ++i) {
                const QJsonObject &o = received.at(i);
                if ((type.isEmpty() || o.value(QStringLiteral("type")).toString() == type) && (!predicate || predicate(o))) {
                    found = received.takeAt(i);
                    return true;
                }
            }
            return false;
        };
        if (!QTest::qWaitFor(match, timeoutMs))
            qWarning().noquote() << "timed out waiting for" << type << "; last received:"
                                 << (received.isEmpty() ? QByteArray("nothing") : QJsonDocument(received.last()).toJson(QJsonDocument::Compact));
        return found;
    }
    QJsonObject waitForError(const QString &code, int timeoutMs = 5000)
    {
        return waitFor(QStringLiteral("error"),
                       [&](const QJsonObject &o) { return o.value(QStringLiteral("code")).toString() == code; },
                       timeoutMs);
    }
    bool waitForDisconnect(int timeoutMs = 5000)
    {
        return QTest::qWaitFor([this] { return disconnectedFlag; }, timeoutMs);
    }
    int count(const QString &type) const
    {
        return int(std::count_if(received.cbegin(), received.cend(), [&](const QJsonObject &o) {
            return o.value(QStringLiteral("type")).toString() == type;
        }));
    }

    // open {doc} and wait for opened.
    QJsonObject openDocument(const QString &doc, std::optional<int> revision = std::nullopt, bool create = true,
                             bool pending = false)
    {
        collab::Message::Open m;
        m.doc = doc;
        m.revision = revision;
        m.create = create;
        m.pending = pending;
        send(m);
        return waitFor(QStringLiteral("opened"),
                       [&](const QJsonObject &o) { return o.value(QStringLiteral("doc")).toString() == doc; });
    }

    // Send an op and wait for its ack; returns the acknowledged revision or -1.
    int edit(const QString &doc, int revision, qint64 sequence, const collab::TextOperation &op)
    {
        collab::Message::Op m;
        m.doc = doc;
        m.revision = revision;
        m.sequence = sequence;
        m.operation = op;
        send(m);
        const QJsonObject ack = waitFor(QStringLiteral("ack"), [&](const QJsonObject &o) {
            return o.value(QStringLiteral("doc")).toString() == doc && o.value(QStringLiteral("seq")).toInteger() == sequence;
        });
        return ack.isEmpty() ? -1 : ack.value(QStringLiteral("rev")).toInt();
    }

    QWebSocket socket;
    QList<QJsonObject> received;
    QString clientId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString secret = collab::Message::Hello::newSecret();
    QString connectionId;
    std::optional<int> closeCode;
    bool disconnectedFlag = false;
};

// A masked client text frame (mask key 0, so the payload goes through unchanged).
inline QByteArray rawFrame(const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(0x81));
    if (payload.size() < 126) {
        frame.append(char(0x80 | payload.size()));
    } else {
        frame.append(char(0x80 | 126));
        frame.append(char((payload.size() >> 8) & 0xff));
        frame.append(char(payload.size() & 0xff));
    }
    frame.append(4, '\0');
    frame.append(payload);
    return frame;
}

// A WebSocket handshake over a plain QTcpSocket; the peer then answers nothing (no pongs) unless told to.
inline bool rawHandshake(QTcpSocket &tcp, quint16 port)
{
    tcp.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!tcp.waitForConnected(5000))
        return false;
    tcp.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray response;
    const bool ok = QTest::qWaitFor([&] {
        response += tcp.readAll();
        return response.contains("\r\n\r\n");
    }, 5000);
    return ok && response.startsWith("HTTP/1.1 101");
}
