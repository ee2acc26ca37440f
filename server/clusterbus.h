// SPDX-License-Identifier: MIT
#pragma once

#include "peerrelays.h"
#include "sqlstorage.h"

#include <QHash>
#include <QObject>
#include <QSqlDriver>
#include <QTimer>

#include <chrono>

namespace relay {

class DocumentHub;

// ClusterBus: how several coscribe-relay processes over one PostgreSQL learn of each other — no home-made
// clustering, only the database.
//
//   relay A                                  PostgreSQL                      relay B
//   storage: INSERT op (durable commit) ──►  operations
//   bus: pg_notify('coscribe_ops', 'doc:rev') ─────────────► LISTEN ──► catchUp(doc): read the log after
//                                                                       B's revision, replay, forward to
//                                                                       B's clients in revision order
//   rename/delete ──► pg_notify('coscribe_catalogue', 'relay\ndoc') ───► LISTEN ──► re-read the row: a new
//                                                                       name is broadcast, a deleted
//                                                                       document's members dismissed
//   join/selection/idle ──► presence row + pg_notify('coscribe_presence') ──► LISTEN ──► forward to clients
//   every heartbeatInterval: relays.heartbeat = now; presence rows of relays silent > staleAfter are deleted
//   and their leaves notified (by whichever live relay deletes them first: DELETE ... RETURNING hands each
//   row to exactly one).
//
// Invariants: the log, not the notifications, is the truth. A notification only says "look now"; a relay
// that missed some (database reconnect, restart, slow consumer) catches up from the log on the periodic
// resync and after every reconnect, so notifications may be lost or duplicated without harm. Presence is
// best effort and bounded: a crashed relay's participants leave within staleAfter + heartbeatInterval.
//
// Why the NOTIFY is not in the INSERT's transaction: PostgreSQL serializes the commits of all transactions
// that NOTIFY (a database-wide lock on the notification queue, held through the commit's WAL flush), which
// defeats group commit — measured here with fsync on: 250 commits/s at 1, 4 or 16 concurrent committers
// with NOTIFY in the transaction, 245 / 594 / 4,180 without (docs/SCALING.md). So the storage commits
// durably, then the bus notifies in a transaction of its own with synchronous_commit off (a notification
// is not durable anyway): 237 / 779 / 2,484. A notification lost to a crash between the two is covered
// by the periodic resync and by the next notification for the document (catchUp reads everything after
// the relay's revision, not just the revision named).
//
// The bus has its own database connection (LISTEN must not wait behind the storage's queries, and losing
// it is detected and repaired here without touching the storage). PostgreSQL only.
class ClusterBus : public QObject, public PeerRelays
{
    Q_OBJECT
public:
    struct Settings
    {
        std::chrono::milliseconds heartbeatInterval{1000};
        std::chrono::milliseconds staleAfter{5000};
        std::chrono::milliseconds resyncInterval{5000};
    };

    static constexpr const char *operationsChannel = "coscribe_ops";
    static constexpr const char *presenceChannel = "coscribe_presence";
    static constexpr const char *catalogueChannel = "coscribe_catalogue";

    ClusterBus(SqlStorage::Options database, QString relayId, Settings settings, QObject *parent = nullptr);
    ~ClusterBus() override;
    ClusterBus(const ClusterBus &) = delete;
    ClusterBus &operator=(const ClusterBus &) = delete;

    // Connect, create the cluster tables, LISTEN, register this relay. False + errorString() on failure.
    bool start();
    QString errorString() const { return m_errorString; }
    const QString &relayId() const { return m_relayId; }
    bool isConnected() const { return m_connected; }

    // Wire a hub: it publishes presence here, and catches up / forwards what this bus hears.
    void attach(DocumentHub &hub);

    // A fresh relay id: short, unique enough, safe inside connection ids.
    static QString newRelayId();

    // PeerRelays
    void publishCommitted(const QString &doc, int revision) override;
    void publishPresence(const QString &doc, const collab::Participant &participant, int revision,
                         const QString &message) override;
    void publishTransient(const QString &doc, const QString &message) override;
    void publishLeave(const QString &doc, const QString &connectionId) override;
    void publishCatalogue(const QString &doc) override;
    std::vector<std::pair<collab::Participant, int>> participants(const QString &doc) override;

Q_SIGNALS:
    // Another relay committed `revision` of `doc` (or this one did: the hub ignores what it already has).
    void operationsCommitted(const QString &doc, int revision);
    // Notifications may have been missed (reconnect) or this is the periodic safety net: read the log.
    void resyncNeeded();
    // A presence message from another relay, to forward verbatim to local participants of `doc`.
    void presenceReceived(const QString &doc, const QString &message);
    // Another relay renamed or deleted `doc`: re-read its row.
    void catalogueChanged(const QString &doc);

private:
    struct LocalPresence
    {
        QString doc;
        QString connectionId;
        collab::Participant participant;
        QString json;
        int revision = 0;
    };

    void onNotification(const QString &channel, QSqlDriver::NotificationSource source, const QVariant &payload);
    void onHeartbeat();
    bool connectDatabase();
    void disconnected(const QString &why);
    void reapStaleRelays();
    bool storePresence(const LocalPresence &p);
    void notifyPresence(const QString &relayId, const QString &doc, const QString &message);
    static QString key(const QString &doc, const QString &connectionId) { return doc + u'\n' + connectionId; }

    SqlStorage::Options m_options;
    QString m_relayId;
    Settings m_settings;
    QString m_connectionName;
    QString m_errorString;
    bool m_connected = false;
    QTimer m_heartbeat;
    QTimer m_resync;
    QHash<QString, LocalPresence> m_local; // what this relay published; republished after a reconnect
};

} // namespace relay
