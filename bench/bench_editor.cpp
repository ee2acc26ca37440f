// SPDX-License-Identifier: MIT
// Editor benchmarks (QBENCHMARK), each on a 100 KB, a 1 MB and a 10 MB document in the editor widget (a
// CollabEditor, as in the app): a remote operation applied through the binding, a local keystroke handled end
// to end (key event -> QTextDocument -> contentsChange -> TextOperation), and a repaint of the view while
// another participant has the whole document selected. Goal: well under one frame (16 ms) on 10 MB, and the
// same cost at every size (nothing per edit may depend on the document's length).
// Run: QT_QPA_PLATFORM=offscreen build/release/bench/bench_editor [-iterations N]
#include <collabeditor.h>
#include <documentbinding.h>
#include <remotecursoroverlay.h>

#include <selection.h>
#include <textoperation.h>

#include <QScrollBar>
#include <QTest>

namespace {

// A document of about `units` UTF-16 code units: lines of prose with some non-ASCII, like a long text file.
QString makeDocument(qsizetype units)
{
    const QString line = QStringLiteral("Coscribe keeps one text for everyone who opens it — café, naïve, 東京. %1\n");
    QString text;
    text.reserve(units + 100);
    for (int i = 0; text.size() < units; ++i)
        text += line.arg(i);
    return text;
}

// The editor as the window sets it up, showing a document of `bytes` bytes of UTF-16.
struct Fixture
{
    explicit Fixture(qsizetype bytes) : binding(&editor)
    {
        editor.setLineWrapMode(QPlainTextEdit::WidgetWidth);
        editor.resize(800, 600);
        editor.show();
        binding.resetText(makeDocument(bytes / 2));
        length = binding.length();
    }

    ui::CollabEditor editor;
    ui::DocumentBinding binding;
    qsizetype length = 0;
};

void addSizes()
{
    QTest::addColumn<qsizetype>("bytes");
    QTest::newRow("100 KB") << qsizetype(100 * 1024);
    QTest::newRow("1 MB") << qsizetype(1024 * 1024);
    QTest::newRow("10 MB") << qsizetype(10 * 1024 * 1024);
}

} // namespace

class bench_Editor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void remoteOperation_data() { addSizes(); }
    void remoteOperation();
    void localKeystroke_data() { addSizes(); }
    void localKeystroke();
    void repaintWithRemoteSelection_data() { addSizes(); }
    void repaintWithRemoteSelection();
};

void bench_Editor::remoteOperation()
{
    QFETCH(qsizetype, bytes);
    Fixture f(bytes);
    const qsizetype middle = f.length / 2;
    f.editor.moveCursor(QTextCursor::Start);
    // Insert a character in the middle, then delete it: the document size stays the same across iterations.
    const collab::TextOperation insert = collab::TextOperation::makeInsert(f.length, middle, QStringLiteral("x"));
    const collab::TextOperation remove = collab::TextOperation::makeDelete(f.length + 1, middle, 1);
    QBENCHMARK {
        QVERIFY(f.binding.applyRemote(insert));
        QVERIFY(f.binding.applyRemote(remove));
    }
    QCOMPARE(f.binding.length(), f.length);
}

void bench_Editor::localKeystroke()
{
    QFETCH(qsizetype, bytes);
    Fixture f(bytes);
    QTextCursor cursor = f.editor.textCursor();
    cursor.setPosition(int(f.length / 2));
    f.editor.setTextCursor(cursor);
    int edits = 0;
    connect(&f.binding, &ui::DocumentBinding::localEdited, this, [&edits] { ++edits; });
    // Type a letter and erase it with Backspace: two keystrokes, two operations, same size afterwards.
    QBENCHMARK {
        QTest::keyClick(&f.editor, Qt::Key_A);
        QTest::keyClick(&f.editor, Qt::Key_Backspace);
    }
    QVERIFY(edits >= 2);
    QCOMPARE(f.binding.length(), f.length);
}

void bench_Editor::repaintWithRemoteSelection()
{
    QFETCH(qsizetype, bytes);
    Fixture f(bytes);
    QVERIFY(QTest::qWaitForWindowExposed(&f.editor));
    // The view in the middle of the document; someone else has selected all of it (Ctrl+A).
    f.editor.verticalScrollBar()->setValue(f.editor.verticalScrollBar()->maximum() / 2);
    f.editor.overlay()->setCursor(QStringLiteral("peer"), QStringLiteral("Peer"), Qt::darkCyan,
                                  collab::Selection({collab::Selection::Range{0, f.length}}));
    QCoreApplication::processEvents();
    QBENCHMARK {
        f.editor.viewport()->repaint();
    }
}

QTEST_MAIN(bench_Editor)
#include "bench_editor.moc"
