// SPDX-License-Identifier: MIT
#include "catalogue.h"

#include "connection.h"
#include "storage.h"

#include <QLoggingCategory>
#include <QUuid>

Q_DECLARE_LOGGING_CATEGORY(lcCatalogue)
Q_LOGGING_CATEGORY(lcCatalogue, "coscribe.relay.documents")

using namespace collab;

namespace relay {

namespace {
bool allows(std::optional<Role> role, Role needed) { return role && int(*role) >= int(needed); }
} // namespace

Catalogue::Catalogue(Storage &storage, LiveDocuments &live, int maxDocumentsPerUser, int maxCreationsPerHour)
    : m_storage(storage), m_live(live), m_quota(storage, maxDocumentsPerUser, maxCreationsPerHour)
{
}

void Catalogue::list(Connection &c, const Message::List &m)
{
    const auto records = m_storage.documents();
    if (!records) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id);
        return;
    }
    Message::Documents reply;
    reply.ref = m.id;
    for (const Storage::DocumentRecord &r : *records) {
        const std::optional<Role> role = c.roleFor(r.id);
        if (!role)
            continue;
        DocumentInfo info{r.id, r.name, r.revision, 0, -1, r.modified > 0 ? r.modified : r.created, {}, roleName(*role)};
        // Not loaded: its length is known when its latest snapshot is at its last revision (documents are
        // saved so when they unload, LiveDocuments::unload).
        if (r.revision == 0)
            info.length = 0;
        else if (r.snapshotRevision == r.revision)
            info.length = r.snapshotLength;
        if (const LiveDocuments::Live *live = m_live.find(r.id)) {
            info.name = live->name;
            info.revision = live->document.revision();
            info.participants = int(live->members.size());
            info.length = live->document.length();
            for (const LiveDocuments::Member &member : live->members) {
                if (info.people.size() == DocumentInfo::maxListedPeople)
                    break;
                info.people.append(member.presence.name);
            }
        }
        reply.documents.append(info);
    }
    c.sendMessage(reply);
}

QString Catalogue::freeIdForTitle(const QString &title)
{
    const QString base = documentIdForTitle(title);
    QString id = base;
    // "Notes", "Notes-2", "Notes-3", ...: a few tries, then a random suffix (never a loop without end).
    for (int n = 2; n <= 20 && m_storage.document(id); ++n)
        id = base.left(56) + u'-' + QString::number(n);
    if (m_storage.document(id))
        id = base.left(48) + u'-' + QUuid::createUuid().toString(QUuid::Id128).left(12);
    return id;
}

void Catalogue::created(const Connection &c, const QString &id)
{
    m_quota.created(c.user(), id);
    qCInfo(lcCatalogue).noquote() << c.id() << c.user() << "created" << id;
}

void Catalogue::create(Connection &c, const Message::Create &m)
{
    const QString id = !m.doc.isEmpty() ? m.doc : m.name.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces)
                                                                    : freeIdForTitle(m.name);
    if (!allows(c.roleFor(id), Role::Write)) {
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("you may not create \"%1\"").arg(id), m.id, id);
        return;
    }
    const auto existing = m_storage.document(id);
    if (existing || !m_storage.lastError().isEmpty()) {
        c.sendError(existing ? ProtocolErrorCode::DocumentExists : ProtocolErrorCode::ServerError,
                    existing ? QStringLiteral("document \"%1\" already exists").arg(id) : QStringLiteral("storage error"),
                    m.id, id);
        return;
    }
    if (const std::optional<ProtocolError> refused = m_quota.refused(c.user(), id, m.id)) {
        c.sendError(*refused);
        return;
    }
    const QString name = m.name.isEmpty() ? id : m.name;
    if (!m_storage.createDocument(id, name)) {
        // Lost a race with another relay on the same database, or storage failed.
        const bool exists = m_storage.document(id).has_value();
        c.sendError(exists ? ProtocolErrorCode::DocumentExists : ProtocolErrorCode::ServerError,
                    exists ? QStringLiteral("document \"%1\" already exists").arg(id) : QStringLiteral("storage error"),
                    m.id, id);
        return;
    }
    created(c, id);
    c.sendMessage(Message::Created{m.id, id, name});
}

std::optional<ProtocolError> Catalogue::createForOpen(const Connection &c, const Message::Open &m)
{
    if (!allows(c.roleFor(m.doc), Role::Write))
        return ProtocolError{ProtocolErrorCode::Forbidden, QStringLiteral("you may not create \"%1\"").arg(m.doc), m.id,
                             m.doc};
    if (std::optional<ProtocolError> refused = m_quota.refused(c.user(), m.doc, m.id))
        return refused;
    if (m_storage.createDocument(m.doc, m.name.isEmpty() ? m.doc : m.name))
        created(c, m.doc);
    else if (!m_storage.document(m.doc)) // not made by another relay meanwhile either
        return ProtocolError{ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc};
    return std::nullopt;
}

bool Catalogue::rename(Connection &c, const Message::Rename &m)
{
    if (!allows(c.roleFor(m.doc), Role::Admin)) {
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("renaming needs the admin role"), m.id, m.doc);
        return false;
    }
    if (!m_storage.document(m.doc)) {
        c.sendError(m_storage.lastError().isEmpty() ? ProtocolErrorCode::NoSuchDocument : ProtocolErrorCode::ServerError,
                    QStringLiteral("no document \"%1\"").arg(m.doc), m.id, m.doc);
        return false;
    }
    const QString name = m.name.isEmpty() ? m.doc : m.name;
    if (!m_storage.renameDocument(m.doc, name)) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return false;
    }
    c.sendMessage(Message::Renamed{m.id, m.doc, name});
    if (LiveDocuments::Live *live = m_live.find(m.doc)) {
        live->name = name;
        live->broadcast(Message::encodeText(Message::Renamed{{}, m.doc, name}), &c);
    }
    return true;
}

bool Catalogue::remove(Connection &c, const Message::Delete &m)
{
    if (!allows(c.roleFor(m.doc), Role::Admin)) {
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("deleting needs the admin role"), m.id, m.doc);
        return false;
    }
    if (!m_storage.document(m.doc)) {
        c.sendError(m_storage.lastError().isEmpty() ? ProtocolErrorCode::NoSuchDocument : ProtocolErrorCode::ServerError,
                    QStringLiteral("no document \"%1\"").arg(m.doc), m.id, m.doc);
        return false;
    }
    if (!m_storage.deleteDocument(m.doc)) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return false;
    }
    qCInfo(lcCatalogue).noquote() << c.id() << c.user() << "deleted" << m.doc;
    c.sendMessage(Message::Deleted{m.id, m.doc});
    if (LiveDocuments::Live *live = m_live.find(m.doc)) {
        live->dismissMembers(Message::encodeText(Message::Deleted{{}, m.doc}), &c);
        m_live.unload(m.doc);
    }
    return true;
}

bool Catalogue::followStored(const QString &id)
{
    LiveDocuments::Live *live = m_live.find(id);
    if (!live)
        return true; // not loaded here: the next open reads the row
    const std::optional<Storage::DocumentRecord> record = m_storage.document(id);
    if (!record) {
        if (!m_storage.lastError().isEmpty())
            return false;
        qCInfo(lcCatalogue).noquote() << id << "was deleted by another relay";
        live->dismissMembers(Message::encodeText(Message::Deleted{{}, id}), nullptr);
        m_live.unload(id);
    } else if (record->name != live->name) {
        live->name = record->name;
        live->broadcast(Message::encodeText(Message::Renamed{{}, id, record->name}), nullptr);
    }
    return true;
}

} // namespace relay
