// SPDX-License-Identifier: MIT
#include "undomanager.h"

#include "rope.h"
#include "selection.h"

#include <algorithm>

namespace collab {

namespace {

// An operation seen as a single edit: one insert or one delete, with retains only around it.
struct SingleEdit
{
    enum class Kind { Other, Insert, Delete } kind = Kind::Other;
    qsizetype position = 0;
    qsizetype length = 0;
    QString text;
};

SingleEdit singleEdit(const TextOperation &op)
{
    SingleEdit edit;
    qsizetype position = 0;
    for (const TextOperation::Component &c : op.components()) {
        if (c.kind == TextOperation::Kind::Retain) {
            position += c.length;
            continue;
        }
        if (edit.kind != SingleEdit::Kind::Other)
            return SingleEdit{}; // a second edit: not a simple one
        edit.kind = c.kind == TextOperation::Kind::Insert ? SingleEdit::Kind::Insert : SingleEdit::Kind::Delete;
        edit.position = position;
        edit.length = c.length;
        edit.text = c.text;
        if (c.kind == TextOperation::Kind::Delete)
            position += c.length;
    }
    return edit;
}

// ot.js's transformStack: walk from the top (which applies to the current document) down, transforming
// each entry against the remote operation and the remote operation against it, so it reaches the document
// the next entry applies to. Entries that become no-ops (their text was deleted remotely) are dropped.
//
//                 o                 document the entry applies to
//       stack[i] /   \ remote
//               o     o             (now)
//   remote' to   \   / stack[i]'
//   stack[i-1]     o
bool transformStack(std::vector<TextOperation> &stack, const TextOperation &op)
{
    std::vector<TextOperation> result;
    result.reserve(stack.size());
    TextOperation remote = op;
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
        auto pair = TextOperation::transform(*it, remote);
        if (!pair)
            return false;
        if (!pair->first.isNoop())
            result.push_back(std::move(pair->first));
        remote = std::move(pair->second);
    }
    std::reverse(result.begin(), result.end());
    stack = std::move(result);
    return true;
}

} // namespace

UndoManager::UndoManager(int maxItems, qint64 groupIntervalMs)
    : m_maxItems(std::max(1, maxItems)), m_groupInterval(groupIntervalMs)
{
}

void UndoManager::push(std::vector<TextOperation> &stack, TextOperation op)
{
    stack.push_back(std::move(op));
    if (stack.size() > size_t(m_maxItems))
        stack.erase(stack.begin(), stack.begin() + (stack.size() - size_t(m_maxItems)));
}

void UndoManager::addLocal(const TextOperation &op, const QString &docBefore, qint64 timestampMs)
{
    if (op.isNoop())
        return;
    if (op.baseLength() != docBefore.size()) {
        // The caller lost track of the document; an inverse computed from the wrong text would undo into
        // garbage, and later steps could not apply either. Start afresh.
        clear();
        return;
    }
    addLocal(op, op.invert(docBefore), timestampMs);
}

void UndoManager::addLocal(const TextOperation &op, const TextOperation &inverse, qint64 timestampMs)
{
    if (op.isNoop())
        return;
    if (inverse.baseLength() != op.targetLength() || inverse.targetLength() != op.baseLength()) {
        clear(); // not op's inverse: as a wrong document above
        return;
    }
    const SingleEdit edit = singleEdit(op);
    const bool inTime = m_lastTimestamp >= 0 && !m_undo.empty() && timestampMs >= m_lastTimestamp
        && timestampMs - m_lastTimestamp <= m_groupInterval;
    bool continues = false;
    if (inTime && edit.kind == SingleEdit::Kind::Insert && m_lastKind == EditKind::Insert)
        continues = edit.position == m_lastCaret && !edit.text.startsWith(QLatin1Char('\n'));
    else if (inTime && edit.kind == SingleEdit::Kind::Delete && m_lastKind == EditKind::Delete)
        continues = edit.position + edit.length == m_lastCaret || edit.position == m_lastCaret;

    addInverse(inverse, timestampMs, continues);

    switch (edit.kind) {
    case SingleEdit::Kind::Insert:
        m_lastKind = EditKind::Insert;
        m_lastCaret = edit.position + edit.length;
        break;
    case SingleEdit::Kind::Delete:
        m_lastKind = EditKind::Delete;
        m_lastCaret = edit.position;
        break;
    case SingleEdit::Kind::Other:
        m_lastKind = EditKind::None;
        break;
    }
}

void UndoManager::addInverse(const TextOperation &inverse, qint64 timestampMs, bool compose)
{
    m_redo.clear();
    m_lastKind = EditKind::None;
    const bool inTime = m_lastTimestamp >= 0 && timestampMs >= m_lastTimestamp
        && timestampMs - m_lastTimestamp <= m_groupInterval;
    m_lastTimestamp = timestampMs;
    if (compose && inTime && !m_undo.empty()) {
        // The new inverse takes the document back to before this edit, where the old top starts.
        Expected<TextOperation> composed = inverse.compose(m_undo.back());
        if (composed) {
            m_undo.back() = std::move(composed.value());
            return;
        }
    }
    push(m_undo, inverse);
}

void UndoManager::transformRemote(const TextOperation &op)
{
    const size_t undoDepth = m_undo.size();
    if (!transformStack(m_undo, op) || !transformStack(m_redo, op)) {
        // The operation does not fit our stacks (the caller lost track of the document): drop history
        // rather than undo into the wrong text.
        clear();
        return;
    }
    if (m_undo.size() != undoDepth) {
        breakGroup(); // the step being typed into may be gone; never compose into an older one
        m_lastKind = EditKind::None;
    }
    if (m_lastKind != EditKind::None)
        m_lastCaret = Selection::transformIndex(m_lastCaret, op, false);
}

template<typename Invert>
std::optional<TextOperation> UndoManager::step(std::vector<TextOperation> &from, std::vector<TextOperation> &to,
                                               qsizetype docLength, Invert invert)
{
    if (from.empty() || from.back().baseLength() != docLength)
        return std::nullopt;
    TextOperation op = std::move(from.back());
    from.pop_back();
    push(to, invert(op));
    breakGroup();
    m_lastKind = EditKind::None;
    return op;
}

std::optional<TextOperation> UndoManager::undo(const QString &docNow)
{
    return step(m_undo, m_redo, docNow.size(), [&](const TextOperation &op) { return op.invert(docNow); });
}

std::optional<TextOperation> UndoManager::redo(const QString &docNow)
{
    return step(m_redo, m_undo, docNow.size(), [&](const TextOperation &op) { return op.invert(docNow); });
}

std::optional<TextOperation> UndoManager::undo(const Rope &docNow)
{
    return step(m_undo, m_redo, docNow.length(), [&](const TextOperation &op) { return docNow.invert(op); });
}

std::optional<TextOperation> UndoManager::redo(const Rope &docNow)
{
    return step(m_redo, m_undo, docNow.length(), [&](const TextOperation &op) { return docNow.invert(op); });
}

void UndoManager::clear()
{
    m_undo.clear();
    m_redo.clear();
    breakGroup();
    m_lastKind = EditKind::None;
}

} // namespace collab
