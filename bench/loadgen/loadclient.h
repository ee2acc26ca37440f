// SPDX-License-Identifier: MIT
#pragma once

#include "client.h"
#include "message.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <QWebSocket>

#include <vector>

namespace bench {

class LoadGenerator;

// LoadClient: one simulated editor on one document, speaking docs/PROTOCOL.md over a QWebSocket. It keeps
// its own copy of the text and a caret, and per tick of its typing timer either types (inserts a character
// at the caret, or deletes the one before it) or moves the caret (a selection message). Edits go through
// collab::Client exactly as in the editor; the keystroke times of the in-flight and buffered operations are
// kept so each keystroke's acknowledgement latency is known.
class LoadClient : public QObject
{
    Q_OBJECT
public:
    LoadClient(LoadGenerator *generator, int index, QString document, QObject *parent = nullptr);

    void open(const QUrl &url);
    void startTyping(int firstDelayMs, int intervalMs);
    void stopTyping();
    bool isReady() const { return m_ready; }

Q_SIGNALS:
    void ready();
    void failed(const QString &why);

private:
    void onConnected();
    void onMessage(const QString &text);
    void onTick();
    void send(const QByteArray &frame);
    void sendOutgoing(const collab::Client::Outgoing &out);
    void fail(const QString &why);

    LoadGenerator *m_generator;
    QString m_document;
    QString m_clientId;
    QString m_secret = collab::Message::Hello::newSecret();
    QWebSocket m_socket;
    QTimer m_timer;
    collab::Client m_client;
    QString m_text;
    qsizetype m_caret = 0;
    bool m_ready = false;
    bool m_selectionPending = false;
    std::vector<qint64> m_outstandingKeys;  // keystroke times carried by the in-flight operation
    std::vector<qint64> m_bufferKeys;       // ... and by the buffer
};

} // namespace bench
