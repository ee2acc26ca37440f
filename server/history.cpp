// SPDX-License-Identifier: MIT
#include "history.h"

#include "connection.h"
#include "storage.h"

#include "rope.h"
#include "textoperation.h"

#include <QLoggingCategory>

#include <algorithm>

using namespace collab;

Q_DECLARE_LOGGING_CATEGORY(lcHistory)
Q_LOGGING_CATEGORY(lcHistory, "coscribe.relay.history")

namespace relay {

namespace {
// Operations read from storage at a time, newest chunk first.
constexpr int ChunkOperations = 1000;

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
    c.sendMessage(Message::RevisionText{m.id, m.doc, m.revision, *text});
}

} // namespace relay
