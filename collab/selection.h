// SPDX-License-Identifier: MIT
#pragma once

#include "textoperation.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>

#include <algorithm>

namespace collab {

// A selection: one or more ranges, each with an anchor (where it started) and a head (where the caret is),
// positions in UTF-16 code units. An empty range (anchor == head) is a caret. As ot.js's Selection.
//
// transform() moves positions through an operation so they keep pointing at the same text. At an insert
// exactly at a position, the position moves after the insert when the operation is one's own (own typing
// pushes one's caret along) and stays before it for other people's edits.
class Selection
{
public:
    struct Range
    {
        qsizetype anchor = 0;
        qsizetype head = 0;
        bool isEmpty() const { return anchor == head; }
        qsizetype from() const { return std::min(anchor, head); }
        qsizetype to() const { return std::max(anchor, head); }
        bool operator==(const Range &) const = default;
    };

    Selection() = default;
    explicit Selection(QList<Range> ranges) : m_ranges(std::move(ranges)) {}
    static Selection cursor(qsizetype position) { return Selection({Range{position, position}}); }

    const QList<Range> &ranges() const { return m_ranges; }
    bool isEmpty() const { return m_ranges.isEmpty(); }
    bool somethingSelected() const;

    // Where `index` (a position in the document op applies to) ends up in op's result. Inserts before it
    // push it right, deleted text before it pulls it left, an index inside a deleted span lands at the
    // deletion point. The result is in [0, op.targetLength()]; an index outside [0, op.baseLength()] is
    // clamped first. For a fixed op and isOwn the mapping never decreases, so anchor <= head stays so.
    static qsizetype transformIndex(qsizetype index, const TextOperation &op, bool isOwn);
    Selection transform(const TextOperation &op, bool isOwn) const;

    // Clamp every position into [0, length] (for positions that arrive from the network).
    Selection clamped(qsizetype length) const;

    // JSON: {"ranges":[{"anchor":0,"head":3}]} as ot.js. fromJson is strict about types: an object whose
    // "ranges" is an array of objects with integer "anchor" and "head" in [0, 2^31-1]; other keys are
    // ignored. Errors are MalformedOperation and name the offending element.
    QJsonObject toJson() const;
    static Expected<Selection> fromJson(const QJsonValue &json);

    bool operator==(const Selection &) const = default;

private:
    QList<Range> m_ranges;
};

} // namespace collab
