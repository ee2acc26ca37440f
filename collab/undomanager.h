// SPDX-License-Identifier: MIT
#pragma once

#include "textoperation.h"

#include <QString>

#include <optional>
#include <vector>

namespace collab {

class Rope;

// UndoManager: undo and redo of the local user's own edits only, as ot.js's UndoManager. Stacks hold
// inverse operations against the current document; every remote operation transforms both stacks so an
// undo never touches other people's text and still applies to the document as it is now.
//
// Grouping: consecutive typing (or consecutive deletes) within groupInterval of each other, each continuing
// where the previous edit ended, composes into one undo step; a newline, a jump or a pause starts a new one.
// Typing continues at the end of the previous insert; a delete continues a run of deletes when it ends where
// the previous one happened (backspace) or starts there (forward delete). An insert beginning with a newline
// always starts a new step. addInverse() composes only when the caller asks and the pause is short enough.
//
// Invariants: the top of the undo stack applies to the current document, each entry below it to the document
// after undoing the ones above; likewise for redo. At most maxItems entries per stack (the oldest go first).
class UndoManager
{
public:
    explicit UndoManager(int maxItems = 500, qint64 groupIntervalMs = 1000);

    // A local edit was applied; doc is the text before it (to compute the inverse). timestampMs groups typing.
    // Operations that change nothing are ignored; one whose base length differs from docBefore clears the
    // history (it could not be undone correctly). Any new edit clears the redo stack.
    void addLocal(const TextOperation &op, const QString &docBefore, qint64 timestampMs);
    // Same, with op's inverse already known (an editor binding computes it from the edited range alone, so a
    // keystroke does not copy the document). One whose lengths do not mirror op's clears the history.
    void addLocal(const TextOperation &op, const TextOperation &inverse, qint64 timestampMs);
    // Same, with the inverse already known (e.g. from a Rope).
    void addInverse(const TextOperation &inverse, qint64 timestampMs, bool compose);

    // A remote operation was applied: transform both stacks through it.
    void transformRemote(const TextOperation &op);

    bool canUndo() const { return !m_undo.empty(); }
    bool canRedo() const { return !m_redo.empty(); }

    // The operation to apply (and send as a normal local edit) to undo / redo one step. The caller applies
    // it and must NOT call addLocal for it: these calls move the inverse to the other stack themselves.
    // docNow is the current text, needed to invert. std::nullopt when there is nothing to undo / redo or
    // docNow's length does not fit the step (a caller bug; the stacks are left untouched).
    std::optional<TextOperation> undo(const QString &docNow);
    std::optional<TextOperation> redo(const QString &docNow);
    // Same on a Rope: O(log n + step) rather than a copy of the document.
    std::optional<TextOperation> undo(const Rope &docNow);
    std::optional<TextOperation> redo(const Rope &docNow);

    // Stop composing into the current step (e.g. after the caret moved by a click).
    void breakGroup() { m_lastTimestamp = -1; }
    void clear();

    int undoDepth() const { return int(m_undo.size()); }
    int redoDepth() const { return int(m_redo.size()); }

private:
    // What the last grouped edit was and where it left the caret (kept current through remote operations),
    // so the next edit can tell whether it continues it.
    enum class EditKind { None, Insert, Delete };

    void push(std::vector<TextOperation> &stack, TextOperation op);
    // Pop the top of `from` if it applies to a document of docLength, push its inverse onto `to`.
    template<typename Invert>
    std::optional<TextOperation> step(std::vector<TextOperation> &from, std::vector<TextOperation> &to,
                                      qsizetype docLength, Invert invert);

    int m_maxItems;
    qint64 m_groupInterval;
    qint64 m_lastTimestamp = -1;
    EditKind m_lastKind = EditKind::None;
    qsizetype m_lastCaret = 0;
    std::vector<TextOperation> m_undo;
    std::vector<TextOperation> m_redo;
};

} // namespace collab
