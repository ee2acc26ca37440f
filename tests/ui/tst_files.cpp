// SPDX-License-Identifier: MIT
// Files on disk (docs/EDITOR.md, "Files"): File › Share File… (and dropping a file) makes a new document from a
// file, Save / Save As write it back in the file's own encoding and line endings byte for byte, Keep File
// Updated writes it again when anyone edits, a taken name goes to the next free one, binary files are refused.
#include "relayfixture.h"
#include <collabeditor.h>
#include <documentbinding.h>
#include <documentsession.h>
#include <mainwindow.h>
#include <textfile.h>

#include <QAction>
#include <QApplication>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace ui;
using syncing::DocumentSession;
using syncing::TextFile;

Q_DECLARE_METATYPE(TextFile::Encoding)
Q_DECLARE_METATYPE(TextFile::LineEnding)

class tst_Files : public QObject
{
    Q_OBJECT

    RelayFixture m_relay;
    QTemporaryDir m_dir;
    int m_windows = 0;

    std::unique_ptr<MainWindow> emptyWindow()
    {
        auto w = std::make_unique<MainWindow>(m_dir.filePath(QStringLiteral("store-%1").arg(++m_windows)));
        w->session()->setReconnectDelays(50, 300);
        w->show();
        return w;
    }
    std::unique_ptr<MainWindow> openWindow(const QString &doc)
    {
        auto w = emptyWindow();
        w->openDocument(m_relay.documentUrl(doc), DocumentSession::Profile{QStringLiteral("Other"), QStringLiteral("#228844"), {}, {}});
        return w;
    }
    static bool settled(const std::unique_ptr<MainWindow> &w)
    {
        return w->session()->status() == DocumentSession::Status::Online && w->session()->pendingEdits() == 0;
    }
    QString writeFile(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        f.open(QIODevice::WriteOnly);
        f.write(bytes);
        return path;
    }
    static QByteArray read(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_relay.start());
        // Share File goes to the saved server when the window has none open.
        QSettings().setValue(QStringLiteral("connection/server"), QStringLiteral("ws://127.0.0.1:%1").arg(m_relay.port()));
    }

    void shareThenSaveByteForByte_data()
    {
        QTest::addColumn<TextFile::Encoding>("encoding");
        QTest::addColumn<TextFile::LineEnding>("lineEnding");
        QTest::addColumn<QString>("id");
        QTest::newRow("UTF-8 BOM CRLF") << TextFile::Encoding::Utf8WithBom << TextFile::LineEnding::CrLf << "Meeting-Notes-a.md";
        QTest::newRow("UTF-16 LE LF") << TextFile::Encoding::Utf16LE << TextFile::LineEnding::Lf << "Meeting-Notes-b.md";
        QTest::newRow("UTF-16 BE CR") << TextFile::Encoding::Utf16BE << TextFile::LineEnding::Cr << "Meeting-Notes-c.md";
        QTest::newRow("UTF-8 LF") << TextFile::Encoding::Utf8 << TextFile::LineEnding::Lf << "Meeting-Notes-d.md";
    }
    void shareThenSaveByteForByte()
    {
        QFETCH(TextFile::Encoding, encoding);
        QFETCH(TextFile::LineEnding, lineEnding);
        QFETCH(QString, id);
        const QString text = QStringLiteral("# Notes\nça va — 日本語 😀\n\n- one\n- two\n");
        const QByteArray original = TextFile::encode(text, {encoding, lineEnding});
        const QString path = writeFile(QStringLiteral("Meeting Notes %1.md").arg(id.at(14)), original);

        auto window = emptyWindow();
        QCOMPARE(window->shareFile(path), QString());
        QTRY_COMPARE_WITH_TIMEOUT(window->session()->documentId(), id, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(settled(window) && window->binding()->text() == text, 10000);
        QCOMPARE(window->filePath(), QFileInfo(path).absoluteFilePath());
        QVERIFY(window->windowTitle().contains(QFileInfo(path).fileName()));
        // Everyone sees it: the relay has the text.
        auto other = openWindow(id);
        QTRY_VERIFY_WITH_TIMEOUT(settled(other) && other->binding()->text() == text, 10000);

        QVERIFY(window->save());
        QCOMPARE(read(path), original);
        // An edit from the other window, saved: the file keeps its encoding and line endings.
        QTextCursor c(other->editor()->document());
        c.insertText(QStringLiteral("Édité\n"));
        QTRY_VERIFY_WITH_TIMEOUT(window->binding()->text().startsWith(QStringLiteral("Édité\n")), 10000);
        QVERIFY(window->save());
        QCOMPARE(read(path), TextFile::encode(QStringLiteral("Édité\n") + text, {encoding, lineEnding}));
    }

    // A name already taken by a document with text goes to the next free one; the first keeps its text.
    void takenNamesGoToTheNext()
    {
        const QString path = writeFile(QStringLiteral("plan.txt"), "first plan\n");
        auto a = emptyWindow();
        QCOMPARE(a->shareFile(path), QString());
        QTRY_VERIFY_WITH_TIMEOUT(settled(a) && a->binding()->text() == QStringLiteral("first plan\n"), 10000);
        QCOMPARE(a->session()->documentId(), QStringLiteral("plan.txt"));
        writeFile(QStringLiteral("plan.txt"), "second plan\n");
        auto b = emptyWindow();
        QCOMPARE(b->shareFile(path), QString());
        QTRY_VERIFY_WITH_TIMEOUT(b->session()->documentId() == QStringLiteral("plan-2.txt") && settled(b)
                                     && b->binding()->text() == QStringLiteral("second plan\n"), 10000);
        QCOMPARE(a->binding()->text(), QStringLiteral("first plan\n"));
    }

    void keepFileUpdatedFollowsEveryEdit()
    {
        const QString path = writeFile(QStringLiteral("live.md"), "live\r\n");
        auto window = emptyWindow();
        QCOMPARE(window->shareFile(path), QString());
        QTRY_VERIFY_WITH_TIMEOUT(settled(window) && window->binding()->text() == QStringLiteral("live\n"), 10000);
        window->keepFileUpdatedAction()->setChecked(true);
        auto other = openWindow(QStringLiteral("live.md"));
        QTRY_VERIFY_WITH_TIMEOUT(settled(other), 10000);
        QTextCursor c(other->editor()->document());
        c.movePosition(QTextCursor::End);
        c.insertText(QStringLiteral("more\n"));
        QTRY_COMPARE_WITH_TIMEOUT(read(path), QByteArray("live\r\nmore\r\n"), 10000);

        // The link and the choice are remembered: a window opening the document later writes the same file.
        window.reset();
        auto again = openWindow(QStringLiteral("live.md"));
        QCOMPARE(again->filePath(), QFileInfo(path).absoluteFilePath());
        QVERIFY(again->keepFileUpdatedAction()->isChecked());
        QCOMPARE(again->fileFormat().lineEnding, TextFile::LineEnding::CrLf);
    }

    void saveAsLinksTheFile()
    {
        auto window = openWindow(QStringLiteral("written"));
        QTRY_VERIFY_WITH_TIMEOUT(settled(window), 10000);
        QTextCursor(window->editor()->document()).insertText(QStringLiteral("line one\nline two"));
        const QString path = m_dir.filePath(QStringLiteral("written-out.txt"));
        QVERIFY(window->saveAs(path));
        QCOMPARE(read(path), QByteArray("line one\nline two"));
        QCOMPARE(window->filePath(), path);
        QVERIFY(window->windowTitle().contains(QStringLiteral("written-out.txt")));
    }

    void binaryFilesAreRefused()
    {
        const QString path = writeFile(QStringLiteral("picture.png"), QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
        auto window = emptyWindow();
        const QString problem = window->shareFile(path);
        QVERIFY2(problem.contains(QStringLiteral("binary")), qPrintable(problem));
        QVERIFY(!window->session()->isOpen());
    }

    void droppingAFileSharesIt()
    {
        const QString path = writeFile(QStringLiteral("dropped.txt"), "from a drop\n");
        auto window = emptyWindow();
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(path)});
        // As a drag from a file manager arrives: enter, then drop, on the text.
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(window->editor()->viewport(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(window->editor()->viewport(), &drop);  // on the text, where people drop files
        QVERIFY(drop.isAccepted());
        QCOMPARE(window->binding()->text(), QString());  // not the file's name inserted as text
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->documentId() == QStringLiteral("dropped.txt") && settled(window)
                                     && window->binding()->text() == QStringLiteral("from a drop\n"), 10000);
    }
};

QTEST_MAIN(tst_Files)
#include "tst_files.moc"
