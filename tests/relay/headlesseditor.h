// SPDX-License-Identifier: MIT
#pragma once

// HeadlessEditor: a well-behaved editor for relay tests, without a window: the engine's collab::Client over
// a RelayTestClient, with its local text. It types random keystrokes, follows the relay's operations and
// acknowledgements (pump()), fails over to the next relay address, and times each acknowledgement.
#include "client.h"
#include "relaytestclient.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QRandomGenerator>

#include <map>
#include <memory>

namespace testutil {

using namespace collab;

// One editor: the engine's three-state client over a RelayTestClient, with its local text. It knows several
// relay addresses and, when its relay goes away, reconnects to the next one and resends what is pending (the
// engine keeps the sequence number, so the relays deduplicate a resend of an operation that did commit).
class HeadlessEditor
{
public:
    HeadlessEditor(QString clientId, QList<QUrl> urls, int first, QString doc)
        : engine(clientId), urls(std::move(urls)), current(first), doc(std::move(doc)), m_clientId(std::move(clientId))
    {
    }

    Client engine;
    QList<QUrl> urls;
    int current = 0;
    const QString doc;
    std::unique_ptr<RelayTestClient> ws;
    QString text;
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

    bool connect()
    {
        ws = std::make_unique<RelayTestClient>();
        ws->clientId = m_clientId;
        ws->secret = m_secret;
        if (!ws->open(urls.at(current)) || ws->hello().isEmpty())
            return fail(QStringLiteral("cannot connect to %1").arg(urls.at(current).toString()));
        const QJsonObject opened = ws->openDocument(doc, engine.revision());
        if (opened.isEmpty())
            return fail(QStringLiteral("no opened from %1").arg(urls.at(current).toString()));
        if (opened.contains(QStringLiteral("snapshot"))) {
            // Only a newcomer (nothing seen, nothing typed) takes the relay's text as it is.
            if (engine.revision() != 0 || engine.lastSequence() != 0 || !text.isEmpty())
                return fail(QStringLiteral("unexpected snapshot at revision %1 (relay at %2)")
                                    .arg(engine.revision())
                                    .arg(opened.value(QStringLiteral("revision")).toInt()));
            engine = Client(m_clientId, opened.value(QStringLiteral("revision")).toInt());
            text = opened.value(QStringLiteral("snapshot")).toString();
        }
        for (const QJsonValue &v : opened.value(QStringLiteral("ops")).toArray()) {
            auto c = CommittedOperation::fromJsonBytes(QJsonDocument(v.toObject()).toJson());
            if (!c)
                return fail(c.error().message);
            if (!serverOp(c->revision, c->operation, c->author, c->sequence))
                return false;
        }
        if (!engine.isOnline())
            send(engine.resumed());
        return true;
    }

    // The relay is gone: go to the next address and resend.
    bool failover()
    {
        ++failovers;
        if (engine.isOnline())
            engine.disconnected();
        current = (current + 1) % int(urls.size());
        return connect();
    }

    bool isDisconnected() const { return ws && ws->disconnectedFlag; }

    bool type(QRandomGenerator &rng)
    {
        const qsizetype position = rng.bounded(int(text.size()) + 1);
        const QString ch(QChar(u'a' + rng.bounded(26)));
        TextOperation op = text.isEmpty() || rng.bounded(5) != 0 || position == text.size()
                ? TextOperation::makeInsert(text.size(), position, ch)
                : TextOperation::makeDelete(text.size(), position, 1);
        return edit(op);
    }

    // A local edit of `text`: applied here, handed to the engine, sent when the engine says so.
    bool edit(const TextOperation &op)
    {
        auto applied = op.apply(text);
        if (!applied)
            return fail(applied.error().message);
        text = *applied;
        auto effects = engine.applyClient(op);
        if (!effects)
            return fail(effects.error().message);
        send(*effects);
        return true;
    }

    bool pump()
    {
        if (!ws)
            return true;
        while (!ws->received.isEmpty()) {
            const QJsonObject o = ws->received.takeFirst();
            const QString type = o.value(QStringLiteral("type")).toString();
            if (type == u"op") {
                auto op = TextOperation::fromJson(o.value(QStringLiteral("op")));
                if (!op || !serverOp(o.value(QStringLiteral("rev")).toInt(), *op, o.value(QStringLiteral("author")).toString(),
                                     o.value(QStringLiteral("seq")).toInteger()))
                    return fail(QStringLiteral("bad op"));
            } else if (type == u"ack") {
                const int rev = o.value(QStringLiteral("rev")).toInt();
                const qint64 seq = o.value(QStringLiteral("seq")).toInteger();
                acked.append({seq, rev});
                if (const auto sent = m_sentAt.find(seq); sent != m_sentAt.end()) {
                    ackTimings.push_back({clock(), clock() - sent->second});
                    m_sentAt.erase(sent);
                }
                auto effects = engine.serverAck(rev, seq);
                if (!effects)
                    return fail(effects.error().message);
                send(*effects);
            } else if (type == u"error") {
                if (o.value(QStringLiteral("code")).toString() == u"conflict-retry") {
                    // Nothing was applied: resend the outstanding operation (same sequence number).
                    ++conflictRetries;
                    engine.disconnected();
                    send(engine.resumed());
                    continue;
                }
                return fail(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
            }
        }
        return true;
    }

    bool fail(const QString &why)
    {
        if (failure.isEmpty())
            failure = m_clientId.left(8) + QStringLiteral(": ") + why;
        return false;
    }

private:
    bool serverOp(int revision, const TextOperation &op, const QString &author, qint64 sequence)
    {
        auto effects = engine.applyServer(revision, op, author, sequence);
        if (!effects)
            return fail(effects.error().message);
        if (author == m_clientId && !effects->apply && revision > 0)
            acked.append({sequence, revision}); // our own op seen in catch-up: its ack was lost
        if (effects->apply) {
            auto applied = effects->apply->apply(text);
            if (!applied)
                return fail(applied.error().message);
            text = *applied;
        }
        send(*effects);
        return true;
    }

    void send(const Client::Effects &effects)
    {
        if (!effects.send || !ws || ws->socket.state() != QAbstractSocket::ConnectedState)
            return;
        m_sentAt.try_emplace(effects.send->sequence, clock()); // a resend keeps the first time
        ws->send(Message::Op{doc, effects.send->revision, effects.send->sequence, effects.send->operation, std::nullopt});
    }

    QString m_clientId;
    QString m_secret = collab::Message::Hello::newSecret();
    std::map<qint64, qint64> m_sentAt; // seq -> clock() of its first send
};

} // namespace testutil

using testutil::HeadlessEditor;
