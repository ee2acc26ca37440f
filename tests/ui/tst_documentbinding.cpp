// SPDX-License-Identifier: MIT
// DocumentBinding: edits of a QPlainTextEdit become the right TextOperations, remote operations are applied
// without echo and without moving the local caret off its text.
#include <collabeditor.h>
#include <documentbinding.h>
#include <findreplacedialog.h>

#include <QClipboard>
#include <QGuiApplication>
#include <QInputMethodEvent>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QTextBlock>

using collab::TextOperation;
using ui::DocumentBinding;

class tst_DocumentBinding : public QObject
{
    Q_OBJECT

private:
    struct Recorded
    {
        TextOperation op;
        TextOperation inverse;
        DocumentBinding::Origin origin;
    };

    std::unique_ptr<ui::CollabEditor> m_editor;
    std::unique_ptr<DocumentBinding> m_binding;
    QList<Recorded> m_edits;

    QString documentText() const
    {
        QString text = m_editor->document()->toRawText();
        text.replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
        return text;
    }

    // Every edit applies to the text before it, its inverse takes the text back, and the shadow equals the
    // widget's text.
    void checkConsistent(const QString &initial)
    {
        QString text = initial;
        for (const Recorded &r : std::as_const(m_edits)) {
            collab::Expected<QString> next = r.op.apply(text);
            QVERIFY2(next.hasValue(), qPrintable(r.op.toDebugString()));
            QVERIFY2(!r.op.checkSurrogates(text).has_value(), qPrintable(r.op.toDebugString()));
            QCOMPARE(r.inverse, r.op.invert(text));
            collab::Expected<QString> back = r.inverse.apply(next.value());
            QVERIFY2(back.hasValue(), qPrintable(r.inverse.toDebugString()));
            QCOMPARE(back.value(), text);
            text = next.value();
        }
        QCOMPARE(text, m_binding->text());
        QCOMPARE(DocumentBinding::displayForm(m_binding->text()), documentText());
    }

private Q_SLOTS:
    void init()
    {
        m_editor = std::make_unique<ui::CollabEditor>();
        m_editor->resize(400, 300);
        m_binding = std::make_unique<DocumentBinding>(m_editor.get());
        m_edits.clear();
        connect(m_binding.get(), &DocumentBinding::localEdited, this,
                [this](const TextOperation &op, const TextOperation &inverse, DocumentBinding::Origin origin) {
                    m_edits.append(Recorded{op, inverse, origin});
                });
        m_editor->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_editor.get()));
        m_editor->setFocus();
    }

    void cleanup()
    {
        m_binding.reset();
        m_editor.reset();
    }

    void undoStackIsOff()
    {
        QVERIFY(!m_editor->document()->isUndoRedoEnabled());
    }

    void typing()
    {
        QTest::keyClicks(m_editor.get(), QStringLiteral("ab"));
        QTest::keyClick(m_editor.get(), Qt::Key_Return);
        QTest::keyClicks(m_editor.get(), QStringLiteral("c"));
        QCOMPARE(m_edits.size(), 4);
        QCOMPARE(m_edits[0].op, TextOperation::makeInsert(0, 0, QStringLiteral("a")));
        QCOMPARE(m_edits[1].op, TextOperation::makeInsert(1, 1, QStringLiteral("b")));
        QCOMPARE(m_edits[2].op, TextOperation::makeInsert(2, 2, QStringLiteral("\n")));
        QCOMPARE(m_edits[3].op, TextOperation::makeInsert(3, 3, QStringLiteral("c")));
        QCOMPARE(m_edits[3].origin, DocumentBinding::Origin::User);
        QCOMPARE(m_binding->text(), QStringLiteral("ab\nc"));
        checkConsistent(QString());
    }

    void paste()
    {
        m_binding->resetText(QStringLiteral("1234"));
        QTextCursor c = m_editor->textCursor();
        c.setPosition(2);
        m_editor->setTextCursor(c);
        QGuiApplication::clipboard()->setText(QStringLiteral("one\ntwo\r\nthree"));
        m_editor->paste();
        QCOMPARE(m_edits.size(), 1);
        // A pasted CRLF is one line break in the document, so it is one '\n' in the operation.
        QCOMPARE(m_edits[0].op, TextOperation::makeInsert(4, 2, QStringLiteral("one\ntwo\nthree")));
        checkConsistent(QStringLiteral("1234"));
    }

    void deleteSelectionAndBackspace()
    {
        m_binding->resetText(QStringLiteral("hello\nworld"));
        QTextCursor c = m_editor->textCursor();
        c.setPosition(3);
        c.setPosition(8, QTextCursor::KeepAnchor);
        m_editor->setTextCursor(c);
        QTest::keyClick(m_editor.get(), Qt::Key_Delete);
        QCOMPARE(m_edits.size(), 1);
        QCOMPARE(m_edits[0].op, TextOperation::makeDelete(11, 3, 5));
        QCOMPARE(m_binding->text(), QStringLiteral("helrld"));
        QTest::keyClick(m_editor.get(), Qt::Key_Backspace);
        QCOMPARE(m_edits.size(), 2);
        QCOMPARE(m_edits[1].op, TextOperation::makeDelete(6, 2, 1));
        checkConsistent(QStringLiteral("hello\nworld"));
    }

    void replaceSelectionByTyping()
    {
        m_binding->resetText(QStringLiteral("a cat sat"));
        QTextCursor c = m_editor->textCursor();
        c.setPosition(2);
        c.setPosition(5, QTextCursor::KeepAnchor);
        m_editor->setTextCursor(c);
        QTest::keyClicks(m_editor.get(), QStringLiteral("d"));
        QCOMPARE(m_edits.size(), 1);
        QCOMPARE(m_edits[0].op, TextOperation::makeReplace(9, 2, 3, QStringLiteral("d")));
        checkConsistent(QStringLiteral("a cat sat"));
    }

    void replaceAllIsOneOperationWithOneReplacePerOccurrence()
    {
        const QString initial = QStringLiteral("foo bar foo\nbaz foo");
        m_binding->resetText(initial);
        int count = 0;
        const TextOperation op = ui::FindReplaceDialog::replaceAllOperation(
            initial, QStringLiteral("foo"), QStringLiteral("quux"), Qt::CaseSensitive, &count);
        QCOMPARE(count, 3);
        TextOperation expected;
        expected.insert(QStringLiteral("quux")).remove(3).retain(5).insert(QStringLiteral("quux")).remove(3);
        expected.retain(5).insert(QStringLiteral("quux")).remove(3);
        QCOMPARE(op, expected);
        QVERIFY(m_binding->applyLocal(op, DocumentBinding::Origin::User));
        QCOMPARE(m_edits.size(), 1);
        QCOMPARE(m_edits[0].op, expected);
        QCOMPARE(m_binding->text(), QStringLiteral("quux bar quux\nbaz quux"));
        checkConsistent(initial);
    }

    void replaceAllThroughTheDialog()
    {
        m_binding->resetText(QStringLiteral("Aa aa AA"));
        ui::FindReplaceDialog dialog(m_editor.get(), m_binding.get());
        dialog.setFindText(QStringLiteral("aa"));
        dialog.setReplaceText(QStringLiteral("b"));
        QCOMPARE(dialog.replaceAll(), 3);
        QCOMPARE(m_binding->text(), QStringLiteral("b b b"));
        QCOMPARE(m_edits.size(), 1);
        checkConsistent(QStringLiteral("Aa aa AA"));
    }

    void inputMethodReplaceIsMinimal()
    {
        // An input method (autocorrect / composition) replaces "helo" by "hello": the operation is the one
        // inserted letter, not a delete and reinsert of the word.
        m_binding->resetText(QStringLiteral("say helo"));
        QTextCursor c = m_editor->textCursor();
        c.setPosition(8);
        m_editor->setTextCursor(c);
        QInputMethodEvent preedit(QStringLiteral("x"), {});
        QCoreApplication::sendEvent(m_editor.get(), &preedit);
        QCOMPARE(m_edits.size(), 0); // a preedit is not text yet
        QInputMethodEvent commit;
        commit.setCommitString(QStringLiteral("hello"), -4, 4);
        QCoreApplication::sendEvent(m_editor.get(), &commit);
        QCOMPARE(m_binding->text(), QStringLiteral("say hello"));
        QCOMPARE(m_edits.size(), 1);
        QCOMPARE(m_edits[0].op, TextOperation::makeInsert(8, 7, QStringLiteral("l")));
        checkConsistent(QStringLiteral("say helo"));
    }

    void emoji()
    {
        const QString grin = QString::fromUtf8("\xF0\x9F\x98\x80");  // U+1F600, two UTF-16 units
        const QString beam = QString::fromUtf8("\xF0\x9F\x98\x81");  // U+1F601, same high surrogate
        m_binding->resetText(QStringLiteral("ab"));
        QTextCursor c = m_editor->textCursor();
        c.setPosition(1);
        m_editor->setTextCursor(c);
        QInputMethodEvent commit;
        commit.setCommitString(grin);
        QCoreApplication::sendEvent(m_editor.get(), &commit);
        QCOMPARE(m_edits.size(), 1);
        QCOMPARE(m_edits[0].op, TextOperation::makeInsert(2, 1, grin));
        QCOMPARE(m_editor->textCursor().position(), 3);

        // Backspace removes the whole character: both code units.
        QTest::keyClick(m_editor.get(), Qt::Key_Backspace);
        QCOMPARE(m_edits.size(), 2);
        QCOMPARE(m_edits[1].op, TextOperation::makeDelete(4, 1, 2));

        // Replacing one emoji by another that shares its high surrogate must not split the pair.
        c.setPosition(1);
        m_editor->setTextCursor(c);
        m_editor->insertPlainText(grin);
        c = m_editor->textCursor();
        c.setPosition(1);
        c.setPosition(3, QTextCursor::KeepAnchor);
        m_editor->setTextCursor(c);
        m_editor->insertPlainText(beam);
        QCOMPARE(m_edits.last().op, TextOperation::makeReplace(4, 1, 2, beam));
        checkConsistent(QStringLiteral("ab"));
    }

    void formatOnlyChangeIsNotAnEdit()
    {
        m_binding->resetText(QStringLiteral("plain"));
        QTextCursor c(m_editor->document());
        c.select(QTextCursor::Document);
        QTextCharFormat bold;
        bold.setFontWeight(QFont::Bold);
        c.mergeCharFormat(bold);
        QCOMPARE(m_edits.size(), 0);
        QCOMPARE(m_binding->text(), QStringLiteral("plain"));
    }

    void remoteOperationIsNotEchoedAndKeepsTheCaret()
    {
        m_binding->resetText(QStringLiteral("hello world"));
        QTextCursor c = m_editor->textCursor();
        c.setPosition(6);
        c.setPosition(11, QTextCursor::KeepAnchor); // "world" selected
        m_editor->setTextCursor(c);
        QSignalSpy selectionSpy(m_binding.get(), &DocumentBinding::localSelectionChanged);

        QVERIFY(m_binding->applyRemote(TextOperation::makeInsert(11, 0, QStringLiteral(">> "))));
        QCOMPARE(m_binding->text(), QStringLiteral(">> hello world"));
        QCOMPARE(m_editor->toPlainText(), QStringLiteral(">> hello world"));
        QCOMPARE(m_editor->textCursor().anchor(), 9);
        QCOMPARE(m_editor->textCursor().position(), 14);
        QCOMPARE(m_editor->textCursor().selectedText(), QStringLiteral("world"));

        // An insert exactly at the caret goes before it (it is someone else's text).
        c.setPosition(9);
        m_editor->setTextCursor(c);
        selectionSpy.clear();
        QVERIFY(m_binding->applyRemote(TextOperation::makeInsert(14, 9, QStringLiteral("big "))));
        QCOMPARE(m_editor->textCursor().position(), 9);
        QCOMPARE(m_binding->text(), QStringLiteral(">> hello big world"));

        // A remote delete around the caret pulls it to the deletion point.
        QVERIFY(m_binding->applyRemote(TextOperation::makeDelete(18, 3, 6)));
        QCOMPARE(m_editor->textCursor().position(), 3);

        QCOMPARE(m_edits.size(), 0);
        QCOMPARE(selectionSpy.size(), 0);
        QCOMPARE(DocumentBinding::displayForm(m_binding->text()), documentText());
    }

    void remoteOperationThatDoesNotFitIsRefused()
    {
        m_binding->resetText(QStringLiteral("abc"));
        QVERIFY(!m_binding->applyRemote(TextOperation::makeInsert(5, 0, QStringLiteral("x"))));
        QCOMPARE(m_binding->text(), QStringLiteral("abc"));
    }

    void remoteCarriageReturnKeepsPositions()
    {
        m_binding->resetText(QStringLiteral("ab"));
        QVERIFY(m_binding->applyRemote(TextOperation::makeInsert(2, 1, QStringLiteral("\r\n"))));
        QCOMPARE(m_binding->text(), QStringLiteral("a\r\nb"));
        QCOMPARE(m_editor->document()->characterCount() - 1, 4);
        QTextCursor c = m_editor->textCursor();
        c.movePosition(QTextCursor::End);
        m_editor->setTextCursor(c);
        QTest::keyClicks(m_editor.get(), QStringLiteral("!"));
        QCOMPARE(m_edits.last().op, TextOperation::makeInsert(4, 4, QStringLiteral("!")));
        QCOMPARE(m_binding->text(), QStringLiteral("a\r\nb!"));
    }

    void remoteEditAboveKeepsTheViewOnTheSameText()
    {
        QStringList lines;
        for (int i = 0; i < 300; ++i)
            lines.append(QStringLiteral("line %1").arg(i));
        m_binding->resetText(lines.join(QLatin1Char('\n')));
        m_editor->verticalScrollBar()->setValue(100);
        QCoreApplication::processEvents();
        const QString topBefore = m_editor->cursorForPosition(QPoint(1, 1)).block().text();
        QVERIFY(m_binding->applyRemote(
            TextOperation::makeInsert(m_binding->text().size(), 0, QStringLiteral("new\nlines\nabove\n"))));
        QCoreApplication::processEvents();
        QCOMPARE(m_editor->cursorForPosition(QPoint(1, 1)).block().text(), topBefore);
    }

    void randomLocalAndRemoteEdits()
    {
        QRandomGenerator rng(4242);
        const QString alphabet = QStringLiteral("ab \n") + QChar(0xE9);
        m_binding->resetText(QStringLiteral("seed text\nwith lines"));
        const QString initial = m_binding->text();
        QString expected = initial;
        for (int step = 0; step < 400; ++step) {
            const int length = int(m_binding->text().size());
            QTextCursor c = m_editor->textCursor();
            int pos = rng.bounded(length + 1);
            if (pos > 0 && pos < length && m_binding->text()[pos].isLowSurrogate())
                --pos;
            switch (rng.bounded(5)) {
            case 0:
            case 1: {
                c.setPosition(pos);
                m_editor->setTextCursor(c);
                QString text;
                for (int i = rng.bounded(1, 4); i > 0; --i)
                    text += alphabet.at(rng.bounded(int(alphabet.size())));
                if (rng.bounded(4) == 0)
                    text += QString::fromUtf8("\xF0\x9F\x98\x80");
                m_editor->insertPlainText(text);
                break;
            }
            case 2:
                c.setPosition(pos);
                m_editor->setTextCursor(c);
                QTest::keyClick(m_editor.get(), rng.bounded(2) ? Qt::Key_Backspace : Qt::Key_Delete);
                break;
            default: {
                // A remote edit: must not show up as a local one.
                const qsizetype before = m_edits.size();
                TextOperation op = TextOperation::makeInsert(length, pos, QStringLiteral("R\n"));
                if (rng.bounded(2) && pos < length - 1) {
                    int n = 1;
                    if (m_binding->text()[pos + n - 1].isHighSurrogate())
                        ++n;
                    op = TextOperation::makeDelete(length, pos, n);
                }
                QVERIFY2(m_binding->applyRemote(op),
                         qPrintable(op.toDebugString() + QStringLiteral(" on ") + m_binding->text()));
                QCOMPARE(m_edits.size(), before);
                // Record it so the chain of operations stays checkable.
                m_edits.append(Recorded{op, op.invert(expected), DocumentBinding::Origin::User});
                break;
            }
            }
            expected = m_binding->text();
            QCOMPARE(DocumentBinding::displayForm(m_binding->text()), documentText());
        }
        checkConsistent(initial);
    }
};

QTEST_MAIN(tst_DocumentBinding)
#include "tst_documentbinding.moc"
