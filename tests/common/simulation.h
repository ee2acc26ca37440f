// SPDX-License-Identifier: MIT
#pragma once

#include "client.h"
#include "serverdocument.h"

#include <QString>

#include <deque>
#include <set>
#include <utility>
#include <vector>

namespace collab::testing {

// Simulation: a ServerDocument, a relay that does what the real one does with its results, and N Clients
// each with a local document, connected by in-memory channels -- one upstream (client -> server) and one
// downstream (server -> client) queue per client, each FIFO like a TCP stream. The caller (a RapidCheck
// property, as ot.js's test-client-server.js) chooses which channel delivers next, so messages interleave in
// any order across channels.
//
// The relay model:
//   - an operation the server accepts is acknowledged to its author and broadcast to every other client
//     that is online (offline clients catch up from the log when they come back);
//   - DuplicateOperation (a resend or duplicated message) is answered with a fresh acknowledgement when it
//     names the author's last applied sequence, and otherwise dropped (the author has moved on);
//   - any other error is a failure of the system under test.
// disconnect() drops everything in flight in both directions; reconnect() feeds operationsSince(revision)
// through Client::applyServer and then sends what Client::resumed() returns.
//
// Each step checks what it can and records the first problem in failure(); the caller asserts on it.
class Simulation
{
public:
    struct Upstream
    {
        int revision = 0;
        qint64 sequence = 0;
        TextOperation operation;
    };

    struct Downstream
    {
        bool isAck = false;
        int revision = 0;
        qint64 sequence = 0;
        TextOperation operation; // broadcasts only
        QString author;          // broadcasts only
    };

    struct Peer
    {
        Client client;
        QString text;
        bool online = true;
        std::deque<Upstream> up;
        std::deque<Downstream> down;
    };

    Simulation(const QString &initial, int clients) : m_server(initial, 0)
    {
        for (int i = 0; i < clients; ++i)
            m_peers.push_back(Peer{Client(QStringLiteral("client-%1").arg(i + 1)), initial, true, {}, {}});
    }

    int size() const { return int(m_peers.size()); }
    const Peer &peer(int i) const { return m_peers[size_t(i)]; }
    const ServerDocument &server() const { return m_server; }
    const QString &failure() const { return m_failure; }

    // Distinct (client id, sequence) pairs ever sent, counting resends once.
    const std::set<std::pair<QString, qint64>> &sent() const { return m_sent; }
    int duplicatesAnswered() const { return m_duplicates; }
    int resends() const { return m_resends; }

    // Upstream channels (client index) and downstream channels (client index) with something to deliver.
    std::vector<int> pendingUp() const
    {
        std::vector<int> result;
        for (int i = 0; i < size(); ++i)
            if (!m_peers[size_t(i)].up.empty())
                result.push_back(i);
        return result;
    }
    std::vector<int> pendingDown() const
    {
        std::vector<int> result;
        for (int i = 0; i < size(); ++i)
            if (!m_peers[size_t(i)].down.empty())
                result.push_back(i);
        return result;
    }

    // The user of client i made an edit of its local text.
    void localEdit(int i, const TextOperation &op)
    {
        Peer &p = m_peers[size_t(i)];
        Expected<QString> after = op.apply(p.text);
        if (!after)
            return fail(QStringLiteral("local edit does not apply: %1").arg(after.error().message));
        Expected<Client::Effects> effects = p.client.applyClient(op);
        if (!effects)
            return fail(QStringLiteral("applyClient: %1").arg(effects.error().message));
        p.text = std::move(after.value());
        send(i, effects->send);
    }

    // The server reads the next message of client i.
    void deliverUp(int i)
    {
        Peer &p = m_peers[size_t(i)];
        const Upstream message = std::move(p.up.front());
        p.up.pop_front();
        const QString &id = p.client.clientId();
        Expected<ServerDocument::Receipt> receipt = m_server.receive(message.revision, message.operation, id,
                                                                     message.sequence);
        if (!receipt) {
            if (receipt.error().code != ErrorCode::DuplicateOperation)
                return fail(QStringLiteral("server rejected %1 #%2: %3")
                                .arg(id)
                                .arg(message.sequence)
                                .arg(receipt.error().message));
            ++m_duplicates;
            const std::optional<ServerDocument::Applied> applied = m_server.lastApplied(id);
            if (applied && applied->sequence == message.sequence)
                p.down.push_back(Downstream{true, applied->revision, message.sequence, {}, {}});
            return;
        }
        for (int j = 0; j < size(); ++j) {
            Peer &q = m_peers[size_t(j)];
            if (!q.online)
                continue;
            if (j == i)
                q.down.push_back(Downstream{true, receipt->revision, message.sequence, {}, {}});
            else
                q.down.push_back(Downstream{false, receipt->revision, message.sequence, receipt->operation, id});
        }
    }

    // Client i reads its next message from the server.
    void deliverDown(int i)
    {
        Peer &p = m_peers[size_t(i)];
        const Downstream message = std::move(p.down.front());
        p.down.pop_front();
        if (message.isAck) {
            Expected<Client::Effects> effects = p.client.serverAck(message.revision, message.sequence);
            if (!effects)
                return fail(QStringLiteral("serverAck: %1").arg(effects.error().message));
            send(i, effects->send);
            return;
        }
        applyServer(i, message.revision, message.operation, message.author, message.sequence);
    }

    // The transport hands the server a second copy of client i's k-th queued message, later on.
    void duplicateUp(int i, size_t k)
    {
        Peer &p = m_peers[size_t(i)];
        p.up.push_back(p.up[k % p.up.size()]);
    }

    void disconnect(int i)
    {
        Peer &p = m_peers[size_t(i)];
        p.online = false;
        p.up.clear();
        p.down.clear();
        p.client.disconnected();
    }

    void reconnect(int i)
    {
        Peer &p = m_peers[size_t(i)];
        if (p.online)
            return;
        const int since = p.client.revision();
        const std::optional<std::vector<ServerDocument::LogEntry>> missed = m_server.operationsSince(since);
        if (!missed)
            return fail(QStringLiteral("history since %1 not in memory").arg(since));
        int revision = since;
        for (const ServerDocument::LogEntry &entry : *missed) {
            applyServer(i, ++revision, entry.operation, entry.clientId, entry.sequence);
            if (!m_failure.isEmpty())
                return;
        }
        p.online = true;
        const Client::Effects effects = p.client.resumed();
        if (effects.send)
            ++m_resends;
        send(i, effects.send);
    }

    void reconnectAll()
    {
        for (int i = 0; i < size(); ++i)
            reconnect(i);
    }

    // Reconnect everyone and deliver everything in flight (round robin), until nothing moves.
    void drain()
    {
        reconnectAll();
        bool moved = true;
        while (moved && m_failure.isEmpty()) {
            moved = false;
            for (int i = 0; i < size() && m_failure.isEmpty(); ++i) {
                if (!m_peers[size_t(i)].up.empty()) {
                    deliverUp(i);
                    moved = true;
                }
                if (!m_peers[size_t(i)].down.empty() && m_failure.isEmpty()) {
                    deliverDown(i);
                    moved = true;
                }
            }
        }
    }

private:
    void applyServer(int i, int revision, const TextOperation &op, const QString &author, qint64 sequence)
    {
        Peer &p = m_peers[size_t(i)];
        Expected<Client::Effects> effects = p.client.applyServer(revision, op, author, sequence);
        if (!effects)
            return fail(QStringLiteral("applyServer at %1: %2").arg(revision).arg(effects.error().message));
        if (effects->apply) {
            Expected<QString> after = effects->apply->apply(p.text);
            if (!after)
                return fail(QStringLiteral("transformed server operation does not apply: %1")
                                .arg(after.error().message));
            p.text = std::move(after.value());
        }
        send(i, effects->send);
    }

    void send(int i, const std::optional<Client::Outgoing> &outgoing)
    {
        if (!outgoing)
            return;
        Peer &p = m_peers[size_t(i)];
        if (!p.online)
            return fail(QStringLiteral("client %1 sent while offline").arg(i));
        m_sent.emplace(p.client.clientId(), outgoing->sequence);
        p.up.push_back(Upstream{outgoing->revision, outgoing->sequence, outgoing->operation});
    }

    void fail(const QString &message)
    {
        if (m_failure.isEmpty())
            m_failure = message;
    }

    ServerDocument m_server;
    std::vector<Peer> m_peers;
    std::set<std::pair<QString, qint64>> m_sent;
    int m_duplicates = 0;
    int m_resends = 0;
    QString m_failure;
};

} // namespace collab::testing
