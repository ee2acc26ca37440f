// SPDX-License-Identifier: MIT
#pragma once

// HeadlessEditor: a well-behaved editor for relay tests, without a window: the editor's own
// syncing::DocumentSession over a TextBuffer (no local store). It types random keystrokes, knows several
// relay addresses and fails over to the next one as the editor does (the session resends what is pending;
// the engine keeps the sequence number, so the relays deduplicate a resend of an operation that did commit),
// and times each acknowledgement.
#include <documentsession.h>
#include <textbuffer.h>

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include <map>
#include <memory>

namespace testutil {

using namespace collab;

class HeadlessEditor : public QObject
{
    syncing::TextBuffer m_buffer; // before the session, which shows its text there until it is destroyed

public:
    // `urls`: the relays of one deployment; the editor starts on urls[first] and, when that one goes
    // away, tries the next ones in turn.
    HeadlessEditor(QList<QUrl> urls, int first, QString doc)
        : urls(std::move(urls)), doc(std::move(doc)), m_first(first)
    {
        session = std::make_unique<syncing::DocumentSession>(&m_buffer, nullptr);
        session->setReconnectDelays(20, 200);
        QObject::connect(session.get(), &syncing::DocumentSession::operationSent, this,
                         [this](qint64 sequence) { m_sentAt.try_emplace(sequence, clock()); }); // a resend keeps the first time
        QObject::connect(session.get(), &syncing::DocumentSession::acknowledged, this, [this](qint64 sequence, int revision) {
            acked.append({sequence, revision});
            if (const auto sent = m_sentAt.find(sequence); sent != m_sentAt.end()) {
                ackTimings.push_back({clock(), clock() - sent->second});
                m_sentAt.erase(sent);
            }
        });
        QObject::connect(session.get(), &syncing::DocumentSession::relayError, this,
                         [this](ProtocolErrorCode code) { conflictRetries += code == ProtocolErrorCode::ConflictRetry; });
        QObject::connect(session.get(), &syncing::DocumentSession::errorOccurred, this,
                         [this](const QString &message) { fail(message); });
        // The relays must answer a client that has state with the operations it missed, never a snapshot
        // (the session would have to rebase its pending edits by diff).
        QObject::connect(session.get(), &syncing::DocumentSession::textReset, this, [this] {
            if (m_opened)
                fail(QStringLiteral("the relay sent a snapshot to a client at revision %1").arg(session->revision()));
        });
        QObject::connect(session.get(), &syncing::DocumentSession::statusChanged, this, [this] {
            const bool online = session->status() == syncing::DocumentSession::Status::Online;
            if (online && m_opened && m_dropped && session->currentUrl() != m_lastUrl)
                ++failovers;
            if (online) {
                m_dropped = false;
                m_lastUrl = session->currentUrl();
            }
        });
        QObject::connect(session.get(), &syncing::DocumentSession::linkDropped, this, [this] { m_dropped = true; });
    }

    const QList<QUrl> urls;
    const QString doc;
    QString name = QStringLiteral("headless"); // the display name its operations are stored with
    std::unique_ptr<syncing::DocumentSession> session;
    QList<std::pair<qint64, int>> acked; // (seq, revision)
    int conflictRetries = 0;
    int failovers = 0;
    QString failure;
    // Per acknowledged operation: when its ack came and how long after the operation was first sent (ms on
    // clock()).
    struct AckTiming
    {
        qint64 at = 0;
        qint64 latency = 0;
    };
    std::vector<AckTiming> ackTimings;
    static qint64 clock()
    {
        static QElapsedTimer timer = [] {
            QElapsedTimer t;
            t.start();
            return t;
        }();
        return timer.elapsed();
    }

    // Open the document and wait until its text is here.
    bool connect(int timeoutMs = 10000)
    {
        QUrl url = urls.at(m_first);
        url.setPath(QLatin1Char('/') + doc);
        url.setQuery(QString());
        syncing::DocumentSession::Profile profile{name, QStringLiteral("#336699"), QString(), {}};
        for (int i = 1; i < urls.size(); ++i)
            profile.failoverServers.append(urls.at((m_first + i) % urls.size()));
        QString error;
        if (!session->open(url, profile, &error))
            return fail(error);
        if (!QTest::qWaitFor([this] { return isOnline() || !failure.isEmpty(); }, timeoutMs))
            return fail(QStringLiteral("cannot open %1 on %2").arg(doc, urls.at(m_first).toString()));
        m_opened = failure.isEmpty();
        return m_opened;
    }

    bool isOnline() const
    {
        return session->status() == syncing::DocumentSession::Status::Online && session->isOpenOnRelay();
    }
    bool isDisconnected() const { return !isOnline(); }
    // The relay went away: wait until the session is online again (on the next address that answers).
    bool failover(int timeoutMs = 10000)
    {
        if (!QTest::qWaitFor([this] { return isOnline() || !failure.isEmpty(); }, timeoutMs))
            return fail(QStringLiteral("no relay took the session back within %1 ms").arg(timeoutMs));
        return failure.isEmpty();
    }
    // Whether nothing went wrong so far (events are delivered by the event loop).
    bool pump() const { return failure.isEmpty(); }

    // The address of the relay the session is on (or tries next), as an index into urls.
    int current() const
    {
        for (int i = 0; i < urls.size(); ++i)
            if (urls.at(i).port() == session->currentUrl().port())
                return i;
        return -1;
    }
    const Client &engine() const { return *session->client(); }
    QString text() const { return m_buffer.text(); }
    QString clientId() const { return session->clientId(); }
    QString connectionId() const { return session->connectionId(); }

    bool type(QRandomGenerator &rng)
    {
        const qsizetype length = m_buffer.rope().length();
        const qsizetype position = rng.bounded(int(length) + 1);
        const QString ch(QChar(u'a' + rng.bounded(26)));
        const TextOperation op = length == 0 || rng.bounded(5) != 0 || position == length
                ? TextOperation::makeInsert(length, position, ch)
                : TextOperation::makeDelete(length, position, 1);
        return edit(op);
    }

    // A local edit of the text: applied here and handed to the session, which sends it when it may.
    bool edit(const TextOperation &op)
    {
        const TextOperation inverse = m_buffer.rope().invert(op);
        if (!m_buffer.apply(op))
            return fail(QStringLiteral("the edit does not fit the text"));
        if (!session->localEdited(op, inverse, false)) // never undone: no undo stack to keep
            return fail(QStringLiteral("the session did not take the edit"));
        return true;
    }

    bool fail(const QString &why)
    {
        if (failure.isEmpty())
            failure = (session ? session->clientId().left(8) : QString()) + QStringLiteral(": ") + why;
        return false;
    }

private:
    int m_first = 0;
    bool m_opened = false;
    bool m_dropped = false;
    QUrl m_lastUrl;
    std::map<qint64, qint64> m_sentAt; // seq -> clock() of its first send
};

} // namespace testutil

using testutil::HeadlessEditor;
