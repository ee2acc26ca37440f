// SPDX-License-Identifier: MIT
#pragma once

#include "authorship.h"
#include "livedocuments.h"

#include "message.h"

#include <QHash>

#include <memory>
#include <vector>

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
//     the snapshot interval of them), never a replay from the start; the last snapshot read of a few
//     documents is kept, so a slider stepping back through one snapshot's span reads it once;
//   - the difference between two revisions: their operations composed into one (with their authors), or,
//     for a span longer than maxScan, the one replace between the two texts;
//   - who wrote the current text: a loaded document keeps its Authorship up to date as operations commit;
//     for another, the latest snapshot's authorship plus the operations after it (a database older than
//     authorship in snapshots replays its log from the start, a budget per request), kept per document for
//     the next request, which then replays only what was committed since.
// The caller flushes the commit path first: what is read is what was acknowledged. Each request is charged to
// the connection's rate limit by its work, as a large open is: one token more per 64 KiB of reply, and per
// 1,000 operations it read (Connection::chargeReply).
class History
{
public:
    struct Limits
    {
        qint64 gapMs = 0;
        int maxScan = 0;
        int maxReplay = 0; // operations one authorship request replays at most (0: no bound)
    };

    History(Storage &storage, LiveDocuments &live, Limits limits);

    void sessions(Connection &c, const collab::Message::History &m);
    void revision(Connection &c, const collab::Message::GetRevision &m);
    void diff(Connection &c, const collab::Message::GetDiff &m);
    void authors(Connection &c, const collab::Message::GetAuthors &m);
    void versions(Connection &c, const collab::Message::Versions &m);
    // The document is gone (deleted here): what is kept of its authorship goes too.
    void forget(const QString &doc)
    {
        m_authorship.remove(doc);
        m_bases.remove(doc);
    }

    // The edit sessions among operations (after, upTo] of `doc`, newest first (exposed for tests and
    // benchmarks; sessions() pages over it).
    struct Page
    {
        QList<collab::EditSession> sessions;
        int next = 0;
    };
    std::optional<Page> read(const QString &doc, int upTo, int limit);
    // The text of `doc` at `revision` (<= its current revision), or nullopt (storage error, damaged log).
    // `cost` (when given) grows by what was read: the snapshot's length when it came from storage, and
    // BytesPerOperationRead per operation replayed.
    std::optional<QString> textAt(const QString &doc, int revision, qint64 *cost = nullptr);
    // The operation from the text at `from` to the text at `to`, and whose operations it holds (empty when the
    // span was too long to read and the texts were compared instead). `from` after `to` goes back in time:
    // the forward difference inverted on the earlier text (whose reading textAt() adds to `cost`).
    std::optional<collab::Message::Diff> diffBetween(const QString &doc, int from, int to, qint64 *cost = nullptr);
    // Who wrote each part of the text at `revision` (the document's current revision). One call replays at
    // most `budget` operations of the log (0: no bound); a longer replay sets `unfinished` and goes on from
    // there at the next call, so no request stalls the relay for long.
    std::optional<collab::Message::Authors> authorsAt(const QString &doc, int revision, int budget = 0,
                                                      bool *unfinished = nullptr, int *replayed = nullptr);

private:
    // The document's current revision for a client with read access; nullopt when the error was sent.
    std::optional<int> currentRevision(Connection &c, const QString &doc, const QString &ref);

    struct Cached
    {
        qint64 created = 0; // the document's creation time: one deleted and made again starts over
        qint64 used = 0;    // when it was last asked for (for eviction)
        Authorship authorship;
    };
    static constexpr int CachedAuthorships = 8;
    // A snapshot read for textAt(), kept for the next request of the same document.
    struct Base
    {
        qint64 created = 0;
        qint64 used = 0;
        int revision = 0;
        QString text;
    };
    static constexpr int CachedBases = 4;
    static constexpr qsizetype CachedBaseUnits = qsizetype(32) << 20; // UTF-16 code units over all of them
    // A cached snapshot further back than this is not replayed from: the latest one is read instead.
    static constexpr int MaxReplayFromBase = 1000;

    Storage &m_storage;
    LiveDocuments &m_live;
    Limits m_limits;
    QHash<QString, std::shared_ptr<Cached>> m_authorship; // of documents not loaded (a loaded one keeps its own)
    QHash<QString, Base> m_bases;
    qint64 m_requests = 0;
};

} // namespace relay
