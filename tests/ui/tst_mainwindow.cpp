// SPDX-License-Identifier: MIT
// Two editor windows on one document through an in-process relay: typing, pasting and deleting arrive,
// random interleaved edits converge, remote carets are drawn where they belong, undo is per user, and edits
// made while the relay is down are all kept.
#include "relayfixture.h"

#include <collabeditor.h>
#include <documentbinding.h>
#include <documentbrowser.h>
#include <connectdialog.h>
#include <awaypanel.h>
#include <historypanel.h>
#include <mainwindow.h>
#include <participantspanel.h>
#include <remotecursoroverlay.h>
#include <documentsession.h>

#include <QClipboard>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QGuiApplication>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpServer>
#include <QDockWidget>
#include <QSignalSpy>
#include <QSlider>
#include <QApplication>
#include <QLineEdit>
#include <QTableWidget>
#include <QTimer>
#include <QTemporaryDir>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QPointer>
#include <QTest>
#include <QTextEdit>
#include <QWebSocket>
#include <QWebSocketServer>

#include <cmath>

using ui::MainWindow;
using syncing::DocumentSession;

// A scripted relay on 127.0.0.1 for one document: it welcomes every hello, answers open (an empty text at
// revision 0, or no missed operations when the open names a revision) and hands every other message to
// `onMessage`. It notes when each connection arrived and how many opens it answered.
class FakeRelay : public QObject
{
public:
    static constexpr const char *document = "scripted";
    std::function<void(QWebSocket *, const QJsonObject &)> onMessage;
    QList<qint64> connections; // ms since listen()
    QList<QJsonObject> opens;

    bool listen()
    {
        m_clock.start();
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            QWebSocket *socket = m_server.nextPendingConnection();
            connections.append(m_clock.elapsed());
            connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
            connect(socket, &QWebSocket::textMessageReceived, socket, [this, socket](const QString &text) {
                received(socket, QJsonDocument::fromJson(text.toUtf8()).object());
            });
        });
        return m_server.listen(QHostAddress::LocalHost, 0);
    }
    QUrl documentUrl() const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/%2").arg(m_server.serverPort()).arg(QLatin1StringView(document)));
    }
    template<typename M>
    static void send(QWebSocket *socket, const M &message)
    {
        socket->sendTextMessage(QString::fromUtf8(collab::Message::encode(message)));
    }

private:
    void received(QWebSocket *socket, const QJsonObject &message)
    {
        const QString type = message.value(QStringLiteral("type")).toString();
        if (type == QStringLiteral("hello")) {
            collab::Message::Welcome welcome;
            welcome.server = QStringLiteral("fake");
            welcome.connectionId = QStringLiteral("c%1").arg(connections.size());
            send(socket, welcome);
        } else if (type == QStringLiteral("open")) {
            opens.append(message);
            collab::Message::Opened opened;
            opened.doc = QString::fromLatin1(document);
            opened.role = collab::Role::Write;
            if (message.contains(QStringLiteral("revision"))) {
                opened.revision = message.value(QStringLiteral("revision")).toInt();
                opened.ops = QList<collab::CommittedOperation>();
            } else {
                opened.snapshot = QString();
            }
            send(socket, opened);
        } else if (onMessage) {
            onMessage(socket, message);
        }
    }

    QWebSocketServer m_server{QStringLiteral("fake relay"), QWebSocketServer::NonSecureMode};
    QElapsedTimer m_clock;
};

class tst_MainWindow : public QObject
{
    Q_OBJECT

private:
    RelayFixture m_relay;
    QTemporaryDir m_storeA;
    QTemporaryDir m_storeB;
    std::unique_ptr<MainWindow> m_a;
    std::unique_ptr<MainWindow> m_b;
    int m_documentNumber = 0;

    static const QColor &colorA()
    {
        static const QColor c(255, 0, 255);
        return c;
    }
    static const QColor &colorB()
    {
        static const QColor c(0, 160, 0);
        return c;
    }

    std::unique_ptr<MainWindow> openWindow(const QString &storeDir, const QUrl &url, const QString &name,
                                           const QColor &color)
    {
        auto window = std::make_unique<MainWindow>(storeDir);
        window->resize(640, 420);
        window->session()->setReconnectDelays(50, 300);
        window->show();
        window->openDocument(url, DocumentSession::Profile{name, color.name(), QString(), {}});
        return window;
    }

    static QString text(const std::unique_ptr<MainWindow> &w) { return w->binding()->text(); }
    static bool online(const std::unique_ptr<MainWindow> &w)
    {
        return w->session()->status() == DocumentSession::Status::Online;
    }
    static bool settled(const std::unique_ptr<MainWindow> &w) { return online(w) && w->session()->pendingEdits() == 0; }

    // Ada types "Hello", then Bob " world" after it, each acknowledged: two authors, two edit sessions.
    bool adaThenBobType()
    {
        m_a->editor()->setFocus();
        QTest::keyClicks(m_a->editor(), QStringLiteral("Hello"));
        if (!QTest::qWaitFor([this] { return settled(m_a) && text(m_b) == QStringLiteral("Hello"); }))
            return false;
        moveCaret(m_b, 5);
        m_b->editor()->setFocus();
        QTest::keyClicks(m_b->editor(), QStringLiteral(" world"));
        return QTest::qWaitFor([this] { return settled(m_b) && text(m_a) == QStringLiteral("Hello world"); });
    }

    static void moveCaret(const std::unique_ptr<MainWindow> &w, int position)
    {
        QTextCursor c = w->editor()->textCursor();
        c.setPosition(position);
        w->editor()->setTextCursor(c);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings of this test, not the user's
        QVERIFY(m_relay.start());
    }

    // Redo is the platform's shortcut and Ctrl+Y too.
    void redoTakesCtrlY()
    {
        m_a->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_a.get()));
        m_a->editor()->setFocus();
        QTest::keyClicks(m_a->editor(), QStringLiteral("abc"));
        QTRY_VERIFY(settled(m_a));
        QTest::keyClick(m_a->editor(), Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(text(m_a) != QStringLiteral("abc"));
        QTest::keyClick(m_a->editor(), Qt::Key_Y, Qt::ControlModifier);
        QCOMPARE(text(m_a), QStringLiteral("abc"));
        QTest::keyClick(m_a->editor(), Qt::Key_Z, Qt::ControlModifier);
        QTest::keyClick(m_a->editor(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(text(m_a), QStringLiteral("abc"));
    }

    // Line numbers, wrapping and zoom are remembered for the next window (the next start); the margin numbers
    // the lines in view, and Go to Line puts the caret on one.
    void lineNumbersWrapAndZoomAreRemembered()
    {
        QStringList lines;
        for (int i = 1; i <= 300; ++i)
            lines.append(QStringLiteral("line %1").arg(i));
        QVERIFY(m_a->binding()->applyLocal(collab::TextOperation::makeInsert(0, 0, lines.join(QLatin1Char('\n'))),
                                           ui::DocumentBinding::Origin::User));
        m_a->lineNumbersAction()->setChecked(true);
        QVERIFY(m_a->editor()->lineNumbersVisible());
        QVERIFY(m_a->editor()->lineNumberAreaWidth() > 0);
        QVERIFY(m_a->editor()->viewport()->x() >= m_a->editor()->lineNumberAreaWidth()); // the margin is beside the text
        m_a->editor()->goToLine(200);
        QCOMPARE(m_a->editor()->textCursor().blockNumber(), 199);
        QTRY_VERIFY(m_a->editor()->visibleLineNumbers().contains(200));
        QVERIFY(!m_a->editor()->visibleLineNumbers().contains(1));

        const double before = m_a->editor()->font().pointSizeF();
        m_a->lineNumbersAction()->setChecked(false);
        m_a->wrapAction()->setChecked(false);
        m_a->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_a.get()));
        QTest::keyClick(m_a->editor(), Qt::Key_Plus, Qt::ControlModifier);
        QTest::keyClick(m_a->editor(), Qt::Key_Plus, Qt::ControlModifier);
        QCOMPARE(m_a->zoom(), 2);
        QCOMPARE(m_a->editor()->font().pointSizeF(), before + 2);
        QVERIFY(m_a->editor()->viewport()->x() < 8); // the margin is gone

        QTemporaryDir store;
        auto next = openWindow(store.path(), m_a->session()->documentUrl(), QStringLiteral("Ada"), colorA());
        QVERIFY(!next->lineNumbersAction()->isChecked());
        QVERIFY(!next->editor()->lineNumbersVisible());
        QVERIFY(!next->wrapAction()->isChecked());
        QCOMPARE(next->editor()->lineWrapMode(), QPlainTextEdit::NoWrap);
        QCOMPARE(next->zoom(), 2);
        QCOMPARE(next->editor()->font().pointSizeF(), before + 2);
        // Back as they were, for the other tests.
        next->lineNumbersAction()->setChecked(true);
        next->wrapAction()->setChecked(true);
        next->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(next.get()));
        QTest::keyClick(next->editor(), Qt::Key_0, Qt::ControlModifier);
        QCOMPARE(next->zoom(), 0);
    }

    // The Connect dialog offers the relay's port on this machine the first time, and the window's own server
    // when it has one; names nobody chose a colour for get distinct colours that read on the white page.
    void connectDefaultsAndDistinctColours()
    {
        QSettings().remove(QStringLiteral("connection"));
        QCOMPARE(ui::ConnectDialog::savedServer(), QStringLiteral("ws://127.0.0.1:7300"));
        ui::ConnectDialog offered(nullptr, m_a->session()->server());
        QCOMPARE(offered.findChild<QLineEdit *>(QStringLiteral("server"))->text(), m_a->session()->server());

        QSettings().setValue(QStringLiteral("profile/install"), QStringLiteral("a fixed installation")); // deterministic
        QSet<QRgb> colours;
        const QStringList names{QStringLiteral("Ada"), QStringLiteral("Bob"), QStringLiteral("Cy"), QStringLiteral("Dee")};
        for (const QString &name : names) {
            const QColor c = ui::ConnectDialog::defaultColor(name);
            QCOMPARE(ui::ConnectDialog::defaultColor(name), c); // stable
            colours.insert(c.rgb());
            const auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
            const double luminance = 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
            QVERIFY2(1.05 / (luminance + 0.05) >= ui::ConnectDialog::MinContrast, qPrintable(name + c.name()));
        }
        QCOMPARE(colours.size(), names.size());
    }

    void init()
    {
        const QUrl url = m_relay.documentUrl(QStringLiteral("doc%1").arg(++m_documentNumber));
        m_a = openWindow(m_storeA.path(), url, QStringLiteral("Ada"), colorA());
        m_b = openWindow(m_storeB.path(), url, QStringLiteral("Bob"), colorB());
        QTRY_VERIFY(online(m_a));
        QTRY_VERIFY(online(m_b));
        QTRY_COMPARE(m_a->participantsPanel()->count(), 1);
        QTRY_COMPARE(m_b->participantsPanel()->count(), 1);
    }

    void cleanup()
    {
        m_a.reset();
        m_b.reset();
        if (!m_relay.isRunning())
            QVERIFY(m_relay.start());
    }

    void typingPastingDeleting()
    {
        m_a->activateWindow();
        m_a->editor()->setFocus();
        QTest::keyClicks(m_a->editor(), QStringLiteral("Hello"));
        QTest::keyClick(m_a->editor(), Qt::Key_Return);
        QTest::keyClicks(m_a->editor(), QStringLiteral("world"));
        QTRY_COMPARE(text(m_b), QStringLiteral("Hello\nworld"));
        QCOMPARE(m_b->editor()->toPlainText(), QStringLiteral("Hello\nworld"));

        QGuiApplication::clipboard()->setText(QStringLiteral(" pasted\ntext"));
        moveCaret(m_b, 5);
        m_b->editor()->paste();
        QTRY_COMPARE(text(m_a), QStringLiteral("Hello pasted\ntext\nworld"));

        QTextCursor c = m_a->editor()->textCursor();
        c.setPosition(0);
        c.setPosition(6, QTextCursor::KeepAnchor);
        m_a->editor()->setTextCursor(c);
        QTest::keyClick(m_a->editor(), Qt::Key_Delete);
        QTRY_COMPARE(text(m_b), QStringLiteral("pasted\ntext\nworld"));
        QTRY_VERIFY(settled(m_a) && settled(m_b));
        QCOMPARE(m_a->session()->revision(), m_b->session()->revision());
    }

    void interleavedRandomEditsConverge()
    {
        QRandomGenerator rng(20240611);
        const std::unique_ptr<MainWindow> *windows[] = {&m_a, &m_b};
        for (int step = 0; step < 300; ++step) {
            const std::unique_ptr<MainWindow> &w = *windows[rng.bounded(2)];
            const QString current = text(w);
            const int length = int(current.size());
            // Positions a user can put the caret at: never between the halves of an emoji.
            const auto onBoundary = [&](int p) {
                return p > 0 && p < length && current[p].isLowSurrogate() ? p - 1 : p;
            };
            const int position = onBoundary(rng.bounded(length + 1));
            QTextCursor c = w->editor()->textCursor();
            c.setPosition(position);
            const int kind = rng.bounded(10);
            if (kind < 6 || length == 0) {
                w->editor()->setTextCursor(c);
                static const QString words[] = {QStringLiteral("a"), QStringLiteral("bc "), QStringLiteral("\n"),
                                                QStringLiteral("def"), QString::fromUtf8("\xc3\xb1"),
                                                QString::fromUtf8("\xF0\x9F\x98\x80")};
                w->editor()->insertPlainText(words[rng.bounded(6)]);
            } else {
                int end = std::min(length, position + rng.bounded(1, 5));
                if (end < length && current[end].isLowSurrogate())
                    ++end;
                c.setPosition(end, QTextCursor::KeepAnchor);
                w->editor()->setTextCursor(c);
                w->editor()->textCursor().removeSelectedText();
            }
            // Let the network run only now and then, so edits really cross in flight.
            if (rng.bounded(4) == 0)
                QTest::qWait(rng.bounded(3));
        }
        QTRY_VERIFY_WITH_TIMEOUT(settled(m_a) && settled(m_b) && text(m_a) == text(m_b), 20000);
        QCOMPARE(m_a->editor()->toPlainText(), m_b->editor()->toPlainText());
        QVERIFY(text(m_a).size() > 20);
        QCOMPARE(m_a->session()->revision(), m_b->session()->revision());
    }

    // A paste five times the relay's message limit (1 MiB by default) goes out as consecutive operations
    // that each fit, and arrives whole, byte for byte, in the other window; later keystrokes follow it; it
    // is one undo step. The text mixes ASCII, two-byte, three-byte and astral characters (surrogate pairs,
    // which a cut must never separate).
    void pasteOfFiveMegabytesArrivesWhole()
    {
        const QString pieces[] = {QStringLiteral("plain ascii words "), QStringLiteral("acción ñandú "),
                                  QStringLiteral("日本語の文 "), QStringLiteral("😀🎉𝄞 "), QStringLiteral("\n")};
        QRandomGenerator random(20261202);
        QString big;
        while (big.toUtf8().size() < 5 * 1024 * 1024) {
            QString chunk;
            for (int i = 0; i < 4096; ++i)
                chunk += pieces[random.bounded(int(std::size(pieces)))];
            big += chunk;
        }
        const QByteArray expected = big.toUtf8();
        QVERIFY(expected.size() >= 5 * 1024 * 1024);

        QGuiApplication::clipboard()->setText(big);
        m_a->editor()->setFocus();
        m_a->editor()->paste();
        QCOMPARE(text(m_a), big);
        QTest::keyClicks(m_a->editor(), QStringLiteral("!"));
        QTRY_VERIFY_WITH_TIMEOUT(settled(m_a), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(text(m_b).size(), big.size() + 1, 60000);
        QVERIFY(text(m_b).toUtf8() == expected + "!");
        QVERIFY(m_a->session()->problem().isEmpty());
        QVERIFY(m_b->session()->problem().isEmpty());
        QTRY_VERIFY(settled(m_b));
        QCOMPARE(m_a->session()->revision(), m_b->session()->revision());
        QVERIFY2(m_a->session()->revision() >= 5, "five megabytes cannot fit in fewer than five messages");

        m_a->undo(); // the "!"
        m_a->undo(); // the paste, whole
        QCOMPARE(text(m_a), QString());
        QTRY_COMPARE_WITH_TIMEOUT(text(m_b), QString(), 30000);
        QTRY_VERIFY(settled(m_a) && settled(m_b));
    }

    // A relay that opens the document and then drops the link at every operation we resend (as one did at a
    // 5 MB import: close 1009): each open succeeds, so a backoff reset on open kept retrying every 25-50 ms.
    // The backoff must grow while the failures repeat.
    void backoffGrowsWhileResendsFail()
    {
        FakeRelay fake;
        QVERIFY(fake.listen());
        fake.onMessage = [](QWebSocket *socket, const QJsonObject &message) {
            if (message.value(QStringLiteral("type")).toString() == QStringLiteral("op"))
                socket->close(QWebSocketProtocol::CloseCodeTooMuchData, QStringLiteral("message too large"));
        };
        const QList<qint64> &connections = fake.connections;
        QTemporaryDir store;
        auto window = std::make_unique<MainWindow>(store.path());
        window->session()->setReconnectDelays(50, 5000);
        window->show();
        window->openDocument(fake.documentUrl(),
                             DocumentSession::Profile{QStringLiteral("Flaky"), colorA().name(), QString(), {}});
        window->binding()->applyLocal(collab::TextOperation::makeInsert(0, 0, QStringLiteral("never acked")),
                                      ui::DocumentBinding::Origin::User);
        QTRY_VERIFY_WITH_TIMEOUT(connections.size() >= 6, 10000);
        // Attempt k waits between 25 * 2^k and 50 * 2^k ms: the fifth wait is at least 400 ms, the first at
        // most 50 ms (plus the round trip of a connection on loopback).
        const qint64 first = connections.at(1) - connections.at(0);
        const qint64 fifth = connections.at(5) - connections.at(4);
        QVERIFY2(fifth >= 400, qPrintable(QStringLiteral("waits %1 ms then %2 ms").arg(first).arg(fifth)));
        QVERIFY2(fifth > 2 * first, qPrintable(QStringLiteral("waits %1 ms then %2 ms").arg(first).arg(fifth)));
        QCOMPARE(window->session()->pendingEdits(), 1); // nothing was lost meanwhile
        QVERIFY(!window->session()->problem().isEmpty()); // and the window says why it cannot send
        window.reset();
    }

    // revision-too-old: the relay would not transform an operation that far behind. The editor catches up
    // (opens with its revision) and resends; the edit lands and nothing is shown as a problem.
    void operationTooFarBehindIsCaughtUpAndResent()
    {
        FakeRelay fake;
        QVERIFY(fake.listen());
        int ops = 0;
        fake.onMessage = [&ops](QWebSocket *socket, const QJsonObject &message) {
            if (message.value(QStringLiteral("type")).toString() != QStringLiteral("op"))
                return;
            const qint64 seq = message.value(QStringLiteral("seq")).toInteger();
            if (++ops == 1) {
                collab::Message::Error error;
                error.code = collab::ProtocolErrorCode::RevisionTooOld;
                error.message = QStringLiteral("the operation is 5000 revisions behind");
                error.doc = QString::fromLatin1(FakeRelay::document);
                FakeRelay::send(socket, error);
            } else {
                FakeRelay::send(socket, collab::Message::Ack{QString::fromLatin1(FakeRelay::document), 1, seq});
            }
        };
        QTemporaryDir store;
        auto window = std::make_unique<MainWindow>(store.path());
        window->session()->setReconnectDelays(50, 300);
        window->show();
        window->openDocument(fake.documentUrl(), DocumentSession::Profile{QStringLiteral("Late"), colorA().name(), QString(), {}});
        QTRY_VERIFY(online(window));
        window->binding()->applyLocal(collab::TextOperation::makeInsert(0, 0, QStringLiteral("late")),
                                      ui::DocumentBinding::Origin::User);
        QTRY_VERIFY(settled(window));
        QCOMPARE(ops, 2);
        QCOMPARE(fake.opens.size(), 2);
        QCOMPARE(fake.opens.at(1).value(QStringLiteral("revision")).toInt(), 0); // caught up from where it was
        QCOMPARE(fake.connections.size(), 1); // on the same link
        QCOMPARE(window->session()->revision(), 1);
        QCOMPARE(text(window), QStringLiteral("late"));
        QVERIFY(window->session()->problem().isEmpty());
    }

    // The first address has no relay (a relay that died): the editor fails over to the next address of the
    // deployment, and edits typed meanwhile arrive there.
    void failsOverToAnotherRelay()
    {
        quint16 deadPort = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            deadPort = probe.serverPort();
        }
        const QString doc = QStringLiteral("failover%1").arg(++m_documentNumber);
        const QUrl dead(QStringLiteral("ws://127.0.0.1:%1/%2").arg(deadPort).arg(doc));
        QTemporaryDir store;
        auto window = std::make_unique<MainWindow>(store.path());
        window->session()->setReconnectDelays(50, 300);
        window->show();
        DocumentSession::Profile profile{QStringLiteral("Failover"), colorA().name(), QString(), {}};
        profile.failoverServers.append(QUrl(QStringLiteral("ws://127.0.0.1:%1").arg(m_relay.port())));
        window->openDocument(dead, profile);
        window->binding()->applyLocal(collab::TextOperation::makeInsert(0, 0, QStringLiteral("typed while down")),
                                      ui::DocumentBinding::Origin::User);
        QTRY_VERIFY_WITH_TIMEOUT(settled(window), 10000);
        QCOMPARE(window->session()->currentUrl().port(), int(m_relay.port()));

        auto watcher = openWindow(m_storeB.path(), m_relay.documentUrl(doc), QStringLiteral("Watcher"), colorB());
        QTRY_COMPARE(text(watcher), QStringLiteral("typed while down"));
        window.reset();
        watcher.reset();
    }

    void remoteCaretIsDrawnAndMoves()
    {
        m_a->editor()->setFocus();
        m_a->binding()->applyLocal(collab::TextOperation::makeInsert(0, 0, QStringLiteral("abcdefghij klmnop")),
                                   ui::DocumentBinding::Origin::User);
        QTRY_COMPARE(text(m_b), QStringLiteral("abcdefghij klmnop"));
        moveCaret(m_a, 11);
        const QString adaOnB = m_a->session()->connectionId();
        QTRY_VERIFY(m_b->editor()->overlay()->cursor(adaOnB).has_value());
        QTRY_COMPARE(m_b->editor()->overlay()->cursor(adaOnB)->selection,
                     collab::Selection::cursor(11));

        auto caretPixels = [this](qsizetype position) {
            // Count pixels of Ada's colour in the caret's own column band, below where a label could be.
            const QImage image = m_b->editor()->viewport()->grab().toImage();
            const QRect caret = m_b->editor()->caretRect(position);
            int count = 0;
            for (int y = caret.top() + 2; y < caret.bottom(); ++y) {
                for (int x = caret.left() - 2; x <= caret.left() + 1; ++x) {
                    if (QColor(image.pixel(x, y)) == colorA())
                        ++count;
                }
            }
            return count;
        };
        QTRY_VERIFY(caretPixels(11) > 5);
        QCOMPARE(caretPixels(3), 0);

        // Bob types before Ada's caret: in both the model and the picture it moves right with its text.
        moveCaret(m_b, 2);
        QTest::keyClicks(m_b->editor(), QStringLiteral("XYZ"));
        QCOMPARE(m_b->editor()->overlay()->cursor(adaOnB)->selection, collab::Selection::cursor(14));
        QCOMPARE(text(m_b).mid(14, 1), QStringLiteral("k"));
        QTRY_VERIFY(caretPixels(14) > 5);
        QCOMPARE(caretPixels(11), 0);

        // Ada's own view agrees once Bob's edit arrives: her caret is still before "k".
        QTRY_COMPARE(text(m_a), text(m_b));
        QCOMPARE(m_a->editor()->textCursor().position(), 14);

        // Bob deletes text before it: it moves left.
        moveCaret(m_b, 0);
        QTextCursor c = m_b->editor()->textCursor();
        c.setPosition(5, QTextCursor::KeepAnchor);
        m_b->editor()->setTextCursor(c);
        m_b->editor()->textCursor().removeSelectedText();
        QCOMPARE(m_b->editor()->overlay()->cursor(adaOnB)->selection, collab::Selection::cursor(9));
        QTRY_VERIFY(caretPixels(9) > 5);

        // The name label is shown while active and fades out afterwards.
        const auto cursor = *m_b->editor()->overlay()->cursor(adaOnB);
        QVERIFY(m_b->editor()->overlay()->labelOpacity(cursor) > 0.0);
    }

    // The relay's storage fails under an edit (its operations table vanishes): nothing is applied and the relay
    // drops the document. The editors stay connected and keep reopening it with backoff; once storage is back
    // the refused edit and everything typed meanwhile arrive, and both converge.
    void storageFailureIsRiddenOut()
    {
        QTest::keyClicks(m_a->editor(), QStringLiteral("before "));
        QTRY_COMPARE(text(m_b), QStringLiteral("before "));
        QTRY_VERIFY(settled(m_a));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("breaker"));
            db.setDatabaseName(m_relay.databasePath());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE operations RENAME TO operations_away")));
            m_a->editor()->moveCursor(QTextCursor::End);
            QTest::keyClicks(m_a->editor(), QStringLiteral("refused"));
            QTest::qWait(400); // the refusal, the dropped document, failing reopen attempts
            QCOMPARE(text(m_b), QStringLiteral("before "));
            QVERIFY(m_a->session()->pendingEdits() > 0);
            QTest::keyClicks(m_a->editor(), QStringLiteral(" and more"));
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE operations_away RENAME TO operations")));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("breaker"));
        QTRY_COMPARE_WITH_TIMEOUT(text(m_b), QStringLiteral("before refused and more"), 10000);
        QTRY_VERIFY(settled(m_a) && settled(m_b));
        QCOMPARE(text(m_a), text(m_b));
        QCOMPARE(m_a->session()->revision(), m_b->session()->revision());
    }

    void undoUndoesOnlyOwnEdits()
    {
        m_a->editor()->setFocus();
        QTest::keyClicks(m_a->editor(), QStringLiteral("ada "));
        QTRY_COMPARE(text(m_b), QStringLiteral("ada "));
        moveCaret(m_b, 4);
        QTest::keyClicks(m_b->editor(), QStringLiteral("bob"));
        QTRY_COMPARE(text(m_a), QStringLiteral("ada bob"));

        m_a->undo();
        QCOMPARE(text(m_a), QStringLiteral("bob"));
        QTRY_COMPARE(text(m_b), QStringLiteral("bob"));
        m_a->redo();
        QTRY_COMPARE(text(m_b), QStringLiteral("ada bob"));

        m_b->undo();
        QCOMPARE(text(m_b), QStringLiteral("ada "));
        QTRY_COMPARE(text(m_a), QStringLiteral("ada "));
        QVERIFY(!m_b->undoManager().canUndo());
        m_b->undo(); // nothing of Bob's left: Ada's text stays
        QCOMPARE(text(m_b), QStringLiteral("ada "));
        QTRY_VERIFY(settled(m_a) && settled(m_b));
    }

    // View › History: the sessions of both authors, the text at the older one with what it inserted marked,
    // Restore makes the text that again for everyone as one undoable edit, and a named version joins the list.
    // File › Connect… while a document is open: the new window joins with the name typed in the dialog (not
    // the one this window has), so the others see it at once.
    void connectDialogNameIsUsedForTheNewConnection()
    {
        const QUrl url = m_b->session()->documentUrl();
        QTimer::singleShot(0, this, [url] {
            auto *dialog = qobject_cast<ui::ConnectDialog *>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            QString server;
            QString document;
            QVERIFY(DocumentSession::splitUrl(url, &server, &document));
            dialog->findChild<QLineEdit *>(QStringLiteral("server"))->setText(server);
            dialog->findChild<QLineEdit *>(QStringLiteral("document"))->setText(document);
            dialog->findChild<QLineEdit *>(QStringLiteral("name"))->setText(QStringLiteral("Zed"));
            dialog->accept();
        });
        m_a->connectToServer();
        const auto named = [this](const QString &name) {
            const QStringList names = m_b->participantsPanel()->names(); // "Name  ·  active"
            return std::any_of(names.cbegin(), names.cend(), [&](const QString &n) { return n.startsWith(name + QLatin1Char(' ')); });
        };
        QTRY_VERIFY2(named(QStringLiteral("Zed")), qPrintable(m_b->participantsPanel()->names().join(QLatin1Char('|'))));
        QCOMPARE(m_b->participantsPanel()->count(), 2); // Ada and Zed
        // (Collected first: deleting a window deletes its own top-level dialogs, later in the list.)
        QList<QPointer<MainWindow>> opened;
        for (QWidget *w : QApplication::topLevelWidgets()) {
            if (auto *window = qobject_cast<MainWindow *>(w); window && window != m_a.get() && window != m_b.get())
                opened.append(window);
        }
        QCOMPARE(opened.size(), 1);
        qDeleteAll(opened);
    }

    // Open from Server by the keyboard: the list has the focus on its first row, End, Home and the arrows move,
    // Return opens the focused row; New Document makes the document and opens it.
    void documentBrowserOpensByKeyboardAndNewDocumentOpens()
    {
        const QString server = m_b->session()->server();
        const DocumentSession::Profile profile{QStringLiteral("Ada"), colorA().name(), QString(), {}};
        {
            ui::DocumentBrowser maker(server, profile);
            QSignalSpy listed(&maker, &ui::DocumentBrowser::documentsListed);
            QTRY_VERIFY(!listed.isEmpty());
            maker.createDocument(QStringLiteral("Made here"));
            QTRY_COMPARE(maker.result(), int(QDialog::Accepted));
            QCOMPARE(maker.selectedDocumentUrl().path(), QStringLiteral("/Made-here"));
        }
        ui::DocumentBrowser browser(server, profile);
        browser.show();
        browser.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&browser));
        QTRY_VERIFY(browser.documents().size() >= 2);
        auto *table = browser.findChild<QTableWidget *>();
        QTRY_VERIFY(table->hasFocus());
        QCOMPARE(table->currentRow(), 0);
        QTest::keyClick(table, Qt::Key_End);
        QTest::keyClick(table, Qt::Key_Home);
        QTest::keyClick(table, Qt::Key_Down);
        QCOMPARE(table->currentRow(), 1);
        const QString expected = table->item(1, 0)->data(Qt::UserRole).toString();
        QTest::keyClick(table, Qt::Key_Return);
        QTRY_COMPARE(browser.result(), int(QDialog::Accepted));
        QCOMPARE(browser.selectedDocumentUrl().path(), QLatin1Char('/') + expected);
    }

    // The empty document's placeholder says what typing does now: before the relay is reached, that the text is
    // kept and sent later, not that everyone sees it.
    void placeholderSaysTheConnectionState()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 dead = probe.serverPort();
        probe.close();
        QTemporaryDir store;
        auto lonely = openWindow(store.path(), QUrl(QStringLiteral("ws://127.0.0.1:%1/nowhere").arg(dead)),
                                 QStringLiteral("Ada"), colorA());
        QTRY_VERIFY(lonely->editor()->placeholderText().contains(QStringLiteral("sent")));
        QVERIFY(!lonely->editor()->placeholderText().contains(QStringLiteral("Everyone who opens it")));
        QVERIFY(lonely->editor()->placeholderText().contains(QString::number(dead)));
        QVERIFY(m_a->editor()->placeholderText().contains(QStringLiteral("Everyone who opens it sees your text")));
    }

    // Closing with edits not yet sent says so. Wait keeps the window until the relay has them, then it closes
    // by itself; Close closes, and the edits are kept and sent the next time the document is opened.
    void closingWithUnsentEditsSaysSoAndOffersToWait()
    {
        const QUrl url = m_a->session()->documentUrl();
        const auto answer = [](const char *button) {
            QTimer::singleShot(0, [button] {
                auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
                QVERIFY(box);
                QVERIFY2(box->text().contains(QStringLiteral("not sent yet")), qPrintable(box->text()));
                box->findChild<QPushButton *>(QLatin1StringView(button))->click();
            });
        };
        m_relay.stop();
        QTRY_VERIFY(!online(m_a));
        m_a->editor()->setFocus();
        QTest::keyClicks(m_a->editor(), QStringLiteral("kept"));
        QVERIFY(m_a->session()->pendingEdits() > 0);
        answer("wait");
        QVERIFY(!m_a->close());
        QVERIFY(m_a->isVisible());
        QVERIFY(m_relay.start());
        QTRY_VERIFY_WITH_TIMEOUT(!m_a->isVisible(), 10000); // sent, then closed
        QTRY_COMPARE(text(m_b), QStringLiteral("kept"));

        m_relay.stop();
        QTRY_VERIFY(!online(m_b));
        m_b->editor()->setFocus();
        moveCaret(m_b, 4);
        QTest::keyClicks(m_b->editor(), QStringLiteral(" too"));
        answer("close");
        QVERIFY(m_b->close());
        QVERIFY(m_relay.start());
        m_b = openWindow(m_storeB.path(), url, QStringLiteral("Bob"), colorB());
        QTRY_VERIFY(settled(m_b));
        QCOMPARE(text(m_b), QStringLiteral("kept too"));
        // And nothing to say when everything is sent.
        QVERIFY(m_b->close());
    }

    // Twelve sessions, Ada and Bob in turn, each a word typed somewhere and another one deleted: the slider,
    // moved by its keyboard one point at a time to the oldest and back, shows at every point the text of that
    // revision (stepped by differences, back in time too, and fetched ahead) with that session's insert marked.
    void historySliderStepsThroughEveryPoint()
    {
        QList<QString> texts; // after each session
        QList<std::pair<int, int>> inserted;
        QRandomGenerator random(7);
        for (int s = 0; s < 12; ++s) {
            const std::unique_ptr<MainWindow> &w = s % 2 == 0 ? m_a : m_b;
            const QString before = text(w);
            const int at = int(random.bounded(quint32(before.size() + 1)));
            const QString word = QStringLiteral("w%1 ").arg(s);
            collab::TextOperation op = collab::TextOperation::makeInsert(before.size(), at, word);
            if (before.size() > 8 && s % 3 == 2) // and a deletion in the same session, elsewhere
                op = op.compose(collab::TextOperation::makeDelete(before.size() + word.size(),
                                                                   at > 4 ? 0 : before.size() + word.size() - 2, 2)).value();
            QVERIFY(w->binding()->applyLocal(op, ui::DocumentBinding::Origin::User));
            QTRY_VERIFY(settled(w));
            QTRY_COMPARE(text(s % 2 == 0 ? m_b : m_a), text(w));
            texts.append(text(w));
            const auto ranges = op.insertedRanges();
            inserted.append({int(ranges.front().first), int(ranges.front().second)});
        }
        ui::HistoryPanel *history = m_a->historyPanel();
        m_a->historyDock()->show();
        QTRY_COMPARE(history->entryCount(), 12);
        QTRY_COMPARE(history->previewText(), texts.last());
        auto *slider = history->findChild<QSlider *>(QStringLiteral("historySlider"));
        slider->setFocus();
        const auto check = [&](int session) {
            QTRY_COMPARE(history->previewText(), texts.at(session));
            QCOMPARE(history->highlightedRanges().value(0), inserted.at(session));
        };
        for (int s = 10; s >= 0; --s) {
            QTest::keyClick(slider, Qt::Key_Left);
            check(s);
        }
        for (int s = 1; s < 12; ++s) {
            QTest::keyClick(slider, Qt::Key_Right);
            check(s);
        }
        QCOMPARE(history->previewRevision(), m_a->session()->revision());
    }

    void historyPanelShowsRestoresAndNames()
    {
        m_a->activateWindow();
        QVERIFY(adaThenBobType());

        ui::HistoryPanel *history = m_a->historyPanel();
        m_a->historyDock()->show();
        QTRY_COMPARE(history->entryCount(), 2); // Bob's session, then Ada's
        history->choose(1);
        QTRY_COMPARE(history->previewText(), QStringLiteral("Hello"));
        QCOMPARE(history->highlightedRanges(), (QList<std::pair<int, int>>{{0, 5}}));
        history->choose(0);
        QTRY_COMPARE(history->previewText(), QStringLiteral("Hello world"));
        QCOMPARE(history->previewRevision(), m_a->session()->revision());
        QCOMPARE(history->highlightedRanges(), (QList<std::pair<int, int>>{{5, 11}}));

        // Restore the older point: one edit, everyone gets it, and Ada can undo it.
        history->choose(1);
        QTRY_COMPARE(history->previewText(), QStringLiteral("Hello"));
        QVERIFY(history->restoreChosen());
        QCOMPARE(text(m_a), QStringLiteral("Hello"));
        QTRY_COMPARE(text(m_b), QStringLiteral("Hello"));
        QTRY_VERIFY(settled(m_a));
        m_a->editor()->setFocus();
        QTest::keyClick(m_a->editor(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(text(m_a), QStringLiteral("Hello world"));
        QTRY_COMPARE(text(m_b), QStringLiteral("Hello world"));
        QTRY_VERIFY(settled(m_a));

        // The restore and its undo are in the history too (Ada's new session), and a named version is listed.
        history->refresh();
        QTRY_COMPARE(history->entryCount(), 3);
        history->nameVersion(QStringLiteral("Draft"));
        QTRY_COMPARE(history->entryCount(), 4);
    }

    // View › Show Authors colours the text by who wrote it, with a legend, and follows new edits.
    void showAuthorsColoursTheText()
    {
        QVERIFY(adaThenBobType());

        const auto marks = [this] {
            QList<std::tuple<int, int, QRgb>> out;
            for (const QTextEdit::ExtraSelection &s : m_a->editor()->extraSelections()) {
                QColor c = s.format.background().color();
                c.setAlpha(255);
                out.append({s.cursor.selectionStart(), s.cursor.selectionEnd(), c.rgb()});
            }
            return out;
        };
        m_a->showAuthorsAction()->setChecked(true);
        QTRY_COMPARE(marks(), (QList<std::tuple<int, int, QRgb>>{{0, 5, colorA().rgb()}, {5, 11, colorB().rgb()}}));
        QVERIFY(m_a->authorsLegend().contains(QStringLiteral("Ada")));
        QVERIFY(m_a->authorsLegend().contains(QStringLiteral("Bob")));

        QTest::keyClick(m_b->editor(), Qt::Key_Exclam);
        QTRY_COMPARE(text(m_a), QStringLiteral("Hello world!"));
        QTRY_COMPARE(marks(), (QList<std::tuple<int, int, QRgb>>{{0, 5, colorA().rgb()}, {5, 12, colorB().rgb()}}));

        m_a->showAuthorsAction()->setChecked(false);
        QVERIFY(m_a->editor()->extraSelections().isEmpty());
    }

    // Reopened after others wrote: a bar names them, a list says who did what where, and their insertions are
    // marked, until marked as read.
    void changesWhileAwayAreShown()
    {
        m_a->editor()->setFocus();
        QTest::keyClicks(m_a->editor(), QStringLiteral("Hello"));
        QTest::keyClick(m_a->editor(), Qt::Key_Return);
        QTest::keyClicks(m_a->editor(), QStringLiteral("there"));
        QTRY_VERIFY(settled(m_a));
        QTRY_COMPARE(text(m_b), QStringLiteral("Hello\nthere"));
        const QUrl url = m_a->session()->documentUrl();
        m_a.reset(); // Ada closes the window
        m_b->editor()->setFocus();
        moveCaret(m_b, 0);
        QTest::keyClick(m_b->editor(), Qt::Key_Delete);
        moveCaret(m_b, 10);
        QTest::keyClicks(m_b->editor(), QStringLiteral(" world"));
        QTRY_VERIFY(settled(m_b));
        QCOMPARE(text(m_b), QStringLiteral("ello\nthere world"));

        m_a = openWindow(m_storeA.path(), url, QStringLiteral("Ada"), colorA());
        QTRY_VERIFY(online(m_a));
        QTRY_COMPARE(text(m_a), QStringLiteral("ello\nthere world"));
        QTRY_VERIFY(m_a->awayText().contains(QStringLiteral("Bob")));
        QCOMPARE(m_a->awayRanges(), (QList<std::pair<int, int>>{{10, 16}}));
        // Once the text before and the authorship are there: each place with its author, its text and its line.
        QTRY_COMPARE(m_a->awayPanel()->lines(), (QStringList{QStringLiteral("Bob deleted “H” · line 1"),
                                                             QStringLiteral("Bob inserted “ world” · line 2")}));
        QVERIFY(m_a->findChild<QDockWidget *>(QStringLiteral("awayDock"))->isVisible());
        // Going to a place selects what was inserted there.
        m_a->awayPanel()->goTo(1);
        QCOMPARE(m_a->editor()->textCursor().selectedText(), QStringLiteral(" world"));
        m_a->markAsRead();
        QVERIFY(m_a->awayText().isEmpty());
        QVERIFY(m_a->awayRanges().isEmpty());
        QVERIFY(m_a->awayPanel()->lines().isEmpty());
        QVERIFY(!m_a->findChild<QDockWidget *>(QStringLiteral("awayDock"))->isVisible());
        QVERIFY(m_a->editor()->extraSelections().isEmpty());

        // The whole text replaced at once (as a file saved over the document is sent): listed as the two places
        // that changed, word by word, on their lines, not as one change of everything.
        m_a.reset();
        const QString replaced = QStringLiteral("jello\nthere world!");
        QVERIFY(m_b->binding()->applyLocal(collab::TextOperation().remove(text(m_b).size()).insert(replaced),
                                           ui::DocumentBinding::Origin::User));
        QTRY_VERIFY(settled(m_b));
        m_a = openWindow(m_storeA.path(), url, QStringLiteral("Ada"), colorA());
        QTRY_COMPARE(text(m_a), replaced);
        QTRY_COMPARE(m_a->awayPanel()->lines(), (QStringList{QStringLiteral("Bob replaced “ello” with “jello” · line 1"),
                                                             QStringLiteral("Bob inserted “!” · line 2")}));
        QCOMPARE(m_a->awayRanges(), (QList<std::pair<int, int>>{{0, 5}, {17, 18}}));
        m_a->markAsRead();

        // One replace from inside a word Ada wrote to inside another (as a whole-text put keeps the common
        // beginning): listed word by word, and by Bob alone, although the "t" of "three" is still Ada's.
        m_a->editor()->setFocus();
        moveCaret(m_a, int(text(m_a).size()));
        QTest::keyClicks(m_a->editor(), QStringLiteral(" two engineers X"));
        QTRY_VERIFY(settled(m_a));
        QTRY_COMPARE(text(m_b), text(m_a));
        m_a.reset();
        const QString before = text(m_b);
        QString after = before;
        after.replace(QStringLiteral("two engineers X"), QStringLiteral("three engineers Y"));
        QVERIFY(m_b->binding()->applyLocal(collab::TextOperation::makeDiff(before, after), ui::DocumentBinding::Origin::User));
        QTRY_VERIFY(settled(m_b));
        m_a = openWindow(m_storeA.path(), url, QStringLiteral("Ada"), colorA());
        QTRY_COMPARE(text(m_a), after);
        QTRY_COMPARE(m_a->awayPanel()->lines(), (QStringList{QStringLiteral("Bob replaced “two” with “three” · line 2"),
                                                             QStringLiteral("Bob replaced “X” with “Y” · line 2")}));
    }

    void offlineEditsAreKeptAndMerged()
    {
        m_a->binding()->applyLocal(collab::TextOperation::makeInsert(0, 0, QStringLiteral("middle")),
                                   ui::DocumentBinding::Origin::User);
        QTRY_COMPARE(text(m_b), QStringLiteral("middle"));
        QTRY_VERIFY(settled(m_a) && settled(m_b));

        m_relay.stop();
        QTRY_VERIFY(m_a->session()->status() != DocumentSession::Status::Online);
        QTRY_VERIFY(m_b->session()->status() != DocumentSession::Status::Online);
        QTRY_COMPARE(m_a->participantsPanel()->count(), 0);

        moveCaret(m_a, 0);
        QTest::keyClicks(m_a->editor(), QStringLiteral("start "));
        moveCaret(m_b, 6);
        QTest::keyClicks(m_b->editor(), QStringLiteral(" end"));
        moveCaret(m_b, 0);
        QTest::keyClicks(m_b->editor(), QStringLiteral(">"));
        QCOMPARE(text(m_a), QStringLiteral("start middle"));
        QCOMPARE(text(m_b), QStringLiteral(">middle end"));
        QCOMPARE(m_a->session()->pendingEdits(), 6);
        QCOMPARE(m_b->session()->pendingEdits(), 5);
        QVERIFY(m_a->statusText().contains(QStringLiteral("6")));

        QVERIFY(m_relay.start());
        QTRY_VERIFY_WITH_TIMEOUT(settled(m_a) && settled(m_b) && text(m_a) == text(m_b), 15000);
        const QString merged = text(m_a);
        QVERIFY2(merged == QStringLiteral(">start middle end") || merged == QStringLiteral("start >middle end"),
                 qPrintable(merged));
        QTRY_COMPARE(m_a->participantsPanel()->count(), 1);
    }
};

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
