// SPDX-License-Identifier: MIT
// The web editor in a real browser (Debian's headless Chromium, driven by tests/web/driver.mjs through
// playwright-core) against a real relay on 127.0.0.1 serving the page, side by side with the Qt editor
// (offscreen). A missing browser, Node.js or playwright-core is a failure that says what to install, never a
// skip.
#include <mainwindow.h>
#include <collabeditor.h>
#include <documentbinding.h>
#include <remotecursoroverlay.h>
#include <documentlink.h>
#include <documentsession.h>

#include <relayserver.h>
#include <sqlstorage.h>
#include <tokenstore.h>

#include <QAction>
#include <QClipboard>
#include <QFile>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <documentlink.h>

#include <memory>

using namespace ui;
using syncing::DocumentSession;

namespace {

const QString WriterToken = QStringLiteral("writer-token-0123456789abcdef");
const QString ReaderToken = QStringLiteral("reader-token-0123456789abcdef");

// The browser side: one node process, commands as JSON lines (driver.mjs's header lists them).
class Browser
{
public:
    ~Browser()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.write("{\"id\":-1,\"cmd\":\"quit\"}\n");
            if (!m_process.waitForFinished(10000))
                m_process.kill();
        }
    }

    QString start()
    {
        const QString dir = QStringLiteral(COSCRIBE_WEB_TESTS_DIR);
        if (!QFile::exists(QStringLiteral(COSCRIBE_NODE)))
            return QStringLiteral("Node.js not found at configure time: install nodejs (scripts/install-deps.sh)");
        if (!QFile::exists(dir + QStringLiteral("/node_modules/playwright-core/package.json")))
            return QStringLiteral("playwright-core missing: run `npm ci` in tests/web (scripts/install-deps.sh)");
        if (!QFile::exists(QStringLiteral("/usr/bin/chromium")) && qEnvironmentVariableIsEmpty("COSCRIBE_CHROMIUM"))
            return QStringLiteral("Debian's chromium is not installed (apt-get install chromium)");
        m_process.setWorkingDirectory(dir);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        m_process.start(QStringLiteral(COSCRIBE_NODE), {dir + QStringLiteral("/driver.mjs")});
        if (!m_process.waitForStarted(10000))
            return QStringLiteral("node did not start: ") + m_process.errorString();
        const QJsonObject ready = wait(0, 60000);
        if (!ready.value(QStringLiteral("ok")).toBool())
            return QStringLiteral("the browser did not start: ") + QString::fromUtf8(m_process.readAllStandardError());
        return {};
    }

    // Send a command; its answer comes with wait(id).
    int send(QJsonObject command)
    {
        const int id = ++m_nextId;
        command.insert(QStringLiteral("id"), id);
        m_process.write(QJsonDocument(command).toJson(QJsonDocument::Compact) + '\n');
        return id;
    }

    // The answer to `id`, processing Qt events meanwhile (the desktop editor and the relay live here).
    QJsonObject wait(int id, int timeoutMs = 30000)
    {
        QJsonObject found;
        (void)QTest::qWaitFor([&] {
            while (m_process.canReadLine()) {
                const QJsonObject reply = QJsonDocument::fromJson(m_process.readLine()).object();
                m_replies.insert(reply.value(QStringLiteral("id")).toInt(), reply);
            }
            if (m_replies.contains(id)) {
                found = m_replies.take(id);
                return true;
            }
            return m_process.state() == QProcess::NotRunning;
        }, timeoutMs);
        if (found.isEmpty())
            found = {{QStringLiteral("ok"), false},
                     {QStringLiteral("error"), QStringLiteral("no answer in time; driver stderr: ")
                                                   + QString::fromUtf8(m_process.readAllStandardError())}};
        return found;
    }

    QJsonObject call(const QJsonObject &command, int timeoutMs = 30000) { return wait(send(command), timeoutMs); }

private:
    QProcess m_process;
    int m_nextId = 0;
    QHash<int, QJsonObject> m_replies;
};

QJsonObject command(const char *name, const QString &page, QJsonObject fields = {})
{
    fields.insert(QStringLiteral("cmd"), QLatin1String(name));
    fields.insert(QStringLiteral("page"), page);
    return fields;
}

} // namespace

class tst_WebEditor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void pageIsServed();
    void coEditsWithTheDesktopEditor();
    void offlineReloadLosesNothing();
    void readOnlyTokenCannotEdit();
    void otherOriginsAreRefused();
    void nonBmpTextTravelsIntact();
    void largePasteArrivesInPieces();

private:
    bool startRelay(bool withTokens);
    // A browser command's answer; a failed one is logged with the driver's error.
    QJsonObject ask(const QJsonObject &cmd, int timeoutMs = 30000)
    {
        const QJsonObject r = m_browser->call(cmd, timeoutMs);
        if (!r.value(QStringLiteral("ok")).toBool())
            qWarning().noquote() << "browser:" << r.value(QStringLiteral("error")).toString();
        return r;
    }
    QString pageUrl(const QString &doc) const
    {
        return QStringLiteral("http://127.0.0.1:%1/d/%2").arg(m_relay->port()).arg(doc);
    }
    QUrl documentUrl(const QString &doc) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/%2").arg(m_relay->port()).arg(doc));
    }
    std::unique_ptr<MainWindow> openWindow(const QString &doc, const QString &token = {});
    QString relayText(const QString &doc);
    static QString text(const std::unique_ptr<MainWindow> &w) { return w->binding()->text(); }
    static bool settled(const std::unique_ptr<MainWindow> &w)
    {
        return w->session()->status() == DocumentSession::Status::Online && w->session()->pendingEdits() == 0;
    }
    // A position on a character boundary, as the keyboard and the mouse give them (never inside a surrogate pair).
    static int boundary(const std::unique_ptr<MainWindow> &w, int position)
    {
        const QString t = text(w);
        position = std::clamp(position, 0, int(t.size()));
        if (position > 0 && position < t.size() && t.at(position - 1).isHighSurrogate() && t.at(position).isLowSurrogate())
            --position;
        return position;
    }
    static void typeAt(const std::unique_ptr<MainWindow> &w, int position, const QString &text)
    {
        QTextCursor c = w->editor()->textCursor();
        c.setPosition(boundary(w, position));
        w->editor()->setTextCursor(c);
        QTest::keyClicks(w->editor(), text);
    }

    QTemporaryDir m_dir;
    std::unique_ptr<QTemporaryDir> m_relayDir;
    std::unique_ptr<relay::SqlStorage> m_storage;
    std::unique_ptr<relay::RelayServer> m_relay;
    std::unique_ptr<Browser> m_browser;
    std::unique_ptr<MainWindow> m_window;
};

void tst_WebEditor::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_WebEditor::init()
{
    m_browser = std::make_unique<Browser>();
    const QString problem = m_browser->start();
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void tst_WebEditor::cleanup()
{
    m_window.reset();
    m_browser.reset();
    m_relay.reset();
    m_storage.reset();
    m_relayDir.reset();
}

bool tst_WebEditor::startRelay(bool withTokens)
{
    m_relayDir = std::make_unique<QTemporaryDir>();
    relay::SqlStorage::Options options;
    options.databaseName = m_relayDir->filePath(QStringLiteral("relay.sqlite"));
    options.synchronousFull = false;
    m_storage = std::make_unique<relay::SqlStorage>(options);
    if (!m_storage->open())
        return false;
    relay::RelayServer::Settings settings;
    settings.opsPerSecond = 1000;
    settings.burst = 2000;
    if (withTokens) {
        auto tokens = relay::TokenStore::parse(
            (WriterToken + QStringLiteral(" writer write:*\n") + ReaderToken + QStringLiteral(" reader read:*\n"))
                .toUtf8(),
            QStringLiteral("test"));
        if (!std::holds_alternative<relay::TokenStore>(tokens))
            return false;
        settings.tokens = std::get<relay::TokenStore>(tokens);
    }
    m_relay = std::make_unique<relay::RelayServer>(*m_storage, settings);
    return m_relay->listen();
}

std::unique_ptr<MainWindow> tst_WebEditor::openWindow(const QString &doc, const QString &token)
{
    auto window = std::make_unique<MainWindow>(m_dir.filePath(QStringLiteral("store-") + doc));
    window->resize(640, 420);
    window->session()->setReconnectDelays(50, 300);
    window->show();
    window->openDocument(documentUrl(doc), DocumentSession::Profile{QStringLiteral("Desk"), QStringLiteral("#2255aa"),
                                                                    token, {}});
    return window;
}

// The relay's own text of the document, through a native client's eyes: a fresh window's.
QString tst_WebEditor::relayText(const QString &doc)
{
    auto probe = std::make_unique<MainWindow>(m_dir.filePath(QStringLiteral("probe-") + doc));
    probe->openDocument(documentUrl(doc), DocumentSession::Profile{QStringLiteral("Probe"), QStringLiteral("#777777"),
                                                                   WriterToken, {}});
    if (!QTest::qWaitFor([&] { return settled(probe); }, 10000))
        return QStringLiteral("<probe did not connect>");
    return text(probe);
}

void tst_WebEditor::pageIsServed()
{
    QVERIFY(startRelay(false));
    QNetworkAccessManager network;
    for (const QString &path : {QStringLiteral("/"), QStringLiteral("/d/notes"), QStringLiteral("/assets/app.js")}) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_relay->port()).arg(path)));
        std::unique_ptr<QNetworkReply> reply(network.get(request));
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY(reply->hasRawHeader("Content-Security-Policy"));
        const QByteArray body = reply->readAll();  // QNetworkAccessManager asks for gzip and unpacks it
        if (path.startsWith(QStringLiteral("/assets/")))
            QVERIFY2(body.size() > 10000, "the bundled script");
        else
            QVERIFY(body.contains("<script type=\"module\" src=\"/assets/app.js\">"));
    }
}

// Random concurrent edits from the page and the Qt editor, then both, and the relay, hold the same text; each
// side draws the other's caret where it is.
void tst_WebEditor::coEditsWithTheDesktopEditor()
{
    QVERIFY(startRelay(false));
    const QString doc = QStringLiteral("coedit");
    m_window = openWindow(doc);
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    typeAt(m_window, 0, QStringLiteral("shared start "));
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);

    // The page opens from the link the desktop hands out (Edit › Copy Web Link).
    QAction *copyWebLink = nullptr;
    for (QAction *action : m_window->findChildren<QAction *>())
        if (action->text() == MainWindow::tr("Copy &Web Link"))
            copyWebLink = action;
    QVERIFY(copyWebLink && copyWebLink->isEnabled());
    copyWebLink->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), pageUrl(doc));
    QVERIFY(ask(command("open", QStringLiteral("web"), {{QStringLiteral("url"), QGuiApplication::clipboard()->text()},
                                                                     {QStringLiteral("name"), QStringLiteral("Web")}}))
                .value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("wait", QStringLiteral("web"), {{QStringLiteral("state"), QStringLiteral("connected")},
                                                                     {QStringLiteral("text"), text(m_window)}}))
                .value(QStringLiteral("ok")).toBool());

    for (int round = 0; round < 3; ++round) {
        // The page types 40 random edits while the desktop types its own in between.
        const int id = m_browser->send(command("random", QStringLiteral("web"),
                                               {{QStringLiteral("seed"), 11 + round}, {QStringLiteral("edits"), 40}}));
        auto *random = QRandomGenerator::global();
        for (int i = 0; i < 40; ++i) {
            const int length = int(text(m_window).size());
            if (random->bounded(4) == 0 && length > 0) {
                QTextCursor c = m_window->editor()->textCursor();
                c.setPosition(std::max(1, boundary(m_window, 1 + int(random->bounded(length)))));
                m_window->editor()->setTextCursor(c);
                QTest::keyClick(m_window->editor(), Qt::Key_Backspace);
            } else {
                typeAt(m_window, int(random->bounded(length + 1)), QStringLiteral("Qt"));
            }
            QTest::qWait(int(random->bounded(5, 40)));
        }
        QVERIFY(m_browser->wait(id, 60000).value(QStringLiteral("ok")).toBool());
        QVERIFY2(QTest::qWaitFor([&] { return settled(m_window); }, 15000),
                 qPrintable(QStringLiteral("desktop: status %1, %2 pending")
                                .arg(int(m_window->session()->status()))
                                .arg(m_window->session()->pendingEdits())));
        const QJsonObject quiet = ask(command("wait", QStringLiteral("web"),
                                                           {{QStringLiteral("state"), QStringLiteral("connected")},
                                                            {QStringLiteral("pending"), 0}}));
        QVERIFY(quiet.value(QStringLiteral("ok")).toBool());
        // Both settled: the page must now show exactly the desktop's text.
        QJsonObject same = ask(command("wait", QStringLiteral("web"), {{QStringLiteral("text"), text(m_window)}}));
        QVERIFY2(same.value(QStringLiteral("ok")).toBool(), qPrintable(same.value(QStringLiteral("error")).toString()));
    }
    QCOMPARE(relayText(doc), text(m_window));

    // Carets: the desktop's caret at 3 is drawn on the page at 3, the page's at 5 on the desktop at 5.
    QTextCursor c = m_window->editor()->textCursor();
    c.setPosition(3);
    m_window->editor()->setTextCursor(c);
    QVERIFY(QTest::qWaitFor([&] {
        const QJsonArray carets = m_browser->call(command("carets", QStringLiteral("web"))).value(QStringLiteral("carets")).toArray();
        return carets.size() == 1 && carets.at(0)[QStringLiteral("name")].toString() == u"Desk" && carets.at(0)[QStringLiteral("pos")].toInt() == 3;
    }, 10000));
    QVERIFY(ask(command("select", QStringLiteral("web"), {{QStringLiteral("anchor"), 5}})).value(QStringLiteral("ok")).toBool());
    const QString webConnection = ask(command("status", QStringLiteral("web"))).value(QStringLiteral("connectionId")).toString();
    QVERIFY(!webConnection.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->editor()->overlay()->cursor(webConnection).has_value()
                                 && m_window->editor()->overlay()->cursor(webConnection)->selection
                                        == collab::Selection::cursor(5),
                             10000);
    QCOMPARE(m_window->editor()->overlay()->cursor(webConnection)->name, QStringLiteral("Web"));

    // The page types right at the desktop's caret: the desktop's caret stays before the new text, on the
    // desktop and as the page draws it (the relay's rule for other people's inserts, collab/selection.h).
    QVERIFY(ask(command("type", QStringLiteral("web"), {{QStringLiteral("at"), 3}, {QStringLiteral("text"), QStringLiteral("ZZ")}}))
                .value(QStringLiteral("ok")).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(text(m_window).mid(3, 2), QStringLiteral("ZZ"), 10000);
    QCOMPARE(m_window->editor()->textCursor().position(), 3);
    QTest::qWait(300);
    const QJsonArray after = ask(command("carets", QStringLiteral("web"))).value(QStringLiteral("carets")).toArray();
    QCOMPARE(after.size(), 1);
    QCOMPARE(after.at(0)[QStringLiteral("pos")].toInt(), 3);
}

// The page's WebSocket is blocked; it types, is reloaded while still blocked, types again; the desktop types
// meanwhile. Unblocked, everything typed arrives once.
void tst_WebEditor::offlineReloadLosesNothing()
{
    QVERIFY(startRelay(false));
    const QString doc = QStringLiteral("offline");
    m_window = openWindow(doc);
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    typeAt(m_window, 0, QStringLiteral("[desk-1]"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);

    const QString web = QStringLiteral("web");
    QVERIFY(ask(command("open", web, {{QStringLiteral("url"), pageUrl(doc)}, {QStringLiteral("blockable"), true}}))
                .value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("wait", web, {{QStringLiteral("text"), QStringLiteral("[desk-1]")},
                                                   {QStringLiteral("state"), QStringLiteral("connected")}}))
                .value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("block", web, {{QStringLiteral("blocked"), true}})).value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("wait", web, {{QStringLiteral("state"), QStringLiteral("offline")}})).value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("type", web, {{QStringLiteral("at"), 0}, {QStringLiteral("text"), QStringLiteral("[web-1]")}}))
                .value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("type", web, {{QStringLiteral("at"), 100}, {QStringLiteral("text"), QStringLiteral("[web-2]")}}))
                .value(QStringLiteral("ok")).toBool());
    // Kept in IndexedDB before the reload (the status says so: saved, with the count).
    QJsonObject kept = ask(command("status", web));
    QTRY_VERIFY_WITH_TIMEOUT((kept = m_browser->call(command("status", web))).value(QStringLiteral("saved")).toBool(), 5000);
    QVERIFY2(kept.value(QStringLiteral("pending")).toInt() >= 1, qPrintable(kept.value(QStringLiteral("text")).toString()));
    QVERIFY(kept.value(QStringLiteral("text")).toString().contains(QStringLiteral("kept in this browser")));

    QVERIFY(ask(command("reload", web)).value(QStringLiteral("ok")).toBool());
    const QJsonObject reloaded = ask(command("text", web));
    QCOMPARE(reloaded.value(QStringLiteral("text")).toString(), QStringLiteral("[web-1][desk-1][web-2]"));
    QVERIFY(ask(command("type", web, {{QStringLiteral("at"), 7}, {QStringLiteral("text"), QStringLiteral("[web-3]")}}))
                .value(QStringLiteral("ok")).toBool());
    typeAt(m_window, 1, QStringLiteral("[desk-2]"));  // not where the page typed: no tie to break
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    QCOMPARE(text(m_window), QStringLiteral("[[desk-2]desk-1]"));

    QVERIFY(ask(command("block", web, {{QStringLiteral("blocked"), false}})).value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("wait", web, {{QStringLiteral("state"), QStringLiteral("connected")},
                                                   {QStringLiteral("pending"), 0}, {QStringLiteral("timeoutMs"), 30000}}))
                .value(QStringLiteral("ok")).toBool());
    const QString expected = QStringLiteral("[web-1][web-3][[desk-2]desk-1][web-2]");
    QTRY_COMPARE_WITH_TIMEOUT(text(m_window), expected, 10000);
    QVERIFY(ask(command("wait", web, {{QStringLiteral("text"), expected}})).value(QStringLiteral("ok")).toBool());
    QCOMPARE(relayText(doc), expected);
}

// With a read token the page opens read-only: typing changes nothing, locally or on the relay.
void tst_WebEditor::readOnlyTokenCannotEdit()
{
    QVERIFY(startRelay(true));
    const QString doc = QStringLiteral("readonly");
    m_window = openWindow(doc, WriterToken);
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    typeAt(m_window, 0, QStringLiteral("written by the writer"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);

    // Without a token the relay refuses the page, which says so and asks for one.
    QVERIFY(ask(command("open", QStringLiteral("anonymous"), {{QStringLiteral("url"), pageUrl(doc)}})).value(QStringLiteral("ok")).toBool());
    const QJsonObject refused = ask(command("wait", QStringLiteral("anonymous"), {{QStringLiteral("state"), QStringLiteral("refused")}}));
    QVERIFY(refused.value(QStringLiteral("ok")).toBool());
    QVERIFY2(refused[QStringLiteral("status")][QStringLiteral("dialog")].toString().contains(QStringLiteral("token")),
             qPrintable(QJsonDocument(refused).toJson()));

    const QString web = QStringLiteral("reader");
    QVERIFY(ask(command("open", web, {{QStringLiteral("url"), pageUrl(doc)}, {QStringLiteral("token"), ReaderToken}}))
                .value(QStringLiteral("ok")).toBool());
    const QJsonObject opened = ask(command("wait", web, {{QStringLiteral("state"), QStringLiteral("connected")},
                                                                      {QStringLiteral("text"), QStringLiteral("written by the writer")}}));
    QVERIFY(opened.value(QStringLiteral("ok")).toBool());
    QVERIFY(opened[QStringLiteral("status")][QStringLiteral("readOnly")].toBool());
    QVERIFY(opened[QStringLiteral("status")][QStringLiteral("text")].toString().contains(QStringLiteral("read-only")));
    QVERIFY(ask(command("type", web, {{QStringLiteral("at"), 0}, {QStringLiteral("text"), QStringLiteral("vandal")}}))
                .value(QStringLiteral("ok")).toBool());
    QTest::qWait(500);
    QCOMPARE(ask(command("text", web)).value(QStringLiteral("text")).toString(), QStringLiteral("written by the writer"));
    QCOMPARE(text(m_window), QStringLiteral("written by the writer"));
    QCOMPARE(relayText(doc), QStringLiteral("written by the writer"));

    // The writer's edits still reach the reader.
    typeAt(m_window, 0, QStringLiteral("still "));
    QVERIFY(ask(command("wait", web, {{QStringLiteral("text"), QStringLiteral("still written by the writer")}}))
                .value(QStringLiteral("ok")).toBool());

    // An invite link (the desktop's Edit › Copy Invite Link…) brings its token to a page that has none.
    const QString invited = QStringLiteral("invited");
    const QString invite = syncing::DocumentLink::webInviteUrl(documentUrl(doc), ReaderToken).toString();
    QVERIFY(ask(command("open", invited, {{QStringLiteral("url"), invite}})).value(QStringLiteral("ok")).toBool());
    const QJsonObject in = ask(command("wait", invited, {{QStringLiteral("state"), QStringLiteral("connected")},
                                                          {QStringLiteral("text"), QStringLiteral("still written by the writer")}}));
    QVERIFY2(in.value(QStringLiteral("ok")).toBool(), qPrintable(QJsonDocument(in).toJson()));
    QVERIFY(in[QStringLiteral("status")][QStringLiteral("readOnly")].toBool());
}

// A page from another origin cannot open a WebSocket to the relay (the relay's own page can: the tests above).
void tst_WebEditor::otherOriginsAreRefused()
{
    QVERIFY(startRelay(false));
    const QJsonObject result = ask(QJsonObject{{QStringLiteral("cmd"), QStringLiteral("crossOrigin")},
                                                            {QStringLiteral("wsUrl"), documentUrl(QStringLiteral("x")).toString()}});
    QVERIFY(result.value(QStringLiteral("ok")).toBool());
    QVERIFY2(!result.value(QStringLiteral("opened")).toBool(), "a page of another origin opened a WebSocket");
    QCOMPARE(m_relay->connectionCount(), 0);
}

// Emoji and other non-BMP characters typed in the page arrive intact on the desktop, and back.
void tst_WebEditor::nonBmpTextTravelsIntact()
{
    QVERIFY(startRelay(false));
    const QString doc = QStringLiteral("emoji");
    m_window = openWindow(doc);
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    const QString web = QStringLiteral("web");
    QVERIFY(ask(command("open", web, {{QStringLiteral("url"), pageUrl(doc)}})).value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("wait", web, {{QStringLiteral("state"), QStringLiteral("connected")}})).value(QStringLiteral("ok")).toBool());

    const QString fromWeb = QStringLiteral("a😀b𝄞c👩‍💻é");
    QVERIFY(ask(command("type", web, {{QStringLiteral("at"), 0}, {QStringLiteral("text"), fromWeb}})).value(QStringLiteral("ok")).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(text(m_window), fromWeb, 10000);

    // The desktop types after the 😀 (a surrogate pair: position 3 in UTF-16).
    m_window->editor()->setFocus();
    QTextCursor c = m_window->editor()->textCursor();
    c.setPosition(3);
    m_window->editor()->setTextCursor(c);
    m_window->editor()->insertPlainText(QStringLiteral("🎉𐐷"));
    const QString both = QStringLiteral("a😀🎉𐐷b𝄞c👩‍💻é");
    QCOMPARE(text(m_window), both);
    QVERIFY(ask(command("wait", web, {{QStringLiteral("text"), both}})).value(QStringLiteral("ok")).toBool());
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    QCOMPARE(relayText(doc), both);
}

// A paste larger than the relay's message limit (1 MiB) leaves the page as several operations that each fit,
// and arrives whole.
void tst_WebEditor::largePasteArrivesInPieces()
{
    QVERIFY(startRelay(false));
    const QString doc = QStringLiteral("paste");
    m_window = openWindow(doc);
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    typeAt(m_window, 0, QStringLiteral("[start][end]"));
    QTRY_VERIFY_WITH_TIMEOUT(settled(m_window), 10000);
    const QString web = QStringLiteral("web");
    QVERIFY(ask(command("open", web, {{QStringLiteral("url"), pageUrl(doc)}})).value(QStringLiteral("ok")).toBool());
    QVERIFY(ask(command("wait", web, {{QStringLiteral("state"), QStringLiteral("connected")},
                                      {QStringLiteral("text"), QStringLiteral("[start][end]")}})).value(QStringLiteral("ok")).toBool());
    const int lines = 60000;  // about 3.3 MB of UTF-8
    const int before = m_window->session()->revision();
    const QJsonObject pasted = ask(command("paste", web, {{QStringLiteral("at"), 7}, {QStringLiteral("lines"), lines}}));
    QVERIFY(pasted.value(QStringLiteral("ok")).toBool());
    const int length = pasted.value(QStringLiteral("length")).toInt();
    QVERIFY(QString(text(m_window)).size() < length);
    QVERIFY(ask(command("wait", web, {{QStringLiteral("state"), QStringLiteral("connected")}, {QStringLiteral("pending"), 0},
                                      {QStringLiteral("timeoutMs"), 60000}}), 70000).value(QStringLiteral("ok")).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(text(m_window).size(), qsizetype(12 + length), 30000);
    const QString desk = text(m_window);
    QVERIFY(desk.startsWith(QStringLiteral("[start]line 0 of a long paste: ça va, 日本語, 😀\n")));
    QVERIFY(desk.endsWith(QStringLiteral("line %1 of a long paste: ça va, 日本語, 😀\n[end]").arg(lines - 1)));
    QCOMPARE(desk.count(QStringLiteral("😀")), lines);
    // Several operations went (each within the 1 MiB message limit): the revision grew by more than one each.
    QVERIFY2(m_window->session()->revision() >= before + 3, qPrintable(QString::number(m_window->session()->revision() - before)));
}

QTEST_MAIN(tst_WebEditor)
#include "tst_webeditor.moc"
