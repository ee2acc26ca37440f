// SPDX-License-Identifier: MIT
#pragma once

#include "storage.h"

#include <message.h>

#include <QHash>
#include <QString>

#include <deque>
#include <optional>

namespace relay {

// CreationQuota: how many documents one user may have created, and how many it may create per hour (a token
// holder could otherwise fill the database and make every "list" reply huge in seconds). The hourly count is
// kept in memory per relay; the total is the storage's (documents record who created them).
class CreationQuota
{
public:
    CreationQuota(Storage &storage, int maxPerUser, int maxPerHour)
        : m_storage(storage), m_maxPerUser(maxPerUser), m_maxPerHour(maxPerHour) {}

    // Why `user` may not create document `id` now (QuotaExceeded, or ServerError when storage fails);
    // nullopt when it may. `ref` goes into the error.
    std::optional<collab::ProtocolError> refused(const QString &user, const QString &id, const QString &ref);
    // `user` created `id`: counted for the hour and recorded in storage.
    void created(const QString &user, const QString &id);

private:
    Storage &m_storage;
    int m_maxPerUser;
    int m_maxPerHour;
    QHash<QString, std::deque<qint64>> m_recent; // per user: when its documents of the last hour were made
};

} // namespace relay
