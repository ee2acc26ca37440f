// SPDX-License-Identifier: MIT
#include "rope.h"

#include <QChar>

#include <algorithm>
#include <utility>

namespace collab {

// The tree is a B+tree of text chunks. Leaves hold the text; inner nodes hold their children and cache the
// total length of their subtree, so a position is found by one descent from the root.
//
// Invariants (checked by invariantViolation()):
//   - every node's length is the sum of its children's lengths (a leaf's is its text's size);
//   - all leaves are at the same depth;
//   - a leaf other than the root holds kMinLeaf..kMaxLeaf code units; the root leaf at most kMaxLeaf;
//   - an inner node other than the root has kMinChildren..kMaxChildren children; an inner root at least two.
//
// An edit descends to the leaves it touches and repairs the nodes on its way back up: an overfull child is
// split, an underfull one is merged with a neighbour (and the merged node's own children repaired, since the
// two halves may meet at underfull edges). Only nodes on the one or two boundary paths of the edit change,
// so an edit costs O(fan-out * height + edit size).
namespace {

constexpr qsizetype kMaxLeaf = 2048;
constexpr qsizetype kMinLeaf = 512;
constexpr qsizetype kTargetLeaf = 1280;
constexpr qsizetype kMaxChildren = 16;
constexpr qsizetype kMinChildren = 4;
constexpr qsizetype kTargetChildren = 12;

struct Node
{
    qsizetype length = 0;
    bool isLeaf = true;
    QString text;                                // leaves only
    std::vector<std::unique_ptr<Node>> children; // inner nodes only

    static std::unique_ptr<Node> makeLeaf(QString text)
    {
        auto node = std::make_unique<Node>();
        node->length = text.size();
        node->text = std::move(text);
        return node;
    }

    static std::unique_ptr<Node> makeInner(std::vector<std::unique_ptr<Node>> children)
    {
        auto node = std::make_unique<Node>();
        node->isLeaf = false;
        for (const auto &c : children)
            node->length += c->length;
        node->children = std::move(children);
        return node;
    }

    std::unique_ptr<Node> clone() const
    {
        auto node = std::make_unique<Node>();
        node->length = length;
        node->isLeaf = isLeaf;
        node->text = text;
        node->children.reserve(children.size());
        for (const auto &c : children)
            node->children.push_back(c->clone());
        return node;
    }

    bool isOverfull() const { return isLeaf ? length > kMaxLeaf : qsizetype(children.size()) > kMaxChildren; }
    bool isUnderfull() const
    {
        return isLeaf ? length < kMinLeaf : qsizetype(children.size()) < kMinChildren;
    }
};

// Splits an overfull node into nodes of about the target size (each within bounds).
std::vector<std::unique_ptr<Node>> splitNode(std::unique_ptr<Node> node)
{
    std::vector<std::unique_ptr<Node>> pieces;
    if (node->isLeaf) {
        const qsizetype total = node->text.size();
        const qsizetype count = (total + kTargetLeaf - 1) / kTargetLeaf;
        qsizetype start = 0;
        for (qsizetype i = 1; i <= count; ++i) {
            const qsizetype end = total * i / count;
            pieces.push_back(Node::makeLeaf(node->text.mid(start, end - start)));
            start = end;
        }
    } else {
        const qsizetype total = qsizetype(node->children.size());
        const qsizetype count = (total + kTargetChildren - 1) / kTargetChildren;
        qsizetype start = 0;
        for (qsizetype i = 1; i <= count; ++i) {
            const qsizetype end = total * i / count;
            std::vector<std::unique_ptr<Node>> group;
            group.reserve(size_t(end - start));
            for (qsizetype j = start; j < end; ++j)
                group.push_back(std::move(node->children[size_t(j)]));
            pieces.push_back(Node::makeInner(std::move(group)));
            start = end;
        }
    }
    return pieces;
}

void normalizeChildren(Node &node);

// Concatenates two adjacent siblings (same height) into one node.
std::unique_ptr<Node> mergeNodes(std::unique_ptr<Node> left, std::unique_ptr<Node> right)
{
    if (left->isLeaf) {
        left->text += right->text;
        left->length = left->text.size();
        return left;
    }
    for (auto &c : right->children)
        left->children.push_back(std::move(c));
    left->length += right->length;
    // The two halves meet at edges that may each be underfull (the ends of an edit's boundary paths).
    normalizeChildren(*left);
    return left;
}

// Brings every child of node within bounds; node's own length is unchanged (its size may not be).
void normalizeChildren(Node &node)
{
    auto &children = node.children;
    size_t i = 0;
    while (i < children.size()) {
        Node &child = *children[i];
        if (child.isOverfull()) {
            auto pieces = splitNode(std::move(children[i]));
            const size_t count = pieces.size();
            children.erase(children.begin() + qsizetype(i));
            children.insert(children.begin() + qsizetype(i), std::make_move_iterator(pieces.begin()),
                            std::make_move_iterator(pieces.end()));
            i += count;
            continue;
        }
        if (child.isUnderfull() && children.size() > 1) {
            const size_t left = i + 1 < children.size() ? i : i - 1;
            auto merged = mergeNodes(std::move(children[left]), std::move(children[left + 1]));
            children.erase(children.begin() + qsizetype(left) + 1);
            children[left] = std::move(merged);
            i = left; // re-examine the merged node: it may be overfull, or still underfull
            continue;
        }
        ++i;
    }
}

void insertAt(Node &node, qsizetype position, QStringView text)
{
    node.length += text.size();
    if (node.isLeaf) {
        node.text.insert(position, text);
        return;
    }
    size_t i = 0;
    for (; i + 1 < node.children.size(); ++i) {
        const qsizetype len = node.children[i]->length;
        if (position <= len)
            break;
        position -= len;
    }
    insertAt(*node.children[i], position, text);
    // An insert only grows the child it went into; its siblings were within bounds and still are, so the
    // (rare) split is the only repair, and a keystroke does not rescan every sibling on its path.
    if (node.children[i]->isOverfull())
        normalizeChildren(node);
}

void removeAt(Node &node, qsizetype position, qsizetype n)
{
    node.length -= n;
    if (node.isLeaf) {
        node.text.remove(position, n);
        return;
    }
    auto &children = node.children;
    size_t i = 0;
    qsizetype offset = 0;
    while (i < children.size() && n > 0) {
        const qsizetype len = children[i]->length;
        if (position >= offset + len) {
            offset += len;
            ++i;
            continue;
        }
        // Removed text shifts what follows to the left, so position stays put while offset walks on.
        const qsizetype from = position - offset;
        const qsizetype count = std::min(n, len - from);
        if (from == 0 && count == len) {
            children.erase(children.begin() + qsizetype(i)); // the whole subtree goes
        } else {
            removeAt(*children[i], from, count);
            offset += len - count;
            ++i;
        }
        n -= count;
    }
    normalizeChildren(node);
}

char16_t charAt(const Node *node, qsizetype index)
{
    while (!node->isLeaf) {
        for (const auto &c : node->children) {
            if (index < c->length) {
                node = c.get();
                break;
            }
            index -= c->length;
        }
    }
    return node->text.at(index).unicode();
}

void collect(const Node &node, qsizetype position, qsizetype n, QString &out)
{
    if (node.isLeaf) {
        out.append(QStringView(node.text).mid(position, n));
        return;
    }
    for (const auto &c : node.children) {
        if (n <= 0)
            break;
        if (position >= c->length) {
            position -= c->length;
            continue;
        }
        const qsizetype count = std::min(n, c->length - position);
        collect(*c, position, count, out);
        n -= count;
        position = 0;
    }
}

std::optional<QString> checkNode(const Node &node, bool isRoot, int depth, int &leafDepth)
{
    const auto fail = [&](const QString &what) {
        return std::optional<QString>(QStringLiteral("node at depth %1: %2").arg(depth).arg(what));
    };
    if (node.isLeaf) {
        if (node.length != node.text.size())
            return fail(QStringLiteral("cached length %1 != text size %2").arg(node.length).arg(node.text.size()));
        if (node.length > kMaxLeaf)
            return fail(QStringLiteral("leaf of %1 units is overfull").arg(node.length));
        if (!isRoot && node.length < kMinLeaf)
            return fail(QStringLiteral("leaf of %1 units is underfull").arg(node.length));
        if (leafDepth < 0)
            leafDepth = depth;
        else if (leafDepth != depth)
            return fail(QStringLiteral("leaf depth differs from %1").arg(leafDepth));
        return std::nullopt;
    }
    const qsizetype count = qsizetype(node.children.size());
    if (count > kMaxChildren)
        return fail(QStringLiteral("%1 children is overfull").arg(count));
    if (isRoot ? count < 2 : count < kMinChildren)
        return fail(QStringLiteral("%1 children is underfull").arg(count));
    qsizetype sum = 0;
    for (const auto &c : node.children) {
        if (auto e = checkNode(*c, false, depth + 1, leafDepth))
            return e;
        sum += c->length;
    }
    if (sum != node.length)
        return fail(QStringLiteral("cached length %1 != sum of children %2").arg(node.length).arg(sum));
    return std::nullopt;
}

} // namespace

struct Rope::Impl
{
    std::unique_ptr<Node> root = Node::makeLeaf(QString());

    // Restores the root's bounds after an edit: grow a level while it is overfull, shrink while it has
    // a single child.
    void fixRoot()
    {
        while (root->isOverfull()) {
            auto pieces = splitNode(std::move(root));
            root = Node::makeInner(std::move(pieces));
        }
        while (!root->isLeaf && root->children.size() <= 1) {
            if (root->children.empty())
                root = Node::makeLeaf(QString());
            else
                root = std::move(root->children.front());
        }
    }
};

Rope::Rope() : d(std::make_unique<Impl>()) {}

Rope::Rope(QStringView text) : d(std::make_unique<Impl>())
{
    d->root = Node::makeLeaf(text.toString());
    d->fixRoot();
}

Rope::Rope(const Rope &other) : d(std::make_unique<Impl>())
{
    d->root = other.d->root->clone();
}

Rope &Rope::operator=(const Rope &other)
{
    if (this != &other)
        d->root = other.d->root->clone();
    return *this;
}

// A moved-from rope is left empty but valid.
Rope::Rope(Rope &&other) noexcept : d(std::make_unique<Impl>())
{
    std::swap(d, other.d);
}

Rope &Rope::operator=(Rope &&other) noexcept
{
    std::swap(d, other.d);
    return *this;
}

Rope::~Rope() = default;

qsizetype Rope::length() const
{
    return d->root->length;
}

char16_t Rope::at(qsizetype index) const
{
    if (index < 0 || index >= length())
        return 0;
    return charAt(d->root.get(), index);
}

QString Rope::mid(qsizetype position, qsizetype n) const
{
    position = std::clamp<qsizetype>(position, 0, length());
    if (n < 0 || n > length() - position)
        n = length() - position;
    QString out;
    out.reserve(n);
    collect(*d->root, position, n, out);
    return out;
}

QString Rope::toString() const
{
    return mid(0, length());
}

void Rope::insert(qsizetype position, QStringView text)
{
    if (text.isEmpty())
        return;
    position = std::clamp<qsizetype>(position, 0, length());
    insertAt(*d->root, position, text);
    d->fixRoot();
}

void Rope::remove(qsizetype position, qsizetype n)
{
    position = std::clamp<qsizetype>(position, 0, length());
    n = std::min(n, length() - position);
    if (n <= 0)
        return;
    removeAt(*d->root, position, n);
    d->fixRoot();
}

std::optional<Error> Rope::apply(const TextOperation &op)
{
    const qsizetype len = length();
    if (op.baseLength() != len) {
        return Error{ErrorCode::BaseLengthMismatch,
                     QStringLiteral("operation base length %1 differs from the document length %2")
                             .arg(op.baseLength())
                             .arg(len)};
    }
    // Validate everything before the first change, so a bad operation leaves the rope untouched.
    const auto splitsPair = [&](qsizetype p) {
        return p > 0 && p < len && QChar::isHighSurrogate(at(p - 1)) && QChar::isLowSurrogate(at(p));
    };
    const auto splitError = [](qsizetype p) {
        return Error{ErrorCode::SplitsSurrogatePair,
                     QStringLiteral("operation boundary at position %1 splits a surrogate pair").arg(p)};
    };
    qsizetype base = 0;
    qsizetype checked = -1; // an insert starts and ends at the same base position: look there once
    for (const auto &c : op.components()) {
        if (base != checked && splitsPair(base))
            return splitError(base);
        checked = base;
        if (c.kind != TextOperation::Kind::Insert)
            base += c.length;
    }
    if (base != checked && splitsPair(base))
        return splitError(base);

    qsizetype position = 0; // in the text as edited so far
    for (const auto &c : op.components()) {
        switch (c.kind) {
        case TextOperation::Kind::Retain:
            position += c.length;
            break;
        case TextOperation::Kind::Insert:
            insert(position, c.text);
            position += c.text.size();
            break;
        case TextOperation::Kind::Delete:
            remove(position, c.length);
            break;
        }
    }
    return std::nullopt;
}

TextOperation Rope::invert(const TextOperation &op) const
{
    TextOperation inverse;
    qsizetype position = 0;
    for (const auto &c : op.components()) {
        switch (c.kind) {
        case TextOperation::Kind::Retain:
            inverse.retain(c.length);
            position += c.length;
            break;
        case TextOperation::Kind::Insert:
            inverse.remove(c.text.size());
            break;
        case TextOperation::Kind::Delete:
            inverse.insert(mid(position, c.length));
            position += c.length;
            break;
        }
    }
    return inverse;
}

std::optional<QString> Rope::invariantViolation() const
{
    int leafDepth = -1;
    return checkNode(*d->root, true, 1, leafDepth);
}

int Rope::height() const
{
    int h = 1;
    for (const Node *node = d->root.get(); !node->isLeaf; node = node->children.front().get())
        ++h;
    return h;
}

} // namespace collab
