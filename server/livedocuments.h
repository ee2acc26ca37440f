// SPDX-License-Identifier: MIT
#pragma once

#include "authorship.h"
#include "message.h"
#include "serverdocument.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

#include <memory>
#include <optional>
#include <vector>

namespace relay {

class Connection;
class Storage;

// LiveDocuments: the documents loaded right now, each with its engine (ServerDocument) and its participants.
//
// A document is loaded on its first open (latest snapshot + replay of the later operations) and, when its
// last participant leaves, kept idle for a while (an editor that closes and reopens costs no reload) within
// a budget of text; the longest idle go first. Every other part of the relay's document handling (the
// catalogue, sessions, the commit path, catching up with other relays) works on the documents held here.
class LiveDocuments : public QObject
{
    Q_OBJECT
public:
    struct Member
    {
        Connection *connection = nullptr;
        collab::Participant presence;
    };
    struct Live
    {
        QString id;
        QString name;
        collab::ServerDocument document;
        std::vector<Member> members;
        int uncommitted = 0;   // operations applied in memory and queued, not yet committed
        int snapshotRevision = -1; // the revision of its latest stored snapshot (-1: none)
        qint64 idleSince = -1; // the clock when its last member left (-1: has members or never idle)
        // Who wrote the committed text, at the last committed revision; none when unknown (loaded from a
        // snapshot stored without it: History computes it from the log and hands it over).
        std::optional<Authorship> authorship;

        Member *member(const Connection &c);
        void broadcast(const QString &payload, const Connection *except) const;
        // `op` was committed after every stored selection: move them through it. The sender's selection,
        // when the operation carried one, replaces the sender's instead (it is already at the new revision).
        void moveSelections(const collab::TextOperation &op, const Connection *sender,
                            const std::optional<collab::Selection> &senderSelection);
        // `op` was committed as `revision` by that author: authorship follows (or is dropped when it cannot).
        void attribute(int revision, const collab::TextOperation &op, const QString &user, const QString &name,
                       const QString &color);
        // Every member leaves at once with `payload` (a "deleted" or an error): the document is gone for them.
        void dismissMembers(const QString &payload, const Connection *except);
    };
    using LogEntries = std::vector<collab::ServerDocument::LogEntry>;

    struct Limits
    {
        int historyInMemory = 0;  // operations kept in memory beyond the snapshot interval
        int snapshotInterval = 0; // operations between snapshots
        int keepIdleMs = 0;       // 0: unload at once
        qint64 maxIdleBytes = 0;  // text of all idle documents together (UTF-16 bytes)
    };

    LiveDocuments(Storage &storage, Limits limits, QObject *parent = nullptr);

    Live *find(const QString &id) const;
    // The document as shared ownership: a queued operation keeps its document even if it is unloaded.
    std::shared_ptr<Live> shared(const QString &id) const { return m_documents.value(id); }
    QStringList ids() const { return m_documents.keys(); }
    int size() const { return int(m_documents.size()); }

    // The loaded document, loading it when needed; null (and `error` set) when there is none or storage fails.
    Live *load(const QString &id, collab::ProtocolError &error);
    // Rebuilt from storage (dropping what is only in memory); members keep their selections, clamped.
    bool reload(Live &live);
    // Its last member left: keep it idle (or unload it at once when keepIdleMs is 0).
    void unloadIfUnused(const QString &id);
    void unload(QString id); // by value: callers pass live.id, which goes with the document

    // The stored operations after `after` up to `upTo`, checked to be readable and contiguous (and, when
    // asked, who wrote each).
    std::optional<LogEntries> storedOperations(const QString &id, int after, int upTo,
                                               QList<collab::Author> *authors = nullptr);
    // History beyond what is kept in memory goes (storage has it).
    void trimHistory(Live &live) const;

Q_SIGNALS:
    void documentsChanged(int loaded);
    // A document was loaded: storage answers (again).
    void loadedFromStorage();

private:
    // Unloads idle documents past keepIdleMs, then the longest idle while their text exceeds maxIdleBytes.
    void evictIdle();
    // Unloads a document nobody has open, saving a snapshot at its last revision first when the latest one is
    // older: the next load replays nothing, and the document list knows its length without loading it.
    void release(const QString &id);

    Storage &m_storage;
    Limits m_limits;
    QHash<QString, std::shared_ptr<Live>> m_documents;
    QElapsedTimer m_clock;
    QTimer m_idleSweep;
};

} // namespace relay
