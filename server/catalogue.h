// SPDX-License-Identifier: MIT
#pragma once

#include "creationquota.h"
#include "livedocuments.h"

#include "message.h"

#include <optional>

namespace relay {

class Connection;
class Storage;

// Catalogue: which documents exist (list, create, rename, delete), by the role each connection has, with the
// creation quota. What it shows of a loaded document is its committed state: the caller flushes queued
// operations first (DocumentHub does).
class Catalogue
{
public:
    Catalogue(Storage &storage, LiveDocuments &live, int maxDocumentsPerUser, int maxCreationsPerHour);

    void list(Connection &c, const collab::Message::List &m);
    void create(Connection &c, const collab::Message::Create &m);
    // True when done (the document's row changed: other relays are to be told).
    bool rename(Connection &c, const collab::Message::Rename &m);
    bool remove(Connection &c, const collab::Message::Delete &m);
    // Another relay renamed or deleted `id` (or may have: a missed notification): a loaded copy follows the
    // stored row — a new name is broadcast, a document gone dismisses its members. False: storage failed.
    bool followStored(const QString &id);
    // "open" with "create": true of a document that does not exist. The error to send, or nullopt once it
    // exists (made here, or by someone else meanwhile).
    std::optional<collab::ProtocolError> createForOpen(const Connection &c, const collab::Message::Open &m);

private:
    void created(const Connection &c, const QString &id);
    // An unused id for a document made from its title alone: documentIdForTitle(), then "-2", "-3", ...
    QString freeIdForTitle(const QString &title);

    Storage &m_storage;
    LiveDocuments &m_live;
    CreationQuota m_quota;
};

} // namespace relay
