// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"

#include <rope.h>

#include <QTimer>
#include <QWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSlider;

namespace syncing {
class DocumentSession;
}

namespace ui {

class DocumentBinding;

// HistoryPanel: the document's past, from the relay's log (docs/PROTOCOL.md, "history" to "versions").
//   - a list (and a slider over it: left is older) of the named versions and the edit sessions, newest first;
//   - the text at the chosen point, read-only, with what that session (or, for a version, everything since the
//     previous point) inserted highlighted in its author's colour;
//   - Restore: the text becomes the chosen point's again, as one edit everyone gets, that is in the history
//     itself and that the restorer can undo; Name Version: names the chosen point (or the current text).
// It refreshes while shown, at most once a second while others type. Keyboard: the list takes Up/Down, the
// slider Left/Right; Enter in the list restores.
class HistoryPanel : public QWidget
{
    Q_OBJECT
public:
    HistoryPanel(syncing::DocumentSession *session, DocumentBinding *binding, QWidget *parent = nullptr);

    // Ask the relay for the sessions and versions again (also done on show and after edits, throttled).
    void refresh();
    // The point shown (a row of the list), and restoring it.
    void choose(int row);
    bool restoreChosen();
    void nameVersion(const QString &name);

    int entryCount() const { return int(m_entries.size()); }
    // The point shown once its text and highlights are there (empty and -1 before).
    QString previewText() const;
    int previewRevision() const { return m_readyRevision; }
    // The ranges of the preview highlighted as inserted by the point shown, for tests.
    QList<std::pair<int, int>> highlightedRanges() const;

Q_SIGNALS:
    // The preview shows the chosen point (its text and highlights arrived).
    void previewReady(int revision);
    void entriesChanged();

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Entry
    {
        bool version = false;
        QString label;
        QString color;
        int from = 0; // the revisions the point covers: what it changed is diff(from - 1, to)
        int to = 0;
    };
    void rebuild();
    void onRevision(int revision, const QString &text);
    void onDiff(const collab::Message::Diff &diff);
    // Bring the preview to the wanted point: the whole text the first time, then only the difference from
    // the point shown (a few edits of the preview, so the slider keeps up on a long document).
    void advance();
    void setShown(int revision, const QString &text);
    // Apply a difference that starts at the point shown (then go on towards the wanted one).
    void step(const collab::Message::Diff &diff);
    void showPreview();

    syncing::DocumentSession *m_session;
    DocumentBinding *m_binding;
    QListWidget *m_list;
    QSlider *m_slider;
    QPlainTextEdit *m_preview;
    QLabel *m_caption;
    QPushButton *m_restore;
    QPushButton *m_name;
    QTimer m_refreshTimer;
    QList<collab::EditSession> m_sessions;
    QList<collab::Message::Version> m_versions;
    std::vector<Entry> m_entries;
    int m_chosen = -1;
    bool m_online = false;
    // The point asked for: its revision and the highlighted change, diff(m_wantedFrom, m_wantedRevision).
    int m_wantedRevision = -1;
    int m_wantedFrom = -1;
    std::optional<collab::Message::Diff> m_highlight;
    // What the preview shows (-1: nothing yet), and whether the text or a step towards the wanted point has
    // been asked for and not answered (one at a time: each step starts from the point shown).
    int m_shownRevision = -1;
    int m_readyRevision = -1;
    collab::Rope m_shownText; // edited in place by each step
    bool m_textAsked = false;
    bool m_stepAsked = false;
    bool m_highlightAsked = false;
};

} // namespace ui
