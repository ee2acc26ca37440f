// SPDX-License-Identifier: MIT
#pragma once

#include "documentbinding.h"

#include <documentsession.h>
#include <localstore.h>
#include <textfile.h>

#include <QElapsedTimer>
#include <QFont>
#include <QMainWindow>
#include <QTextEdit>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <optional>

QT_BEGIN_NAMESPACE
class QAction;
class QDockWidget;
class QDragEnterEvent;
class QDropEvent;
class QLabel;
class QToolBar;
class QMenu;
QT_END_NAMESPACE

namespace ui {

class AwayPanel;
class CollabEditor;
class FindReplaceDialog;
class HistoryPanel;
class ParticipantsPanel;

// MainWindow: one document, shaped like Qt's application example: File (new, open from server, import,
// export, recent), Edit (undo/redo of one's own edits, clipboard, find/replace), View (participants,
// remote cursors), Help. It wires the pieces together and owns no protocol or text-model logic itself:
//
//   CollabEditor <-> DocumentBinding (a syncing::TextSurface) <-> syncing::DocumentSession <-> relay
//                                                                  |  (undo of own edits, presence)
//                   RemoteCursorOverlay / ParticipantsPanel <- participant signals
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // storeDirectory: where the LocalStore keeps its database (tests give each window its own).
    explicit MainWindow(const QString &storeDirectory = syncing::LocalStore::defaultDirectory(), QWidget *parent = nullptr);
    ~MainWindow() override;

    // Whether opening a document that does not exist makes it (New Document, Share File, the tests) or asks
    // first (a typed name, a link, a recent entry: a typo must not become a permanent document).
    enum class Creation { Create, Ask };
    // Open a document (ws://host:port/document) as the given profile; shows cached text at once.
    bool openDocument(const QUrl &documentUrl, const syncing::DocumentSession::Profile &profile,
                      Creation creation = Creation::Create);
    // Open `url`: the window already on that document as the same person comes forward (no second window on
    // it); an empty
    // window takes it; else a new window. `profile`: who to be there (the Connect dialog's); by default this
    // window's, or the saved one.
    void openInWindow(const QUrl &url, std::optional<syncing::DocumentSession::Profile> profile = std::nullopt,
                      Creation creation = Creation::Ask);
    // The question asked before creating a missing document (Creation::Ask): a QMessageBox, or the tests' answer.
    void setCreateConfirmation(std::function<bool(const QString &documentId)> confirm) { m_confirmCreate = std::move(confirm); }
    // The window that has `documentUrl` open in this process, if any.
    static MainWindow *windowFor(const QUrl &documentUrl);

    CollabEditor *editor() const { return m_editor; }
    DocumentBinding *binding() const { return m_binding; }
    HistoryPanel *historyPanel() const { return m_history; }
    QDockWidget *historyDock() const { return m_historyDock; }
    QAction *showAuthorsAction() const { return m_showAuthorsAction; }
    QString authorsLegend() const;
    // The "while you were away" bar: its text (empty when hidden), and the ranges it marks.
    QString awayText() const;
    void markAsRead();
    // File › Connect…: the dialog, then the document it names, as the name and colour typed there.
    void connectToServer();
    QList<std::pair<int, int>> awayRanges() const;
    AwayPanel *awayPanel() const { return m_away; }
    QAction *lineNumbersAction() const { return m_lineNumbersAction; }
    QAction *wrapAction() const { return m_wrapAction; }
    int zoom() const { return m_zoom; }
    syncing::DocumentSession *session() const { return m_session; }
    ParticipantsPanel *participantsPanel() const { return m_participants; }
    const collab::UndoManager &undoManager() const { return m_session->undoManager(); }
    QString statusText() const;

    // Files (docs/EDITOR.md, "Files"). Share File…: a new document with the file's text, named after the file
    // (a free id: "notes.md", "notes-2.md", ...), in this window when it has none open, else in a new one; the
    // document stays linked to the file. Returns why it could not (not text, unreadable), empty when started.
    QString shareFile(const QString &path);
    // Save: the linked file again, in its encoding and line endings (Save As… when there is none).
    bool save();
    // Save As…: `path` (empty: ask), in the linked file's form (UTF-8 with LF for a first file); links it.
    bool saveAs(const QString &path = {});
    QString filePath() const { return m_filePath; }
    QAction *copyInviteLinkAction() const { return m_copyInviteLinkAction; }
    syncing::TextFile::Format fileFormat() const { return m_fileFormat; }
    // Keep the linked file updated: written (atomically) a second after the text last changed, by anyone.
    QAction *keepFileUpdatedAction() const { return m_keepFileUpdatedAction; }

public Q_SLOTS:
    void undo();
    void redo();
    // File › New Document…: asks a title; the relay makes a free id from it, and the document opens.
    void newDocument();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    // Files dropped on the text are shared (not their names inserted as text).
    bool eventFilter(QObject *watched, QEvent *event) override;
    // With edits not yet acknowledged: says so, and lets the user wait for them, close (they are kept and sent
    // next time), or, when the relay refuses them, save the text to a file. False: the window stays.
    bool mayClose();

private:
    void createActions();
    void createDock();
    void createStatusBar();
    void readSettings();
    void writeSettings();
    void updateStatus();
    void copyLink(const QUrl &link, const QString &message, bool show = true);
    void updateTitle();
    // Files: link this document to a file (remembered per document in QSettings), write it, and the part of
    // Share File that waits for the new document to open.
    void linkFile(const QString &path, syncing::TextFile::Format format);
    bool writeFile(const QString &path, bool quiet);
    void restoreLinkedFile();
    void fileContentChanged();
    struct PendingShare
    {
        QString text;
        QString path;
        syncing::TextFile::Format format;
        QString baseId;     // "Meeting-Notes"
        QString extension;  // ".md"
        int attempt = 1;
    };
    void startShare(const QString &server, const syncing::DocumentSession::Profile &profile, PendingShare share);
    void continueShare();
    void updateUndoActions();
    void updateRecentActions();
    void addRecent(const QUrl &url);

    void openFromServer();
    void importFile();
    bool exportFile();
    void about();

    void onLocalEdited(const collab::TextOperation &op);
    void onRemoteApplied(const collab::TextOperation &op, const QString &connectionId);
    void onParticipantJoined(const collab::Participant &participant);
    void onParticipantSelectionChanged(const QString &connectionId, const collab::Selection &selection);
    void revealParticipant(const QString &connectionId);

    syncing::LocalStore m_store;
    CollabEditor *m_editor;
    DocumentBinding *m_binding;
    syncing::DocumentSession *m_session;
    syncing::DocumentSession::Profile m_profile;
    bool m_closeWhenSent = false;
    // View › Line Numbers, Wrap Lines, Zoom (steps of one point from the system's fixed font).
    void setZoom(int steps);
    QAction *m_lineNumbersAction = nullptr;
    QAction *m_wrapAction = nullptr;
    QFont m_baseFont;
    int m_zoom = 0;

    ParticipantsPanel *m_participants = nullptr;
    QDockWidget *m_dock = nullptr;
    HistoryPanel *m_history = nullptr;
    QDockWidget *m_historyDock = nullptr;
    QPointer<FindReplaceDialog> m_findDialog;
    QString m_followed;

    QLabel *m_stateLabel = nullptr;
    QLabel *m_fileLabel = nullptr;
    QString m_knownTitle; // the document's title as last heard from the relay (empty: none yet)
    QString m_filePath;
    syncing::TextFile::Format m_fileFormat;
    QAction *m_keepFileUpdatedAction = nullptr;
    QTimer m_fileWriteTimer;
    std::optional<PendingShare> m_share;
    std::function<bool(const QString &)> m_confirmCreate;
    QLabel *m_rttLabel = nullptr;
    QLabel *m_revisionLabel = nullptr;

    QAction *m_undoAction = nullptr;
    QAction *m_redoAction = nullptr;
    QAction *m_copyLinkAction = nullptr;
    QAction *m_copyWebLinkAction = nullptr;
    QAction *m_copyInviteLinkAction = nullptr; // Edit › Copy Invite Link…: enabled with a token only
    QAction *m_cutAction = nullptr;
    QAction *m_copyAction = nullptr;
    QAction *m_showCursorsAction = nullptr;
    QMenu *m_recentMenu = nullptr;

    // View › Show Authors: the text coloured by who wrote it (the relay's authorship), with a legend.
    void showAuthors(bool on);
    void applyAuthors(const collab::Message::Authors &authors);
    QAction *m_showAuthorsAction = nullptr;
    QLabel *m_authorsLegend = nullptr;
    QTimer *m_authorsTimer = nullptr;
    QList<QTextEdit::ExtraSelection> m_authorMarks;

    // "While you were away": what others changed since this editor last saw the document (reopened, or back
    // online): a bar with the summary, the list of places (AwayPanel) in a dock, the places marked.
    void onAwayChanged();
    void updateMarks();
    QToolBar *m_awayBar = nullptr;
    QLabel *m_awayLabel = nullptr;
    AwayPanel *m_away = nullptr;
    QDockWidget *m_awayDock = nullptr;
};

} // namespace ui
