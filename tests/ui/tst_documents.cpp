// SPDX-License-Identifier: MIT
// Opening documents (issue-level rules in docs/EDITOR.md): a document that does not exist is made only after
// asking when its name was typed or came from a link (New Document and Share File make it), and a document
// already open in this process brings its window forward instead of opening a second one.
#include "relayfixture.h"
#include <documentbinding.h>
#include <documentsession.h>
#include <mainwindow.h>

#include <QApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace ui;
using syncing::DocumentSession;

class tst_Documents : public QObject
{
    Q_OBJECT

    RelayFixture m_relay;
    QTemporaryDir m_dir;
    int m_windows = 0;

    MainWindow *newWindow()
    {
        auto *w = new MainWindow(m_dir.filePath(QStringLiteral("store-%1").arg(++m_windows)));
        w->setAttribute(Qt::WA_DeleteOnClose);
        w->session()->setReconnectDelays(50, 300);
        w->show();
        return w;
    }
    static const DocumentSession::Profile &profile()
    {
        static const DocumentSession::Profile p{QStringLiteral("Kim"), QStringLiteral("#884422"), {}, {}};
        return p;
    }
    static int mainWindows()
    {
        int n = 0;
        for (QWidget *w : QApplication::topLevelWidgets())
            n += qobject_cast<MainWindow *>(w) && w->isVisible() ? 1 : 0;
        return n;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_relay.start());
    }
    void cleanup()
    {
        for (QWidget *w : QApplication::topLevelWidgets())
            if (qobject_cast<MainWindow *>(w))
                w->close();
        QTRY_COMPARE(mainWindows(), 0);
    }

    void aMissingDocumentIsMadeOnlyAfterAsking()
    {
        MainWindow *window = newWindow();
        QStringList asked;
        window->setCreateConfirmation([&](const QString &id) { asked << id; return false; });
        window->openDocument(m_relay.documentUrl(QStringLiteral("typo-nots")), profile(), MainWindow::Creation::Ask);
        QTRY_COMPARE_WITH_TIMEOUT(asked, QStringList{QStringLiteral("typo-nots")}, 10000);
        QTest::qWait(300);
        QVERIFY(window->session()->status() != DocumentSession::Status::Online);
        QVERIFY(!window->session()->problem().isEmpty());
        // Nothing was made on the relay: another ask finds it missing again.
        MainWindow *probe = newWindow();
        QStringList askedAgain;
        probe->setCreateConfirmation([&](const QString &id) { askedAgain << id; return true; });
        probe->openDocument(m_relay.documentUrl(QStringLiteral("typo-nots")), profile(), MainWindow::Creation::Ask);
        QTRY_COMPARE_WITH_TIMEOUT(askedAgain, QStringList{QStringLiteral("typo-nots")}, 10000);
        // Said yes: made and open.
        QTRY_VERIFY_WITH_TIMEOUT(probe->session()->status() == DocumentSession::Status::Online, 10000);
        QCOMPARE(probe->session()->documentId(), QStringLiteral("typo-nots"));

        // An existing document opens without a question.
        MainWindow *third = newWindow();
        bool askedThird = false;
        third->setCreateConfirmation([&](const QString &) { askedThird = true; return false; });
        third->openDocument(m_relay.documentUrl(QStringLiteral("typo-nots")), profile(), MainWindow::Creation::Ask);
        QTRY_VERIFY_WITH_TIMEOUT(third->session()->status() == DocumentSession::Status::Online, 10000);
        QVERIFY(!askedThird);
    }

    void anOpenDocumentComesForwardInsteadOfASecondWindow()
    {
        MainWindow *first = newWindow();
        first->openDocument(m_relay.documentUrl(QStringLiteral("once")), profile());
        QTRY_VERIFY_WITH_TIMEOUT(first->session()->status() == DocumentSession::Status::Online, 10000);
        MainWindow *other = newWindow();
        other->openDocument(m_relay.documentUrl(QStringLiteral("elsewhere")), profile());
        QTRY_VERIFY_WITH_TIMEOUT(other->session()->status() == DocumentSession::Status::Online, 10000);
        QCOMPARE(mainWindows(), 2);
        // From the other window (a recent entry, a link, the document browser): no third window.
        other->openInWindow(m_relay.documentUrl(QStringLiteral("once")));
        QCOMPARE(mainWindows(), 2);
        QCOMPARE(MainWindow::windowFor(m_relay.documentUrl(QStringLiteral("once"))), first);
        QCOMPARE(other->session()->documentId(), QStringLiteral("elsewhere"));
        // A document not open yet does get its own window.
        other->openInWindow(m_relay.documentUrl(QStringLiteral("once-more")), std::nullopt, MainWindow::Creation::Create);
        QCOMPARE(mainWindows(), 3);
        QVERIFY(MainWindow::windowFor(m_relay.documentUrl(QStringLiteral("once-more"))));
    }
};

QTEST_MAIN(tst_Documents)
#include "tst_documents.moc"
