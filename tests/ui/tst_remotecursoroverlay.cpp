// SPDX-License-Identifier: MIT
// RemoteCursorOverlay: another participant's selection is painted over exactly the lines of it that are in
// view, however far above the view it starts.
#include <collabeditor.h>
#include <remotecursoroverlay.h>

#include <selection.h>

#include <QFontDatabase>
#include <QScrollBar>
#include <QTest>
#include <QTextBlock>

class tst_RemoteCursorOverlay : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ui::CollabEditor> m_editor;

    // The share of the view's pixels tinted by the peer's (red) selection colour.
    double tintedShare() const
    {
        QCoreApplication::processEvents();
        const QImage image = m_editor->viewport()->grab().toImage();
        qsizetype tinted = 0;
        for (int y = 0; y < image.height(); ++y) {
            for (int x = 0; x < image.width(); ++x) {
                const QColor c = image.pixelColor(x, y);
                if (c.red() - c.blue() > 40)
                    ++tinted;
            }
        }
        return double(tinted) / (image.width() * image.height());
    }

    void select(qsizetype anchor, qsizetype head)
    {
        m_editor->overlay()->setCursor(QStringLiteral("peer"), QString(), QColor(255, 0, 0),
                                       collab::Selection({collab::Selection::Range{anchor, head}}), false);
    }

private Q_SLOTS:
    void init()
    {
        m_editor = std::make_unique<ui::CollabEditor>();
        m_editor->resize(400, 300);
        QStringList lines;
        for (int i = 0; i < 3000; ++i)
            lines.append(QStringLiteral("line %1 of a long document").arg(i));
        m_editor->setPlainText(lines.join(QLatin1Char('\n')));
        m_editor->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_editor.get()));
        m_editor->verticalScrollBar()->setValue(1500);
        QCoreApplication::processEvents();
        QCOMPARE(m_editor->firstVisibleTextBlock().blockNumber(), 1500);
    }

    void cleanup() { m_editor.reset(); }

    void selectionOfEverythingCoversTheView()
    {
        select(0, m_editor->document()->characterCount() - 1);
        // The whole width of every line in view is tinted (a selection that goes on covers the line's rest).
        QVERIFY2(tintedShare() > 0.8, qPrintable(QString::number(tintedShare())));
    }

    void selectionFromAboveEndingInViewCoversItsPart()
    {
        // From the first line to the middle of the view: about half of the view.
        const int linesInView = m_editor->viewport()->height() / m_editor->fontMetrics().lineSpacing();
        const QTextBlock middle = m_editor->document()->findBlockByNumber(1500 + linesInView / 2);
        select(0, middle.position());
        const double share = tintedShare();
        QVERIFY2(share > 0.2 && share < 0.8, qPrintable(QString::number(share)));
    }

    void selectionAboveTheViewIsNotPainted()
    {
        select(0, m_editor->document()->findBlockByNumber(1000).position());
        QCOMPARE(tintedShare(), 0.0);
    }

    // A participant's name label goes above their caret, over the line before, which shows through it; when the
    // local caret is there, the label moves below their line instead of covering it.
    void nameLabelKeepsOffTheLocalCaretAndLetsTextThrough()
    {
        m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont)); // as the window has it
        m_editor->setPlainText(QStringLiteral("first line\n        \n  peer types here\nthe line after\n\nlast"));
        m_editor->verticalScrollBar()->setValue(0);
        const QTextBlock peerLine = m_editor->document()->findBlockByNumber(2);
        const int peerAt = peerLine.position() + 4;
        m_editor->overlay()->setCursor(QStringLiteral("peer"), QStringLiteral("Bob"), QColor(255, 0, 0),
                                       collab::Selection({collab::Selection::Range{peerAt, peerAt}}), true);
        const auto moveLocalCaret = [this](int position) {
            QTextCursor c(m_editor->document());
            c.setPosition(position);
            m_editor->setTextCursor(c);
        };
        moveLocalCaret(m_editor->document()->findBlockByNumber(5).position());
        const QRect caret = m_editor->caretRect(peerAt);
        std::optional<QRect> label = m_editor->overlay()->labelRect(QStringLiteral("peer"));
        QVERIFY(label);
        QVERIFY(label->bottom() < caret.top()); // above
        // Over the blank line before: its background is the colour over the white page, not the colour itself.
        QCoreApplication::processEvents();
        const QImage image = m_editor->viewport()->grab().toImage();
        const QColor pixel = image.pixelColor(label->left() + 1, label->center().y());
        QVERIFY2(pixel.red() > 200 && pixel.green() > 40 && pixel.green() < 200,
                 qPrintable(pixel.name()));

        // The local caret on the line above, right where the label was: the label moves below the peer's line.
        moveLocalCaret(m_editor->document()->findBlockByNumber(1).position() + 4);
        const QRect local = m_editor->cursorRect();
        QVERIFY(label->intersects(local));
        label = m_editor->overlay()->labelRect(QStringLiteral("peer"));
        QVERIFY(label);
        QVERIFY(!label->intersects(local));
        QVERIFY(label->top() > caret.bottom() - 1);
    }
};

QTEST_MAIN(tst_RemoteCursorOverlay)
#include "tst_remotecursoroverlay.moc"
