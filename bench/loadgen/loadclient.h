// SPDX-License-Identifier: MIT
#pragma once

#include "documentsession.h"
#include "textbuffer.h"

#include <QObject>
#include <QString>
#include <QTimer>

#include <memory>
#include <vector>

namespace bench {

class LoadGenerator;

// LoadClient: one simulated editor on one document: a syncing::DocumentSession over a TextBuffer, exactly
// the editor's session (hello, heartbeats, presence, the engine's client, selections carried by operations)
// without a window or a local store. Per tick of its typing timer it either types (inserts a character at
// the caret, or deletes the one before it) or moves the caret (a selection). The keystroke times of the
// in-flight and buffered operations are kept so each keystroke's acknowledgement latency is known.
class LoadClient : public QObject
{
    Q_OBJECT
public:
    LoadClient(LoadGenerator *generator, int index, QString document, QObject *parent = nullptr);

    // `server`: ws://host:port of the relay.
    void open(const QUrl &server);
    void startTyping(int firstDelayMs, int intervalMs);
    void stopTyping();
    bool isReady() const { return m_ready; }

Q_SIGNALS:
    void ready();
    void failed(const QString &why);

private:
    void onTick();
    void onStatusChanged();
    void fail(const QString &why);
    qsizetype caret() const;

    LoadGenerator *m_generator;
    int m_index;
    QString m_document;
    QTimer m_timer;
    syncing::TextBuffer m_buffer;
    std::unique_ptr<syncing::DocumentSession> m_session;
    bool m_ready = false;
    std::vector<qint64> m_outstandingKeys; // keystroke times carried by the in-flight operation
    std::vector<qint64> m_bufferKeys;      // ... and by the buffer
};

} // namespace bench
