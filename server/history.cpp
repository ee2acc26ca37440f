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

std::optional<QString> History::textAt(const QString &doc, int revision, qint64 *cost)
{
    const std::optional<Storage::DocumentRecord> record = m_storage.document(doc);
    if (!record)
        return std::nullopt;
    auto base = m_bases.find(doc);
    if (base == m_bases.end() || base->created != record->created || base->revision > revision
        || revision - base->revision > MaxReplayFromBase) {
        std::optional<Storage::Snapshot> snapshot = m_storage.latestSnapshot(doc, revision);
        if (!snapshot && !m_storage.lastError().isEmpty())
            return std::nullopt;
        if (snapshot && (snapshot->length != snapshot->text.size()
                         || !Storage::checksumMatches(snapshot->text, snapshot->checksum))) {
            qCCritical(lcHistory).noquote() << "snapshot of" << doc << "at revision" << snapshot->revision
                                            << "does not match its checksum";
            return std::nullopt;
        }
        if (cost && snapshot)
            *cost += snapshot->text.size();
        // Kept for the next request; the one asked for longest ago goes when there are too many.
        m_bases.insert(doc, Base{record->created, 0, snapshot ? snapshot->revision : 0,
                                 snapshot ? std::move(snapshot->text) : QString()});
        qsizetype units = 0;
        for (const Base &b : std::as_const(m_bases))
            units += b.text.size();
        while (m_bases.size() > 1 && (m_bases.size() > CachedBases || units > CachedBaseUnits)) {
            auto oldest = m_bases.end();
            for (auto it = m_bases.begin(); it != m_bases.end(); ++it)
                if (it.key() != doc && (oldest == m_bases.end() || it->used < oldest->used))
                    oldest = it;
            units -= oldest->text.size();
            m_bases.erase(oldest);
        }
        base = m_bases.find(doc);
    }
    base->used = ++m_requests;
    Rope text{QStringView(base->text)};
    const int from = base->revision;
    const auto entries = m_live.storedOperations(doc, from, revision);
    if (!entries)
        return std::nullopt;
    if (cost)
        *cost += qint64(entries->size()) * BytesPerOperationRead;
    for (const ServerDocument::LogEntry &e : *entries) {
        if (std::optional<Error> error = text.apply(e.operation)) {
            qCCritical(lcHistory).noquote() << "replaying" << doc << "towards revision" << revision << ":" << error->message;
            m_bases.remove(doc);
            return std::nullopt;
        }
    }
    return text.toString();
}

std::optional<Message::Authors> History::authorsAt(const QString &doc, int revision, int budget, bool *unfinished,
                                                   int *replayedOut)
{
    if (unfinished)
        *unfinished = false;
    LiveDocuments::Live *live = m_live.find(doc);
    if (live && live->authorship && live->authorship->revision() == revision)
        return live->authorship->message(doc);
    const std::optional<Storage::DocumentRecord> record = m_storage.document(doc);
    if (!record)
        return std::nullopt;
    std::shared_ptr<Cached> &cached = m_authorship[doc];
    if (!cached || cached->created != record->created || cached->authorship.revision() > revision) {
        cached = std::make_shared<Cached>(); // (a document deleted and made again starts over)
        cached->created = record->created;
    }
    cached->used = ++m_requests;
    const std::shared_ptr<Cached> entry = cached; // (the reference goes with an erase)
    Authorship &a = entry->authorship;
    if (revision - a.revision() > ChunkOperations) {
        // Far behind: start from the latest snapshot's authorship instead, when it has one.
        const std::optional<Storage::Snapshot> snapshot = m_storage.latestSnapshot(doc, revision);
        if (!snapshot && !m_storage.lastError().isEmpty()) {
            m_authorship.remove(doc);
            return std::nullopt;
        }
        if (snapshot && snapshot->revision > a.revision() && !snapshot->authorship.isEmpty()) {
            if (std::optional<Authorship> stored = Authorship::fromStored(snapshot->authorship, snapshot->revision,
                                                                          snapshot->length))
                a = std::move(*stored);
            else
                qCWarning(lcHistory).noquote() << "the authorship stored with snapshot" << snapshot->revision << "of"
                                               << doc << "is unreadable: replaying the log instead";
        }
    }
    int replayed = 0;
    const auto count = qScopeGuard([&] {
        if (replayedOut)
            *replayedOut = replayed;
    });
    while (a.revision() < revision) {
        if (budget > 0 && replayed >= budget) {
            if (unfinished)
                *unfinished = true;
            return Message::Authors{{}, doc, a.revision(), {}, {}};
        }
        const int upTo = std::min({revision, a.revision() + ChunkOperations,
                                   budget > 0 ? a.revision() + (budget - replayed) : INT_MAX});
        replayed += upTo - a.revision();
        const auto records = m_storage.operations(doc, a.revision(), upTo);
        if (!records || int(records->size()) != upTo - a.revision()) {
            m_authorship.remove(doc);
            return std::nullopt;
        }
        for (const Storage::OperationRecord &r : *records) {
            const Expected<TextOperation> op = TextOperation::fromJsonText(r.operation);
            if (!op || !a.apply(r.revision, *op, r.user, r.name, r.color)) {
                qCCritical(lcHistory).noquote() << "stored operation" << r.revision << "of" << doc
                                                << "does not fit the text before it";
                m_authorship.remove(doc);
                return std::nullopt;
            }
        }
    }
    Message::Authors reply = a.message(doc);
    if (live && !live->authorship && live->document.revision() == revision) {
        // A document loaded without it (its snapshot predates authorship in snapshots) keeps it from now on.
        live->authorship = std::move(a);
        m_authorship.remove(doc);
        return reply;
    }
    // At most a few documents' authorship stays: the one asked for longest ago goes.
    if (m_authorship.size() > CachedAuthorships) {
        auto oldest = m_authorship.begin();
        for (auto it = m_authorship.begin(); it != m_authorship.end(); ++it)
            if (it.value()->used < oldest.value()->used)
                oldest = it;
        m_authorship.erase(oldest);
    }
    return reply;
}

std::optional<Message::Diff> History::diffBetween(const QString &doc, int from, int to, qint64 *cost)
{
    if (from > to && from - to <= m_limits.maxScan) {
        std::optional<Message::Diff> forward = diffBetween(doc, to, from);
        const std::optional<QString> earlier = forward ? textAt(doc, to, cost) : std::nullopt;
        if (!earlier || forward->operation.baseLength() != earlier->size())
            return std::nullopt;
        forward->operation = forward->operation.invert(*earlier);
        forward->from = from;
        forward->to = to;
        return forward;
    }
    Message::Diff diff{{}, doc, from, to, {}, {}};
    if (from <= to && to - from <= m_limits.maxScan) {
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
                const QString key = Authorship::key(r.user, r.name);
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
    if (const int latest = std::max(m.from, m.to); latest > *current) {
        c.sendError(ProtocolErrorCode::RevisionFromFuture,
                    QStringLiteral("\"%1\" is at revision %2; there is no revision %3").arg(m.doc).arg(*current).arg(latest),
                    m.id, m.doc);
        return;
    }
    // Charged for what was read (operations, texts) and what is sent (what the operation inserts), not for
    // the length of the text it retains: a step of a slider on a long document costs little.
    const int span = std::abs(m.to - m.from);
    qint64 cost = std::min(span, m_limits.maxScan) * BytesPerOperationRead;
    std::optional<Message::Diff> diff = diffBetween(m.doc, m.from, m.to, &cost);
    if (!diff) {
        c.sendError(ProtocolErrorCode::ServerError, QStringLiteral("storage error"), m.id, m.doc);
        return;
    }
    diff->ref = m.id;
    if (span > m_limits.maxScan)
        cost += diff->operation.baseLength() + diff->operation.targetLength(); // the two texts compared
    for (const TextOperation::Component &component : diff->operation.components())
        cost += component.kind == TextOperation::Kind::Insert ? component.length : 8;
    // Said in the reply: what it cost is known only here, and a client keeps to the rate by it.
    diff->charged = 1 + c.chargeReply(cost);
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
