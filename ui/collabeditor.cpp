// SPDX-License-Identifier: MIT
#include "collabeditor.h"

#include "plaintextlayout.h"
#include "remotecursoroverlay.h"

#include <QKeyEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QScrollBar>
#include <QTextBlock>

namespace ui {

// The margin with the line numbers; the editor paints it (only the lines in view).
class LineNumberArea : public QWidget
{
public:
    explicit LineNumberArea(CollabEditor *editor) : QWidget(editor), m_editor(editor) {}
    QSize sizeHint() const override { return QSize(m_editor->lineNumberAreaWidth(), 0); }

protected:
    void paintEvent(QPaintEvent *event) override { m_editor->paintLineNumbers(event); }

private:
    CollabEditor *m_editor;
};

CollabEditor::CollabEditor(QWidget *parent)
    : QPlainTextEdit(parent), m_overlay(new RemoteCursorOverlay(this)), m_lineNumbers(new LineNumberArea(this))
{
    m_lineNumbers->hide();
    connect(this, &QPlainTextEdit::blockCountChanged, this, &CollabEditor::updateLineNumberMargin);
    connect(this, &QPlainTextEdit::updateRequest, this, [this](const QRect &rect, int dy) {
        if (!m_lineNumbersVisible)
            return;
        if (dy != 0)
            m_lineNumbers->scroll(0, dy);
        else
            m_lineNumbers->update(0, rect.y(), m_lineNumbers->width(), rect.height());
    });
    // A document of our own with the layout installed: QPlainTextEdit::setDocument() is the supported way to
    // give it a layout (it reconnects the view to it). Font and paint device as QPlainTextEdit sets them.
    auto *text = new QTextDocument(this);
    text->setDocumentLayout(new PlainTextLayout(text));
    text->documentLayout()->setPaintDevice(viewport());
    text->setDefaultFont(font());
    setDocument(text);
    connect(m_overlay, &RemoteCursorOverlay::changed, viewport(), qOverload<>(&QWidget::update));
    connect(this, &QPlainTextEdit::cursorPositionChanged, this, [this] {
        if (m_lineNumbersVisible)
            m_lineNumbers->update(); // the current line's number is bold
    });
}

QRect CollabEditor::caretRect(qsizetype position) const
{
    QTextCursor cursor(document());
    cursor.setPosition(int(std::clamp<qsizetype>(position, 0, document()->characterCount() - 1)));
    return cursorRect(cursor);
}

bool CollabEditor::isPositionVisible(qsizetype position) const
{
    const QRect r = caretRect(position);
    return r.bottom() >= 0 && r.top() <= viewport()->height();
}

QTextBlock CollabEditor::firstVisibleTextBlock() const
{
    return firstVisibleBlock();
}

void CollabEditor::revealPosition(qsizetype position)
{
    if (isPositionVisible(position))
        return;
    const QTextBlock block = document()->findBlock(int(position));
    const int lineHeight = std::max(1, fontMetrics().lineSpacing());
    const int visibleLines = viewport()->height() / lineHeight;
    verticalScrollBar()->setValue(std::max(0, block.firstLineNumber() - visibleLines / 2));
}

int CollabEditor::lineNumberAreaWidth() const
{
    if (!m_lineNumbersVisible)
        return 0;
    int digits = 1;
    for (int n = std::max(1, blockCount()); n >= 10; n /= 10)
        ++digits;
    return 8 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * std::max(digits, 3);
}

void CollabEditor::setLineNumbersVisible(bool visible)
{
    m_lineNumbersVisible = visible;
    m_lineNumbers->setVisible(visible);
    updateLineNumberMargin();
}

void CollabEditor::updateLineNumberMargin()
{
    // (Called for every change of the line count: only a new width of the margin lays the view out again.)
    const int width = lineNumberAreaWidth();
    if (width != m_marginWidth) {
        m_marginWidth = width;
        setViewportMargins(width, 0, 0, 0);
    }
    const QRect r = contentsRect();
    m_lineNumbers->setGeometry(QRect(r.left(), r.top(), width, r.height()));
    m_lineNumbers->update();
}

void CollabEditor::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    updateLineNumberMargin();
}

QList<int> CollabEditor::visibleLineNumbers() const
{
    QList<int> numbers;
    const int height = viewport()->height();
    for (QTextBlock block = firstVisibleBlock(); block.isValid(); block = block.next()) {
        const QRectF box = blockBoundingGeometry(block).translated(contentOffset());
        if (box.top() > height)
            break;
        if (block.isVisible() && box.bottom() >= 0)
            numbers.append(block.blockNumber() + 1);
    }
    return numbers;
}

void CollabEditor::paintLineNumbers(QPaintEvent *event)
{
    QPainter painter(m_lineNumbers);
    painter.fillRect(event->rect(), palette().color(QPalette::AlternateBase));
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.setFont(font());
    const int current = textCursor().blockNumber();
    const int width = m_lineNumbers->width() - 4;
    const int lineHeight = fontMetrics().height();
    for (QTextBlock block = firstVisibleBlock(); block.isValid(); block = block.next()) {
        const QRectF box = blockBoundingGeometry(block).translated(contentOffset());
        if (box.top() > event->rect().bottom())
            break;
        if (!block.isVisible() || box.bottom() < event->rect().top())
            continue;
        QFont f = font();
        f.setBold(block.blockNumber() == current);
        painter.setFont(f);
        painter.drawText(QRect(0, int(box.top()), width, lineHeight), Qt::AlignRight | Qt::AlignVCenter,
                         QString::number(block.blockNumber() + 1));
    }
}

void CollabEditor::goToLine(int line)
{
    const QTextBlock block = document()->findBlockByNumber(std::clamp(line, 1, blockCount()) - 1);
    QTextCursor cursor(block);
    setTextCursor(cursor);
    centerCursor();
    setFocus();
}

bool CollabEditor::event(QEvent *event)
{
    // Let the window's Undo/Redo actions have these keys: the widget would otherwise claim them for
    // QTextDocument's undo, which is off.
    if (event->type() == QEvent::ShortcutOverride) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo)
            || key->keyCombination() == QKeyCombination(Qt::ControlModifier, Qt::Key_Y)) {
            event->ignore();
            return true;
        }
    }
    return QPlainTextEdit::event(event);
}

void CollabEditor::paintEvent(QPaintEvent *event)
{
    QPlainTextEdit::paintEvent(event);
    if (!m_overlay->isVisible() || m_overlay->cursors().isEmpty())
        return;
    QPainter painter(viewport());
    m_overlay->paint(painter);
}

} // namespace ui
