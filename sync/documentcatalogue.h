// SPDX-License-Identifier: MIT
#pragma once

#include "relaylink.h"

#include <message.h>

#include <QObject>
#include <QStringList>
#include <QUrl>

namespace syncing {

// DocumentCatalogue: a relay's documents, asked for on a short-lived link of its own so that browsing never
// disturbs an open document's session (docs/PROTOCOL.md, "list" to "delete"). Requests made before the link
// is up wait for its welcome; each answer comes as one signal, a refusal as failed() with the relay's code
// and what the user can do (RelayLink::adviceForError).
//
//   list()/create()/rename()/remove() --queued--> open link --hello--> welcome --> sent in order
//   documents / created / renamed / deleted / error  -->  listed / created / renamed / deleted / failed
class DocumentCatalogue : public QObject
{
    Q_OBJECT
public:
    struct Identity
    {
        QString name;
        QString color;
        QString token;
    };

    // `server`: ws[s]://host:port.
    DocumentCatalogue(const QUrl &server, const Identity &identity, QObject *parent = nullptr);

    void list();
    // A new document titled `title` (any Unicode; the relay makes a safe id from it when `id` is empty).
    void create(const QString &title, const QString &id = {});
    void rename(const QString &id, const QString &title);
    void remove(const QString &id);

    QUrl server() const { return m_server; }
    // The address of document `id` on this server.
    QUrl documentUrl(const QString &id) const;
    bool isConnected() const { return m_link.isConnected(); }

Q_SIGNALS:
    void listed(const QList<collab::DocumentInfo> &documents);
    void created(const QString &id, const QString &title);
    void renamed(const QString &id, const QString &title);
    void deleted(const QString &id);
    void failed(collab::ProtocolErrorCode code, const QString &message);
    // The link could not be made or was closed: `why` says what to do about it.
    void unreachable(const QString &why);

private:
    void request(const QString &frame);
    void onReceived(const collab::Message::Server &message);

    QUrl m_server;
    RelayLink m_link;
    QStringList m_queued;
};

} // namespace syncing
