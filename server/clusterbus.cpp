// SPDX-License-Identifier: MIT
#include "clusterbus.h"

#include "documenthub.h"

#include <QAtomicInteger>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

#include <initializer_list>

Q_DECLARE_LOGGING_CATEGORY(lcCluster)
Q_LOGGING_CATEGORY(lcCluster, "coscribe.relay.cluster")

using namespace collab;

namespace relay {

namespace {

QAtomicInteger<int> busCounter;

// The database's clock, in ms: relays' own clocks may disagree, the heartbeat must not.
const QString dbNow = QStringLiteral("(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT");

// NOTIFY payloads are limited to 8000 bytes.
constexpr qsizetype maxPayload = 7900;

} // namespace

ClusterBus::ClusterBus(SqlStorage::Options database, QString relayId, Settings settings, QObject *parent)
    : QObject(parent),
      m_options(std::move(database)),
      m_relayId(std::move(relayId)),
      m_settings(settings),
      m_connectionName(QStringLiteral("coscribe-cluster-%1").arg(busCounter.fetchAndAddRelaxed(1)))
{
    m_heartbeat.setInterval(m_settings.heartbeatInterval);
    connect(&m_heartbeat, &QTimer::timeout, this, &ClusterBus::onHeartbeat);
    m_resync.setInterval(m_settings.resyncInterval);
    connect(&m_resync, &QTimer::timeout, this, &ClusterBus::resyncNeeded);
}

ClusterBus::~ClusterBus()
{
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (m_connected && db.isOpen()) {
            // A clean exit: take this relay's participants away now rather than after staleAfter.
            for (const LocalPresence &p : std::as_const(m_local))
                notifyPresence(m_relayId, p.doc, Message::encodeText(Message::Leave{p.doc, p.connectionId}));
            QSqlQuery q(db);
            q.prepare(QStringLiteral("DELETE FROM presence WHERE relay_id = ?"));
            q.addBindValue(m_relayId);
            q.exec();
            q.prepare(QStringLiteral("DELETE FROM relays WHERE id = ?"));
            q.addBindValue(m_relayId);
            q.exec();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

QString ClusterBus::newRelayId()
{
    return QStringLiteral("r") + QUuid::createUuid().toString(QUuid::Id128).left(8);
}

bool ClusterBus::start()
{
    if (m_options.driver != u"QPSQL") {
        m_errorString = QStringLiteral("several relays need PostgreSQL (the cluster bus uses LISTEN/NOTIFY)");
        return false;
    }
    if (!connectDatabase())
        return false;
    m_heartbeat.start();
    m_resync.start();
    return true;
}

bool ClusterBus::connectDatabase()
{
    if (QSqlDatabase::contains(m_connectionName)) {
        {
            QSqlDatabase old = QSqlDatabase::database(m_connectionName, false);
            old.close();
        }
        QSqlDatabase::removeDatabase(m_connectionName);
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connectionName);
    db.setDatabaseName(m_options.databaseName);
    db.setHostName(m_options.host);
    db.setPort(m_options.port);
    db.setUserName(m_options.user);
    db.setPassword(m_options.password);
    // application_name: operators (and tests) can tell a relay's bus connection in pg_stat_activity.
    db.setConnectOptions(QStringLiteral("connect_timeout=5;application_name=coscribe-bus-%1").arg(m_relayId));
    if (!db.open()) {
        m_errorString = QStringLiteral("cluster bus: ") + db.lastError().text();
        return false;
    }
    QSqlQuery q(db);
    const QString setup[] = {
        QStringLiteral("SET client_min_messages TO WARNING"),
        // This connection writes nothing that must survive a crash (see the class comment).
        QStringLiteral("SET synchronous_commit TO OFF"),
        QStringLiteral("CREATE TABLE IF NOT EXISTS relays ("
                       " id VARCHAR(64) NOT NULL PRIMARY KEY,"
                       " heartbeat BIGINT NOT NULL,"
                       " started BIGINT NOT NULL)"),
        QStringLiteral("CREATE TABLE IF NOT EXISTS presence ("
                       " relay_id VARCHAR(64) NOT NULL,"
                       " doc VARCHAR(64) NOT NULL,"
                       " connection_id VARCHAR(128) NOT NULL,"
                       " participant TEXT NOT NULL,"
                       " revision INTEGER NOT NULL,"
                       " PRIMARY KEY (relay_id, doc, connection_id))"),
        QStringLiteral("CREATE INDEX IF NOT EXISTS presence_doc ON presence (doc)"),
    };
    for (const QString &sql : setup) {
        // Two relays starting at once may race on CREATE ... IF NOT EXISTS (a unique violation on the
        // catalogue); the loser's table exists all the same.
        if (!q.exec(sql) && !q.exec(sql)) {
            m_errorString = QStringLiteral("cluster bus: ") + q.lastError().text();
            return false;
        }
    }
    q.prepare(QStringLiteral("INSERT INTO relays (id, heartbeat, started) VALUES (?, %1, %1)"
                             " ON CONFLICT (id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat").arg(dbNow));
    q.addBindValue(m_relayId);
    if (!q.exec()) {
        m_errorString = QStringLiteral("cluster bus: ") + q.lastError().text();
        return false;
    }
    QSqlDriver *driver = db.driver();
    for (const char *channel : {operationsChannel, presenceChannel, catalogueChannel}) {
        if (!driver->subscribeToNotification(QLatin1StringView(channel))) {
            m_errorString = QStringLiteral("cluster bus: cannot LISTEN on %1").arg(QLatin1StringView(channel));
            return false;
        }
    }
    connect(driver, &QSqlDriver::notification, this, &ClusterBus::onNotification, Qt::UniqueConnection);
    // Presence this relay had published before a reconnect (its rows may have been reaped meanwhile).
    for (const LocalPresence &p : std::as_const(m_local))
        storePresence(p);
    m_connected = true;
    qCInfo(lcCluster).noquote() << "relay" << m_relayId << "joined the cluster";
    return true;
}

void ClusterBus::disconnected(const QString &why)
{
    if (!m_connected)
        return;
    m_connected = false;
    qCWarning(lcCluster).noquote() << "lost the cluster database connection:" << why;
}

void ClusterBus::attach(DocumentHub &hub)
{
    hub.setPeers(this);
    connect(this, &ClusterBus::operationsCommitted, &hub,
            [&hub](const QString &doc, int revision) { hub.catchUp(doc, revision); });
    connect(this, &ClusterBus::resyncNeeded, &hub, &DocumentHub::catchUpAll);
    connect(this, &ClusterBus::presenceReceived, &hub, &DocumentHub::forwardPresence);
    connect(this, &ClusterBus::catalogueChanged, &hub, &DocumentHub::followCatalogue);
}

void ClusterBus::onNotification(const QString &channel, QSqlDriver::NotificationSource,
                                const QVariant &payload)
{
    const QString text = payload.toString();
    if (channel == QLatin1StringView(operationsChannel)) {
        const qsizetype colon = text.lastIndexOf(u':');
        bool ok = false;
        const int revision = colon > 0 ? text.mid(colon + 1).toInt(&ok) : 0;
        if (ok)
            Q_EMIT operationsCommitted(text.left(colon), revision);
        return;
    }
    if (channel == QLatin1StringView(catalogueChannel)) {
        // relayId \n doc
        const qsizetype newline = text.indexOf(u'\n');
        if (newline > 0 && QStringView(text).left(newline) != m_relayId)
            Q_EMIT catalogueChanged(text.mid(newline + 1));
        return;
    }
    if (channel == QLatin1StringView(presenceChannel)) {
        // relayId \n doc \n message
        const qsizetype first = text.indexOf(u'\n');
        const qsizetype second = first < 0 ? -1 : text.indexOf(u'\n', first + 1);
        if (second < 0)
            return;
        if (QStringView(text).left(first) == m_relayId)
            return; // our own: local clients already have it
        Q_EMIT presenceReceived(text.mid(first + 1, second - first - 1), text.mid(second + 1));
    }
}

void ClusterBus::onHeartbeat()
{
    if (!m_connected) {
        if (connectDatabase()) {
            Q_EMIT resyncNeeded(); // whatever was committed meanwhile, we did not hear of it
        } else {
            qCWarning(lcCluster).noquote() << m_errorString;
        }
        return;
    }
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("UPDATE relays SET heartbeat = %1 WHERE id = ?").arg(dbNow));
    q.addBindValue(m_relayId);
    if (!q.exec()) {
        disconnected(q.lastError().text());
        return;
    }
    if (q.numRowsAffected() == 0) {
        // We were silent long enough to be declared dead (a long stall): come back, with our participants.
        qCWarning(lcCluster).noquote() << "relay" << m_relayId << "was reaped; re-registering";
        m_connected = false;
        if (connectDatabase()) {
            for (const LocalPresence &p : std::as_const(m_local))
                notifyPresence(m_relayId, p.doc, Message::encodeText(Message::Join{p.doc, p.participant}));
            Q_EMIT resyncNeeded();
        }
        return;
    }
    reapStaleRelays();
}

void ClusterBus::reapStaleRelays()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("DELETE FROM presence WHERE relay_id IN"
                             " (SELECT id FROM relays WHERE heartbeat < %1 - ?)"
                             " RETURNING relay_id, doc, connection_id").arg(dbNow));
    q.addBindValue(qint64(m_settings.staleAfter.count()));
    if (!q.exec()) {
        disconnected(q.lastError().text());
        return;
    }
    struct Gone { QString relay, doc, connection; };
    std::vector<Gone> gone;
    while (q.next())
        gone.push_back({q.value(0).toString(), q.value(1).toString(), q.value(2).toString()});
    for (const Gone &g : gone) {
        qCInfo(lcCluster).noquote() << "relay" << g.relay << "is silent:" << g.connection << "leaves" << g.doc;
        // Sent under the dead relay's id, so every live relay (this one too) forwards the leave.
        notifyPresence(g.relay, g.doc, Message::encodeText(Message::Leave{g.doc, g.connection}));
    }
    QSqlQuery del(db);
    del.prepare(QStringLiteral("DELETE FROM relays WHERE heartbeat < %1 - ?").arg(dbNow));
    del.addBindValue(qint64(m_settings.staleAfter.count()));
    if (!del.exec())
        disconnected(del.lastError().text());
}

void ClusterBus::notifyPresence(const QString &relayId, const QString &doc, const QString &message)
{
    const QString payload = relayId + u'\n' + doc + u'\n' + message;
    if (collab::utf8Size(payload) > maxPayload) {
        qCWarning(lcCluster).noquote() << "presence message for" << doc << "too large to notify; dropped";
        return;
    }
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT pg_notify(?, ?)"));
    q.addBindValue(QString::fromLatin1(presenceChannel));
    q.addBindValue(payload);
    if (!q.exec())
        disconnected(q.lastError().text());
}

bool ClusterBus::storePresence(const LocalPresence &p)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("INSERT INTO presence (relay_id, doc, connection_id, participant, revision)"
                             " VALUES (?, ?, ?, ?, ?) ON CONFLICT (relay_id, doc, connection_id)"
                             " DO UPDATE SET participant = EXCLUDED.participant, revision = EXCLUDED.revision"));
    q.addBindValue(m_relayId);
    q.addBindValue(p.doc);
    q.addBindValue(p.connectionId);
    q.addBindValue(p.json);
    q.addBindValue(p.revision);
    if (!q.exec()) {
        disconnected(q.lastError().text());
        return false;
    }
    return true;
}

void ClusterBus::publishPresence(const QString &doc, const Participant &participant, int revision,
                                 const QString &message)
{
    LocalPresence p{doc, participant.connectionId, participant,
                    QString::fromUtf8(participant.toJsonBytes()), revision};
    m_local.insert(key(doc, participant.connectionId), p);
    if (!m_connected)
        return; // republished on reconnect
    if (storePresence(p))
        notifyPresence(m_relayId, doc, message);
}

void ClusterBus::publishCommitted(const QString &doc, int revision)
{
    if (!m_connected)
        return; // the others catch up on their periodic resync
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT pg_notify(?, ?)"));
    q.addBindValue(QString::fromLatin1(operationsChannel));
    q.addBindValue(doc + u':' + QString::number(revision));
    if (!q.exec())
        disconnected(q.lastError().text());
}

void ClusterBus::publishCatalogue(const QString &doc)
{
    if (!m_connected)
        return; // the others follow on their periodic resync
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT pg_notify(?, ?)"));
    q.addBindValue(QString::fromLatin1(catalogueChannel));
    q.addBindValue(m_relayId + u'\n' + doc);
    if (!q.exec())
        disconnected(q.lastError().text());
}

void ClusterBus::publishTransient(const QString &doc, const QString &message)
{
    if (m_connected)
        notifyPresence(m_relayId, doc, message);
}

void ClusterBus::publishLeave(const QString &doc, const QString &connectionId)
{
    m_local.remove(key(doc, connectionId));
    if (!m_connected)
        return;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("DELETE FROM presence WHERE relay_id = ? AND doc = ? AND connection_id = ?"));
    q.addBindValue(m_relayId);
    q.addBindValue(doc);
    q.addBindValue(connectionId);
    if (!q.exec()) {
        disconnected(q.lastError().text());
        return;
    }
    notifyPresence(m_relayId, doc, Message::encodeText(Message::Leave{doc, connectionId}));
}

std::vector<std::pair<Participant, int>> ClusterBus::participants(const QString &doc)
{
    std::vector<std::pair<Participant, int>> list;
    if (!m_connected)
        return list;
    QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
    q.prepare(QStringLiteral("SELECT p.participant, p.revision FROM presence p JOIN relays r ON r.id = p.relay_id"
                             " WHERE p.doc = ? AND p.relay_id <> ? AND r.heartbeat >= %1 - ?"
                             " ORDER BY p.connection_id").arg(dbNow));
    q.addBindValue(doc);
    q.addBindValue(m_relayId);
    q.addBindValue(qint64(m_settings.staleAfter.count()));
    if (!q.exec()) {
        disconnected(q.lastError().text());
        return list;
    }
    while (q.next()) {
        auto participant = Participant::fromJsonBytes(q.value(0).toString().toUtf8());
        if (participant)
            list.emplace_back(std::move(participant).value(), q.value(1).toInt());
    }
    return list;
}

} // namespace relay
