// SPDX-License-Identifier: MIT
#pragma once

#include "livedocuments.h"

#include "message.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace relay {

class PeerRelays;
class Storage;

// PeerCatchUp: several relays over one database (see ClusterBus). The shared log is the single point of
// order: what another relay committed is read from it, replayed into the loaded document and forwarded to
// the local participants in revision order, their selections moved through it. With no peers (the default)
// this relay is alone and nothing here runs.
//
// Reading the log is only right once it holds everything in memory: the caller flushes queued operations
// first (DocumentHub and CommitPath do).
class PeerCatchUp
{
public:
    PeerCatchUp(Storage &storage, LiveDocuments &live) : m_storage(storage), m_live(live) {}

    void setPeers(PeerRelays *peers) { m_peers = peers; }
    PeerRelays *peers() const { return m_peers; }

    // Bring a loaded document up to the log. `knownRevision`: a revision named by a notification (nothing to
    // read when already there); -1: look.
    void catchUp(const QString &id, int knownRevision = -1);
    // A presence message (join, leave, selection, idle) from another relay, for local participants.
    void forwardPresence(const QString &doc, const QString &message);
    // The participants of `live` on other relays, their selections moved from where they were published to
    // now (for an "opened" reply).
    QList<collab::Participant> remoteParticipants(const LiveDocuments::Live &live) const;

    // The commit of `revision` failed. If another relay committed that revision first (a lost race, not a
    // storage failure), `live` is rebuilt from the log and what the winner committed is forwarded: true.
    bool recoverFromLostRace(LiveDocuments::Live &live, int revision);
    // Commits that lost the race for their revision (and were transformed and retried).
    int lostCommitRaces() const { return m_lostCommitRaces; }

private:
    void forwardCommitted(LiveDocuments::Live &live, int after, const LiveDocuments::LogEntries &entries);

    Storage &m_storage;
    LiveDocuments &m_live;
    PeerRelays *m_peers = nullptr;
    int m_lostCommitRaces = 0;
};

} // namespace relay
