// SPDX-License-Identifier: MIT
#include "peercatchup.h"

#include "peerrelays.h"
#include "storage.h"

#include <QLoggingCategory>

#include <algorithm>
#include <climits>

Q_DECLARE_LOGGING_CATEGORY(lcPeers)
Q_LOGGING_CATEGORY(lcPeers, "coscribe.relay.documents")

using namespace collab;

namespace relay {

// Forward operations committed by another relay (already in live.document, revisions after + 1, ...) to every
// local participant, and move their selections through them.
void PeerCatchUp::forwardCommitted(LiveDocuments::Live &live, int after, const LiveDocuments::LogEntries &entries)
{
    int revision = after;
    for (const ServerDocument::LogEntry &e : entries) {
        ++revision;
        live.broadcast(Message::encodeText(Message::RemoteOp{live.id, revision, e.operation, e.clientId, e.sequence,
                                                             QString(), std::nullopt}),
                       nullptr);
        live.moveSelections(e.operation, nullptr, std::nullopt);
    }
    m_live.trimHistory(live);
}

void PeerCatchUp::catchUp(const QString &id, int knownRevision)
{
    LiveDocuments::Live *live = m_live.find(id);
    if (!live || (knownRevision >= 0 && knownRevision <= live->document.revision()))
        return;
    const int after = live->document.revision();
    QList<Author> authors;
    auto entries = m_live.storedOperations(id, after, INT_MAX, &authors);
    if (!entries || entries->empty())
        return;
    for (size_t i = 0; i < entries->size(); ++i) {
        const ServerDocument::LogEntry &e = (*entries)[i];
        if (auto error = live->document.replay(e)) {
            // Cannot happen with a consistent log; rebuild from storage rather than serve a diverged text.
            qCCritical(lcPeers).noquote() << "replaying" << id << "from another relay:" << error->message;
            const int before = live->document.revision();
            if (m_live.reload(*live) && live->document.revision() > before)
                forwardCommitted(*live, before, m_live.storedOperations(id, before, live->document.revision())
                                                        .value_or(LiveDocuments::LogEntries{}));
            return;
        }
        const Author &a = authors[qsizetype(i)];
        live->attribute(live->document.revision(), e.operation, a.user, a.name, a.color);
    }
    forwardCommitted(*live, after, *entries);
}

void PeerCatchUp::forwardPresence(const QString &doc, const QString &message)
{
    if (const LiveDocuments::Live *live = m_live.find(doc))
        live->broadcast(message, nullptr);
}

QList<Participant> PeerCatchUp::remoteParticipants(const LiveDocuments::Live &live) const
{
    QList<Participant> out;
    if (!m_peers)
        return out;
    const ServerDocument &document = live.document;
    for (auto &[participant, revision] : m_peers->participants(live.id)) {
        if (const auto since = document.operationsSince(std::min(revision, document.revision())))
            for (const ServerDocument::LogEntry &e : *since)
                participant.selection = participant.selection.transform(e.operation, false);
        participant.selection = participant.selection.clamped(document.length());
        out.append(participant);
    }
    return out;
}

// Selections are kept in the coordinates of `revision - 1` across the reload, then moved through the
// forwarded operations.
bool PeerCatchUp::recoverFromLostRace(LiveDocuments::Live &live, int revision)
{
    const std::optional<Storage::DocumentRecord> record = m_storage.document(live.id);
    if (!record || record->revision < revision)
        return false;
    ++m_lostCommitRaces;
    qCDebug(lcPeers).noquote() << "lost the race for" << live.id << "revision" << revision << "to another relay";
    const int before = revision - 1;
    std::vector<Selection> selections;
    for (const LiveDocuments::Member &member : live.members)
        selections.push_back(member.presence.selection);
    if (!m_live.reload(live))
        return false;
    for (std::size_t i = 0; i < live.members.size(); ++i)
        live.members[i].presence.selection = selections[i];
    auto missed = live.document.operationsSince(before);
    if (!missed)
        missed = m_live.storedOperations(live.id, before, live.document.revision());
    if (!missed)
        return false;
    forwardCommitted(live, before, *missed);
    for (LiveDocuments::Member &member : live.members)
        member.presence.selection = member.presence.selection.clamped(live.document.length());
    return true;
}

} // namespace relay
