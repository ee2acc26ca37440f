// SPDX-License-Identifier: MIT
#include "remotecursoroverlay.h"

#include "collabeditor.h"

#include <QPainter>
#include <QPainterPath>
#include <QTextBlock>
#include <QTextLayout>

namespace ui {

RemoteCursorOverlay::RemoteCursorOverlay(CollabEditor *editor) : QObject(editor), m_editor(editor)
{
    m_clock.start();
    // A label keeps off the local caret: where it goes depends on where that is.
    connect(m_editor, &QPlainTextEdit::cursorPositionChanged, this, [this] {
        if (std::any_of(m_cursors.cbegin(), m_cursors.cend(), [this](const Cursor &c) { return labelOpacity(c) > 0.0; }))
            Q_EMIT changed();
    });
    m_fadeTimer.setInterval(50);
    connect(&m_fadeTimer, &QTimer::timeout, this, [this] {
        bool fading = false;
        for (const Cursor &c : std::as_const(m_cursors))
            fading = fading || labelOpacity(c) > 0.0;
        if (!fading)
            m_fadeTimer.stop();
        Q_EMIT changed();
    });
}

void RemoteCursorOverlay::setCursor(const QString &id, const QString &name, const QColor &color,
                                    const collab::Selection &selection, bool active)
{
    const qsizetype length = m_editor->document()->characterCount() - 1;
    auto it = std::find_if(m_cursors.begin(), m_cursors.end(), [&](const Cursor &c) { return c.id == id; });
    if (it == m_cursors.end()) {
        m_cursors.append(Cursor{id, name, color, selection.clamped(length), active ? m_clock.elapsed() : -1});
    } else {
        it->name = name;
        it->color = color;
        it->selection = selection.clamped(length);
        if (active)
            it->lastActivityMs = m_clock.elapsed();
    }
    scheduleRepaint();
}

void RemoteCursorOverlay::removeCursor(const QString &id)
{
    m_cursors.removeIf([&](const Cursor &c) { return c.id == id; });
    Q_EMIT changed();
}

void RemoteCursorOverlay::clear()
{
    m_cursors.clear();
    Q_EMIT changed();
}

void RemoteCursorOverlay::transform(const collab::TextOperation &op, const QString &authorConnectionId)
{
    for (Cursor &c : m_cursors)
        c.selection = c.selection.transform(op, !authorConnectionId.isEmpty() && c.id == authorConnectionId);
    Q_EMIT changed();
}

std::optional<RemoteCursorOverlay::Cursor> RemoteCursorOverlay::cursor(const QString &id) const
{
    for (const Cursor &c : m_cursors) {
        if (c.id == id)
            return c;
    }
    return std::nullopt;
}

void RemoteCursorOverlay::setVisible(bool visible)
{
    m_visible = visible;
    Q_EMIT changed();
}

double RemoteCursorOverlay::labelOpacity(const Cursor &cursor) const
{
    if (cursor.lastActivityMs < 0)
        return 0.0;
    const qint64 age = m_clock.elapsed() - cursor.lastActivityMs;
    if (age <= LabelVisibleMs)
        return 1.0;
    if (age >= LabelVisibleMs + LabelFadeMs)
        return 0.0;
    return 1.0 - double(age - LabelVisibleMs) / LabelFadeMs;
}

void RemoteCursorOverlay::scheduleRepaint()
{
    if (!m_fadeTimer.isActive())
        m_fadeTimer.start();
    Q_EMIT changed();
}

QFont RemoteCursorOverlay::labelFont() const
{
    QFont font = m_editor->font();
    font.setPointSizeF(std::max(6.0, font.pointSizeF() * 0.8));
    font.setBold(true);
    return font;
}

QRect RemoteCursorOverlay::labelRect(const QString &name, const QRect &caret) const
{
    const QFontMetrics metrics(labelFont());
    const int padding = 3;
    const int viewportWidth = m_editor->viewport()->width();
    QRect label(0, 0, metrics.horizontalAdvance(name) + 2 * padding, metrics.height() + 2);
    const auto place = [&](QPoint topLeft) {
        label.moveTopLeft(topLeft);
        if (label.right() > viewportWidth)
            label.moveRight(viewportWidth - 1);
    };
    // Above the caret (over the line before, which shows through), unless it would cover the local caret or
    // leave the view: then below the caret's line; if that covers the local caret too, beside the caret.
    const QRect local = m_editor->cursorRect().adjusted(-2, 0, 2, 0);
    place(QPoint(caret.left() - 1, caret.top() - 1 - label.height()));
    if (label.top() >= 0 && !label.intersects(local))
        return label;
    place(QPoint(caret.left() - 1, caret.bottom() + 1));
    if (!label.intersects(local))
        return label;
    place(QPoint(caret.right() + 4, caret.top()));
    return label;
}

std::optional<QRect> RemoteCursorOverlay::labelRect(const QString &id) const
{
    const std::optional<Cursor> c = cursor(id);
    if (!c || c->selection.ranges().isEmpty() || c->name.isEmpty())
        return std::nullopt;
    return labelRect(c->name, m_editor->caretRect(c->selection.ranges().constFirst().head));
}

void RemoteCursorOverlay::paint(QPainter &painter) const
{
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing);
    for (const Cursor &c : m_cursors)
        paintCursor(painter, c);
    painter.restore();
}

void RemoteCursorOverlay::paintCursor(QPainter &painter, const Cursor &cursor) const
{
    QTextDocument *document = m_editor->document();
    const int viewportHeight = m_editor->viewport()->height();
    const int viewportWidth = m_editor->viewport()->width();

    for (const collab::Selection::Range &range : cursor.selection.ranges()) {
        // Selection: one translucent rectangle per visible laid-out line the range touches.
        if (!range.isEmpty()) {
            QColor fill = cursor.color;
            fill.setAlpha(70);
            const int from = int(range.from());
            const int to = int(range.to());
            // From the first block in view at the earliest: the lines above it are not painted, and walking
            // them would cost one step per paragraph of a selection that may cover the whole document.
            QTextBlock block = document->findBlock(from);
            const QTextBlock top = m_editor->firstVisibleTextBlock();
            if (top.isValid() && top.position() > block.position())
                block = top;
            for (; block.isValid() && block.position() <= to; block = block.next()) {
                QTextLayout *layout = block.layout();
                if (!layout || !block.isVisible())
                    continue;
                const QRect blockStart = m_editor->caretRect(block.position());
                if (blockStart.top() > viewportHeight)
                    break;
                for (int i = 0; i < layout->lineCount(); ++i) {
                    const QTextLine line = layout->lineAt(i);
                    const int lineStart = block.position() + line.textStart();
                    const int lineEnd = lineStart + line.textLength();
                    const int s = std::max(from, lineStart);
                    const int e = std::min(to, lineEnd);
                    if (s > e || (s == e && to <= lineEnd))
                        continue;
                    const QRect startRect = m_editor->caretRect(lineStart);
                    const qreal offset = startRect.left() - line.cursorToX(lineStart - block.position());
                    const qreal x1 = offset + line.cursorToX(s - block.position());
                    // A selection that goes on past this line covers the rest of it.
                    const qreal x2 = to > lineEnd ? viewportWidth : offset + line.cursorToX(e - block.position());
                    const qreal top = blockStart.top() + line.y() - layout->lineAt(0).y();
                    if (top + line.height() < 0 || top > viewportHeight)
                        continue;
                    painter.fillRect(QRectF(x1, top, std::max<qreal>(x2 - x1, 2.0), line.height()), fill);
                }
            }
        }

        // Caret and name label.
        const QRect caret = m_editor->caretRect(range.head);
        if (caret.bottom() < 0 || caret.top() > viewportHeight)
            continue;
        painter.fillRect(QRect(caret.left() - 1, caret.top(), 2, caret.height()), cursor.color);
        painter.fillRect(QRect(caret.left() - 3, caret.top(), 6, 2), cursor.color);

        const double opacity = labelOpacity(cursor);
        if (opacity <= 0.0 || cursor.name.isEmpty())
            continue;
        const QFont font = labelFont();
        const QRect label = labelRect(cursor.name, caret);
        // Translucent, so the text of the line it lies on still reads through it.
        painter.save();
        painter.setOpacity(opacity);
        QPainterPath path;
        path.addRoundedRect(label, 3, 3);
        QColor fill = cursor.color;
        fill.setAlphaF(LabelBackgroundAlpha);
        painter.fillPath(path, fill);
        painter.setFont(font);
        painter.setPen(cursor.color.lightnessF() > 0.6 ? Qt::black : Qt::white);
        painter.drawText(label, Qt::AlignCenter, cursor.name);
        painter.restore();
    }
}

} // namespace ui
