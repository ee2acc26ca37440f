// SPDX-License-Identifier: MIT
#pragma once

#include <QPlainTextEdit>
#include <QRect>

QT_BEGIN_NAMESPACE
class QTextBlock;
QT_END_NAMESPACE

namespace ui {

class RemoteCursorOverlay;

// CollabEditor: the text widget. A QPlainTextEdit (it stays smooth on large documents) that paints the other
// participants' cursors over its text and leaves Undo/Redo to the window's actions: QTextDocument's undo is
// off (collab::UndoManager undoes only one's own edits), so the widget must not swallow those shortcuts.
// Its document is laid out by a PlainTextLayout, so an edit costs the same in a 10 MB text as in a short one.
class CollabEditor : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit CollabEditor(QWidget *parent = nullptr);

    RemoteCursorOverlay *overlay() const { return m_overlay; }

    // The caret rectangle of a document position, in viewport coordinates.
    QRect caretRect(qsizetype position) const;
    // Scroll (without moving the local caret) so that a position is in view, centred if it was not.
    void revealPosition(qsizetype position);
    bool isPositionVisible(qsizetype position) const;
    // The first block (paragraph) at least partly in view.
    QTextBlock firstVisibleTextBlock() const;

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;

private:
    RemoteCursorOverlay *m_overlay;
};

} // namespace ui
