// SPDX-License-Identifier: MIT
#include "plaintextlayout.h"

#include <QFontMetrics>
#include <QPaintDevice>
#include <QSignalBlocker>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextLayout>

#include <climits>
#include <cmath>

namespace ui {

namespace {

// QPlainTextDocumentLayout's "repaint everything" rectangle.
QRectF everything(const QTextDocument *document)
{
    return QRectF(0., -document->documentMargin(), 1000000000., 1000000000.);
}

} // namespace

PlainTextLayout::PlainTextLayout(QTextDocument *document)
    : QPlainTextDocumentLayout(document)
{
}

void PlainTextLayout::layOut(QTextBlock block)
{
    QTextDocument *doc = document();
    const qreal margin = doc->documentMargin();
    QTextLayout *layout = block.layout();
    const QTextOption option = doc->defaultTextOption();
    layout->setTextOption(option);
    int extraMargin = 0;
    if (option.flags() & QTextOption::AddSpaceForLineAndParagraphSeparators)
        extraMargin += QFontMetrics(block.charFormat().font()).horizontalAdvance(QChar(0x21B5));
    // QPlainTextDocumentLayout keeps the width it wraps at to itself; QPlainTextEdit sets it to the width of
    // its viewport, which is also the layout's paint device. No width (no view yet) means no wrapping.
    qreal availableWidth = paintDevice() ? paintDevice()->width() : 0;
    if (availableWidth <= 0)
        availableWidth = qreal(INT_MAX);
    availableWidth -= 2 * margin + extraMargin;

    qreal width = 0;
    qreal height = 0;
    layout->beginLayout();
    for (QTextLine line = layout->createLine(); line.isValid(); line = layout->createLine()) {
        line.setLeadingIncluded(true);
        line.setLineWidth(availableWidth);
        line.setPosition(QPointF(margin, height));
        height += line.height();
        if (line.leading() < 0)
            height += std::ceil(line.leading());
        width = std::max(width, line.naturalTextWidth() + 2 * margin);
    }
    layout->endLayout();

    block.setLineCount(block.isVisible() ? layout->lineCount() : 0);
    if (width > documentSize().width()) {
        // The widest line so far: QPlainTextDocumentLayout records it (growing never makes it walk).
        block.clearLayout();
        ensureBlockLayout(block);
    }
}

void PlainTextLayout::documentChanged(int from, int charsRemoved, int charsAdded)
{
    QTextDocument *doc = document();
    const int blockCount = doc->blockCount();
    const bool sameBlocks = blockCount == m_blockCount;
    m_blockCount = blockCount;
    // The blocks QPlainTextDocumentLayout takes as changed (it counts removed and added characters together).
    const QTextBlock first = doc->findBlock(from);
    const QTextBlock last = doc->findBlock(std::max(0, from + charsRemoved + charsAdded - 1));

    if (sameBlocks && first == last && first.isValid()) {
        // An edit within one line (typing): lay it out here; repaint that block, or everything below it too if
        // its height changed.
        QTextLayout *layout = first.layout();
        const int linesBefore = first.lineCount();
        const qreal heightBefore = layout->lineCount() > 0 ? layout->boundingRect().height() : -1;
        layOut(first);
        if (first.lineCount() != linesBefore)
            Q_EMIT documentSizeChanged(documentSize()); // the scroll range
        if (first.lineCount() == linesBefore
            && (heightBefore < 0 || layout->boundingRect().height() == heightBefore))
            Q_EMIT updateBlock(first);
        else
            Q_EMIT update(everything(doc));
        return;
    }

    // Blocks were added or removed: QPlainTextDocumentLayout clears the changed ones and counts lines; they
    // are then laid out here. Quietly: the view reacts to a size change by laying out the blocks from its top
    // line down, which would hand the ones not laid out yet to QPlainTextDocumentLayout (and its walk).
    {
        const QSignalBlocker quiet(this);
        QPlainTextDocumentLayout::documentChanged(from, charsRemoved, charsAdded);
        // Up to the block holding the first character after the inserted text: a new block is not in the
        // range QPlainTextDocumentLayout clears, but has no layout yet either.
        const QTextBlock after = doc->findBlock(std::min(from + charsAdded, doc->characterCount() - 1));
        const QTextBlock end = after.isValid() && after.blockNumber() > last.blockNumber() ? after : last;
        QTextBlock block = first;
        for (int n = 0; block.isValid() && n < kEagerBlocks; ++n) {
            if (block.layout()->lineCount() == 0)
                layOut(block);
            if (block == end)
                break;
            block = block.next();
        }
    }
    // What QPlainTextDocumentLayout would have said (at most; a few spare repaints cost nothing).
    Q_EMIT documentSizeChanged(documentSize());
    Q_EMIT update(everything(doc));
}

} // namespace ui
