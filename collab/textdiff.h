// SPDX-License-Identifier: MIT
#pragma once

#include "textoperation.h"

#include <QString>

namespace collab {

// What changed between two texts the way a reader sees it: the lines that differ (Myers's diff over lines,
// by dtl, Debian's libdtl-dev), each stretch of deleted and inserted lines narrowed to the words that differ
// in it.
// Where TextOperation::makeDiff gives the one replace around every change (a "replace all" from a file, or
// two edits far apart, becomes one big change), this gives one change per place. More than `maxLines`
// differing lines (the diff's cost grows with their number times the changes): the one replace instead.
// The operation applies to `before` and gives `after`; a surrogate pair is never split.
TextOperation lineDiff(const QString &before, const QString &after, qsizetype maxLines = 20000);

// What `op` (which applies to `before`) changes, for a reader: the line diff of `before` and op's result when
// it changes fewer characters than op does (a whole-text replace), op itself otherwise (edits within lines
// that all changed, which a line diff would widen).
TextOperation readableDiff(const QString &before, const TextOperation &op);

} // namespace collab
