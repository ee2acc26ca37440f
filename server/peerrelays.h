// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"

#include <QByteArray>
#include <QString>

#include <utility>
#include <vector>

namespace relay {

// PeerRelays: what DocumentHub tells, and asks, the other relays that share its storage. A single relay has
// none (DocumentHub holds a null pointer); ClusterBus implements it over PostgreSQL for several.
//
// Operations travel through the shared log: publishCommitted() only says "look now", and the other relays'
// catchUp() reads the log. Presence, which is not in the log, is published whole.
class PeerRelays
{
public:
    virtual ~PeerRelays() = default;

    // `revision` of `doc` is committed (called right after the commit, never before).
    virtual void publishCommitted(const QString &doc, int revision) = 0;

    // A local participant joined or changed (selection, idle). `message` is the encoded protocol message
    // (join / selection / idle) the other relays forward verbatim to their own clients; `participant` at
    // `revision` is the state a late joiner elsewhere will be shown.
    virtual void publishPresence(const QString &doc, const collab::Participant &participant, int revision,
                                 const QString &message) = 0;
    // A fleeting update that need not be remembered (the selection carried by an operation).
    virtual void publishTransient(const QString &doc, const QString &message) = 0;
    virtual void publishLeave(const QString &doc, const QString &connectionId) = 0;
    // The document's row changed (renamed or deleted): the others re-read it ("look now", like operations).
    virtual void publishCatalogue(const QString &doc) = 0;

    // The participants of `doc` on other live relays, each with the revision its selection refers to.
    virtual std::vector<std::pair<collab::Participant, int>> participants(const QString &doc) = 0;
};

} // namespace relay
