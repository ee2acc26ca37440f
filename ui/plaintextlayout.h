// SPDX-License-Identifier: MIT
#pragma once

#include <QPlainTextDocumentLayout>

namespace ui {

// PlainTextLayout: QPlainTextDocumentLayout without its one per-edit cost that grows with the document.
//
// QPlainTextDocumentLayout lays out the block an edit touches and keeps the width of the widest line (the
// horizontal scroll range). When the block it last saw as the widest gets narrower — Backspace in the longest
// line, or any edit in the first line right after a resize — it walks every block of the document to find the
// new widest one: ~3 ms per keystroke on a 10 MB text, and it gives every block a QTextLayout on the way.
// This layout lays out an edited block itself, the same way (same width, options, margins and line positions),
// and leaves the widest width alone when a line gets narrower; a line that gets wider than any so far is still
// handed to QPlainTextDocumentLayout, which records it without a walk.
//
// Invariants: every block an edit touches or adds (up to kEagerBlocks of them) is laid out when
// documentChanged() returns, and the view hears of the change only then, so QPlainTextDocumentLayout never
// lays such a block out lazily (that is where its walk happens). Blocks it does lay out itself (after a
// resize, or past the first kEagerBlocks of a large paste) keep its behaviour, walk included.
// documentSize().width() is at least the widest line's width: it may stay wider than the text after the widest
// line shrinks, until the next relayout (a resize); with line wrapping (the window's mode) nothing shows it.
// The wrapping width is the paint device's: QPlainTextEdit makes its viewport both.
class PlainTextLayout : public QPlainTextDocumentLayout
{
    Q_OBJECT
public:
    explicit PlainTextLayout(QTextDocument *document);

protected:
    void documentChanged(int from, int charsRemoved, int charsAdded) override;

private:
    // An edit spanning more blocks than this leaves the ones past it to be laid out when they are shown.
    static constexpr int kEagerBlocks = 64;

    // Lay out a block as QPlainTextDocumentLayout::layoutBlock() does, except for the widest-line bookkeeping.
    void layOut(QTextBlock block);

    // The block count QPlainTextDocumentLayout last saw (it starts at one, whatever the document holds).
    int m_blockCount = 1;
};

} // namespace ui
