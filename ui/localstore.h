// SPDX-License-Identifier: MIT
#pragma once

#include <client.h>
#include <textoperation.h>

#include <QList>
#include <QString>
#include <QUrl>

#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QLockFile;
QT_END_NAMESPACE

namespace ui {

// LocalStore: the editor's own SQLite database (QtSql), so that work survives a crash or a missing server.
// It keeps one "replica" per document per editor session: the client id the relay knows it by, the last text
// the relay confirmed (snapshot) and its revision, and every edit the relay has not acknowledged yet (the
// collab::Client's outstanding operation and buffer), written as the edits happen.
//
// Invariant of a stored replica: applying outstanding and then buffer to snapshot gives the text the user
// last saw; each save writes the fields that changed in one transaction, so a kill at any moment leaves the
// last complete state.
//
// A replica in use is claimed with a lock file (QLockFile: a killed process's lock is recognised as stale),
// so two windows on one document get two replicas (two client ids), and a restart picks up the replica a
// killed editor left behind, pending edits included.
//
// The database lives in QStandardPaths::AppDataLocation, or in $COSCRIBE_LOCAL_STORE_DIR when set (tests).
class LocalStore
{
public:
    struct Replica
    {
        qint64 id = -1;
        QString server;   // ws://host:port
        QString document; // document id
        QString clientId;
        bool synced = false; // the snapshot came from the relay (else: never connected yet)
        int revision = 0;
        QString snapshot;
        qint64 lastSequence = 0;
        std::optional<collab::Client::Outgoing> outstanding;
        std::optional<collab::TextOperation> buffer;
        int pendingEdits = 0; // user edits in outstanding + buffer, for the status bar

        // snapshot + outstanding + buffer; nullopt if they do not fit together (a damaged row).
        std::optional<QString> localText() const;
    };

    struct CachedDocument
    {
        QString server;
        QString document;
        int revision = 0;
        qint64 length = 0;
        int pendingEdits = 0;
    };

    explicit LocalStore(QString directory = defaultDirectory());
    ~LocalStore();
    LocalStore(const LocalStore &) = delete;
    LocalStore &operator=(const LocalStore &) = delete;

    static QString defaultDirectory();
    const QString &directory() const { return m_directory; }

    // Opens (and creates) the database; false with `error` set if it cannot.
    bool open(QString *error = nullptr);
    bool isOpen() const { return m_open; }

    // Claim a replica of (server, document): one left unclaimed by an earlier session, else a new one with a
    // fresh client id. The claim lasts until release() or the destruction of this store.
    std::optional<Replica> claim(const QString &server, const QString &document);
    void release(qint64 replicaId);

    // Write the replica's pending edits (and, with withSnapshot, also its snapshot and revision).
    bool save(const Replica &replica, bool withSnapshot);
    // Forget a replica (its document was deleted on the server).
    bool remove(qint64 replicaId);

    QList<CachedDocument> cachedDocuments() const;

private:
    bool exec(const QString &sql);

    QString m_directory;
    QString m_connectionName;
    bool m_open = false;
    std::vector<std::pair<qint64, std::unique_ptr<QLockFile>>> m_locks;
};

} // namespace ui
