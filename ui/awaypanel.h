// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"

#include <QTextCursor>
#include <QTextEdit>
#include <QWidget>

#include <optional>

class QListWidget;
class QPlainTextEdit;

namespace syncing {
class DocumentSession;
}

namespace ui {

// AwayPanel: what the others changed while this editor was away (the document reopened, or back online after
// edits by others), one line per place: who, what (inserted, deleted or replaced, with the text) and the
// line it is on now. It is built from the relay's diff between the revision this editor last saw and the
// current one (docs/PROTOCOL.md, "diff"), the text at the last-seen revision (what was deleted), the
// authorship of the current text (who inserted each character) and the edit sessions in between (who
// deleted: the one who inserted in its place when they deleted too, else everyone who deleted). With the text
// before, places are narrowed to what a reader calls a change (collab::readableDiff: a whole-text replace
// becomes the lines that changed). Activating a line puts the caret there. The places stay marked in the editor (marks(), cursors
// of its document that move with the text) until markAsRead().
class AwayPanel : public QWidget
{
    Q_OBJECT
public:
    AwayPanel(syncing::DocumentSession *session, QPlainTextEdit *editor, QWidget *parent = nullptr);

    struct Place
    {
        QString inserted;   // the text inserted there (as it was when the editor came back)
        QString deleted;    // the text deleted there (empty while the last-seen text has not arrived)
        qint64 deletedLength = 0;
        QStringList insertedBy;
        QStringList deletedBy;
        QTextCursor cursor; // over what was inserted (empty for a deletion); null when places do not fit
        QColor color;       // of the one who inserted it (invalid: several, or not known yet)
    };
    const QList<Place> &places() const { return m_places; }
    // One line per place, as listed.
    QStringList lines() const;
    // The sentence for the bar (empty: nothing changed, or read).
    QString summary() const { return m_summary; }
    QList<QTextEdit::ExtraSelection> marks() const;
    void markAsRead();
    // Put the caret at a listed place (select what was inserted there).
    void goTo(int index);

Q_SIGNALS:
    // Places, summary or marks changed (empty after markAsRead).
    void changed();

private:
    void onChangedWhileAway(int from, int to);
    void onDiff(const collab::Message::Diff &diff);
    void onRevision(int revision, const QString &text);
    void onAuthors(const collab::Message::Authors &authors);
    void setPlaces(const collab::TextOperation &op);
    void describe();

    syncing::DocumentSession *m_session;
    QPlainTextEdit *m_editor;
    QListWidget *m_list;
    std::optional<collab::Message::Diff> m_diff;
    bool m_placesFit = false;
    // Where each place was in the text at the diff's `to` (for the authorship), and in the text at `from`.
    struct Span
    {
        qint64 target = 0;
        qint64 base = 0;
    };
    QList<Span> m_spans;
    std::optional<QString> m_before;
    std::optional<collab::Message::Authors> m_authors;
    QList<collab::EditSession> m_sessions;
    QList<Place> m_places;
    QString m_summary;
    QColor m_color;
};

} // namespace ui
