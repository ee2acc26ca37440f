// SPDX-License-Identifier: MIT
// Editor benchmarks (QBENCHMARK): a remote operation applied to a 1 MB and a 10 MB document in the editor
// widget, and a local keystroke handled end to end by the binding (key event -> QTextDocument ->
// contentsChange -> TextOperation). Goal: well under one frame (16 ms) on 10 MB.
// Run: QT_QPA_PLATFORM=offscreen build/bench/bench/bench_editor [-iterations N]
#include <documentbinding.h>

#include <textoperation.h>

#include <QPlainTextEdit>
#include <QTest>

namespace {

// A document of about `bytes` UTF-16 units: lines of prose with some non-ASCII, like a long text file.
QString makeDocument(qsizetype units)
{
    const QString line = QStringLiteral("Coscribe keeps one text for everyone who opens it — café, naïve, 東京. %1\n");
    QString text;
    text.reserve(units + 100);
    for (int i = 0; text.size() < units; ++i)
        text += line.arg(i);
    return text;
}

} // namespace

class bench_Editor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void remoteOperation_data();
    void remoteOperation();
    void localKeystroke_data();
    void localKeystroke();
};

void bench_Editor::remoteOperation_data()
{
    QTest::addColumn<qsizetype>("units");
    QTest::newRow("1 MB") << qsizetype(1);
    QTest::newRow("10 MB") << qsizetype(10);
}

void bench_Editor::remoteOperation()
{
    QFETCH(qsizetype, units);
    QPlainTextEdit editor;
    editor.resize(800, 600);
    editor.show();
    ui::DocumentBinding binding(&editor);
    binding.resetText(makeDocument(units * 1024 * 1024 / 2)); // MB of UTF-16 = units / 2
    const qsizetype length = binding.text().size();
    const qsizetype middle = length / 2;
    editor.moveCursor(QTextCursor::Start);
    // Insert a character in the middle, then delete it: the document size stays the same across iterations.
    const collab::TextOperation insert = collab::TextOperation::makeInsert(length, middle, QStringLiteral("x"));
    const collab::TextOperation remove = collab::TextOperation::makeDelete(length + 1, middle, 1);
    QBENCHMARK {
        QVERIFY(binding.applyRemote(insert));
        QVERIFY(binding.applyRemote(remove));
    }
    QCOMPARE(binding.text().size(), length);
}

void bench_Editor::localKeystroke_data()
{
    remoteOperation_data();
}

void bench_Editor::localKeystroke()
{
    QFETCH(qsizetype, units);
    QPlainTextEdit editor;
    editor.resize(800, 600);
    editor.show();
    ui::DocumentBinding binding(&editor);
    binding.resetText(makeDocument(units * 1024 * 1024 / 2));
    const qsizetype length = binding.text().size();
    QTextCursor cursor = editor.textCursor();
    cursor.setPosition(int(length / 2));
    editor.setTextCursor(cursor);
    int edits = 0;
    connect(&binding, &ui::DocumentBinding::localEdited, this, [&edits] { ++edits; });
    // Type a letter and erase it with Backspace: two keystrokes, two operations, same size afterwards.
    QBENCHMARK {
        QTest::keyClick(&editor, Qt::Key_A);
        QTest::keyClick(&editor, Qt::Key_Backspace);
    }
    QVERIFY(edits >= 2);
    QCOMPARE(binding.text().size(), length);
}

QTEST_MAIN(bench_Editor)
#include "bench_editor.moc"
