// SPDX-License-Identifier: MIT
#include "selection.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

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

namespace {

Error malformed(const QString &message)
{
    return Error{ErrorCode::MalformedOperation, message};
}

// A position from the network: a JSON number that is an integer in [0, 2^31-1].
std::optional<qsizetype> position(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    const double d = value.toDouble();
    if (!std::isfinite(d) || d < 0 || d > double(std::numeric_limits<qint32>::max()) || std::floor(d) != d)
        return std::nullopt;
    return qsizetype(d);
}

} // namespace

Expected<Selection> Selection::fromJson(const QJsonValue &json)
{
    if (!json.isObject())
        return malformed(QStringLiteral("selection: not an object"));
    const QJsonValue rangesValue = json.toObject().value(QStringLiteral("ranges"));
    if (!rangesValue.isArray())
        return malformed(QStringLiteral("selection: \"ranges\" missing or not an array"));
    const QJsonArray array = rangesValue.toArray();
    QList<Range> ranges;
    ranges.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue element = array.at(i);
        if (!element.isObject())
            return malformed(QStringLiteral("selection: range %1 is not an object").arg(i));
        const QJsonObject object = element.toObject();
        const std::optional<qsizetype> anchor = position(object.value(QStringLiteral("anchor")));
        const std::optional<qsizetype> head = position(object.value(QStringLiteral("head")));
        if (!anchor)
            return malformed(QStringLiteral("selection: range %1 has no valid \"anchor\"").arg(i));
        if (!head)
            return malformed(QStringLiteral("selection: range %1 has no valid \"head\"").arg(i));
        ranges.append(Range{*anchor, *head});
    }
    return Selection(std::move(ranges));
}

} // namespace collab
