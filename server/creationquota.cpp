// SPDX-License-Identifier: MIT
#include "creationquota.h"

#include <QDateTime>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcQuota, "coscribe.relay.documents")

namespace relay {

using collab::ProtocolError;
using collab::ProtocolErrorCode;

std::optional<ProtocolError> CreationQuota::refused(const QString &user, const QString &id, const QString &ref)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    std::deque<qint64> &recent = m_recent[user];
    while (!recent.empty() && recent.front() <= now - 3600 * 1000)
        recent.pop_front();
    if (qsizetype(recent.size()) >= m_maxPerHour)
        return ProtocolError{ProtocolErrorCode::QuotaExceeded,
                             QStringLiteral("%1 may create at most %2 documents per hour").arg(user).arg(m_maxPerHour),
                             ref, id};
    const std::optional<int> count = m_storage.documentsCreatedBy(user);
    if (!count)
        return ProtocolError{ProtocolErrorCode::ServerError, QStringLiteral("storage error"), ref, id};
    if (*count >= m_maxPerUser)
        return ProtocolError{ProtocolErrorCode::QuotaExceeded,
                             QStringLiteral("%1 has created %2 documents, the most one user may have").arg(user).arg(*count),
                             ref, id};
    return std::nullopt;
}

void CreationQuota::created(const QString &user, const QString &id)
{
    m_recent[user].push_back(QDateTime::currentMSecsSinceEpoch());
    if (!m_storage.recordCreator(id, user))
        qCWarning(lcQuota).noquote() << "recording who created" << id << "failed:" << m_storage.lastError();
}

} // namespace relay
