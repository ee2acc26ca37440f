// SPDX-License-Identifier: MIT
#include "undomanager.h"

#include "generators.h"
#include "rope.h"

#include <QTest>

using collab::TextOperation;
using collab::UndoManager;

namespace {

// A local edit: the operation and the document it applies to, applied to `doc` and recorded.
void edit(UndoManager &undo, QString &doc, const TextOperation &op, qint64 timestamp)
{
    const auto after = op.apply(doc);
    RC_ASSERT(after.hasValue());
    undo.addLocal(op, doc, timestamp);
    doc = *after;
}

// Apply an undo or redo result to doc; false when there was nothing to do.
bool step(std::optional<TextOperation> op, QString &doc)
{
    if (!op)
        return false;
    const auto after = op->apply(doc);
    RC_ASSERT(after.hasValue());
    doc = *after;
    return true;
}

// A character generated text never contains, for text inserted by "other people".
const QChar remoteMark(0x00AE);

rc::Gen<qsizetype> genPosition(const QString &doc)
{
    std::vector<qsizetype> safe;
    for (qsizetype i = 0; i <= doc.size(); ++i)
        if (!splitsPair(doc, i))
            safe.push_back(i);
    return rc::gen::elementOf(safe);
}

} // namespace

class tst_UndoManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void grouping_data();
    void grouping();
    void newEditClearsRedo();
    void maxItemsCapsStack();
    void undoKeepsRemoteText();
    void remoteDeleteOfOwnTextDropsStep();
    void wrongDocumentIsRefused();
    void wrongInverseIsRefused();

    void propertyUndoAllRestores();
    void propertyUndoRedoRoundTrip();
    void propertyUndoOnlyOwnEdits();
    void propertyInverseAndRopeFormsMatchTextForms();
    void propertyRestoreThenUndoGivesTheTextBefore();
};

// Each edit: "i:<pos>:<text>@<ms>" inserts, "d:<pos>:<n>@<ms>" deletes, "break" calls breakGroup().
// Group interval 1000 ms. `afterOneUndo` is the text after a single undo.
void tst_UndoManager::grouping_data()
{
    QTest::addColumn<QString>("initial");
    QTest::addColumn<QStringList>("edits");
    QTest::addColumn<int>("steps");
    QTest::addColumn<QString>("afterOneUndo");

    QTest::newRow("typing is one step") << "" << QStringList{"i:0:a@0", "i:1:b@100", "i:2:c@200"} << 1 << "";
    QTest::newRow("pause starts a step")
        << "" << QStringList{"i:0:a@0", "i:1:b@100", "i:2:c@1500"} << 2 << "ab";
    QTest::newRow("interval is between keystrokes")
        << "" << QStringList{"i:0:a@0", "i:1:b@900", "i:2:c@1800"} << 1 << "";
    QTest::newRow("jump starts a step") << "xy" << QStringList{"i:0:a@0", "i:1:b@100", "i:4:c@200"} << 2 << "abxy";
    QTest::newRow("newline starts a step")
        << "" << QStringList{"i:0:ab@0", "i:2:\n@100", "i:3:cd@200"} << 2 << "ab";
    QTest::newRow("backspace run") << "abcdef" << QStringList{"d:5:1@0", "d:4:1@100", "d:3:1@200"} << 1 << "abcdef";
    QTest::newRow("forward delete run") << "abcdef" << QStringList{"d:2:1@0", "d:2:1@100", "d:2:2@200"} << 1
                                        << "abcdef";
    QTest::newRow("delete elsewhere starts a step") << "abcdef" << QStringList{"d:5:1@0", "d:1:1@100"} << 2 << "abcde";
    QTest::newRow("insert then delete") << "" << QStringList{"i:0:abc@0", "d:2:1@100"} << 2 << "abc";
    QTest::newRow("delete then insert") << "abc" << QStringList{"d:2:1@0", "i:2:x@100"} << 2 << "ab";
    QTest::newRow("breakGroup") << "" << QStringList{"i:0:a@0", "break", "i:1:b@100"} << 2 << "a";
    QTest::newRow("emoji typing") << "" << QStringList{"i:0:\U0001F600@0", "i:2:\U0001F601@100"} << 1 << "";
}

void tst_UndoManager::grouping()
{
    QFETCH(QString, initial);
    QFETCH(QStringList, edits);
    QFETCH(int, steps);
    QFETCH(QString, afterOneUndo);

    UndoManager undo(500, 1000);
    QString doc = initial;
    for (const QString &e : edits) {
        if (e == QLatin1String("break")) {
            undo.breakGroup();
            continue;
        }
        const qsizetype at = e.lastIndexOf(QLatin1Char('@'));
        const QStringList parts = e.left(at).split(QLatin1Char(':'));
        QCOMPARE(parts.size(), 3);
        const qint64 ms = e.mid(at + 1).toLongLong();
        const qsizetype pos = parts[1].toLongLong();
        const TextOperation op = parts[0] == QLatin1String("i")
            ? TextOperation::makeInsert(doc.size(), pos, parts[2])
            : TextOperation::makeDelete(doc.size(), pos, parts[2].toLongLong());
        const auto after = op.apply(doc);
        QVERIFY(after.hasValue());
        undo.addLocal(op, doc, ms);
        doc = *after;
    }
    QCOMPARE(undo.undoDepth(), steps);
    const auto op = undo.undo(doc);
    QVERIFY(op.has_value());
    const auto after = op->apply(doc);
    QVERIFY(after.hasValue());
    QCOMPARE(*after, afterOneUndo);
}

void tst_UndoManager::newEditClearsRedo()
{
    UndoManager undo;
    QString doc = QStringLiteral("abc");
    const TextOperation op = TextOperation::makeInsert(3, 3, QStringLiteral("d"));
    undo.addLocal(op, doc, 0);
    doc = *op.apply(doc);
    doc = *undo.undo(doc)->apply(doc);
    QVERIFY(undo.canRedo());
    const TextOperation other = TextOperation::makeInsert(3, 0, QStringLiteral("z"));
    undo.addLocal(other, doc, 5000);
    QVERIFY(!undo.canRedo());
    QCOMPARE(undo.undoDepth(), 1);
}

void tst_UndoManager::maxItemsCapsStack()
{
    UndoManager undo(3, 1000);
    QString doc;
    for (int i = 0; i < 6; ++i) {
        const TextOperation op = TextOperation::makeInsert(doc.size(), 0, QString::number(i));
        undo.addLocal(op, doc, i * 10'000); // far apart: one step each
        doc = *op.apply(doc);
    }
    QCOMPARE(undo.undoDepth(), 3);
    while (undo.canUndo())
        doc = *undo.undo(doc)->apply(doc);
    QCOMPARE(doc, QStringLiteral("210")); // the three oldest steps are no longer undoable
}

void tst_UndoManager::undoKeepsRemoteText()
{
    UndoManager undo;
    QString doc = QStringLiteral("hello");
    const TextOperation mine = TextOperation::makeInsert(5, 5, QStringLiteral(" world"));
    undo.addLocal(mine, doc, 0);
    doc = *mine.apply(doc); // "hello world"
    const TextOperation theirs = TextOperation::makeInsert(doc.size(), 8, QStringLiteral("XX"));
    doc = *theirs.apply(doc); // "hello woXXrld"
    undo.transformRemote(theirs);
    doc = *undo.undo(doc)->apply(doc);
    QCOMPARE(doc, QStringLiteral("helloXX"));
    doc = *undo.redo(doc)->apply(doc);
    QCOMPARE(doc, QStringLiteral("hello woXXrld"));
}

void tst_UndoManager::remoteDeleteOfOwnTextDropsStep()
{
    UndoManager undo;
    QString doc = QStringLiteral("ab");
    const TextOperation first = TextOperation::makeInsert(2, 0, QStringLiteral("1"));
    undo.addLocal(first, doc, 0);
    doc = *first.apply(doc); // "1ab"
    const TextOperation second = TextOperation::makeInsert(3, 3, QStringLiteral("2"));
    undo.addLocal(second, doc, 10'000);
    doc = *second.apply(doc); // "1ab2"
    const TextOperation theirs = TextOperation::makeDelete(4, 3, 1); // deletes our "2"
    doc = *theirs.apply(doc);
    undo.transformRemote(theirs);
    QCOMPARE(undo.undoDepth(), 1); // nothing left to undo of the second step
    doc = *undo.undo(doc)->apply(doc);
    QCOMPARE(doc, QStringLiteral("ab"));
}

void tst_UndoManager::wrongDocumentIsRefused()
{
    UndoManager undo;
    undo.addLocal(TextOperation::makeInsert(0, 0, QStringLiteral("x")), QString(), 0);
    QVERIFY(!undo.undo(QStringLiteral("too long")).has_value());
    QVERIFY(undo.canUndo()); // nothing was lost
    QVERIFY(undo.undo(QStringLiteral("x")).has_value());

    // An edit recorded against the wrong text cannot be inverted: history is dropped, not corrupted.
    UndoManager other;
    other.addLocal(TextOperation::makeInsert(1, 0, QStringLiteral("x")), QStringLiteral("y"), 0);
    other.addLocal(TextOperation::makeInsert(5, 0, QStringLiteral("x")), QStringLiteral("xy"), 100);
    QVERIFY(!other.canUndo());
    QVERIFY(!other.canRedo());
}

void tst_UndoManager::wrongInverseIsRefused()
{
    UndoManager undo;
    undo.addLocal(TextOperation::makeInsert(2, 0, QStringLiteral("x")), QStringLiteral("ab"), 0);
    QVERIFY(undo.canUndo());
    // Not the inverse of the edit (its lengths do not mirror it): the history cannot be trusted any more.
    const TextOperation op = TextOperation::makeInsert(3, 3, QStringLiteral("y"));
    undo.addLocal(op, TextOperation::makeDelete(5, 0, 1), 10'000);
    QVERIFY(!undo.canUndo());
    QVERIFY(!undo.canRedo());
}

void tst_UndoManager::propertyUndoAllRestores()
{
    QVERIFY(rc::check("undoing every local edit restores the original text; redoing all restores the last", [] {
        const QString initial = *genText();
        const int count = *rc::gen::inRange(0, 25);
        UndoManager undo(500, 1000);
        QString doc = initial;
        qint64 now = 0;
        for (int i = 0; i < count; ++i) {
            now += *rc::gen::element<qint64>(10, 300, 5000);
            edit(undo, doc, *genOperation(doc), now);
            if (*rc::gen::element(0, 0, 0, 1) == 1)
                undo.breakGroup();
        }
        const QString last = doc;
        while (step(undo.undo(doc), doc)) {
        }
        RC_ASSERT(doc == initial);
        while (step(undo.redo(doc), doc)) {
        }
        RC_ASSERT(doc == last);
    }));
}

void tst_UndoManager::propertyUndoRedoRoundTrip()
{
    QVERIFY(rc::check("k undos then k redos give the same text; undos retrace the history", [] {
        QString doc = *genText();
        const int count = *rc::gen::inRange(1, 15);
        UndoManager undo(500, 1000);
        std::vector<QString> history{doc};
        for (int i = 0; i < count; ++i) {
            const TextOperation op = *genOperation(doc);
            edit(undo, doc, op, qint64(i) * 10'000); // far apart: one step per edit
            if (!op.isNoop())
                history.push_back(doc); // only-retain operations are not steps (a replace by the same text is)
        }
        RC_ASSERT(undo.undoDepth() == int(history.size()) - 1);
        const int k = *rc::gen::inRange(0, undo.undoDepth() + 1);
        const QString last = doc;
        for (int i = 0; i < k; ++i) {
            RC_ASSERT(step(undo.undo(doc), doc));
            RC_ASSERT(doc == history[history.size() - 2 - size_t(i)]);
        }
        for (int i = 0; i < k; ++i)
            RC_ASSERT(step(undo.redo(doc), doc));
        RC_ASSERT(doc == last);
        RC_ASSERT(!undo.canRedo());
    }));
}

void tst_UndoManager::propertyUndoOnlyOwnEdits()
{
    QVERIFY(rc::check("with remote inserts interleaved, undoing everything removes only own edits", [] {
        const QString initial = *genText();
        const int count = *rc::gen::inRange(0, 25);
        UndoManager undo(500, 1000);
        QString doc = initial;
        qsizetype remoteInserted = 0;
        qint64 now = 0;
        for (int i = 0; i < count; ++i) {
            now += *rc::gen::element<qint64>(10, 300, 5000);
            if (*rc::gen::arbitrary<bool>()) {
                edit(undo, doc, *genOperation(doc), now);
            } else {
                // Another participant inserts some marks (already transformed to our document).
                const qsizetype n = *rc::gen::inRange<qsizetype>(1, 4);
                const TextOperation theirs = TextOperation::makeInsert(doc.size(), *genPosition(doc),
                                                                       QString(n, remoteMark));
                doc = *theirs.apply(doc);
                undo.transformRemote(theirs);
                remoteInserted += n;
            }
        }
        while (step(undo.undo(doc), doc)) {
        }
        RC_ASSERT(doc.count(remoteMark) == remoteInserted);
        QString withoutRemote = doc;
        withoutRemote.remove(remoteMark);
        RC_ASSERT(withoutRemote == initial);
    }));
}

void tst_UndoManager::propertyInverseAndRopeFormsMatchTextForms()
{
    QVERIFY(rc::check("addLocal(op, inverse) and undo/redo(Rope) do what the QString forms do", [] {
        QString doc = *genText();
        collab::Rope rope(doc);
        UndoManager byText(500, 1000);
        UndoManager byInverse(500, 1000);
        const int count = *rc::gen::inRange(0, 30);
        qint64 now = 0;
        for (int i = 0; i < count; ++i) {
            now += *rc::gen::element<qint64>(10, 300, 5000);
            switch (*rc::gen::inRange(0, 6)) {
            case 0: { // undo
                const std::optional<TextOperation> a = byText.undo(doc);
                const std::optional<TextOperation> b = byInverse.undo(rope);
                RC_ASSERT(a == b);
                if (a) {
                    doc = *a->apply(doc);
                    RC_ASSERT(!rope.apply(*b));
                }
                break;
            }
            case 1: { // redo
                const std::optional<TextOperation> a = byText.redo(doc);
                const std::optional<TextOperation> b = byInverse.redo(rope);
                RC_ASSERT(a == b);
                if (a) {
                    doc = *a->apply(doc);
                    RC_ASSERT(!rope.apply(*b));
                }
                break;
            }
            case 2: { // someone else's insert
                const TextOperation theirs =
                    TextOperation::makeInsert(doc.size(), *genPosition(doc), QString(2, remoteMark));
                doc = *theirs.apply(doc);
                RC_ASSERT(!rope.apply(theirs));
                byText.transformRemote(theirs);
                byInverse.transformRemote(theirs);
                break;
            }
            default: { // an own edit, as the editor binding reports it: with its inverse from the rope
                const TextOperation op = *genOperation(doc);
                byText.addLocal(op, doc, now);
                byInverse.addLocal(op, rope.invert(op), now);
                doc = *op.apply(doc);
                RC_ASSERT(!rope.apply(op));
                break;
            }
            }
            RC_ASSERT(rope.toString() == doc);
            RC_ASSERT(byText.undoDepth() == byInverse.undoDepth());
            RC_ASSERT(byText.redoDepth() == byInverse.redoDepth());
        }
        while (true) {
            const std::optional<TextOperation> a = byText.undo(doc);
            RC_ASSERT(a == byInverse.undo(rope));
            if (!a)
                break;
            doc = *a->apply(doc);
            RC_ASSERT(!rope.apply(*a));
        }
    }));
}

QTEST_GUILESS_MAIN(tst_UndoManager)
// History › Restore (ui/historypanel.cpp): the text becomes an older one as one replace from the current text
// (TextOperation::makeDiff), recorded as the restorer's edit. Undoing it gives back the text before the restore;
// with others' inserts in between, it gives that text with their inserts kept. Random texts, random past
// versions (a random edit history of the text), random interleavings.
void tst_UndoManager::propertyRestoreThenUndoGivesTheTextBefore()
{
    QVERIFY(rc::check("restore then undo gives back the text before the restore", [] {
        QString older = *genText();
        QString doc = older;
        const int edits = *rc::gen::inRange(0, 6);
        for (int i = 0; i < edits; ++i) // how the text got from the older version to now
            doc = *(*genOperation(doc)).apply(doc);
        UndoManager undo(500, 1000);
        const QString before = doc;
        const TextOperation restore = TextOperation::makeDiff(doc, older);
        RC_PRE(!restore.isNoop()); // (the panel applies nothing then)
        RC_ASSERT(*restore.apply(doc) == older);
        edit(undo, doc, restore, 0);
        RC_ASSERT(doc == older);
        qsizetype remoteInserted = 0;
        if (*rc::gen::arbitrary<bool>()) {
            const qsizetype n = *rc::gen::inRange<qsizetype>(1, 4);
            const TextOperation theirs = TextOperation::makeInsert(doc.size(), *genPosition(doc), QString(n, remoteMark));
            doc = *theirs.apply(doc);
            undo.transformRemote(theirs);
            remoteInserted = n;
        }
        RC_ASSERT(step(undo.undo(doc), doc));
        RC_ASSERT(doc.count(remoteMark) == remoteInserted);
        QString withoutRemote = doc;
        withoutRemote.remove(remoteMark);
        RC_ASSERT(withoutRemote == before);
    }));
}

#include "tst_undomanager.moc"
