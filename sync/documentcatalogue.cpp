// SPDX-License-Identifier: MIT
#include "documentcatalogue.h"

#include <utility>

namespace syncing {

DocumentCatalogue::DocumentCatalogue(const QUrl &server, const Identity &identity, QObject *parent)
    : QObject(parent), m_server(server.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment))
{
    m_link.setAutoReconnect(false);
    m_link.setAddresses({m_server});
    m_link.setIdentity(RelayLink::Identity::fresh(QStringLiteral("catalogue-"), identity.name, identity.color,
                                                  identity.token));
    connect(&m_link, &RelayLink::welcomed, this, [this] {
        const QStringList queued = std::exchange(m_queued, {});
        for (const QString &frame : queued)
            m_link.send(frame);
    });
    connect(&m_link, &RelayLink::received, this, &DocumentCatalogue::onReceived);
    connect(&m_link, &RelayLink::dropped, this, [this](const QString &why) {
        m_queued.clear();
        Q_EMIT unreachable(why.isEmpty() ? tr("The connection to %1 was closed").arg(m_server.toString()) : why);
    });
}

QUrl DocumentCatalogue::documentUrl(const QString &id) const
{
    QUrl url = m_server;
    url.setPath(QLatin1Char('/') + id);
    return url;
}

void DocumentCatalogue::request(const QString &frame)
{
    if (m_link.isConnected()) {
        m_link.send(frame);
        return;
    }
    m_queued.append(frame);
    if (m_link.state() == RelayLink::State::Offline)
        m_link.open();
}

void DocumentCatalogue::list()
{
    request(collab::Message::encodeText(collab::Message::List{QStringLiteral("list")}));
}

void DocumentCatalogue::create(const QString &title, const QString &id)
{
    request(collab::Message::encodeText(collab::Message::Create{QStringLiteral("create"), id, title.left(256)}));
}

void DocumentCatalogue::rename(const QString &id, const QString &title)
{
    request(collab::Message::encodeText(collab::Message::Rename{QStringLiteral("rename"), id, title.left(256)}));
}

void DocumentCatalogue::remove(const QString &id)
{
    request(collab::Message::encodeText(collab::Message::Delete{QStringLiteral("delete"), id}));
}

void DocumentCatalogue::onReceived(const collab::Message::Server &message)
{
    if (auto *documents = std::get_if<collab::Message::Documents>(&message))
        Q_EMIT listed(documents->documents);
    else if (auto *made = std::get_if<collab::Message::Created>(&message))
        Q_EMIT created(made->doc, made->name);
    else if (auto *renamed = std::get_if<collab::Message::Renamed>(&message))
        Q_EMIT this->renamed(renamed->doc, renamed->name);
    else if (auto *gone = std::get_if<collab::Message::Deleted>(&message))
        Q_EMIT deleted(gone->doc);
    else if (auto *error = std::get_if<collab::Message::Error>(&message)) {
        const QString advice = RelayLink::adviceForError(error->code, error->message);
        Q_EMIT failed(error->code, advice.isEmpty() ? tr("The relay says: %1").arg(error->message) : advice);
    }
}

} // namespace syncing
