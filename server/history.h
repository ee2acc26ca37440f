// SPDX-License-Identifier: MIT
#pragma once

#include "livedocuments.h"

#include "message.h"

namespace relay {

class Connection;
class Storage;

// History: what a document's log tells about its past, for read access. Every stored operation keeps its
// author (user, display name, colour) and time, so the log is the history:
//   - edit sessions: consecutive operations of one author (same user and display name) with no pause longer
//     than the gap, newest first, paged by revision; one request reads at most maxScan operations (a page
//     that would need more ends early, with `next` where to go on), so its cost is bounded whatever the
//     document's length;
//   - the text at any revision: the latest snapshot at or before it, plus the operations up to it (at most
//     the snapshot interval of them), never a replay from the start.
// The caller flushes the commit path first: what is read is what was acknowledged.
class History
{
public:
    struct Limits
    {
        qint64 gapMs = 0;
        int maxScan = 0;
    };

    History(Storage &storage, LiveDocuments &live, Limits limits);

    void sessions(Connection &c, const collab::Message::History &m);
    void revision(Connection &c, const collab::Message::GetRevision &m);

    // The edit sessions among operations (after, upTo] of `doc`, newest first (exposed for tests and
    // benchmarks; sessions() pages over it).
    struct Page
    {
        QList<collab::EditSession> sessions;
        int next = 0;
    };
    std::optional<Page> read(const QString &doc, int upTo, int limit);
    // The text of `doc` at `revision` (<= its current revision), or nullopt (storage error, damaged log).
    std::optional<QString> textAt(const QString &doc, int revision);

private:
    // The document's current revision for a client with read access; nullopt when the error was sent.
    std::optional<int> currentRevision(Connection &c, const QString &doc, const QString &ref);

    Storage &m_storage;
    LiveDocuments &m_live;
    Limits m_limits;
};

} // namespace relay
