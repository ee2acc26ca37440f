// SPDX-License-Identifier: MIT
// PlainTextLayout: every edit leaves the text laid out exactly as a stock QPlainTextEdit lays it out (same
// lines, same wrapping, same scroll range), and making the widest line narrower does not walk the document.
#include <collabeditor.h>
#include <plaintextlayout.h>

#include <QClipboard>
#include <QGuiApplication>
#include <QScrollBar>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

class tst_PlainTextLayout : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ui::CollabEditor> m_editor;  // laid out by PlainTextLayout
    std::unique_ptr<QPlainTextEdit> m_reference; // laid out by QPlainTextDocumentLayout

    QList<QPlainTextEdit *> editors() const { return {m_editor.get(), m_reference.get()}; }

    void setText(const QString &text)
    {
        for (QPlainTextEdit *e : editors())
            e->setPlainText(text);
    }

    void moveTo(int position, int anchor = -1)
    {
        for (QPlainTextEdit *e : editors()) {
            QTextCursor c = e->textCursor();
            c.setPosition(anchor < 0 ? position : anchor);
            c.setPosition(position, QTextCursor::KeepAnchor);
            e->setTextCursor(c);
        }
    }

    void keys(const QString &text)
    {
        for (QPlainTextEdit *e : editors())
            QTest::keyClicks(e, text);
    }

    void key(Qt::Key key, int times = 1)
    {
        for (QPlainTextEdit *e : editors()) {
            for (int i = 0; i < times; ++i)
                QTest::keyClick(e, key);
        }
    }

    // Both documents laid out line for line the same, and the views scroll the same range. Blocks neither
    // layout has laid out yet are laid out first (by QPlainTextDocumentLayout in both), as painting would.
    void compareLayouts()
    {
        QCoreApplication::processEvents();
        QTextDocument *doc = m_editor->document();
        QTextDocument *ref = m_reference->document();
        QVERIFY(qobject_cast<ui::PlainTextLayout *>(doc->documentLayout()));
        QCOMPARE(doc->toPlainText(), ref->toPlainText());
        QCOMPARE(m_editor->viewport()->width(), m_reference->viewport()->width());
        for (QTextBlock b = doc->firstBlock(), r = ref->firstBlock(); b.isValid(); b = b.next(), r = r.next()) {
            doc->documentLayout()->blockBoundingRect(b);
            ref->documentLayout()->blockBoundingRect(r);
            const QString where = QStringLiteral("block %1 \"%2\"").arg(b.blockNumber()).arg(b.text());
            QVERIFY2(r.isValid(), qPrintable(where));
            QCOMPARE(b.lineCount(), r.lineCount());
            QCOMPARE(b.layout()->lineCount(), r.layout()->lineCount());
            for (int i = 0; i < b.layout()->lineCount(); ++i) {
                const QTextLine line = b.layout()->lineAt(i);
                const QTextLine expected = r.layout()->lineAt(i);
                QVERIFY2(line.textStart() == expected.textStart() && line.textLength() == expected.textLength()
                             && line.position() == expected.position()
                             && line.naturalTextWidth() == expected.naturalTextWidth(),
                         qPrintable(where + QStringLiteral(", line %1").arg(i)));
            }
            QCOMPARE(doc->documentLayout()->blockBoundingRect(b), ref->documentLayout()->blockBoundingRect(r));
        }
        QCOMPARE(doc->lineCount(), ref->lineCount());
        QCoreApplication::processEvents();
        QCOMPARE(m_editor->verticalScrollBar()->maximum(), m_reference->verticalScrollBar()->maximum());
    }

    static QString lines(int count, const QString &pattern = QStringLiteral("line %1 of some text"))
    {
        QStringList list;
        for (int i = 0; i < count; ++i)
            list.append(pattern.arg(i));
        return list.join(QLatin1Char('\n'));
    }

private Q_SLOTS:
    void init()
    {
        m_editor = std::make_unique<ui::CollabEditor>();
        m_reference = std::make_unique<QPlainTextEdit>();
        for (QPlainTextEdit *e : editors()) {
            e->setLineWrapMode(QPlainTextEdit::WidgetWidth);
            e->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
            e->setFont(m_editor->font());
            e->resize(360, 240);
            e->show();
            QVERIFY(QTest::qWaitForWindowExposed(e));
        }
    }

    void cleanup()
    {
        m_editor.reset();
        m_reference.reset();
    }

    void typingAndErasingInTheWidestLine()
    {
        setText(lines(50) + QStringLiteral("\nthe longest line here\n") + lines(50));
        moveTo(int(lines(50).size() + 22)); // end of the longest line
        keys(QStringLiteral("abc"));
        compareLayouts();
        key(Qt::Key_Backspace, 5);
        compareLayouts();
    }

    void aLineStartsAndStopsWrapping()
    {
        setText(lines(5) + QStringLiteral("\nshort\n") + lines(5));
        const int end = int(lines(5).size() + 6);
        moveTo(end);
        const int linesBefore = m_editor->document()->lineCount();
        const QString words = QStringLiteral(" and some more words until this line no longer fits in the view");
        keys(words);
        // The scroll range follows at once (the wrapped line is taller), as with the stock layout.
        QVERIFY(m_editor->document()->lineCount() > linesBefore);
        QCOMPARE(m_editor->verticalScrollBar()->maximum(), m_reference->verticalScrollBar()->maximum());
        compareLayouts();
        key(Qt::Key_Backspace, int(words.size()));
        QCOMPARE(m_editor->document()->lineCount(), linesBefore);
        compareLayouts();
    }

    void aRemoteEditMakesALineWrap()
    {
        // No key event, no event loop: the scroll range must follow the edit itself. (The first line, one long
        // word wrapped anywhere, is the widest there can be, so the edited line never becomes the widest.)
        setText(QString(300, QLatin1Char('w')) + QLatin1Char('\n') + lines(60));
        QCoreApplication::processEvents();
        const int linesBefore = m_editor->document()->lineCount();
        const int maximumBefore = m_editor->verticalScrollBar()->maximum();
        for (QPlainTextEdit *e : editors()) {
            QTextCursor c(e->document());
            c.setPosition(int(301 + lines(30).size()));
            c.insertText(QStringLiteral(" and a remote edit long enough to wrap this line onto the next one"));
        }
        QVERIFY(m_editor->document()->lineCount() > linesBefore);
        QVERIFY(m_editor->verticalScrollBar()->maximum() > maximumBefore);
        QCOMPARE(m_editor->verticalScrollBar()->maximum(), m_reference->verticalScrollBar()->maximum());
        compareLayouts();
    }

    void enterSplitsAndBackspaceJoins()
    {
        setText(lines(20));
        moveTo(int(lines(10).size() - 5));
        key(Qt::Key_Return);
        compareLayouts();
        key(Qt::Key_Backspace);
        compareLayouts();
    }

    void pasteAndDeleteAcrossLines()
    {
        setText(lines(30));
        moveTo(int(lines(3).size() + 4));
        QGuiApplication::clipboard()->setText(lines(12, QStringLiteral("pasted %1 ")) + QStringLiteral(" tail"));
        for (QPlainTextEdit *e : editors())
            e->paste();
        compareLayouts();
        moveTo(int(lines(2).size()), int(lines(9).size() + 3));
        key(Qt::Key_Delete);
        compareLayouts();
    }

    void editsOutsideTheView()
    {
        // As remote edits arrive: anywhere, through QTextCursor, without the caret.
        setText(lines(400));
        for (QPlainTextEdit *e : editors()) {
            QTextCursor c(e->document());
            c.setPosition(int(lines(300).size()));
            c.insertText(QStringLiteral(" a remote edit long enough to wrap onto a second line of the view, surely"));
            c.setPosition(int(lines(200).size()));
            c.insertText(QStringLiteral("\nnew\nlines"));
            c.setPosition(5);
            c.setPosition(40, QTextCursor::KeepAnchor);
            c.removeSelectedText();
        }
        compareLayouts();
    }

    void resizeRelaysOut()
    {
        setText(lines(40, QStringLiteral("a line %1 that wraps when the view is narrow enough, and then some")));
        moveTo(30);
        keys(QStringLiteral("typed"));
        for (QPlainTextEdit *e : editors())
            e->resize(240, 240);
        keys(QStringLiteral(" more"));
        compareLayouts();
    }

    void shrinkingTheWidestLineKeepsTheWidth()
    {
        // QPlainTextDocumentLayout would walk every block to find the next widest line; the width stays
        // instead (only the horizontal scroll range depends on it, and only without wrapping).
        for (QPlainTextEdit *e : editors())
            e->setLineWrapMode(QPlainTextEdit::NoWrap);
        setText(lines(100) + QStringLiteral("\nthe longest line of them all, by quite a long way\n") + lines(100));
        moveTo(int(lines(100).size() + 50));
        keys(QStringLiteral("xyz"));
        QAbstractTextDocumentLayout *layout = m_editor->document()->documentLayout();
        const qreal widest = layout->documentSize().width();
        key(Qt::Key_Backspace, 10);
        QCOMPARE(layout->documentSize().width(), widest);
        // Nor when a line break splits it (the blocks an edit adds are laid out at once, not when painted).
        moveTo(int(lines(100).size() + 20));
        key(Qt::Key_Return);
        QCoreApplication::processEvents();
        QCOMPARE(layout->documentSize().width(), widest);
        compareLayouts();
    }
};

QTEST_MAIN(tst_PlainTextLayout)
#include "tst_plaintextlayout.moc"
