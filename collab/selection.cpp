// SPDX-License-Identifier: MIT
#include "selection.h"

#include "jsonreader.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace collab {

bool Selection::somethingSelected() const
{
    return std::any_of(m_ranges.cbegin(), m_ranges.cend(), [](const Range &r) { return !r.isEmpty(); });
}

// Walk op's components over the base document, tracking `position` (where we are in the base) and `shift`
// (how far the index has moved so far). Components that lie wholly after the index cannot move it, so the
// walk stops at the first one that starts past it. An insert exactly at the index is the one tie: it goes
// before the index for one's own edits, after it for others'.
qsizetype Selection::transformIndex(qsizetype index, const TextOperation &op, bool isOwn)
{
    index = std::clamp<qsizetype>(index, 0, op.baseLength());
    qsizetype position = 0;
    qsizetype shift = 0;
    for (const TextOperation::Component &c : op.components()) {
        if (position > index)
            break;
        switch (c.kind) {
        case TextOperation::Kind::Retain:
            position += c.length;
            break;
        case TextOperation::Kind::Insert:
            if (position < index || isOwn)
                shift += c.length;
            break;
        case TextOperation::Kind::Delete:
            if (position < index)
                shift -= std::min(c.length, index - position);
            position += c.length;
            break;
        }
    }
    return std::clamp<qsizetype>(index + shift, 0, op.targetLength());
}

Selection Selection::transform(const TextOperation &op, bool isOwn) const
{
    QList<Range> ranges;
    ranges.reserve(m_ranges.size());
    for (const Range &r : m_ranges) {
        const qsizetype anchor = transformIndex(r.anchor, op, isOwn);
        // A caret is one position: transform it once so anchor and head cannot come apart.
        const qsizetype head = r.isEmpty() ? anchor : transformIndex(r.head, op, isOwn);
        ranges.append(Range{anchor, head});
    }
    return Selection(std::move(ranges));
}

Selection Selection::clamped(qsizetype length) const
{
    QList<Range> ranges;
    ranges.reserve(m_ranges.size());
    for (const Range &r : m_ranges)
        ranges.append(Range{std::clamp<qsizetype>(r.anchor, 0, length), std::clamp<qsizetype>(r.head, 0, length)});
    return Selection(std::move(ranges));
}

QJsonObject Selection::toJson() const
{
    QJsonArray ranges;
    for (const Range &r : m_ranges)
        ranges.append(QJsonObject{{QStringLiteral("anchor"), double(r.anchor)},
                                  {QStringLiteral("head"), double(r.head)}});
    return QJsonObject{{QStringLiteral("ranges"), ranges}};
}

Expected<Selection> Selection::fromJson(const QJsonValue &json)
{
    // One set of rules for every reader (jsonreader.cpp, as the protocol codec reads a selection).
    if (!json.isObject())
        return Error{ErrorCode::MalformedOperation, QStringLiteral("selection: not an object")};
    json::Document document;
    if (document.parse(QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact)))
        return Error{ErrorCode::MalformedOperation, QStringLiteral("selection: not an object")};
    return json::selection(document.root());
}

} // namespace collab
