// SPDX-License-Identifier: MIT
#pragma once

#include "expected.h"

#include <QJsonArray>
#include <QJsonValue>
#include <QSharedData>
#include <QVarLengthArray>
#include <QString>

#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace collab {

template<typename Unit>
class BasicJsonWriter;
using JsonWriter = BasicJsonWriter<char>;
using TextJsonWriter = BasicJsonWriter<char16_t>;

// TextOperation: an edit of a whole document, as a sequence of components that walk over it from start to end:
//   retain(n)  keep the next n code units,
//   insert(s)  insert s at the current position,
//   remove(n)  delete the next n code units ("delete" in ot.js; a keyword here).
// Lengths count UTF-16 code units, the units of QString indices.
//
// Invariants (kept by the builder methods, so every TextOperation is normalized):
//   - no empty component; adjacent components of the same kind are merged;
//   - an insert directly next to a delete is placed before it (insert-then-delete), so two operations
//     with the same effect have the same components (ot.js's rule, which makes JSON equal byte for byte);
//   - baseLength()  = sum of retains and deletes: the length of the document it applies to;
//     targetLength() = sum of retains and inserts: the length of the result.
// The JSON form is ot.js's: [5, "abc", -2] = retain 5, insert "abc", delete 2.
class TextOperation
{
public:
    enum class Kind { Retain, Insert, Delete };
    struct Component
    {
        Kind kind;
        qsizetype length; // for inserts, text.size()
        QString text;     // inserts only
        bool operator==(const Component &) const = default;
    };

    TextOperation() = default;

    TextOperation &retain(qsizetype n);
    TextOperation &insert(const QString &text);
    TextOperation &remove(qsizetype n);

    // The components in order (a view into this operation: valid while it lives and is not changed).
    using Components = std::span<const Component>;
    Components components() const
    {
        const Data *data = d.constData();
        return data ? Components(data->components.constData(), std::size_t(data->components.size()))
                    : Components();
    }
    qsizetype baseLength() const { return m_baseLength; }
    qsizetype targetLength() const { return m_targetLength; }

    // True when applying it changes nothing (only retains, or empty).
    bool isNoop() const;

    // The document after this operation. Fails if the base length differs from doc.size() or a component
    // boundary would split a surrogate pair of doc.
    Expected<QString> apply(const QString &doc) const;

    // An error if some boundary of this operation (a position where a retain, insert or delete starts or
    // ends) falls between the high and low half of a surrogate pair of doc; std::nullopt if it is safe.
    // Inserted text itself is not checked here (a lone surrogate in an insert is the sender's business).
    std::optional<Error> checkSurrogates(const QString &doc) const;

    // compose(a, b): one operation with the effect of a then b. Requires a.targetLength() == b.baseLength().
    Expected<TextOperation> compose(const TextOperation &next) const;

    // transform(a, b) for concurrent a and b on the same document returns (a', b') with
    //   apply(apply(S, a), b') == apply(apply(S, b), a').
    //
    //            S
    //       a  /   \  b
    //         v     v
    //        Sa     Sb
    //      b' \     / a'
    //          v   v
    //           S'
    //
    // When both insert at the same position, a's insert goes first (ot.js's tie-break).
    static Expected<std::pair<TextOperation, TextOperation>> transform(const TextOperation &a,
                                                                       const TextOperation &b);

    // The operation that undoes this one; doc is the document this operation was applied to.
    TextOperation invert(const QString &doc) const;

    // ot.js's heuristics for grouping consecutive edits into one undo step.
    bool shouldBeComposedWith(const TextOperation &next) const;
    bool shouldBeComposedWithInverted(const TextOperation &next) const;

    QJsonArray toJson() const;
    // Compact JSON text of toJson(), e.g. [5,"abc",-2].
    QByteArray toJsonBytes() const;
    // The same, as text (what QtSql and QWebSocket take).
    QString toJsonText() const;
    // Writes the same JSON array as the next value of w (the per-keystroke encoders use it).
    void writeJson(JsonWriter &w) const;
    void writeJson(TextJsonWriter &w) const;
    // Strict: every element an integer (|n| in [1, 2^31-1]) or a non-empty string without a lone surrogate;
    // errors name the element (and, for a lone surrogate, its offset and document position).
    static Expected<TextOperation> fromJson(const QJsonValue &json);
    static Expected<TextOperation> fromJsonBytes(const QByteArray &json);
    static Expected<TextOperation> fromJsonText(QStringView json);
    // The rules for one element `index` of the JSON form, for every reader of it (fromJson here, the protocol
    // codec's in jsonreader.cpp): append a count (retain > 0, delete < 0) or an insert; on a broken rule,
    // the reason, and the operation is unchanged.
    std::optional<QString> appendJsonCount(double count, qsizetype index);
    std::optional<QString> appendJsonCount(qint64 count, qsizetype index); // the same, for a JSON integer
    std::optional<QString> appendJsonInsert(const QString &text, qsizetype index);

    bool operator==(const TextOperation &other) const;

    // The index of the first code unit of text that is half of a surrogate pair without its other half.
    static std::optional<qsizetype> loneSurrogate(QStringView text);

    // The bytes of writeJson()'s output (exact for what JsonWriter writes), and of one quoted string.
    qint64 encodedSize() const;
    static qint64 encodedSize(QStringView text);

    // Split into (first, rest) with first.compose(rest) == *this and first.encodedSize() <= maxBytes, first
    // changing something: how a client sends an edit larger than the relay's message limit as consecutive
    // operations (rest may still be too large: split it again). Inserts are cut between characters, never
    // inside a surrogate pair. Where maxBytes is too small for any change, first holds the smallest one.
    // With maxComponents, first also has at most that many components (at least three).
    std::pair<TextOperation, TextOperation> splitToFit(
            qint64 maxBytes, qsizetype maxComponents = std::numeric_limits<qsizetype>::max()) const;

    // Convenience constructors for the common single-edit cases (used by bindings and tests).
    static TextOperation makeInsert(qsizetype docLength, qsizetype position, const QString &text);
    static TextOperation makeDelete(qsizetype docLength, qsizetype position, qsizetype length);
    static TextOperation makeReplace(qsizetype docLength, qsizetype position, qsizetype removed,
                                     const QString &inserted);
    // The single replace that turns `from` into `to`: the common prefix and suffix are kept, and a
    // surrogate pair is never split.
    static TextOperation makeDiff(const QString &from, const QString &to);
    // Where this operation's inserts are in its result: [start, end) ranges of the target, in order.
    std::vector<std::pair<qsizetype, qsizetype>> insertedRanges() const;

    QString toDebugString() const;

private:
    // The components are shared between copies until one of them changes (copy on write): operations are
    // copied on every hop (log entry, receipt, broadcast, client state), and a copy is then one atomic
    // increment instead of a vector and its strings. Up to three components (a keystroke: retain, insert or
    // delete, retain) live inside the one allocation.
    using Storage = QVarLengthArray<Component, 3>;
    struct Data : QSharedData
    {
        Storage components;
    };
    Storage &mutableComponents();

    QSharedDataPointer<Data> d;
    qsizetype m_baseLength = 0;
    qsizetype m_targetLength = 0;
};

// a1 . a2 . ... . an composed as the operations arrive, in a balanced tree (a binary counter: a part is
// composed with the one before it once that holds no more operations than itself). Composing left to right
// rewalks the growing result every time (a keystroke into n scattered edits costs O(n)); here every level of
// the tree costs about the total size once, so an operation costs amortized O(log n) parts, and only log n
// parts are alive at once. Used for the offline buffer, a batch catch-up's operations to apply, and the
// local store's journal of edits.
class OperationComposer
{
public:
    // Fails (and changes nothing) unless op applies to the composition so far.
    std::optional<Error> add(TextOperation op);
    bool isEmpty() const { return m_parts.empty(); }
    // The target length of the composition so far (its base length is that of the first operation).
    qsizetype targetLength() const { return m_parts.empty() ? 0 : m_parts.back().operation.targetLength(); }
    // The composition; the composer is empty after. An empty composer gives a no-op of length 0.
    TextOperation take();

private:
    struct Part
    {
        TextOperation operation;
        size_t count = 0; // operations composed into it
    };
    std::vector<Part> m_parts;
};

} // namespace collab
