// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "collabeditor.h"
#include "connectdialog.h"
#include "documentbrowser.h"
#include "findreplacedialog.h"
#include "participantspanel.h"
#include "remotecursoroverlay.h"

#include "awaypanel.h"
#include "historypanel.h"

#include <documentlink.h>

#include <QAction>
#include <QTextCursor>
#include <QDir>
#include <QSignalBlocker>
#include <QFileInfo>
#include <QMimeData>
#include <QDropEvent>
#include <QDragEnterEvent>
#include <QClipboard>
#include <QTextEdit>
#include <QTimer>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFontDatabase>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTextStream>
#include <QToolBar>

namespace ui {

namespace {

constexpr int MaxRecent = 6;
const QString RecentKey = QStringLiteral("recentDocuments");
const QString LineNumbersKey = QStringLiteral("view/lineNumbers");
const QString WrapKey = QStringLiteral("view/wrap");
const QString ZoomKey = QStringLiteral("view/zoom");

// Where a document's linked file is remembered (QSettings): path, encoding, line endings, keep updated.
QString fileSettingsGroup(const QUrl &documentUrl)
{
    return QStringLiteral("files/") + QString::fromLatin1(documentUrl.toEncoded().toPercentEncoding());
}

} // namespace

MainWindow::MainWindow(const QString &storeDirectory, QWidget *parent)
    : QMainWindow(parent), m_store(storeDirectory), m_editor(new CollabEditor(this)),
      m_binding(new DocumentBinding(m_editor, this)), m_session(new syncing::DocumentSession(m_binding, &m_store, this))
{
    QString error;
    if (!m_store.open(&error))
        qWarning("Coscribe: the local store is not available (%s); edits are not kept offline", qPrintable(error));

    m_baseFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_editor->setFont(m_baseFont);
    m_editor->setPlaceholderText(tr("Open a document from a server to start writing together."));
    m_editor->setReadOnly(true);
    setCentralWidget(m_editor);

    createActions();
    createDock();
    createStatusBar();
    readSettings();
    m_awayBar->hide(); // (a restored window state would show them with nothing in them)
    m_awayDock->hide();

    m_binding->attach(m_session);
    setAcceptDrops(true);
    m_editor->viewport()->installEventFilter(this);
    m_fileWriteTimer.setSingleShot(true);
    m_fileWriteTimer.setInterval(1000);
    connect(&m_fileWriteTimer, &QTimer::timeout, this, [this] {
        if (!m_filePath.isEmpty() && m_keepFileUpdatedAction->isChecked())
            writeFile(m_filePath, true);
    });
    connect(m_session, &syncing::DocumentSession::statusChanged, this, &MainWindow::continueShare);
    // Creation::Ask: the relay has no such document; make it only if the user says so.
    connect(m_session, &syncing::DocumentSession::relayError, this, [this](collab::ProtocolErrorCode code) {
        if (code != collab::ProtocolErrorCode::NoSuchDocument || !m_session->isOpen())
            return;
        const QUrl url = m_session->documentUrl();
        const QString id = m_session->documentName();
        QTimer::singleShot(0, this, [this, url, id] {
            const bool create = m_confirmCreate ? m_confirmCreate(id)
                : QMessageBox::question(this, tr("No Such Document"),
                                        tr("There is no document “%1” on %2. Create it?").arg(id, m_session->server()),
                                        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes) == QMessageBox::Yes;
            if (create && m_session->documentUrl() == url) {
                QUrl again = url; // with the title it was opened with, for the document it makes
                if (id != m_session->documentId())
                    again.setQuery(QStringLiteral("title=") + QString::fromLatin1(QUrl::toPercentEncoding(id)),
                                   QUrl::StrictMode);
                openDocument(again, m_profile, Creation::Create);
            }
        });
    });
    connect(m_binding, &DocumentBinding::localEdited, this, &MainWindow::onLocalEdited);
    connect(m_session, &syncing::DocumentSession::remoteApplied, this, &MainWindow::onRemoteApplied);
    connect(m_session, &syncing::DocumentSession::textReset, this, [this] {
        m_editor->overlay()->clear();
        updateUndoActions();
    });
    connect(m_session, &syncing::DocumentSession::statusChanged, this, &MainWindow::updateStatus);
    connect(m_session, &syncing::DocumentSession::allAcknowledged, this, [this] {
        if (m_closeWhenSent)
            close();
    });
    connect(m_session, &syncing::DocumentSession::participantJoined, this, &MainWindow::onParticipantJoined);
    connect(m_session, &syncing::DocumentSession::participantUpdated, m_participants, &ParticipantsPanel::setParticipant);
    connect(m_session, &syncing::DocumentSession::participantLeft, this, [this](const QString &id) {
        m_participants->removeParticipant(id);
        m_editor->overlay()->removeCursor(id);
    });
    connect(m_session, &syncing::DocumentSession::participantsCleared, this, [this] {
        m_participants->clear();
        m_editor->overlay()->clear();
    });
    connect(m_session, &syncing::DocumentSession::participantSelectionChanged, this,
            &MainWindow::onParticipantSelectionChanged);
    connect(m_session, &syncing::DocumentSession::errorOccurred, this,
            [this](const QString &message) { statusBar()->showMessage(message, 8000); });
    connect(m_session, &syncing::DocumentSession::documentRenamed, this, [this](const QString &name) {
        QSettings().setValue(fileSettingsGroup(m_session->documentUrl()) + QStringLiteral("/title"), name);
        // The first title heard for a document just opened is no news; a change of it is.
        if (!m_knownTitle.isEmpty() && m_knownTitle != name)
            statusBar()->showMessage(tr("The document is now called “%1”.").arg(name), 8000);
        m_knownTitle = name;
        updateTitle();
        updateRecentActions();
    });
    connect(m_session, &syncing::DocumentSession::documentDeleted, this, [this] {
        // Nothing typed here could reach anyone: the text stays readable and can be saved to a file.
        m_editor->setReadOnly(true);
        updateStatus();
    });
    connect(m_participants, &ParticipantsPanel::participantActivated, this, &MainWindow::revealParticipant);
    connect(m_participants, &ParticipantsPanel::followChanged, this, [this](const QString &id) {
        m_followed = id;
        if (!id.isEmpty())
            revealParticipant(id);
    });

    setWindowTitle(tr("Coscribe"));
    updateStatus();
    updateUndoActions();
}

MainWindow::~MainWindow()
{
    m_session->close();
}

bool MainWindow::openDocument(const QUrl &documentUrl, const syncing::DocumentSession::Profile &profile,
                              Creation creation)
{
    m_profile = profile;
    m_session->setCreateIfMissing(creation == Creation::Create);
    QString error;
    if (!m_session->open(documentUrl, profile, &error)) {
        statusBar()->showMessage(error, 10000);
        return false;
    }
    m_editor->setReadOnly(false);
    m_knownTitle = m_session->documentName() == m_session->documentId() ? QString() : m_session->documentName();
    updateUndoActions();
    addRecent(m_session->documentUrl());
    restoreLinkedFile();
    updateTitle();
    setWindowFilePath(m_session->documentUrl().toString());
    updateStatus();
    return true;
}

void MainWindow::createActions()
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QToolBar *toolBar = addToolBar(tr("File"));
    toolBar->setObjectName(QStringLiteral("fileToolBar"));

    QAction *newAction = fileMenu->addAction(QIcon::fromTheme(QStringLiteral("document-new")), tr("&New Document..."),
                                             this, &MainWindow::newDocument);
    newAction->setShortcut(QKeySequence::New);
    newAction->setStatusTip(tr("Create a document on the server and open it"));
    toolBar->addAction(newAction);

    QAction *openAction = fileMenu->addAction(QIcon::fromTheme(QStringLiteral("document-open")),
                                              tr("&Open from Server..."), this, &MainWindow::openFromServer);
    openAction->setShortcut(QKeySequence::Open);
    openAction->setStatusTip(tr("Choose one of the server's documents"));
    toolBar->addAction(openAction);

    QAction *connectAction = fileMenu->addAction(tr("&Connect..."), this, &MainWindow::connectToServer);
    connectAction->setStatusTip(tr("Choose the server, your name and your cursor colour"));

    m_recentMenu = fileMenu->addMenu(tr("&Recent"));
    for (int i = 0; i < MaxRecent; ++i) {
        QAction *recent = m_recentMenu->addAction(QString());
        recent->setVisible(false);
        connect(recent, &QAction::triggered, this, [this, recent] { openInWindow(recent->data().toUrl()); });
    }
    updateRecentActions();
    fileMenu->addSeparator();

    QAction *shareAction = fileMenu->addAction(tr("S&hare File..."), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Share File"), QString(),
                                                          tr("Text files (*.txt *.md *.text *.c *.cpp *.h *.py *.js *.json *.sh *.rs);;All files (*)"));
        if (path.isEmpty())
            return;
        if (const QString problem = shareFile(path); !problem.isEmpty())
            QMessageBox::warning(this, tr("Share File"), problem);
    });
    shareAction->setStatusTip(tr("Make a new shared document from a file on this computer (or drop files on the window)"));
    QAction *saveAction = fileMenu->addAction(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save"), this,
                                              &MainWindow::save);
    saveAction->setShortcut(QKeySequence::Save);
    saveAction->setStatusTip(tr("Write the document to its file on this computer"));
    QAction *saveAsAction = fileMenu->addAction(QIcon::fromTheme(QStringLiteral("document-save-as")),
                                                tr("Save &As..."), this, [this] { saveAs(); });
    saveAsAction->setShortcut(QKeySequence::SaveAs);
    saveAsAction->setStatusTip(tr("Write the document to a file on this computer and keep it linked to it"));
    m_keepFileUpdatedAction = fileMenu->addAction(tr("&Keep File Updated"));
    m_keepFileUpdatedAction->setCheckable(true);
    m_keepFileUpdatedAction->setStatusTip(tr("Write the linked file again whenever the document changes"));
    connect(m_keepFileUpdatedAction, &QAction::toggled, this, [this](bool on) {
        if (!m_session->documentUrl().isEmpty())
            QSettings().setValue(fileSettingsGroup(m_session->documentUrl()) + QStringLiteral("/keep"), on);
        if (on)
            fileContentChanged();
    });
    QAction *importAction = fileMenu->addAction(tr("&Import File..."), this, &MainWindow::importFile);
    importAction->setStatusTip(tr("Insert a text file at the cursor"));
    fileMenu->addSeparator();
    QAction *closeAction = fileMenu->addAction(tr("&Close Window"), this, &QWidget::close);
    closeAction->setShortcut(QKeySequence::Close);
    QAction *quitAction = fileMenu->addAction(QIcon::fromTheme(QStringLiteral("application-exit")), tr("&Quit"),
                                              qApp, &QApplication::closeAllWindows);
    quitAction->setShortcut(QKeySequence::Quit);

    QMenu *editMenu = menuBar()->addMenu(tr("&Edit"));
    QToolBar *editToolBar = addToolBar(tr("Edit"));
    editToolBar->setObjectName(QStringLiteral("editToolBar"));
    m_undoAction = editMenu->addAction(QIcon::fromTheme(QStringLiteral("edit-undo")), tr("&Undo"), this,
                                       &MainWindow::undo);
    m_undoAction->setShortcut(QKeySequence::Undo);
    m_undoAction->setStatusTip(tr("Undo your last edit (other people's edits stay)"));
    m_redoAction = editMenu->addAction(QIcon::fromTheme(QStringLiteral("edit-redo")), tr("&Redo"), this,
                                       &MainWindow::redo);
    // The platform's Redo (Ctrl+Shift+Z here) and Ctrl+Y, which people coming from other editors press.
    QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
    if (!redoKeys.contains(QKeySequence(Qt::CTRL | Qt::Key_Y)))
        redoKeys.append(QKeySequence(Qt::CTRL | Qt::Key_Y));
    m_redoAction->setShortcuts(redoKeys);
    editMenu->addSeparator();
    m_cutAction = editMenu->addAction(QIcon::fromTheme(QStringLiteral("edit-cut")), tr("Cu&t"), m_editor,
                                      &QPlainTextEdit::cut);
    m_cutAction->setShortcut(QKeySequence::Cut);
    m_copyAction = editMenu->addAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("&Copy"), m_editor,
                                       &QPlainTextEdit::copy);
    m_copyAction->setShortcut(QKeySequence::Copy);
    QAction *pasteAction = editMenu->addAction(QIcon::fromTheme(QStringLiteral("edit-paste")), tr("&Paste"),
                                               m_editor, &QPlainTextEdit::paste);
    pasteAction->setShortcut(QKeySequence::Paste);
    m_cutAction->setEnabled(false);
    m_copyAction->setEnabled(false);
    connect(m_editor, &QPlainTextEdit::copyAvailable, m_cutAction, &QAction::setEnabled);
    connect(m_editor, &QPlainTextEdit::copyAvailable, m_copyAction, &QAction::setEnabled);
    editToolBar->addAction(m_undoAction);
    editToolBar->addAction(m_redoAction);
    editMenu->addSeparator();
    QAction *selectAll = editMenu->addAction(tr("Select &All"), m_editor, &QPlainTextEdit::selectAll);
    selectAll->setShortcut(QKeySequence::SelectAll);
    QAction *findAction = editMenu->addAction(QIcon::fromTheme(QStringLiteral("edit-find")), tr("&Find/Replace..."),
                                              this, [this] {
                                                  if (!m_findDialog)
                                                      m_findDialog = new FindReplaceDialog(m_editor, m_binding, this);
                                                  if (m_editor->textCursor().hasSelection())
                                                      m_findDialog->setFindText(m_editor->textCursor().selectedText());
                                                  m_findDialog->show();
                                                  m_findDialog->raise();
                                                  m_findDialog->activateWindow();
                                              });
    findAction->setShortcuts({QKeySequence::Find, QKeySequence::Replace});
    QAction *findNext = editMenu->addAction(tr("Find &Next"), this, [this] {
        if (m_findDialog)
            m_findDialog->findNext(false);
    });
    findNext->setShortcut(QKeySequence::FindNext);
    QAction *goToLine = editMenu->addAction(tr("&Go to Line..."), this, [this] {
        bool ok = false;
        const int line = QInputDialog::getInt(this, tr("Go to Line"), tr("Line (1 to %1):").arg(m_editor->blockCount()),
                                              m_editor->textCursor().blockNumber() + 1, 1, m_editor->blockCount(), 1, &ok);
        if (ok)
            m_editor->goToLine(line);
    });
    goToLine->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    editMenu->addSeparator();
    // Links to pass the document on (docs/WEB.md): never with the token.
    m_copyLinkAction = editMenu->addAction(tr("Copy &Link"), this, [this] {
        copyLink(syncing::DocumentLink::desktopUrl(m_session->documentUrl()),
                 tr("Link copied: it opens this document in Coscribe."));
    });
    m_copyWebLinkAction = editMenu->addAction(tr("Copy &Web Link"), this, [this] {
        copyLink(syncing::DocumentLink::webUrl(m_session->documentUrl()),
                 tr("Web link copied: it opens this document in a browser, no installation needed."));
    });
    // Only when asked, and after saying what it gives away: a link with this connection's token in it.
    m_copyInviteLinkAction = editMenu->addAction(tr("Copy &Invite Link..."), this, [this] {
        QMessageBox box(QMessageBox::Warning, tr("Copy Invite Link"),
                        tr("An invite link carries your access token."), QMessageBox::Cancel, this);
        box.setInformativeText(tr("Anyone who gets it can open this document, and every other document your token"
                                  " allows, with your rights, until the relay's admin revokes the token. Send it"
                                  " only to people you would give the token to."));
        QPushButton *desktop = box.addButton(tr("Copy Desktop Link"), QMessageBox::AcceptRole);
        QPushButton *web = box.addButton(tr("Copy Web Link"), QMessageBox::AcceptRole);
        box.setDefaultButton(QMessageBox::Cancel);
        box.exec();
        const QString token = m_profile.token;
        if (box.clickedButton() == desktop)
            copyLink(syncing::DocumentLink::desktopInviteUrl(m_session->documentUrl(), token),
                     tr("Invite link copied (with your token)."), false);
        else if (box.clickedButton() == web)
            copyLink(syncing::DocumentLink::webInviteUrl(m_session->documentUrl(), token),
                     tr("Invite web link copied (with your token)."), false);
    });

    m_showCursorsAction = new QAction(tr("Show Remote &Cursors"), this);
    m_showCursorsAction->setCheckable(true);
    m_showCursorsAction->setChecked(true);
    connect(m_showCursorsAction, &QAction::toggled, m_editor->overlay(), &RemoteCursorOverlay::setVisible);

    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    helpMenu->addAction(tr("&About Coscribe"), this, &MainWindow::about);
    helpMenu->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::createDock()
{
    m_participants = new ParticipantsPanel(this);
    m_dock = new QDockWidget(tr("Participants"), this);
    m_dock->setObjectName(QStringLiteral("participantsDock"));
    m_dock->setWidget(m_participants);
    addDockWidget(Qt::RightDockWidgetArea, m_dock);
    resizeDocks({m_dock}, {170}, Qt::Horizontal);

    QMenu *viewMenu = new QMenu(tr("&View"), this);
    menuBar()->insertMenu(menuBar()->actions().last(), viewMenu);
    QAction *toggle = m_dock->toggleViewAction();
    toggle->setText(tr("&Participants"));
    toggle->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    viewMenu->addAction(toggle);

    // The document's history: hidden until asked for (it asks the relay while shown).
    m_history = new HistoryPanel(m_session, m_binding, this);
    m_historyDock = new QDockWidget(tr("History"), this);
    m_historyDock->setObjectName(QStringLiteral("historyDock"));
    m_historyDock->setWidget(m_history);
    addDockWidget(Qt::RightDockWidgetArea, m_historyDock);
    tabifyDockWidget(m_dock, m_historyDock);
    m_historyDock->hide();
    // Wide enough for its list and preview when it comes up (the participants' width is too narrow).
    connect(m_historyDock, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible && m_historyDock->width() < 360)
            resizeDocks({m_historyDock}, {380}, Qt::Horizontal);
    });
    QAction *history = m_historyDock->toggleViewAction();
    history->setText(tr("&History"));
    history->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_H));
    connect(history, &QAction::triggered, this, [this](bool shown) {
        if (shown)
            m_historyDock->raise(); // in front of the participants it shares the side with
    });
    viewMenu->addAction(history);
    viewMenu->addAction(m_showCursorsAction);

    m_showAuthorsAction = new QAction(tr("Show &Authors"), this);
    m_showAuthorsAction->setCheckable(true);
    m_showAuthorsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    connect(m_showAuthorsAction, &QAction::toggled, this, &MainWindow::showAuthors);
    viewMenu->addAction(m_showAuthorsAction);

    // Writing comfort, remembered (QSettings) as soon as it changes.
    viewMenu->addSeparator();
    QSettings settings;
    m_lineNumbersAction = viewMenu->addAction(tr("&Line Numbers"));
    m_lineNumbersAction->setCheckable(true);
    connect(m_lineNumbersAction, &QAction::toggled, this, [this](bool on) {
        m_editor->setLineNumbersVisible(on);
        QSettings().setValue(LineNumbersKey, on);
    });
    m_lineNumbersAction->setChecked(settings.value(LineNumbersKey, true).toBool());
    m_editor->setLineNumbersVisible(m_lineNumbersAction->isChecked());
    m_wrapAction = viewMenu->addAction(tr("&Wrap Lines"));
    m_wrapAction->setCheckable(true);
    connect(m_wrapAction, &QAction::toggled, this, [this](bool on) {
        m_editor->setLineWrapMode(on ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap);
        QSettings().setValue(WrapKey, on);
    });
    m_wrapAction->setChecked(settings.value(WrapKey, true).toBool());
    m_editor->setLineWrapMode(m_wrapAction->isChecked() ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap);
    QAction *zoomIn = viewMenu->addAction(tr("Zoom &In"), this, [this] { setZoom(m_zoom + 1); });
    zoomIn->setShortcuts({QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal)});
    QAction *zoomOut = viewMenu->addAction(tr("Zoom &Out"), this, [this] { setZoom(m_zoom - 1); });
    zoomOut->setShortcut(QKeySequence::ZoomOut);
    QAction *zoomReset = viewMenu->addAction(tr("&Reset Zoom"), this, [this] { setZoom(0); });
    zoomReset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    setZoom(settings.value(ZoomKey, 0).toInt());

    m_authorsTimer = new QTimer(this);
    m_authorsTimer->setSingleShot(true);
    m_authorsTimer->setInterval(500);
    connect(m_authorsTimer, &QTimer::timeout, this, [this] {
        if (m_showAuthorsAction->isChecked())
            m_session->requestAuthors();
    });
    connect(m_session, &syncing::DocumentSession::authorsReceived, this, &MainWindow::applyAuthors);

    m_awayBar = new QToolBar(tr("While You Were Away"), this);
    m_awayBar->setObjectName(QStringLiteral("awayBar"));
    m_awayBar->setMovable(false);
    m_awayLabel = new QLabel(m_awayBar);
    m_awayBar->addWidget(m_awayLabel);
    m_away = new AwayPanel(m_session, m_editor, this);
    m_awayDock = new QDockWidget(tr("While You Were Away"), this);
    m_awayDock->setObjectName(QStringLiteral("awayDock"));
    m_awayDock->setWidget(m_away);
    addDockWidget(Qt::RightDockWidgetArea, m_awayDock);
    m_awayDock->hide();
    QAction *list = m_awayDock->toggleViewAction();
    list->setText(tr("&Changes"));
    m_awayBar->addAction(list);
    m_awayBar->addAction(tr("Mark as &Read"), this, &MainWindow::markAsRead);
    addToolBarBreak();
    addToolBar(Qt::TopToolBarArea, m_awayBar);
    m_awayBar->hide();
    connect(m_away, &AwayPanel::changed, this, &MainWindow::onAwayChanged);
    // Live: after edits (ours acknowledged, others' applied) ask again, at most twice a second. Between two
    // answers the marks move with the text (they are cursors of the document).
    const auto soon = [this] {
        if (m_showAuthorsAction->isChecked() && !m_authorsTimer->isActive())
            m_authorsTimer->start();
    };
    connect(m_session, &syncing::DocumentSession::acknowledged, this, soon);
    connect(m_session, &syncing::DocumentSession::remoteOperationReceived, this, soon);
    connect(m_session, &syncing::DocumentSession::textReset, this, soon);
}

void MainWindow::showAuthors(bool on)
{
    m_authorsLegend->setVisible(on);
    if (on) {
        m_session->requestAuthors();
        return;
    }
    m_authorsTimer->stop();
    m_authorMarks.clear();
    updateMarks();
    m_authorsLegend->clear();
}

void MainWindow::applyAuthors(const collab::Message::Authors &authors)
{
    if (!m_showAuthorsAction->isChecked())
        return;
    // The runs cover the relay's text at their revision: only that text can be coloured by them. Otherwise
    // (edits in flight, or more arrived meanwhile) ask again shortly.
    if (authors.revision != m_session->revision() || m_session->hasPendingEdits()) {
        m_authorsTimer->start();
        return;
    }
    QList<QTextEdit::ExtraSelection> marks;
    qint64 position = 0;
    for (const collab::AuthorRun &run : authors.runs) {
        if (run.author >= 0) {
            QColor color(authors.authors.at(run.author).color);
            if (!color.isValid())
                color = QColor(128, 128, 128);
            color.setAlpha(60);
            QTextEdit::ExtraSelection mark;
            mark.cursor = QTextCursor(m_editor->document());
            mark.cursor.setPosition(int(position));
            mark.cursor.setPosition(int(position + run.length), QTextCursor::KeepAnchor);
            mark.format.setBackground(color);
            mark.format.setToolTip(authors.authors.at(run.author).name);
            marks.append(mark);
        }
        position += run.length;
    }
    m_authorMarks = marks;
    updateMarks();
    QStringList legend;
    for (const collab::Author &a : authors.authors)
        legend.append(QStringLiteral("<span style=\"color:%1\">●</span> %2")
                          .arg(a.color.toHtmlEscaped(), (a.name.isEmpty() ? a.user : a.name).toHtmlEscaped()));
    m_authorsLegend->setText(legend.join(QStringLiteral("&nbsp;&nbsp;")));
}

QString MainWindow::authorsLegend() const
{
    return m_authorsLegend->text();
}

void MainWindow::updateMarks()
{
    m_editor->setExtraSelections(m_authorMarks + m_away->marks());
}

void MainWindow::onAwayChanged()
{
    // The list opens with the bar (once: closed, it stays closed until the next time away).
    const QString summary = m_away->summary();
    const bool wasShown = !m_awayLabel->text().isEmpty();
    m_awayLabel->setText(summary);
    m_awayBar->setVisible(!summary.isEmpty());
    if (summary.isEmpty())
        m_awayDock->hide();
    else if (!wasShown)
        m_awayDock->show();
    updateMarks();
}

void MainWindow::markAsRead()
{
    m_away->markAsRead();
}

QString MainWindow::awayText() const
{
    return m_awayBar->isVisible() ? m_awayLabel->text() : QString();
}

QList<std::pair<int, int>> MainWindow::awayRanges() const
{
    QList<std::pair<int, int>> out;
    for (const QTextEdit::ExtraSelection &s : m_away->marks())
        out.append({s.cursor.selectionStart(), s.cursor.selectionEnd()});
    return out;
}

void MainWindow::createStatusBar()
{
    m_authorsLegend = new QLabel(this);
    m_authorsLegend->setTextFormat(Qt::RichText);
    m_authorsLegend->hide();
    statusBar()->addWidget(m_authorsLegend);
    m_stateLabel = new QLabel(this);
    m_rttLabel = new QLabel(this);
    m_revisionLabel = new QLabel(this);
    m_fileLabel = new QLabel(this);
    m_fileLabel->hide();
    statusBar()->addPermanentWidget(m_fileLabel);
    statusBar()->addPermanentWidget(m_stateLabel);
    statusBar()->addPermanentWidget(m_rttLabel);
    statusBar()->addPermanentWidget(m_revisionLabel);
}

QString MainWindow::statusText() const
{
    if (!m_session->isOpen())
        return tr("No document");
    const int pending = m_session->pendingEdits();
    QString state;
    switch (m_session->status()) {
    case syncing::DocumentSession::Status::Online:
        state = m_session->isReadOnly() ? tr("Online, read-only") : tr("Online");
        if (pending > 0)
            state += QStringLiteral(", ") + tr("sending %n edit(s)", nullptr, pending);
        break;
    case syncing::DocumentSession::Status::Connecting:
        state = pending > 0 ? tr("Connecting, %n edit(s) pending", nullptr, pending) : tr("Connecting");
        break;
    case syncing::DocumentSession::Status::Offline:
        state = pending > 0 ? tr("Offline, %n edit(s) pending", nullptr, pending) : tr("Offline");
        break;
    }
    return state;
}

void MainWindow::copyLink(const QUrl &link, const QString &message, bool show)
{
    QGuiApplication::clipboard()->setText(link.toString(QUrl::FullyEncoded));
    // An invite link is not shown: the token would be on screen for anyone looking.
    statusBar()->showMessage(show ? message + u' ' + link.toDisplayString() : message, 8000);
}

void MainWindow::updateStatus()
{
    const bool hasDocument = !m_session->documentUrl().isEmpty();
    m_copyLinkAction->setEnabled(hasDocument);
    m_copyWebLinkAction->setEnabled(hasDocument);
    m_copyInviteLinkAction->setEnabled(hasDocument && !m_profile.token.isEmpty());
    // A problem stays in the status bar, with what to do, until the connection says it is resolved.
    const QString problem = m_session->problem();
    m_stateLabel->setText(problem.isEmpty() ? statusText() : statusText() + QStringLiteral(" — ") + problem);
    m_stateLabel->setToolTip(problem);
    QString color;
    switch (m_session->status()) {
    case syncing::DocumentSession::Status::Online:
        color = QStringLiteral("#2e7d32");
        break;
    case syncing::DocumentSession::Status::Connecting:
        color = QStringLiteral("#b26a00");
        break;
    case syncing::DocumentSession::Status::Offline:
        color = QStringLiteral("#c62828");
        break;
    }
    m_stateLabel->setStyleSheet(QStringLiteral("QLabel { color: %1; font-weight: bold; }").arg(color));
    const qint64 rtt = m_session->roundTripMs();
    m_rttLabel->setText(m_session->status() == syncing::DocumentSession::Status::Online && rtt >= 0
                            ? tr("RTT %1 ms").arg(rtt)
                            : tr("RTT –"));
    m_revisionLabel->setText(tr("Revision %1").arg(m_session->revision()));
    // An empty document says what typing does now: shared at once, or kept until the relay is reached.
    if (m_session->isOpen()) {
        const QString server = m_session->server();
        switch (m_session->status()) {
        case syncing::DocumentSession::Status::Online:
            m_editor->setPlaceholderText(tr("This document is empty: start typing. Everyone who opens it sees your text."));
            break;
        case syncing::DocumentSession::Status::Connecting:
            m_editor->setPlaceholderText(tr("Connecting to %1… What you type now is kept and sent once connected.").arg(server));
            break;
        case syncing::DocumentSession::Status::Offline:
            m_editor->setPlaceholderText(
                    tr("Not connected to %1%2. What you type is kept on this computer and sent when the connection is back.")
                            .arg(server, problem.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(problem)));
            break;
        }
    }
}

void MainWindow::updateUndoActions()
{
    const bool writable = !m_editor->isReadOnly();
    m_undoAction->setEnabled(writable && m_session->undoManager().canUndo());
    m_redoAction->setEnabled(writable && m_session->undoManager().canRedo());
}

void MainWindow::undo()
{
    if (m_editor->isReadOnly())
        return;
    if (std::optional<collab::TextOperation> op = m_session->undoOperation())
        m_binding->applyLocal(*op, DocumentBinding::Origin::UndoRedo);
    updateUndoActions();
}

void MainWindow::redo()
{
    if (m_editor->isReadOnly())
        return;
    if (std::optional<collab::TextOperation> op = m_session->redoOperation())
        m_binding->applyLocal(*op, DocumentBinding::Origin::UndoRedo);
    updateUndoActions();
}

void MainWindow::onLocalEdited(const collab::TextOperation &op)
{
    m_editor->overlay()->transform(op);
    updateUndoActions();
    fileContentChanged();
}

void MainWindow::onRemoteApplied(const collab::TextOperation &op, const QString &connectionId)
{
    m_editor->overlay()->transform(op, connectionId);
    updateUndoActions();
    fileContentChanged();
}

void MainWindow::onParticipantJoined(const collab::Participant &participant)
{
    m_participants->setParticipant(participant);
    m_editor->overlay()->setCursor(participant.connectionId, participant.name,
                                   QColor::fromString(participant.color), participant.selection, false);
}

void MainWindow::onParticipantSelectionChanged(const QString &connectionId, const collab::Selection &selection)
{
    for (const collab::Participant &p : m_session->participants()) {
        if (p.connectionId == connectionId) {
            m_editor->overlay()->setCursor(connectionId, p.name, QColor::fromString(p.color), selection, true);
            break;
        }
    }
    if (connectionId == m_followed)
        revealParticipant(connectionId);
}

void MainWindow::revealParticipant(const QString &connectionId)
{
    if (std::optional<RemoteCursorOverlay::Cursor> c = m_editor->overlay()->cursor(connectionId)) {
        if (!c->selection.isEmpty())
            m_editor->revealPosition(c->selection.ranges().constFirst().head);
    }
}

void MainWindow::newDocument()
{
    const std::optional<QString> title = DocumentBrowser::askTitle(this, tr("New Document"));
    if (!title)
        return;
    // The relay makes the id from the title (a free one: never an existing document), then it is opened.
    const QUrl server(m_session->isOpen() ? m_session->server() : ConnectDialog::savedServer());
    const syncing::DocumentSession::Profile profile = m_session->isOpen() ? m_profile : ConnectDialog::savedProfile();
    auto *catalogue = new syncing::DocumentCatalogue(server, {profile.name, profile.color, profile.token}, this);
    statusBar()->showMessage(tr("Creating “%1” on %2...").arg(*title, server.toString()));
    connect(catalogue, &syncing::DocumentCatalogue::created, this, [this, catalogue](const QString &id) {
        catalogue->deleteLater();
        statusBar()->clearMessage();
        openInWindow(catalogue->documentUrl(id), std::nullopt, Creation::Create);
    });
    const auto failed = [this, catalogue](const QString &why) {
        catalogue->deleteLater();
        statusBar()->clearMessage();
        QMessageBox::warning(this, tr("New Document"), tr("The document could not be created.\n%1").arg(why));
    };
    connect(catalogue, &syncing::DocumentCatalogue::failed, this,
            [failed](collab::ProtocolErrorCode, const QString &why) { failed(why); });
    connect(catalogue, &syncing::DocumentCatalogue::unreachable, this, failed);
    catalogue->create(*title);
}

void MainWindow::openFromServer()
{
    const QString server = m_session->isOpen() ? m_session->server() : ConnectDialog::savedServer();
    DocumentBrowser browser(server, m_session->isOpen() ? m_profile : ConnectDialog::savedProfile(), this);
    if (browser.exec() == QDialog::Accepted && browser.selectedDocumentUrl().isValid())
        openInWindow(browser.selectedDocumentUrl());
}

void MainWindow::connectToServer()
{
    ConnectDialog dialog(this, m_session->isOpen() ? m_session->server() : QString());
    // The name, colour and token typed there are for this connection (and saved for the next ones).
    if (dialog.exec() == QDialog::Accepted)
        openInWindow(dialog.documentUrl(), dialog.profile());
}

// An empty window takes the document itself; otherwise it opens in a new window (one document per window).
MainWindow *MainWindow::windowFor(const QUrl &documentUrl)
{
    const QUrl wanted = documentUrl.adjusted(QUrl::StripTrailingSlash | QUrl::NormalizePathSegments | QUrl::RemoveQuery);
    for (QWidget *widget : QApplication::topLevelWidgets())
        if (auto *window = qobject_cast<MainWindow *>(widget); window && window->m_session->isOpen()
            && window->m_session->documentUrl().adjusted(QUrl::StripTrailingSlash | QUrl::NormalizePathSegments) == wanted)
            return window;
    return nullptr;
}

void MainWindow::openInWindow(const QUrl &url, std::optional<syncing::DocumentSession::Profile> chosen,
                              Creation creation)
{
    // The same document as the same person: that window. (File › Connect… with another name is meant to be a
    // second participant, and gets its window.)
    if (MainWindow *open = windowFor(url); open && (!chosen || chosen->name == open->m_profile.name)) {
        open->show();
        open->raise();
        open->activateWindow();
        open->statusBar()->showMessage(tr("This document is open here already."), 4000);
        return;
    }
    const syncing::DocumentSession::Profile profile =
            chosen ? *chosen : m_session->isOpen() ? m_profile : ConnectDialog::savedProfile();
    if (!m_session->isOpen()) {
        openDocument(url, profile, creation);
        return;
    }
    auto *window = new MainWindow(m_store.directory());
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->move(pos() + QPoint(40, 40));
    window->show();
    window->openDocument(url, profile, creation);
}

// --- files ---------------------------------------------------------------------------------------------------

namespace {

// A document id from a file name: the relay's alphabet [A-Za-z0-9._-], runs of anything else as one "-".
QString idFromName(const QString &name)
{
    QString id;
    for (const QChar c : name) {
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'.'
                        || c == u'_' || c == u'-';
        if (ok)
            id += c;
        else if (!id.endsWith(u'-'))
            id += u'-';
    }
    while (id.startsWith(u'.') || id.startsWith(u'-'))
        id.remove(0, 1);
    while (id.endsWith(u'-'))
        id.chop(1);
    return id.left(48);
}

} // namespace

void MainWindow::updateTitle()
{
    const QString doc = m_session->documentName();
    if (doc.isEmpty()) {
        setWindowTitle(tr("Coscribe"));
    } else if (m_filePath.isEmpty()) {
        setWindowTitle(tr("%1 — Coscribe").arg(doc));
    } else {
        setWindowTitle(tr("%1 (%2) — Coscribe").arg(doc, QFileInfo(m_filePath).fileName()));
    }
    m_fileLabel->setVisible(!m_filePath.isEmpty());
    m_fileLabel->setText(tr("%1 · %2 · %3").arg(QFileInfo(m_filePath).fileName(),
                                                 syncing::TextFile::encodingName(m_fileFormat.encoding),
                                                 syncing::TextFile::lineEndingName(m_fileFormat.lineEnding)));
    m_fileLabel->setToolTip(QDir::toNativeSeparators(m_filePath));
}

void MainWindow::linkFile(const QString &path, syncing::TextFile::Format format)
{
    m_filePath = path;
    m_fileFormat = format;
    if (!m_session->documentUrl().isEmpty()) {
        QSettings settings;
        settings.beginGroup(fileSettingsGroup(m_session->documentUrl()));
        settings.setValue(QStringLiteral("path"), path);
        settings.setValue(QStringLiteral("encoding"), int(format.encoding));
        settings.setValue(QStringLiteral("lineEnding"), int(format.lineEnding));
    }
    updateTitle();
}

void MainWindow::restoreLinkedFile()
{
    QSettings settings;
    settings.beginGroup(fileSettingsGroup(m_session->documentUrl()));
    m_filePath = settings.value(QStringLiteral("path")).toString();
    m_fileFormat = {syncing::TextFile::Encoding(settings.value(QStringLiteral("encoding"), 0).toInt()),
                    syncing::TextFile::LineEnding(settings.value(QStringLiteral("lineEnding"), 0).toInt())};
    const QSignalBlocker quiet(m_keepFileUpdatedAction);
    m_keepFileUpdatedAction->setChecked(!m_filePath.isEmpty() && settings.value(QStringLiteral("keep"), false).toBool());
}

void MainWindow::fileContentChanged()
{
    if (!m_filePath.isEmpty() && m_keepFileUpdatedAction->isChecked())
        m_fileWriteTimer.start();
}

bool MainWindow::writeFile(const QString &path, bool quiet)
{
    QSaveFile file(path);
    if (file.open(QFile::WriteOnly)) {
        file.write(syncing::TextFile::encode(m_binding->text(), m_fileFormat));
        if (file.commit()) {
            statusBar()->showMessage(tr("Saved to %1").arg(QDir::toNativeSeparators(path)), 3000);
            return true;
        }
    }
    const QString problem = tr("Cannot write file %1:\n%2.").arg(QDir::toNativeSeparators(path), file.errorString());
    if (quiet)
        statusBar()->showMessage(problem, 10000);
    else
        QMessageBox::warning(this, tr("Save"), problem);
    return false;
}

bool MainWindow::save()
{
    if (m_filePath.isEmpty())
        return saveAs();
    return writeFile(m_filePath, false);
}

bool MainWindow::saveAs(const QString &chosen)
{
    QString path = chosen;
    if (path.isEmpty()) {
        QString suggested = m_filePath.isEmpty() ? m_session->documentId() : m_filePath;
        if (!suggested.contains(QLatin1Char('.')))
            suggested += QStringLiteral(".txt");
        path = QFileDialog::getSaveFileName(this, tr("Save As"), suggested);
        if (path.isEmpty())
            return false;
    }
    if (!writeFile(path, false))
        return false;
    linkFile(path, m_fileFormat);
    return true;
}

QString MainWindow::shareFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QFile::ReadOnly))
        return tr("Cannot read file %1:\n%2.").arg(QDir::toNativeSeparators(path), file.errorString());
    const auto decoded = syncing::TextFile::decode(file.readAll());
    if (const auto *problem = std::get_if<QString>(&decoded))
        return QDir::toNativeSeparators(path) + QStringLiteral(": ") + *problem;
    const QFileInfo info(path);
    PendingShare share;
    share.text = std::get<syncing::TextFile::Decoded>(decoded).text;
    share.path = info.absoluteFilePath();
    share.format = std::get<syncing::TextFile::Decoded>(decoded).format;
    share.extension = info.suffix().isEmpty() ? QString() : u'.' + idFromName(info.suffix());
    share.baseId = idFromName(info.completeBaseName());
    if (share.baseId.isEmpty())
        share.baseId = QStringLiteral("shared");
    const QString server = m_session->isOpen() ? m_session->server() : ConnectDialog::savedServer();
    const syncing::DocumentSession::Profile profile = m_session->isOpen() ? m_profile : ConnectDialog::savedProfile();
    MainWindow *target = this;
    if (m_session->isOpen()) {
        target = new MainWindow(m_store.directory());
        target->setAttribute(Qt::WA_DeleteOnClose);
        target->move(pos() + QPoint(40, 40));
        target->show();
    }
    target->startShare(server, profile, std::move(share));
    return {};
}

void MainWindow::startShare(const QString &server, const syncing::DocumentSession::Profile &profile, PendingShare share)
{
    QUrl url(server);
    const QString id = share.attempt == 1 ? share.baseId + share.extension
                                          : QStringLiteral("%1-%2%3").arg(share.baseId).arg(share.attempt).arg(share.extension);
    url.setPath(QLatin1Char('/') + id);
    m_share = std::move(share);
    openDocument(url, profile);
}

// The shared document opened: put the file's text in it when it is new and empty; when the id is taken by a
// document that has text, try the next one ("notes-2.md", ...).
void MainWindow::continueShare()
{
    if (!m_share || m_session->status() != syncing::DocumentSession::Status::Online)
        return;
    if (m_session->revision() != 0 || !m_binding->text().isEmpty()) {
        PendingShare next = *m_share;
        m_share.reset();
        if (++next.attempt > 50) {
            statusBar()->showMessage(tr("No free document name for %1").arg(next.baseId), 10000);
            return;
        }
        const syncing::DocumentSession::Profile profile = m_profile;
        QTimer::singleShot(0, this, [this, next, profile] { startShare(m_session->server(), profile, next); });
        return;
    }
    const PendingShare share = *m_share;
    m_share.reset();
    QTextCursor cursor(m_editor->document());
    cursor.insertText(share.text);
    linkFile(share.path, share.format);
    statusBar()->showMessage(tr("Shared %1 as %2").arg(QDir::toNativeSeparators(share.path), m_session->documentId()),
                             5000);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_editor->viewport()) {
        const auto hasFiles = [](const QMimeData *mime) {
            return mime && mime->hasUrls()
                   && std::any_of(mime->urls().cbegin(), mime->urls().cend(), [](const QUrl &u) { return u.isLocalFile(); });
        };
        if (event->type() == QEvent::DragEnter || event->type() == QEvent::DragMove) {
            auto *drag = static_cast<QDragMoveEvent *>(event);
            if (hasFiles(drag->mimeData())) {
                drag->acceptProposedAction();
                return true;
            }
        } else if (event->type() == QEvent::Drop) {
            auto *drop = static_cast<QDropEvent *>(event);
            if (hasFiles(drop->mimeData())) {
                dropEvent(drop);
                return true;
            }
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::dropEvent(QDropEvent *event)
{
    QStringList problems;
    for (const QUrl &url : event->mimeData()->urls())
        if (url.isLocalFile())
            if (const QString problem = shareFile(url.toLocalFile()); !problem.isEmpty())
                problems << problem;
    event->acceptProposedAction();
    if (!problems.isEmpty())
        QMessageBox::warning(this, tr("Share File"), problems.join(u'\n'));
}

void MainWindow::importFile()
{
    if (m_editor->isReadOnly())
        return;
    const QString fileName = QFileDialog::getOpenFileName(this, tr("Import File"), QString(),
                                                          tr("Text files (*.txt *.md *.text);;All files (*)"));
    if (fileName.isEmpty())
        return;
    QFile file(fileName);
    if (!file.open(QFile::ReadOnly | QFile::Text)) {
        QMessageBox::warning(this, tr("Import File"),
                             tr("Cannot read file %1:\n%2.").arg(QDir::toNativeSeparators(fileName), file.errorString()));
        return;
    }
    QTextStream in(&file);
    m_editor->textCursor().insertText(in.readAll());
    statusBar()->showMessage(tr("Imported %1").arg(QDir::toNativeSeparators(fileName)), 3000);
}

bool MainWindow::exportFile()
{
    QString suggested = m_session->documentId();
    if (!suggested.contains(QLatin1Char('.')))
        suggested += QStringLiteral(".txt");
    const QString fileName = QFileDialog::getSaveFileName(this, tr("Export"), suggested);
    if (fileName.isEmpty())
        return false;
    QSaveFile file(fileName);
    if (file.open(QFile::WriteOnly | QFile::Text)) {
        file.write(m_binding->text().toUtf8());
        if (file.commit()) {
            statusBar()->showMessage(tr("Exported to %1").arg(QDir::toNativeSeparators(fileName)), 3000);
            return true;
        }
    }
    QMessageBox::warning(this, tr("Export"),
                         tr("Cannot write file %1:\n%2.").arg(QDir::toNativeSeparators(fileName), file.errorString()));
    return false;
}

bool MainWindow::mayClose()
{
    const int pending = m_session->pendingEdits();
    if (pending == 0)
        return true;
    QMessageBox box(this);
    box.setIcon(QMessageBox::Warning);
    box.setWindowTitle(tr("Unsent Edits"));
    if (m_session->isReadOnly()) {
        // They can never be sent as things are: the relay takes no edits from this connection any more.
        box.setText(tr("The server refused %n edit(s) of yours: this document is read-only for you now.", "", pending));
        box.setInformativeText(tr("Save the text with your edits to a file, so that they are not lost?%1")
                                       .arg(m_session->problem().isEmpty() ? QString() : QStringLiteral("\n\n") + m_session->problem()));
        QPushButton *save = box.addButton(tr("&Save to File..."), QMessageBox::AcceptRole);
        save->setObjectName(QStringLiteral("save"));
        box.addButton(tr("Close &Without Saving"), QMessageBox::DestructiveRole)->setObjectName(QStringLiteral("close"));
        box.addButton(QMessageBox::Cancel)->setObjectName(QStringLiteral("cancel"));
        box.setDefaultButton(save);
        box.exec();
        if (box.clickedButton() == save)
            return exportFile();
        return box.clickedButton()->objectName() == QLatin1String("close");
    }
    const bool online = m_session->status() == syncing::DocumentSession::Status::Online;
    box.setText(tr("%n edit(s) of yours are not sent yet.", "", pending));
    box.setInformativeText(online ? tr("They are on their way. Closing keeps them on this computer: they are sent the "
                                       "next time you open this document.")
                                  : tr("You are offline. They are kept on this computer and sent the next time you open "
                                       "this document and the server can be reached."));
    QPushButton *wait = box.addButton(online ? tr("&Wait, Then Close") : tr("&Wait for the Connection"),
                                      QMessageBox::AcceptRole);
    wait->setObjectName(QStringLiteral("wait"));
    box.addButton(tr("&Close"), QMessageBox::DestructiveRole)->setObjectName(QStringLiteral("close"));
    box.addButton(QMessageBox::Cancel)->setObjectName(QStringLiteral("cancel"));
    box.setDefaultButton(wait);
    box.exec();
    if (box.clickedButton() == wait) {
        // The window closes by itself once the relay has them (allAcknowledged).
        m_closeWhenSent = true;
        statusBar()->showMessage(tr("Closing once your edits are sent..."));
        return false;
    }
    return box.clickedButton()->objectName() == QLatin1String("close");
}

void MainWindow::about()
{
    QMessageBox::about(this, tr("About Coscribe"),
                       tr("<b>Coscribe</b> %1<br>Write the same text together, live, with or without a network. "
                          "Edits made offline are kept and merged when the server is back.")
                           .arg(QApplication::applicationVersion()));
}

void MainWindow::addRecent(const QUrl &url)
{
    QSettings settings;
    QStringList recent = settings.value(RecentKey).toStringList();
    recent.removeAll(url.toString());
    recent.prepend(url.toString());
    while (recent.size() > MaxRecent)
        recent.removeLast();
    settings.setValue(RecentKey, recent);
    updateRecentActions();
}

void MainWindow::updateRecentActions()
{
    QSettings settings;
    const QStringList recent = settings.value(RecentKey).toStringList();
    const QList<QAction *> actions = m_recentMenu->actions();
    for (int i = 0; i < actions.size(); ++i) {
        if (i < recent.size()) {
            // "Title · file.md — ws://host:port/id": the document, and the file it is saved to, if any.
            const QUrl url(recent.at(i));
            settings.beginGroup(fileSettingsGroup(url));
            const QString title = settings.value(QStringLiteral("title")).toString();
            const QString file = QFileInfo(settings.value(QStringLiteral("path")).toString()).fileName();
            settings.endGroup();
            QString label = title.isEmpty() ? url.path().mid(1) : title;
            if (!file.isEmpty())
                label += QStringLiteral(" · ") + file;
            label.replace(u'&', QStringLiteral("&&"));
            actions[i]->setText(QStringLiteral("&%1 %2 — %3").arg(i + 1).arg(label, url.toString(QUrl::RemovePath)));
            actions[i]->setToolTip(url.toString());
            actions[i]->setData(url);
            actions[i]->setVisible(true);
        } else {
            actions[i]->setVisible(false);
        }
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::setZoom(int steps)
{
    m_zoom = std::clamp(steps, -6, 24);
    QFont font = m_baseFont;
    font.setPointSizeF(std::max(4.0, m_baseFont.pointSizeF() + m_zoom));
    m_editor->setFont(font);
    QSettings().setValue(ZoomKey, m_zoom);
}

void MainWindow::readSettings()
{
    QSettings settings;
    const QByteArray geometry = settings.value(QStringLiteral("geometry")).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry)) {
        const QRect available = screen()->availableGeometry();
        resize(available.width() / 2, available.height() * 2 / 3);
    }
    restoreState(settings.value(QStringLiteral("windowState")).toByteArray());
}

void MainWindow::writeSettings()
{
    QSettings settings;
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("windowState"), saveState());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!mayClose()) {
        event->ignore();
        return;
    }
    writeSettings();
    m_session->close();
    event->accept();
}

} // namespace ui
