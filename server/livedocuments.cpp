// SPDX-License-Identifier: MIT
#include "livedocuments.h"

#include "connection.h"
#include "storage.h"

#include <QLoggingCategory>

#include <algorithm>
#include <climits>

Q_DECLARE_LOGGING_CATEGORY(lcLive)
Q_LOGGING_CATEGORY(lcLive, "coscribe.relay.documents")

using namespace collab;

namespace relay {

LiveDocuments::Member *LiveDocuments::Live::member(const Connection &c)
{
    for (Member &m : members)
        if (m.connection == &c)
            return &m;
    return nullptr;
}

void LiveDocuments::Live::broadcast(const QString &payload, const Connection *except) const
{
    for (const Member &m : members)
        if (m.connection != except)
            m.connection->send(payload);
}

void LiveDocuments::Live::moveSelections(const TextOperation &op, const Connection *sender,
                                         const std::optional<Selection> &senderSelection)
{
    for (Member &member : members) {
        const bool mine = sender && member.connection == sender;
        if (mine && senderSelection)
            member.presence.selection = *senderSelection;
        else if (!member.presence.selection.isEmpty())
            member.presence.selection = member.presence.selection.transform(op, mine);
    }
}

void LiveDocuments::Live::attribute(int revision, const TextOperation &op, const QString &user, const QString &name,
                                    const QString &color)
{
    if (authorship && !authorship->apply(revision, op, user, name, color)) {
        qCWarning(lcLive).noquote() << "authorship of" << id << "at revision" << authorship->revision()
                                    << "cannot follow revision" << revision << ": it is recomputed from the log";
        authorship.reset();
    }
}

void LiveDocuments::Live::dismissMembers(const QString &payload, const Connection *except)
{
    for (const Member &member : members) {
        member.connection->openDocuments().remove(id);
        if (member.connection != except)
            member.connection->send(payload);
    }
    members.clear();
}

LiveDocuments::LiveDocuments(Storage &storage, Limits limits, QObject *parent)
    : QObject(parent), m_storage(storage), m_limits(limits)
{
    m_clock.start();
    m_idleSweep.setInterval(std::max(1000, m_limits.keepIdleMs / 4));
    connect(&m_idleSweep, &QTimer::timeout, this, &LiveDocuments::evictIdle);
}

LiveDocuments::Live *LiveDocuments::find(const QString &id) const
{
    const auto it = m_documents.constFind(id);
    return it == m_documents.cend() ? nullptr : it->get();
}

std::optional<LiveDocuments::LogEntries> LiveDocuments::storedOperations(const QString &id, int after, int upTo,
                                                                         QList<Author> *authors)
{
    const auto records = m_storage.operations(id, after, upTo);
    if (!records)
        return std::nullopt;
    LogEntries entries;
    entries.reserve(records->size());
    int expected = after + 1;
    for (const Storage::OperationRecord &r : *records) {
        Expected<TextOperation> op = TextOperation::fromJsonText(r.operation);
        if (!op || r.revision != expected) {
            qCCritical(lcLive).noquote() << "stored operation" << r.revision << "of" << id << "is unreadable or out of order";
            return std::nullopt;
        }
        entries.push_back({std::move(op).value(), r.clientId, r.sequence});
        if (authors)
            authors->append(Author{r.user, r.name, r.color});
        ++expected;
    }
    if (upTo != INT_MAX && expected != upTo + 1) {
        qCCritical(lcLive).noquote() << "stored operations of" << id << "end at" << expected - 1 << "not" << upTo;
        return std::nullopt;
    }
    return entries;
}

namespace {
struct Loaded
{
    ServerDocument document;
    std::optional<Authorship> authorship;
    int snapshotRevision = -1;
};

// Load = latest snapshot + replay of every later operation. Snapshots are only a shortcut: a document with
// none is replayed from an empty text. Who wrote it comes the same way (a snapshot stored without it leaves
// it unknown).
std::optional<Loaded> loadDocument(Storage &storage, LiveDocuments &documents, const QString &id)
{
    std::optional<Storage::Snapshot> snapshot = storage.latestSnapshot(id);
    if (!snapshot && !storage.lastError().isEmpty())
        return std::nullopt;
    // A snapshot must be the text that was saved: a database that changed it on the way (a lone surrogate
    // paired with its neighbour by SQLite's UTF-16 path, a restore gone wrong) would serve a text that differs
    // from the log's without anyone noticing. The log's next operation checks the length once more (replay).
    if (snapshot && (snapshot->length != snapshot->text.size()
                     || !Storage::checksumMatches(snapshot->text, snapshot->checksum))) {
        qCCritical(lcLive).noquote() << "snapshot of" << id << "at revision" << snapshot->revision
                                     << "does not match its checksum: the document is not served";
        return std::nullopt;
    }
    Loaded loaded{snapshot ? ServerDocument(snapshot->text, snapshot->revision) : ServerDocument(), std::nullopt,
                  snapshot ? snapshot->revision : -1};
    if (!snapshot)
        loaded.authorship.emplace();
    else if (!snapshot->authorship.isEmpty())
        loaded.authorship = Authorship::fromStored(snapshot->authorship, snapshot->revision, snapshot->length);
    ServerDocument &document = loaded.document;
    QList<Author> authors;
    const auto entries = documents.storedOperations(id, document.revision(), INT_MAX, &authors);
    if (!entries)
        return std::nullopt;
    for (size_t i = 0; i < entries->size(); ++i) {
        const ServerDocument::LogEntry &entry = (*entries)[i];
        if (auto error = document.replay(entry)) {
            qCCritical(lcLive).noquote() << "replaying" << id << "at revision" << document.revision() << ":" << error->message;
            return std::nullopt;
        }
        const Author &a = authors[qsizetype(i)];
        if (loaded.authorship && !loaded.authorship->apply(document.revision(), entry.operation, a.user, a.name, a.color))
            loaded.authorship.reset();
    }
    return loaded;
}
} // namespace

LiveDocuments::Live *LiveDocuments::load(const QString &id, ProtocolError &error)
{
    if (Live *live = find(id))
        return live;
    const std::optional<Storage::DocumentRecord> record = m_storage.document(id);
    if (!record) {
        error = m_storage.lastError().isEmpty()
                ? ProtocolError{ProtocolErrorCode::NoSuchDocument, QStringLiteral("no document \"%1\"").arg(id), {}, id}
                : ProtocolError{ProtocolErrorCode::ServerError, QStringLiteral("storage error"), {}, id};
        return nullptr;
    }
    QElapsedTimer timer;
    timer.start();
    std::optional<Loaded> loaded = loadDocument(m_storage, *this, id);
    if (!loaded) {
        error = ProtocolError{ProtocolErrorCode::ServerError, QStringLiteral("document could not be loaded"), {}, id};
        return nullptr;
    }
    auto live = std::make_shared<Live>();
    live->id = id;
    live->name = record->name;
    live->document = std::move(loaded->document);
    live->authorship = std::move(loaded->authorship);
    live->snapshotRevision = loaded->snapshotRevision;
    qCInfo(lcLive).noquote() << "loaded" << id << "at revision" << live->document.revision() << "in"
                             << timer.elapsed() << "ms";
    m_documents.insert(id, live);
    Q_EMIT loadedFromStorage();
    Q_EMIT documentsChanged(int(m_documents.size()));
    return live.get();
}

bool LiveDocuments::reload(Live &live)
{
    std::optional<Loaded> loaded = loadDocument(m_storage, *this, live.id);
    if (!loaded)
        return false;
    live.document = std::move(loaded->document);
    live.authorship = std::move(loaded->authorship);
    live.snapshotRevision = loaded->snapshotRevision;
    for (Member &m : live.members)
        m.presence.selection = m.presence.selection.clamped(live.document.length());
    return true;
}

void LiveDocuments::unloadIfUnused(const QString &id)
{
    Live *live = find(id);
    if (!live || !live->members.empty())
        return;
    if (m_limits.keepIdleMs <= 0) {
        release(id);
        return;
    }
    live->idleSince = m_clock.elapsed();
    evictIdle();
    if (!m_idleSweep.isActive())
        m_idleSweep.start();
}

void LiveDocuments::unload(QString id)
{
    if (m_documents.remove(id))
        Q_EMIT documentsChanged(int(m_documents.size()));
}

void LiveDocuments::release(const QString &id)
{
    if (Live *live = find(id); live && live->uncommitted == 0 && live->document.revision() > live->snapshotRevision
                               && live->document.revision() > 0) {
        if (!m_storage.saveSnapshot(id, live->document.revision(), live->document.text().toString(),
                                    live->authorship ? live->authorship->toStored() : QString()))
            qCWarning(lcLive).noquote() << "snapshot of" << id << "at" << live->document.revision()
                                        << "on unload failed (history still complete)";
    }
    unload(id);
}

void LiveDocuments::evictIdle()
{
    const qint64 now = m_clock.elapsed();
    struct Idle
    {
        qint64 since;
        qint64 bytes; // its text in memory (UTF-16)
        QString id;
        bool operator<(const Idle &o) const { return since < o.since; }
    };
    std::vector<Idle> idle;
    qint64 idleBytes = 0;
    for (const std::shared_ptr<Live> &live : std::as_const(m_documents)) {
        if (!live->members.empty()) {
            live->idleSince = -1;
        } else if (live->idleSince >= 0) {
            idle.push_back({live->idleSince, 2 * qint64(live->document.length()), live->id});
            idleBytes += idle.back().bytes;
        }
    }
    std::sort(idle.begin(), idle.end()); // longest idle first
    size_t kept = 0;
    for (; kept < idle.size(); ++kept) {
        if (now - idle[kept].since < m_limits.keepIdleMs && idleBytes <= m_limits.maxIdleBytes)
            break;
        idleBytes -= idle[kept].bytes;
        release(idle[kept].id);
    }
    if (kept == idle.size())
        m_idleSweep.stop();
}

void LiveDocuments::trimHistory(Live &live) const
{
    ServerDocument &document = live.document;
    if (int(document.history().size()) > m_limits.historyInMemory + m_limits.snapshotInterval)
        document.trimHistory(document.revision() - m_limits.historyInMemory);
}

} // namespace relay
