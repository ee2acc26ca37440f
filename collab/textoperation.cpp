// SPDX-License-Identifier: MIT
#include "textoperation.h"

#include "jsonreader.h"
#include "jsonwriter.h"

#include <QJsonDocument>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <limits>

namespace collab {

namespace {

using Kind = TextOperation::Kind;
using Component = TextOperation::Component;

constexpr qsizetype kMaxCount = std::numeric_limits<qint32>::max(); // 2^31 - 1

bool isHigh(QChar c) { return c.isHighSurrogate(); }
bool isLow(QChar c) { return c.isLowSurrogate(); }

// True when position `pos` of doc falls between the two halves of a surrogate pair.
bool splitsPair(const QString &doc, qsizetype pos)
{
    return pos > 0 && pos < doc.size() && isHigh(doc.at(pos - 1)) && isLow(doc.at(pos));
}

Error mismatch(const char *what, qsizetype expected, qsizetype actual)
{
    return Error{ErrorCode::BaseLengthMismatch,
                 QStringLiteral("%1: the operation expects a length of %2 but got %3")
                     .arg(QLatin1String(what))
                     .arg(expected)
                     .arg(actual)};
}

// Walks an operation's components, handing out pieces of a requested size. Splitting a component keeps
// the rest for the next call, as ot.js does with its local `op1`/`op2` variables.
class Cursor
{
public:
    explicit Cursor(TextOperation::Components c) : m_components(c) {}

    bool atEnd() const { return m_index >= m_components.size(); }
    Kind kind() const { return m_components[m_index].kind; }
    qsizetype remaining() const { return m_components[m_index].length - m_offset; }

    // The insert text left in the current component.
    QString text() const { return m_components[m_index].text.mid(m_offset); }
    QString text(qsizetype n) const { return m_components[m_index].text.mid(m_offset, n); }

    void advance(qsizetype n)
    {
        m_offset += n;
        if (m_offset >= m_components[m_index].length) {
            ++m_index;
            m_offset = 0;
        }
    }
    void skip() { advance(remaining()); }

private:
    TextOperation::Components m_components;
    std::size_t m_index = 0;
    qsizetype m_offset = 0;
};

} // namespace

TextOperation::Storage &TextOperation::mutableComponents()
{
    if (!d.constData())
        d = new Data;
    return d->components; // detaches if shared
}

bool TextOperation::operator==(const TextOperation &other) const
{
    const Components a = components();
    const Components b = other.components();
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

TextOperation &TextOperation::retain(qsizetype n)
{
    if (n <= 0)
        return *this;
    m_baseLength += n;
    m_targetLength += n;
    Storage &components = mutableComponents();
    if (!components.empty() && components.back().kind == Kind::Retain)
        components.back().length += n;
    else
        components.push_back({Kind::Retain, n, {}});
    return *this;
}

TextOperation &TextOperation::insert(const QString &text)
{
    if (text.isEmpty())
        return *this;
    m_targetLength += text.size();
    Storage &components = mutableComponents();
    const std::size_t count = components.size();
    if (count > 0 && components.back().kind == Kind::Insert) {
        Component &last = components.back();
        last.text += text;
        last.length = last.text.size();
    } else if (count > 0 && components.back().kind == Kind::Delete) {
        // Keep inserts before deletes: "insert then delete" and "delete then insert" are the same edit.
        if (count > 1 && components[count - 2].kind == Kind::Insert) {
            Component &ins = components[count - 2];
            ins.text += text;
            ins.length = ins.text.size();
        } else {
            components.insert(components.end() - 1, Component{Kind::Insert, text.size(), text});
        }
    } else {
        components.push_back({Kind::Insert, text.size(), text});
    }
    return *this;
}

TextOperation &TextOperation::remove(qsizetype n)
{
    if (n <= 0)
        return *this;
    m_baseLength += n;
    Storage &components = mutableComponents();
    if (!components.empty() && components.back().kind == Kind::Delete)
        components.back().length += n;
    else
        components.push_back({Kind::Delete, n, {}});
    return *this;
}

bool TextOperation::isNoop() const
{
    return components().empty() || (components().size() == 1 && components()[0].kind == Kind::Retain);
}

std::optional<Error> TextOperation::checkSurrogates(const QString &doc) const
{
    qsizetype pos = 0;
    for (const Component &c : components()) {
        if (c.kind == Kind::Insert) {
            if (splitsPair(doc, pos))
                return Error{ErrorCode::SplitsSurrogatePair,
                             QStringLiteral("insert at %1 splits a surrogate pair").arg(pos)};
            continue;
        }
        if (splitsPair(doc, pos) || splitsPair(doc, pos + c.length))
            return Error{ErrorCode::SplitsSurrogatePair,
                         QStringLiteral("%1 of %2 at %3 splits a surrogate pair")
                             .arg(c.kind == Kind::Retain ? QLatin1String("retain") : QLatin1String("delete"))
                             .arg(c.length)
                             .arg(pos)};
        pos += c.length;
    }
    return std::nullopt;
}

Expected<QString> TextOperation::apply(const QString &doc) const
{
    if (doc.size() != m_baseLength)
        return mismatch("apply", m_baseLength, doc.size());
    if (auto error = checkSurrogates(doc))
        return *error;
    QString result;
    result.reserve(m_targetLength);
    qsizetype pos = 0;
    for (const Component &c : components()) {
        switch (c.kind) {
        case Kind::Retain:
            result.append(QStringView(doc).mid(pos, c.length));
            pos += c.length;
            break;
        case Kind::Insert:
            result.append(c.text);
            break;
        case Kind::Delete:
            pos += c.length;
            break;
        }
    }
    return result;
}

Expected<TextOperation> TextOperation::compose(const TextOperation &next) const
{
    if (m_targetLength != next.m_baseLength)
        return mismatch("compose", m_targetLength, next.m_baseLength);

    TextOperation result;
    Cursor a(components());
    Cursor b(next.components());
    while (!a.atEnd() || !b.atEnd()) {
        // Deletes of the first and inserts of the second happen regardless of the other side.
        if (!a.atEnd() && a.kind() == Kind::Delete) {
            result.remove(a.remaining());
            a.skip();
            continue;
        }
        if (!b.atEnd() && b.kind() == Kind::Insert) {
            result.insert(b.text());
            b.skip();
            continue;
        }
        // Lengths match, so both sides run out together; anything else is a bug in the invariants.
        if (a.atEnd() || b.atEnd())
            return Error{ErrorCode::MalformedOperation, QStringLiteral("compose: operations out of step")};

        const qsizetype n = std::min(a.remaining(), b.remaining());
        if (a.kind() == Kind::Retain && b.kind() == Kind::Retain) {
            result.retain(n);
        } else if (a.kind() == Kind::Insert && b.kind() == Kind::Retain) {
            result.insert(a.text(n));
        } else if (a.kind() == Kind::Insert && b.kind() == Kind::Delete) {
            // Inserted, then deleted: nothing.
        } else { // a retain, b delete
            result.remove(n);
        }
        a.advance(n);
        b.advance(n);
    }
    return result;
}

Expected<std::pair<TextOperation, TextOperation>> TextOperation::transform(const TextOperation &a,
                                                                             const TextOperation &b)
{
    if (a.m_baseLength != b.m_baseLength)
        return mismatch("transform", a.m_baseLength, b.m_baseLength);

    TextOperation aPrime;
    TextOperation bPrime;
    Cursor x(a.components());
    Cursor y(b.components());
    while (!x.atEnd() || !y.atEnd()) {
        // Inserts go first; on a tie, a's insert precedes b's (ot.js).
        if (!x.atEnd() && x.kind() == Kind::Insert) {
            const qsizetype n = x.remaining();
            aPrime.insert(x.text());
            bPrime.retain(n);
            x.skip();
            continue;
        }
        if (!y.atEnd() && y.kind() == Kind::Insert) {
            const qsizetype n = y.remaining();
            aPrime.retain(n);
            bPrime.insert(y.text());
            y.skip();
            continue;
        }
        if (x.atEnd() || y.atEnd())
            return Error{ErrorCode::MalformedOperation, QStringLiteral("transform: operations out of step")};

        const qsizetype n = std::min(x.remaining(), y.remaining());
        const Kind kx = x.kind();
        const Kind ky = y.kind();
        if (kx == Kind::Retain && ky == Kind::Retain) {
            aPrime.retain(n);
            bPrime.retain(n);
        } else if (kx == Kind::Delete && ky == Kind::Retain) {
            aPrime.remove(n);
        } else if (kx == Kind::Retain && ky == Kind::Delete) {
            bPrime.remove(n);
        }
        // Both delete the same text: neither prime needs to.
        x.advance(n);
        y.advance(n);
    }
    return std::make_pair(std::move(aPrime), std::move(bPrime));
}

TextOperation TextOperation::invert(const QString &doc) const
{
    TextOperation inverse;
    qsizetype pos = 0;
    for (const Component &c : components()) {
        switch (c.kind) {
        case Kind::Retain:
            inverse.retain(c.length);
            pos += c.length;
            break;
        case Kind::Insert:
            inverse.remove(c.length);
            break;
        case Kind::Delete:
            inverse.insert(doc.mid(pos, c.length));
            pos += c.length;
            break;
        }
    }
    return inverse;
}

namespace {

// ot.js's getSimpleOp: the single non-retain component of an operation of the form
// [retain] (insert|delete) [retain], or nullptr.
const Component *simpleComponent(TextOperation::Components c)
{
    switch (c.size()) {
    case 1:
        return &c[0];
    case 2:
        if (c[0].kind == Kind::Retain)
            return &c[1];
        if (c[1].kind == Kind::Retain)
            return &c[0];
        return nullptr;
    case 3:
        if (c[0].kind == Kind::Retain && c[2].kind == Kind::Retain)
            return &c[1];
        return nullptr;
    default:
        return nullptr;
    }
}

qsizetype startIndex(TextOperation::Components c)
{
    return (!c.empty() && c[0].kind == Kind::Retain) ? c[0].length : 0;
}

// Both operations a single insert or a single delete (after a retain), and the positions that relate them:
// what shouldBeComposedWith() and shouldBeComposedWithInverted() decide on.
struct SimplePair
{
    const TextOperation::Component *a;
    const TextOperation::Component *b;
    qsizetype startA;
    qsizetype startB;
};

std::optional<SimplePair> simplePair(const TextOperation &first, const TextOperation &next)
{
    const TextOperation::Component *a = simpleComponent(first.components());
    const TextOperation::Component *b = simpleComponent(next.components());
    if (!a || !b)
        return std::nullopt;
    return SimplePair{a, b, startIndex(first.components()), startIndex(next.components())};
}

} // namespace

bool TextOperation::shouldBeComposedWith(const TextOperation &next) const
{
    if (isNoop() || next.isNoop())
        return true;
    const std::optional<SimplePair> p = simplePair(*this, next);
    if (!p)
        return false;
    if (p->a->kind == Kind::Insert && p->b->kind == Kind::Insert)
        return p->startA + p->a->length == p->startB;
    if (p->a->kind == Kind::Delete && p->b->kind == Kind::Delete)
        return (p->startB + p->b->length == p->startA) || p->startA == p->startB;
    return false;
}

bool TextOperation::shouldBeComposedWithInverted(const TextOperation &next) const
{
    if (isNoop() || next.isNoop())
        return true;
    const std::optional<SimplePair> p = simplePair(*this, next);
    if (!p)
        return false;
    if (p->a->kind == Kind::Insert && p->b->kind == Kind::Insert)
        return p->startA + p->a->length == p->startB || p->startA == p->startB;
    if (p->a->kind == Kind::Delete && p->b->kind == Kind::Delete)
        return p->startB + p->b->length == p->startA;
    return false;
}

QJsonArray TextOperation::toJson() const
{
    QJsonArray array;
    for (const Component &c : components()) {
        switch (c.kind) {
        case Kind::Retain:
            array.append(qint64(c.length));
            break;
        case Kind::Insert:
            array.append(c.text);
            break;
        case Kind::Delete:
            array.append(-qint64(c.length));
            break;
        }
    }
    return array;
}

namespace {
template<typename Writer>
void writeOperation(Writer &w, const TextOperation &op)
{
    // Written directly (same bytes as QJsonDocument(toJson())): this runs once per keystroke.
    w.beginArray();
    for (const TextOperation::Component &c : op.components()) {
        switch (c.kind) {
        case TextOperation::Kind::Retain: w.value(qint64(c.length)); break;
        case TextOperation::Kind::Insert: w.value(c.text); break;
        case TextOperation::Kind::Delete: w.value(-qint64(c.length)); break;
        }
    }
    w.endArray();
}
} // namespace

QByteArray TextOperation::toJsonBytes() const
{
    JsonWriter w;
    writeJson(w);
    return std::move(w).result();
}

QString TextOperation::toJsonText() const
{
    TextJsonWriter w;
    writeJson(w);
    return std::move(w).result();
}

void TextOperation::writeJson(JsonWriter &w) const
{
    writeOperation(w, *this);
}

void TextOperation::writeJson(TextJsonWriter &w) const
{
    writeOperation(w, *this);
}

std::optional<qsizetype> TextOperation::loneSurrogate(QStringView text)
{
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t u = text.at(i).unicode();
        if (!QChar::isSurrogate(u))
            continue;
        if (QChar::isHighSurrogate(u) && i + 1 < n && QChar::isLowSurrogate(text.at(i + 1).unicode())) {
            ++i;
            continue;
        }
        return i;
    }
    return std::nullopt;
}

qint64 TextOperation::encodedSize(QStringView text)
{
    // The bytes JsonWriter writes for the quoted string (collab/jsonwriter.cpp): ASCII as is, the JSON
    // escapes as two bytes, other control characters and lone halves as \uXXXX, UTF-8 otherwise.
    qint64 bytes = 2;
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t u = text.at(i).unicode();
        if (u < 0x80) {
            if (u == '"' || u == '\\' || u == '\b' || u == '\f' || u == '\n' || u == '\r' || u == '\t')
                bytes += 2;
            else if (u < 0x20)
                bytes += 6;
            else
                bytes += 1;
        } else if (u < 0x800) {
            bytes += 2;
        } else if (QChar::isHighSurrogate(u) && i + 1 < n && QChar::isLowSurrogate(text.at(i + 1).unicode())) {
            bytes += 4;
            ++i;
        } else if (QChar::isSurrogate(u)) {
            bytes += 6;
        } else {
            bytes += 3;
        }
    }
    return bytes;
}

namespace {

qint64 digits(qint64 n)
{
    qint64 d = 1;
    while (n >= 10) {
        n /= 10;
        ++d;
    }
    return d;
}

qint64 componentSize(const TextOperation::Component &c)
{
    switch (c.kind) {
    case TextOperation::Kind::Retain: return digits(c.length);
    case TextOperation::Kind::Delete: return 1 + digits(c.length);
    case TextOperation::Kind::Insert: return TextOperation::encodedSize(c.text);
    }
    return 0;
}

} // namespace

qint64 TextOperation::encodedSize() const
{
    qint64 bytes = 2; // [ ]
    const Components cs = components();
    for (const Component &c : cs)
        bytes += componentSize(c);
    if (cs.size() > 1)
        bytes += qint64(cs.size()) - 1; // commas
    return bytes;
}

std::pair<TextOperation, TextOperation> TextOperation::splitToFit(qint64 maxBytes, qsizetype maxComponents) const
{
    // first: the components that fit (the last insert perhaps cut short), then a retain over the rest of the
    // base; rest: a retain over what first produced up to the cut, then everything first left out. first
    // keeps the base it did not walk in place, so rest's components meet exactly the positions they met here.
    //
    //   this:   c1 c2 ... ck = (a|b) ... cn
    //   first:  c1 c2 ... a  retain(the base after ck)
    //   rest:   retain(first's output up to a)  b ... cn
    auto append = [](TextOperation &op, const Component &c) {
        switch (c.kind) {
        case Kind::Retain: op.retain(c.length); break;
        case Kind::Insert: op.insert(c.text); break;
        case Kind::Delete: op.remove(c.length); break;
        }
    };
    TextOperation first;
    TextOperation rest;
    qint64 used = 2 + 12; // brackets, and first's closing retain: a comma and up to ten digits
    bool cut = false;
    for (const Component &c : components()) {
        if (cut) {
            append(rest, c);
            continue;
        }
        const qint64 size = componentSize(c) + 1;
        // A retain or delete while first changes nothing yet is taken whatever the budget: progress.
        // Room for this component and first's closing retain.
        const bool roomForOne = qsizetype(first.components().size()) + 2 <= std::max<qsizetype>(maxComponents, 3);
        if ((used + size <= maxBytes && roomForOne) || (first.isNoop() && c.kind != Kind::Insert)) {
            used += size;
            append(first, c);
            continue;
        }
        cut = true;
        if (c.kind == Kind::Insert) {
            // As much of the text as fits, never between the halves of a pair; at least one character when
            // first changes nothing yet.
            qint64 room = maxBytes - used - 3; // quotes and a comma
            qsizetype take = 0;
            while (take < c.text.size() && (roomForOne || first.isNoop())) {
                const bool pair = take + 1 < c.text.size() && c.text.at(take).isHighSurrogate()
                        && c.text.at(take + 1).isLowSurrogate();
                const qsizetype units = pair ? 2 : 1;
                const qint64 bytes = encodedSize(QStringView(c.text).mid(take, units)) - 2;
                if (bytes > room && (take > 0 || !first.isNoop()))
                    break;
                room -= bytes;
                take += units;
            }
            if (take > 0)
                first.insert(c.text.left(take));
            rest.retain(first.targetLength());
            if (take < c.text.size())
                rest.insert(c.text.mid(take));
        } else {
            rest.retain(first.targetLength());
            append(rest, c);
        }
    }
    first.retain(m_baseLength - first.baseLength());
    if (!cut)
        rest.retain(first.targetLength());
    return {std::move(first), std::move(rest)};
}

std::optional<QString> TextOperation::appendJsonInsert(const QString &text, qsizetype index)
{
    if (text.isEmpty())
        return QStringLiteral("element %1: empty insert string").arg(index);
    if (m_targetLength + text.size() > kMaxCount)
        return QStringLiteral("element %1: target length exceeds 2^31-1").arg(index);
    // A lone half of a surrogate pair is not text: no store keeps it as such (SQLite and PostgreSQL pair or
    // replace it), so accepting it would let the stored document differ from the served one.
    if (const std::optional<qsizetype> at = loneSurrogate(text))
        return QStringLiteral("element %1: lone surrogate U+%2 at offset %3 of the insert (position %4 of the result)")
            .arg(index)
            .arg(uint(text.at(*at).unicode()), 4, 16, QLatin1Char('0'))
            .arg(*at)
            .arg(m_targetLength + *at);
    insert(text);
    return std::nullopt;
}

std::optional<QString> TextOperation::appendJsonCount(double d, qsizetype index)
{
    if (!std::isfinite(d) || d != std::floor(d))
        return QStringLiteral("element %1: count %2 is not an integer").arg(index).arg(d);
    if (std::fabs(d) > double(kMaxCount))
        return QStringLiteral("element %1: count %2 exceeds 2^31-1").arg(index).arg(d, 0, 'f', 0);
    return appendJsonCount(qint64(d), index);
}

std::optional<QString> TextOperation::appendJsonCount(qint64 count, qsizetype index)
{
    if (count == 0)
        return QStringLiteral("element %1: zero count").arg(index);
    if (count > kMaxCount || count < -kMaxCount)
        return QStringLiteral("element %1: count %2 exceeds 2^31-1").arg(index).arg(count);
    const qsizetype n = count > 0 ? count : -count;
    if (m_baseLength + n > kMaxCount || (count > 0 && m_targetLength + n > kMaxCount))
        return QStringLiteral("element %1: operation length exceeds 2^31-1").arg(index);
    if (count > 0)
        retain(n);
    else
        remove(n);
    return std::nullopt;
}

Expected<TextOperation> TextOperation::fromJson(const QJsonValue &json)
{
    // One set of rules for every reader: the JSON reader the protocol codec uses (jsonreader.cpp).
    if (!json.isArray())
        return Error{ErrorCode::MalformedOperation, QStringLiteral("operation must be a JSON array")};
    return fromJsonBytes(QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact));
}

namespace {
template<typename Document, typename Input>
Expected<TextOperation> parseOperation(Input json)
{
    Document document;
    if (std::optional<QString> broken = document.parse(json))
        return Error{ErrorCode::MalformedOperation, QStringLiteral("operation is %1").arg(*broken)};
    return json::operation(document.root());
}
} // namespace

Expected<TextOperation> TextOperation::fromJsonBytes(const QByteArray &json)
{
    return parseOperation<json::Document>(QByteArrayView(json));
}

Expected<TextOperation> TextOperation::fromJsonText(QStringView json)
{
    return parseOperation<json::TextDocument>(json);
}

TextOperation TextOperation::makeInsert(qsizetype docLength, qsizetype position, const QString &text)
{
    return makeReplace(docLength, position, 0, text);
}

TextOperation TextOperation::makeDelete(qsizetype docLength, qsizetype position, qsizetype length)
{
    return makeReplace(docLength, position, length, QString());
}

TextOperation TextOperation::makeReplace(qsizetype docLength, qsizetype position, qsizetype removed,
                                         const QString &inserted)
{
    TextOperation op;
    op.retain(position).insert(inserted).remove(removed).retain(docLength - position - removed);
    return op;
}

TextOperation TextOperation::makeDiff(const QString &from, const QString &to)
{
    const qsizetype shorter = std::min(from.size(), to.size());
    qsizetype prefix = 0;
    while (prefix < shorter && from[prefix] == to[prefix])
        ++prefix;
    if (prefix > 0 && from[prefix - 1].isHighSurrogate())
        --prefix;
    qsizetype suffix = 0;
    while (suffix < shorter - prefix && from[from.size() - 1 - suffix] == to[to.size() - 1 - suffix])
        ++suffix;
    if (suffix > 0 && from[from.size() - suffix].isLowSurrogate())
        --suffix;
    return makeReplace(from.size(), prefix, from.size() - prefix - suffix, to.mid(prefix, to.size() - prefix - suffix));
}

std::vector<std::pair<qsizetype, qsizetype>> TextOperation::insertedRanges() const
{
    std::vector<std::pair<qsizetype, qsizetype>> ranges;
    qsizetype position = 0;
    for (const Component &c : components()) {
        if (c.kind == Kind::Delete)
            continue;
        if (c.kind == Kind::Insert)
            ranges.emplace_back(position, position + c.length);
        position += c.length;
    }
    return ranges;
}

QString TextOperation::toDebugString() const
{
    return QString::fromUtf8(toJsonBytes());
}

std::optional<Error> OperationComposer::add(TextOperation op)
{
    if (!m_parts.empty() && op.baseLength() != targetLength())
        return Error{ErrorCode::BaseLengthMismatch, QStringLiteral("operation has base length %1, the composition so far %2")
                                                        .arg(op.baseLength())
                                                        .arg(targetLength())};
    m_parts.push_back({std::move(op), 1});
    while (m_parts.size() > 1 && m_parts[m_parts.size() - 2].count <= m_parts.back().count) {
        Part &left = m_parts[m_parts.size() - 2];
        left.operation = left.operation.compose(m_parts.back().operation).value(); // the lengths fit (checked)
        left.count += m_parts.back().count;
        m_parts.pop_back();
    }
    return std::nullopt;
}

TextOperation OperationComposer::take()
{
    if (m_parts.empty())
        return TextOperation();
    // From the newest (smallest) part to the oldest: each step costs about the parts joined so far.
    TextOperation result = std::move(m_parts.back().operation);
    for (size_t i = m_parts.size() - 1; i-- > 0;)
        result = m_parts[i].operation.compose(result).value();
    m_parts.clear();
    return result;
}

} // namespace collab
