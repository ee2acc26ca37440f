// SPDX-License-Identifier: MIT
#pragma once

#include <rope.h>
#include <selection.h>
#include <textoperation.h>
#include <textsurface.h>

#include <QObject>
#include <QString>

QT_BEGIN_NAMESPACE
class QPlainTextEdit;
class QTextDocument;
QT_END_NAMESPACE

namespace syncing {
class DocumentSession;
}

namespace ui {

// DocumentBinding: the one place that knows both Qt's text model and the engine (as ot.js's
// codemirror-adapter), and the syncing::TextSurface a DocumentSession edits. It turns every change of a QPlainTextEdit's document into a collab::TextOperation and
// applies operations coming from elsewhere as QTextCursor edits.
//
// Invariants:
//   - m_shadow is the document's text as the engine sees it: the same length as the QTextDocument (without
//     its implicit final paragraph separator), position for position. Block breaks (QChar::ParagraphSeparator)
//     are '\n' in the shadow. The shadow is what removed text, inverses and base lengths are computed from.
//   - Nothing done per edit depends on the document's length: the shadow is a collab::Rope (an edit costs
//     O(log n + edit)), only the edited range of the QTextDocument is read, and the text before an edit is
//     handed on as the edit's inverse, never as a copy of the document. Only resetText(), text() and a
//     resynchronisation after the document and the shadow disagree touch the whole text.
//   - Operations applied with applyRemote() are never reported back as local edits (a guard flag).
//   - QTextDocument's own undo stack is off: undo belongs to collab::UndoManager, which only undoes
//     one's own edits.
//
// QTextCursor::insertText() turns '\r' (and the other block-break code points) into a paragraph break, which
// would change the length; a remote '\r' is therefore shown as U+240D (SYMBOL FOR CARRIAGE RETURN) so the
// positions stay one to one. The shadow keeps the real '\r'.
class DocumentBinding : public QObject, public syncing::TextSurface
{
    Q_OBJECT
public:
    enum class Origin { User, UndoRedo };

    explicit DocumentBinding(QPlainTextEdit *editor, QObject *parent = nullptr);

    QPlainTextEdit *editor() const { return m_editor; }
    // The whole text, copied out of the shadow: O(n), for saving, snapshots and tests, not for every edit.
    QString text() const { return m_shadow.toString(); }
    // The text without a copy (e.g. for collab::UndoManager::undo()).
    const collab::Rope &rope() const override { return m_shadow; }
    qsizetype length() const { return m_shadow.length(); }

    // Replace the whole text (a snapshot from the server or the local store); not reported as an edit.
    void resetText(const QString &text) override;

    // Apply an operation made elsewhere. The local caret, selection and scroll position stay on the same text;
    // an insert exactly at the caret goes before it. False (and nothing changes) if op does not fit the text.
    bool applyRemote(const collab::TextOperation &op) override;

    // Apply an operation made here by code rather than by typing (undo, redo, replace-all): it changes the
    // editor, moves the caret to the end of the change and is reported through localEdited() with `origin`.
    bool applyLocal(const collab::TextOperation &op, Origin origin);

    // Report this binding's edits and selection changes to `session` (user edits undoable, undo/redo not).
    void attach(syncing::DocumentSession *session);

    // The local caret and selection as engine positions.
    collab::Selection selection() const override;
    void setReadOnly(bool readOnly) override;

    // The text the document shows for a piece of engine text (block breaks as '\n', '\r' as U+240D).
    static QString displayForm(QString text);
    // An engine operation as QTextCursor edits of a document that shows displayForm() text (one edit block).
    static void applyToDocument(QTextDocument *document, const collab::TextOperation &op);

Q_SIGNALS:
    // A local edit, and its inverse (which takes the text after op back to the text before it), as ot.js's
    // CodeMirrorAdapter reports a change.
    void localEdited(const collab::TextOperation &op, const collab::TextOperation &inverse,
                     ui::DocumentBinding::Origin origin);
    // The local caret or selection moved by the user's doing (not because remote text moved it).
    void localSelectionChanged(const collab::Selection &selection);

private:
    void onContentsChange(int position, int removed, int added);
    void onCursorPositionChanged();
    void resyncFromDocument();
    void emitEdit(qsizetype position, qsizetype removed, const QString &inserted);
    QString documentRange(int position, int length) const;

    QPlainTextEdit *m_editor;
    QTextDocument *m_document = nullptr;
    collab::Rope m_shadow;
    bool m_applying = false;
};

} // namespace ui
