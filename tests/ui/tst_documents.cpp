// SPDX-License-Identifier: MIT
// Opening documents (issue-level rules in docs/EDITOR.md): a document that does not exist is made only after
// asking when its name was typed or came from a link (New Document and Share File make it), and a document
// already open in this process brings its window forward instead of opening a second one.
#include "relayfixture.h"
#include <collabeditor.h>
#include <connectdialog.h>
#include <documentbinding.h>
#include <documentbrowser.h>
#include <documentsession.h>
#include <mainwindow.h>

#include <QApplication>
#include <QClipboard>
#include <QStatusBar>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTimer>
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
    QString server() const { return m_relay.documentUrl({}).adjusted(QUrl::RemovePath).toString(); }
    static bool online(MainWindow *w) { return w->session()->status() == DocumentSession::Status::Online; }
    // Run `answer` on the next modal dialog, once it is up (polled; gives up after five seconds).
    static void whenModal(std::function<void(QWidget *)> answer)
    {
        auto *timer = new QTimer;
        auto tries = std::make_shared<int>(0);
        QObject::connect(timer, &QTimer::timeout, [timer, tries, answer] {
            if (QWidget *modal = QApplication::activeModalWidget()) {
                timer->deleteLater();
                timer->stop();
                answer(modal);
            } else if (++*tries > 250) {
                timer->deleteLater();
                timer->stop();
            }
        });
        timer->start(20);
    }
    static QString bodyOf(MainWindow *w) { return w->editor()->toPlainText(); }
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

    // A title with spaces and accents typed in File › Connect… makes a document with that title and a safe
    // id; the window shows the title.
    void aTitleTypedInConnectMakesTheDocument()
    {
        ConnectDialog dialog(nullptr, server());
        dialog.findChild<QLineEdit *>(QStringLiteral("document"))->setText(QStringLiteral("Reiseplan für Köln"));
        const QUrl url = dialog.documentUrl();
        QCOMPARE(url.path(), QStringLiteral("/Reiseplan-fur-Koln"));
        MainWindow *window = newWindow();
        window->openDocument(url, profile());
        QTRY_VERIFY_WITH_TIMEOUT(online(window), 10000);
        QCOMPARE(window->session()->documentId(), QStringLiteral("Reiseplan-fur-Koln"));
        QCOMPARE(window->session()->documentName(), QStringLiteral("Reiseplan für Köln"));
        QVERIFY2(window->windowTitle().startsWith(QStringLiteral("Reiseplan für Köln")), qPrintable(window->windowTitle()));
        QCOMPARE(window->session()->documentUrl().query(), QString()); // the title is not part of the address
    }

    // The browser: what each document is, a search that ignores case and accents and knows who is in a
    // document, rename and delete (with a confirmation naming it) pushed to the window that has it open.
    void browserSearchesRenamesAndDeletes()
    {
        MainWindow *trip = newWindow();
        QUrl tripUrl = m_relay.documentUrl(QStringLiteral("trip"));
        tripUrl.setQuery(QStringLiteral("title=") + QString::fromLatin1(QUrl::toPercentEncoding(QStringLiteral("Viaje a Córdoba"))));
        trip->openDocument(tripUrl, profile());
        QTRY_VERIFY_WITH_TIMEOUT(online(trip), 10000);
        trip->editor()->setFocus();
        QTest::keyClicks(trip->editor(), QStringLiteral("tickets"));
        QTRY_VERIFY_WITH_TIMEOUT(!trip->session()->hasPendingEdits() && trip->session()->revision() > 0, 10000);
        MainWindow *groceries = newWindow();
        groceries->openDocument(m_relay.documentUrl(QStringLiteral("groceries")),
                                DocumentSession::Profile{QStringLiteral("Ana"), QStringLiteral("#225588"), {}, {}});
        QTRY_VERIFY_WITH_TIMEOUT(online(groceries), 10000);

        DocumentBrowser browser(server(), profile());
        browser.show();
        QSignalSpy listed(&browser, &DocumentBrowser::documentsListed);
        QTRY_VERIFY_WITH_TIMEOUT(!listed.isEmpty(), 10000);
        auto *table = browser.findChild<QTableWidget *>();
        QVERIFY(browser.selectDocument(QStringLiteral("trip")));
        const int row = table->currentRow();
        QCOMPARE(table->item(row, 0)->text(), QStringLiteral("Viaje a Córdoba"));
        QCOMPARE(table->item(row, 2)->text(), QLocale().toString(7));
        QCOMPARE(table->item(row, 3)->text(), QStringLiteral("Kim"));
        QVERIFY(!table->item(row, 1)->text().isEmpty());

        auto *search = browser.findChild<QLineEdit *>(QStringLiteral("search"));
        search->setText(QStringLiteral("CORDOBA"));
        QCOMPARE(browser.visibleDocumentIds(), QStringList{QStringLiteral("trip")});
        search->setText(QStringLiteral("ana"));
        QCOMPARE(browser.visibleDocumentIds(), QStringList{QStringLiteral("groceries")});
        search->setText(QStringLiteral("nothing like it"));
        QVERIFY(browser.visibleDocumentIds().isEmpty());
        QVERIFY(browser.selectedDocumentUrl().isEmpty());
        search->clear();
        QCOMPARE(browser.visibleDocumentIds().size(), browser.documents().size());
        QVERIFY(browser.visibleDocumentIds().contains(QStringLiteral("groceries")));

        // Rename: the dialog offers the title; the window on the document follows.
        QVERIFY(browser.selectDocument(QStringLiteral("trip")));
        QString offered;
        whenModal([&](QWidget *modal) {
            auto *input = qobject_cast<QInputDialog *>(modal);
            QVERIFY(input);
            offered = input->textValue();
            input->setTextValue(QStringLiteral("Viaje a Sevilla \u2708"));
            input->accept();
        });
        browser.renameSelected();
        QCOMPARE(offered, QStringLiteral("Viaje a Córdoba"));
        QTRY_VERIFY_WITH_TIMEOUT(trip->windowTitle().startsWith(QStringLiteral("Viaje a Sevilla \u2708")), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(listed.size() >= 2, 10000);
        QVERIFY(browser.selectDocument(QStringLiteral("trip")));
        QCOMPARE(table->item(table->currentRow(), 0)->text(), QStringLiteral("Viaje a Sevilla \u2708"));

        // Delete, said no to: nothing happens. Said yes to: gone, and the window is told.
        QString asked;
        whenModal([&](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            asked = box->text();
            box->button(QMessageBox::Cancel)->click();
        });
        browser.deleteSelected();
        QVERIFY2(asked.contains(QStringLiteral("Viaje a Sevilla \u2708")), qPrintable(asked));
        QTest::qWait(200);
        QVERIFY(online(trip));
        QSignalSpy deleted(trip->session(), &DocumentSession::documentDeleted);
        whenModal([&](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            for (QAbstractButton *b : box->buttons())
                if (box->buttonRole(b) == QMessageBox::DestructiveRole)
                    b->click();
        });
        browser.deleteSelected();
        QTRY_VERIFY_WITH_TIMEOUT(!deleted.isEmpty(), 10000);
        QTRY_VERIFY(!browser.visibleDocumentIds().contains(QStringLiteral("trip")));
        QVERIFY(browser.visibleDocumentIds().contains(QStringLiteral("groceries")));
        QVERIFY(trip->editor()->isReadOnly());
        QVERIFY2(trip->session()->problem().contains(QStringLiteral("deleted")), qPrintable(trip->session()->problem()));
        QCOMPARE(bodyOf(trip), QStringLiteral("tickets")); // the text stays, to be saved
        QVERIFY(online(groceries));
    }

    // Rename and delete are offered by role: a reader sees them disabled, and the relay refuses anyway.
    void readersCannotRenameOrDelete()
    {
        RelayFixture guarded;
        auto parsed = relay::TokenStore::parse("0123456789abcdef0123 ada admin:*\nfedcba9876543210fedc bo read:*\n",
                                               QStringLiteral("test"));
        QVERIFY(std::holds_alternative<relay::TokenStore>(parsed));
        guarded.tokens = std::get<relay::TokenStore>(parsed);
        QVERIFY(guarded.start());
        const QString address = guarded.documentUrl({}).adjusted(QUrl::RemovePath).toString();
        {
            DocumentBrowser maker(address, DocumentSession::Profile{QStringLiteral("Ada"), QStringLiteral("#336699"),
                                                                    QStringLiteral("0123456789abcdef0123"), {}});
            maker.createDocument(QStringLiteral("Minutes"));
            QTRY_COMPARE_WITH_TIMEOUT(maker.result(), int(QDialog::Accepted), 10000);
        }
        DocumentBrowser reader(address, DocumentSession::Profile{QStringLiteral("Bo"), QStringLiteral("#336699"),
                                                                 QStringLiteral("fedcba9876543210fedc"), {}});
        QSignalSpy listed(&reader, &DocumentBrowser::documentsListed);
        QTRY_VERIFY_WITH_TIMEOUT(!listed.isEmpty(), 10000);
        QVERIFY(reader.selectDocument(QStringLiteral("Minutes")));
        QPushButton *rename = nullptr;
        QPushButton *remove = nullptr;
        for (QPushButton *b : reader.findChildren<QPushButton *>()) {
            if (b->text().contains(QStringLiteral("name")))
                rename = b;
            if (b->text().contains(QStringLiteral("Delete")))
                remove = b;
        }
        QVERIFY(rename && remove);
        QVERIFY(!rename->isEnabled());
        QVERIFY(!remove->isEnabled());
        QVERIFY(!rename->toolTip().isEmpty());
    }

    // New Document in a window: a title, a fresh id from the relay (never an existing document), opened.
    void newDocumentNeverOpensAnExistingOne()
    {
        MainWindow *first = newWindow();
        first->openDocument(m_relay.documentUrl(QStringLiteral("Plan")), profile());
        QTRY_VERIFY_WITH_TIMEOUT(online(first), 10000);
        first->editor()->setFocus();
        QTest::keyClicks(first->editor(), QStringLiteral("old plan"));
        QTRY_VERIFY_WITH_TIMEOUT(!first->session()->hasPendingEdits(), 10000);
        whenModal([](QWidget *modal) {
            auto *input = qobject_cast<QInputDialog *>(modal);
            QVERIFY(input);
            input->setTextValue(QStringLiteral("Plan"));
            input->accept();
        });
        QMetaObject::invokeMethod(first, "newDocument");
        QTRY_COMPARE_WITH_TIMEOUT(mainWindows(), 2, 10000);
        MainWindow *made = MainWindow::windowFor(m_relay.documentUrl(QStringLiteral("Plan-2")));
        QVERIFY(made);
        QTRY_VERIFY_WITH_TIMEOUT(online(made), 10000);
        QCOMPARE(bodyOf(made), QString());
        QCOMPARE(made->session()->documentName(), QStringLiteral("Plan"));
    }

    // An invite link only when asked and told what it gives away: the token in its fragment, never on screen;
    // without a token there is nothing to invite with.
    void inviteLinkCarriesTheTokenOnlyWhenAsked()
    {
        RelayFixture guarded;
        auto parsed = relay::TokenStore::parse("0123456789abcdef0123 ada write:*\n", QStringLiteral("test"));
        QVERIFY(std::holds_alternative<relay::TokenStore>(parsed));
        guarded.tokens = std::get<relay::TokenStore>(parsed);
        QVERIFY(guarded.start());
        MainWindow *window = newWindow();
        window->openDocument(guarded.documentUrl(QStringLiteral("shared")),
                             DocumentSession::Profile{QStringLiteral("Ada"), QStringLiteral("#336699"),
                                                      QStringLiteral("0123456789abcdef0123"), {}});
        QTRY_VERIFY_WITH_TIMEOUT(online(window), 10000);
        QVERIFY(window->copyInviteLinkAction()->isEnabled());
        QString warning;
        whenModal([&](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            warning = box->text() + u' ' + box->informativeText();
            box->button(QMessageBox::Cancel)->click();
        });
        QApplication::clipboard()->setText(QStringLiteral("before"));
        window->copyInviteLinkAction()->trigger();
        QVERIFY2(warning.contains(QStringLiteral("token")), qPrintable(warning));
        QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("before")); // cancelled: nothing copied

        whenModal([](QWidget *modal) {
            auto *box = qobject_cast<QMessageBox *>(modal);
            QVERIFY(box);
            for (QAbstractButton *b : box->buttons())
                if (b->text() == QStringLiteral("Copy Desktop Link"))
                    b->click();
        });
        window->copyInviteLinkAction()->trigger();
        const QString invite = QApplication::clipboard()->text();
        QCOMPARE(invite, QStringLiteral("coscribe://127.0.0.1:%1/shared#token=0123456789abcdef0123").arg(guarded.port()));
        QVERIFY(!window->statusBar()->currentMessage().contains(QStringLiteral("0123456789")));

        // Without a token: disabled.
        MainWindow *anonymous = newWindow();
        anonymous->openDocument(m_relay.documentUrl(QStringLiteral("open-to-all")), profile());
        QTRY_VERIFY_WITH_TIMEOUT(online(anonymous), 10000);
        QVERIFY(!anonymous->copyInviteLinkAction()->isEnabled());
    }
};

QTEST_MAIN(tst_Documents)
#include "tst_documents.moc"
