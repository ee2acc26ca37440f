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

    // Line numbers (one per paragraph, as Go to Line counts) in a margin on the left.
    void setLineNumbersVisible(bool visible);
    bool lineNumbersVisible() const { return m_lineNumbersVisible; }
    int lineNumberAreaWidth() const;
    // The numbers the margin shows now (the lines in view), for tests.
    QList<int> visibleLineNumbers() const;
    // Put the caret at the start of a line (1-based, clamped) and bring it into view.
    void goToLine(int line);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    friend class LineNumberArea;
    void paintLineNumbers(QPaintEvent *event);
    void updateLineNumberMargin();

    RemoteCursorOverlay *m_overlay;
    QWidget *m_lineNumbers;
    bool m_lineNumbersVisible = false;
    int m_marginWidth = 0;
};

} // namespace ui
