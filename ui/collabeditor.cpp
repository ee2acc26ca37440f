// SPDX-License-Identifier: MIT
#include "collabeditor.h"

#include "plaintextlayout.h"
#include "remotecursoroverlay.h"

#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>
#include <QTextBlock>

namespace ui {

CollabEditor::CollabEditor(QWidget *parent)
    : QPlainTextEdit(parent), m_overlay(new RemoteCursorOverlay(this))
{
    // A document of our own with the layout installed: QPlainTextEdit::setDocument() is the supported way to
    // give it a layout (it reconnects the view to it). Font and paint device as QPlainTextEdit sets them.
    auto *text = new QTextDocument(this);
    text->setDocumentLayout(new PlainTextLayout(text));
    text->documentLayout()->setPaintDevice(viewport());
    text->setDefaultFont(font());
    setDocument(text);
    connect(m_overlay, &RemoteCursorOverlay::changed, viewport(), qOverload<>(&QWidget::update));
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

bool CollabEditor::event(QEvent *event)
{
    // Let the window's Undo/Redo actions have these keys: the widget would otherwise claim them for
    // QTextDocument's undo, which is off.
    if (event->type() == QEvent::ShortcutOverride) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo)) {
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
