// SPDX-License-Identifier: MIT
#include "history.h"

#include "connection.h"
#include "storage.h"

#include "rope.h"
#include "textoperation.h"

#include <QLoggingCategory>
#include <QScopeGuard>

#include <algorithm>
#include <climits>

using namespace collab;

Q_DECLARE_LOGGING_CATEGORY(lcHistory)
Q_LOGGING_CATEGORY(lcHistory, "coscribe.relay.history")

namespace relay {

namespace {
// Operations read from storage at a time, newest chunk first.
constexpr int ChunkOperations = 1000;
// What reading one stored operation counts for, in reply bytes (1,000 of them: one token, as 64 KiB does).
constexpr qint64 BytesPerOperationRead = Connection::bytesPerToken / 1000;

bool sameAuthor(const EditSession &s, const Storage::OperationRecord &r)
{
    return s.user == r.user && s.name == r.name;
}
} // namespace

History::History(Storage &storage, LiveDocuments &live, Limits limits)
    : m_storage(storage), m_live(live), m_limits(limits)
{
}

std::optional<int> History::currentRevision(Connection &c, const QString &doc, const QString &ref)
{
    if (!c.roleFor(doc)) { // read, the lowest role, is enough
        c.sendError(ProtocolErrorCode::Forbidden, QStringLiteral("no access to \"%1\"").arg(doc), ref, doc);
        return std::nullopt;
    }
    if (const LiveDocuments::Live *live = m_live.find(doc))
        return live->document.revision();
    const std::optional<Storage::DocumentRecord> record = m_storage.document(doc);
    if (!record) {
        if (m_storage.lastError().isEmpty())
            c.sendError(ProtocolErrorCode::NoSuchDocument, QStringLiteral("no document \"%1\"").arg(doc), ref, doc);
        else
            c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), ref, doc);
        return std::nullopt;
    }
    return record->revision;
}

std::optional<History::Page> History::read(const QString &doc, int upTo, int limit)
{
    Page page;
    std::optional<EditSession> open; // the oldest session so far, still growing backwards
    int scanned = 0;
    int position = upTo;             // operations (0, position] are still to read
    while (position > 0 && scanned < m_limits.maxScan) {
        const int after = std::max({0, position - ChunkOperations, position - (m_limits.maxScan - scanned)});
        const auto records = m_storage.operations(doc, after, position);
        if (!records || int(records->size()) != position - after)
            return std::nullopt; // storage error, or a log with a gap
        scanned += position - after;
        for (auto r = records->crbegin(); r != records->crend(); ++r) {
            const Expected<TextOperation> op = TextOperation::fromJsonText(r->operation);
            if (!op) {
                qCCritical(lcHistory).noquote() << "stored operation" << r->revision << "of" << doc << "is unreadable";
                return std::nullopt;
            }
            qint64 inserted = 0;
            qint64 deleted = 0;
            for (const TextOperation::Component &c : op->components()) {
                if (c.kind == TextOperation::Kind::Insert)
                    inserted += c.length;
                else if (c.kind == TextOperation::Kind::Delete)
                    deleted += c.length;
            }
            if (open && sameAuthor(*open, *r) && open->start - r->created <= m_limits.gapMs) {
                open->from = r->revision;
                open->start = r->created;
            } else {
                if (open) {
                    page.sessions.append(*open);
                    if (page.sessions.size() == limit) {
                        page.next = r->revision; // the older sessions end at or before this operation
                        return page;
                    }
                }
                open = EditSession{r->user, r->name, r->color, r->revision, r->revision, r->created, r->created,
                                   0, 0, 0};
            }
            open->inserted += inserted;
            open->deleted += deleted;
            ++open->operations;
        }
        position = after;
    }
    if (open) {
        if (position > 0 && !page.sessions.isEmpty()) {
            page.next = open->to; // the scan budget ran out inside it: it is the next page's first session
        } else {
            page.sessions.append(*open);
            page.next = position; // a session longer than the budget comes in parts
        }
    }
    return page;
}

std::optional<QString> History::textAt(const QString &doc, int revision)
{
    std::optional<Storage::Snapshot> snapshot = m_storage.latestSnapshot(doc, revision);
    if (!snapshot && !m_storage.lastError().isEmpty())
        return std::nullopt;
    if (snapshot && (snapshot->length != snapshot->text.size()
                     || Storage::snapshotChecksum(snapshot->text) != snapshot->checksum)) {
        qCCritical(lcHistory).noquote() << "snapshot of" << doc << "at revision" << snapshot->revision
                                        << "does not match its checksum";
        return std::nullopt;
    }
    Rope text(snapshot ? QStringView(snapshot->text) : QStringView());
    const int from = snapshot ? snapshot->revision : 0;
    const auto entries = m_live.storedOperations(doc, from, revision);
    if (!entries)
        return std::nullopt;
    for (const ServerDocument::LogEntry &e : *entries) {
        if (std::optional<Error> error = text.apply(e.operation)) {
            qCCritical(lcHistory).noquote() << "replaying" << doc << "towards revision" << revision << ":" << error->message;
            return std::nullopt;
        }
    }
    return text.toString();
}

// ---- attribution ----------------------------------------------------------------------------------------

size_t History::Attribution::find(qint64 position, qint64 &start) const
{
    start = 0;
    for (size_t i = 0; i < m_chunks.size(); ++i) {
        if (position < start + m_chunks[i].length || i + 1 == m_chunks.size())
            return i;
        start += m_chunks[i].length;
    }
    return 0;
}

void History::Attribution::insert(qint64 position, qint64 length, int author)
{
    if (length <= 0)
        return;
    m_length += length;
    if (m_chunks.empty()) {
        m_chunks.push_back({{AuthorRun{length, author}}, length});
        return;
    }
    qint64 start = 0;
    const size_t c = find(position, start);
    Chunk &chunk = m_chunks[c];
    chunk.length += length;
    qint64 offset = position - start;
    auto run = chunk.runs.begin();
    while (run != chunk.runs.end() && offset > run->length) {
        offset -= run->length;
        ++run;
    }
    // offset is inside *run or at its end.
    if (run != chunk.runs.end() && run->author == author) {
        run->length += length;
    } else if (run != chunk.runs.end() && offset == run->length && run + 1 != chunk.runs.end()
               && (run + 1)->author == author) {
        (run + 1)->length += length;
    } else if (run == chunk.runs.end()) {
        chunk.runs.push_back({length, author});
    } else if (offset == 0) {
        chunk.runs.insert(run, {length, author});
    } else if (offset == run->length) {
        chunk.runs.insert(run + 1, {length, author});
    } else {
        const AuthorRun tail{run->length - offset, run->author};
        run->length = offset;
        const auto at = chunk.runs.insert(run + 1, {length, author});
        chunk.runs.insert(at + 1, tail);
    }
    if (chunk.runs.size() > MaxRuns) {
        Chunk second;
        second.runs.assign(chunk.runs.begin() + MaxRuns / 2, chunk.runs.end());
        chunk.runs.resize(MaxRuns / 2);
        for (const AuthorRun &r : second.runs)
            second.length += r.length;
        chunk.length -= second.length;
        m_chunks.insert(m_chunks.begin() + qsizetype(c) + 1, std::move(second));
    }
}

void History::Attribution::remove(qint64 position, qint64 length)
{
    while (length > 0 && !m_chunks.empty()) {
        qint64 start = 0;
        const size_t c = find(position, start);
        Chunk &chunk = m_chunks[c];
        qint64 offset = position - start;
        auto run = chunk.runs.begin();
        while (run != chunk.runs.end() && offset >= run->length) {
            offset -= run->length;
            ++run;
        }
        if (run == chunk.runs.end())
            return; // past the end: the operations did not fit the text (checked by the replay)
        const qint64 taken = std::min(length, run->length - offset);
        run->length -= taken;
        chunk.length -= taken;
        m_length -= taken;
        length -= taken;
        if (run->length == 0) {
            run = chunk.runs.erase(run);
            // Neighbours of one author join again.
            if (run != chunk.runs.begin() && run != chunk.runs.end() && (run - 1)->author == run->author) {
                (run - 1)->length += run->length;
                chunk.runs.erase(run);
            }
        }
        if (chunk.runs.empty())
            m_chunks.erase(m_chunks.begin() + qsizetype(c));
    }
}

QList<AuthorRun> History::Attribution::runs() const
{
    QList<AuthorRun> out;
    for (const Chunk &chunk : m_chunks) {
        for (const AuthorRun &r : chunk.runs) {
            if (!out.isEmpty() && out.last().author == r.author)
                out.last().length += r.length;
            else
                out.append(r);
        }
    }
    return out;
}

std::optional<Message::Authors> History::authorsAt(const QString &doc, int revision, int budget, bool *unfinished,
                                                   int *replayedOut)
{
    if (unfinished)
        *unfinished = false;
    const std::optional<Storage::DocumentRecord> record = m_storage.document(doc);
    if (!record)
        return std::nullopt;
    std::shared_ptr<Authorship> &cached = m_authorship[doc];
    if (!cached || cached->created != record->created || cached->revision > revision) {
        cached = std::make_shared<Authorship>(); // (a document deleted and made again starts over)
        cached->created = record->created;
    }
    Authorship &a = *cached;
    a.used = ++m_requests;
    int replayed = 0;
    const auto count = qScopeGuard([&] {
        if (replayedOut)
            *replayedOut = replayed;
    });
    while (a.revision < revision) {
        if (budget > 0 && replayed >= budget) {
            if (unfinished)
                *unfinished = true;
            return Message::Authors{{}, doc, a.revision, {}, {}};
        }
        const int upTo = std::min({revision, a.revision + ChunkOperations,
                                   budget > 0 ? a.revision + (budget - replayed) : INT_MAX});
        replayed += upTo - a.revision;
        const auto records = m_storage.operations(doc, a.revision, upTo);
        if (!records || int(records->size()) != upTo - a.revision) {
            m_authorship.remove(doc);
            return std::nullopt;
        }
        for (const Storage::OperationRecord &r : *records) {
            const Expected<TextOperation> op = TextOperation::fromJsonText(r.operation);
            if (!op || op->baseLength() != a.text.length()) {
                qCCritical(lcHistory).noquote() << "stored operation" << r.revision << "of" << doc
                                                << "does not fit the text before it";
                m_authorship.remove(doc);
                return std::nullopt;
            }
            int author = -1;
            if (!r.user.isEmpty() || !r.name.isEmpty()) {
                const QString key = r.user + u'\n' + r.name;
                auto it = a.index.find(key);
                if (it == a.index.end()) {
                    it = a.index.insert(key, int(a.authors.size()));
                    a.authors.append(Author{r.user, r.name, r.color});
                }
                author = *it;
                a.authors[author].color = r.color; // the latest colour
            }
            qint64 position = 0;
            for (const TextOperation::Component &c : op->components()) {
                switch (c.kind) {
                case TextOperation::Kind::Retain: position += c.length; break;
                case TextOperation::Kind::Insert:
                    a.text.insert(position, c.length, author);
                    position += c.length;
                    break;
                case TextOperation::Kind::Delete: a.text.remove(position, c.length); break;
                }
            }
            a.revision = r.revision;
        }
    }
    // At most a few documents' authorship stays: the one asked for longest ago goes.
    if (m_authorship.size() > CachedAuthorships) {
        auto oldest = m_authorship.begin();
        for (auto it = m_authorship.begin(); it != m_authorship.end(); ++it)
            if (it.value()->used < oldest.value()->used)
                oldest = it;
        m_authorship.erase(oldest);
    }
    return Message::Authors{{}, doc, revision, a.authors, a.text.runs()};
}

std::optional<Message::Diff> History::diffBetween(const QString &doc, int from, int to)
{
    Message::Diff diff{{}, doc, from, to, {}, {}};
    if (to - from <= m_limits.maxScan) {
        OperationComposer composed;
        QHash<QString, bool> seen;
        std::optional<qsizetype> startLength;
        for (int after = from; after < to;) {
            const int upTo = std::min(to, after + ChunkOperations);
            const auto records = m_storage.operations(doc, after, upTo);
            if (!records || int(records->size()) != upTo - after)
                return std::nullopt;
            for (const Storage::OperationRecord &r : *records) {
                Expected<TextOperation> op = TextOperation::fromJsonText(r.operation);
                if (!op || composed.add(std::move(op).value()))
                    return std::nullopt;
                const QString key = r.user + u'\n' + r.name;
                if ((!r.user.isEmpty() || !r.name.isEmpty()) && !seen.contains(key)) {
                    seen.insert(key, true);
                    diff.authors.append(Author{r.user, r.name, r.color});
                }
            }
            after = upTo;
        }
        if (!composed.isEmpty()) {
            diff.operation = composed.take();
            return diff;
        }
        const std::optional<QString> text = textAt(doc, from); // from == to: nothing changed
        if (!text)
            return std::nullopt;
        diff.operation = TextOperation().retain(text->size());
        return diff;
    }
    // Too long a span to read: the one replace between the two texts (common beginning and end kept).
    const std::optional<QString> before = textAt(doc, from);
    const std::optional<QString> after = textAt(doc, to);
    if (!before || !after)
        return std::nullopt;
    diff.operation = TextOperation::makeDiff(*before, *after);
    return diff;
}

void History::diff(Connection &c, const Message::GetDiff &m)
{
    const std::optional<int> current = currentRevision(c, m.doc, m.id);
    if (!current)
        return;
    if (m.to > *current) {
        c.sendError(ProtocolErrorCode::RevisionFromFuture,
                    QStringLiteral("\"%1\" is at revision %2; there is no revision %3").arg(m.doc).arg(*current).arg(m.to),
                    m.id, m.doc);
        return;
    }
    std::optional<Message::Diff> diff = diffBetween(m.doc, m.from, m.to);
    if (!diff) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    diff->ref = m.id;
    c.chargeReply(std::min(m.to - m.from, m_limits.maxScan) * BytesPerOperationRead
                  + diff->operation.targetLength());
    c.sendMessage(*diff);
}

void History::authors(Connection &c, const Message::GetAuthors &m)
{
    const std::optional<int> current = currentRevision(c, m.doc, m.id);
    if (!current)
        return;
    bool unfinished = false;
    int replayed = 0;
    std::optional<Message::Authors> authors = authorsAt(m.doc, *current, m_limits.maxReplay, &unfinished, &replayed);
    c.chargeReply(replayed * BytesPerOperationRead + (authors ? 16 * qint64(authors->runs.size()) : 0));
    if (!authors) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    if (unfinished) {
        // A long log, replayed a part per request: the work done so far is kept for the next one.
        c.sendError(ProtocolErrorCode::ConflictRetry,
                    QStringLiteral("the authorship of \"%1\" is being computed (revision %2 of %3); ask again")
                            .arg(m.doc).arg(authors->revision).arg(*current),
                    m.id, m.doc, 50);
        return;
    }
    authors->ref = m.id;
    c.sendMessage(*authors);
}

void History::versions(Connection &c, const Message::Versions &m)
{
    const std::optional<int> current = currentRevision(c, m.doc, m.id);
    if (!current)
        return;
    if (m.save || m.remove) {
        const std::optional<Role> role = c.roleFor(m.doc);
        if (!role || *role == Role::Read) {
            c.sendError(ProtocolErrorCode::ReadOnly,
                        QStringLiteral("you have read-only access to \"%1\": naming versions needs write access").arg(m.doc),
                        m.id, m.doc);
            return;
        }
    }
    if (m.save) {
        const int revision = m.revision.value_or(*current);
        if (revision > *current) {
            c.sendError(ProtocolErrorCode::RevisionFromFuture,
                        QStringLiteral("\"%1\" is at revision %2; there is no revision %3").arg(m.doc).arg(*current).arg(revision),
                        m.id, m.doc);
            return;
        }
        if (!m_storage.addVersion(m.doc, Storage::VersionRecord{m.name.trimmed(), revision, c.user(), 0})) {
            if (m_storage.lastError().isEmpty())
                c.sendError(ProtocolErrorCode::InvalidMessage,
                            QStringLiteral("\"%1\" already has a version named \"%2\"").arg(m.doc, m.name.trimmed()), m.id, m.doc);
            else
                c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
            return;
        }
    } else if (m.remove && !m_storage.removeVersion(m.doc, m.name)) {
        if (m_storage.lastError().isEmpty())
            c.sendError(ProtocolErrorCode::InvalidMessage,
                        QStringLiteral("\"%1\" has no version named \"%2\"").arg(m.doc, m.name), m.id, m.doc);
        else
            c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    const auto records = m_storage.versions(m.doc);
    if (!records) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    Message::VersionList reply{m.id, m.doc, {}};
    for (const Storage::VersionRecord &v : *records)
        reply.versions.append(Message::Version{v.name, v.revision, v.user, v.created});
    c.sendMessage(reply);
}

void History::sessions(Connection &c, const Message::History &m)
{
    const std::optional<int> current = currentRevision(c, m.doc, m.id);
    if (!current)
        return;
    const int upTo = m.before > 0 ? std::min(m.before, *current) : *current;
    const std::optional<Page> page = read(m.doc, upTo, std::clamp(m.limit, 1, Message::History::maxLimit));
    if (!page) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    c.chargeReply(std::min(upTo - page->next, m_limits.maxScan) * BytesPerOperationRead);
    c.sendMessage(Message::HistoryPage{m.id, m.doc, *current, page->sessions, page->next});
}

void History::revision(Connection &c, const Message::GetRevision &m)
{
    const std::optional<int> current = currentRevision(c, m.doc, m.id);
    if (!current)
        return;
    if (m.revision > *current) {
        c.sendError(ProtocolErrorCode::RevisionFromFuture,
                    QStringLiteral("\"%1\" is at revision %2; there is no revision %3").arg(m.doc).arg(*current).arg(m.revision),
                    m.id, m.doc);
        return;
    }
    const std::optional<QString> text = textAt(m.doc, m.revision);
    if (!text) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    c.chargeReply(text->size());
    c.sendMessage(Message::RevisionText{m.id, m.doc, m.revision, *text});
}

} // namespace relay
