// SPDX-License-Identifier: MIT
#pragma once

#include <documentcatalogue.h>
#include <documentsession.h>
#include <relaylink.h>
#include <textbuffer.h>

#include <QFile>
#include <QObject>
#include <QSocketNotifier>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace cli {

// Command: one run of coscribe-cli. It opens what the command needs on sync/ (a RelayLink for `ls`, a
// DocumentSession over a TextBuffer for the others, without a local store: nothing outlives the run), does
// the command and ends with an exit code (finished()).
//
//   ls URL           the relay's documents, one per line: id, revision, people, length, name (tab-separated)
//   get URL/DOC      the text to stdout (the document must exist)
//   put FILE URL/DOC replace the text with FILE's (- for stdin) as one edit, or append it (--append)
//   watch URL/DOC    the text and a line holding U+001E, then one JSON line per change as it arrives
//   type URL/DOC     each line of stdin becomes an edit (a revision) appended to the document
//   log URL/DOC      the named versions, then the edit sessions, newest first, one per line (--limit N,
//                    --before REVISION)
//   version URL/DOC NAME   name the current revision (or --revision N); with --delete, delete that version
//   get URL/DOC --revision N   the text as it was at revision N
//   diff URL/DOC A B the changes from revision A to revision B, line by line, and who made them
//   blame URL/DOC    each line of the text with who wrote it
//   new URL TITLE    make a document titled TITLE (the relay picks its id from it) and print its address
//   mv URL/DOC TITLE give the document a new title (admin role)
//   rm URL/DOC       delete the document, its text and history, for everyone (admin role)
//
// A command that changes the text ends only once the relay has acknowledged every edit, so exit code 0 means
// the text is stored on the relay. Errors go to stderr as one line saying what to do.
class Command : public QObject
{
    Q_OBJECT
public:
    enum class Kind { List, Get, Put, Watch, Type, Log, Diff, Blame, Version, New, Rename, Remove };
    enum ExitCode {
        Ok = 0,
        Usage = 1,       // bad arguments
        Unreachable = 2, // no answer from the relay within the timeout
        Refused = 3,     // the relay refused (access, no such document, read-only, limits)
        LocalError = 4,  // the input file cannot be read, or is not UTF-8 text
    };

    struct Options
    {
        Kind kind = Kind::Get;
        QUrl url;              // ws://host:port (ls) or ws://host:port/document
        QString file;          // put: path, or "-" for stdin
        bool append = false;   // put
        bool fullText = false; // watch: print the whole text after every change instead of JSON lines
        int count = -1;        // watch: stop after this many changes (-1: until interrupted)
        int revision = -1;     // get: the text at this revision (-1: the current text)
        int limit = 50;        // log: sessions to print
        int before = 0;        // log: only sessions among the operations up to this revision (0: all)
        QString versionName;   // version
        QString title;         // new, mv
        bool deleteVersion = false;
        int from = 0;          // diff
        int to = 0;
        int timeoutMs = 30000; // connecting, and waiting for acknowledgements
        syncing::DocumentSession::Profile profile;
    };

    explicit Command(Options options, QObject *parent = nullptr);
    ~Command() override;

    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    // ls, log and get --revision: requests on a bare RelayLink, answered by one message each.
    void startRequests();
    void sendRequest();
    void onReply(const collab::Message::Server &message);
    void startDocument();
    void onOnline();
    void onRelayError(collab::ProtocolErrorCode code, const QString &message);
    void refuse(collab::ProtocolErrorCode code, const QString &message);
    void onRemoteApplied(const collab::TextOperation &op, const QString &connectionId);
    void onStdinReadable();
    void typeNextLine();
    // Apply a local edit to the buffer and hand it to the session.
    bool edit(const collab::TextOperation &op);
    void finishWhenAcknowledged();
    void finish(int code, const QString &message = {});
    void printText();

    Options m_options;
    syncing::RelayLink m_link;
    syncing::TextBuffer m_buffer;
    std::unique_ptr<syncing::DocumentSession> m_session;
    // new, mv, rm: the relay's catalogue (DocumentCatalogue's own link).
    void startCatalogue();
    std::unique_ptr<syncing::DocumentCatalogue> m_catalogue;
    QTimer m_timeout;
    QString m_lastProblem;
    bool m_online = false;
    bool m_finished = false;
    bool m_inputDone = false;
    bool m_textPrinted = false;
    int m_changes = 0;
    int m_sessionsPrinted = 0;
    bool m_versionsPrinted = false;
    std::optional<collab::Message::RevisionText> m_text;     // diff: the text at A; blame: the current text
    std::optional<collab::Message::Diff> m_diff;
    std::optional<collab::Message::Authors> m_authors;
    void printDiff();
    void printBlame();
    QFile m_stdin;
    std::unique_ptr<QSocketNotifier> m_stdinNotifier;
    QByteArray m_partialLine;
};

} // namespace cli
