// SPDX-License-Identifier: MIT
// Editor benchmarks (QBENCHMARK), each on a 100 KB, a 1 MB and a 10 MB document in the editor widget (a
// CollabEditor, as in the app): a remote operation applied through the binding, a local keystroke handled end
// to end (key event -> QTextDocument -> contentsChange -> TextOperation), and a repaint of the view while
// another participant has the whole document selected; and the DocumentSession's share of an edit (a remote
// operation from the relay, a local edit sent and acknowledged: base text, local store and all) against a
// scripted in-process relay. Goal: well under one frame (16 ms) on 10 MB, and the same cost at every size
// (nothing per edit may depend on the document's length).
// Run: QT_QPA_PLATFORM=offscreen build/release/bench/bench_editor [-iterations N] [-callgrind] [function]
// (the sync* cases include a loopback round trip per edit; -callgrind counts the instructions alone)
#include <collabeditor.h>
#include <documentbinding.h>
#include <localstore.h>
#include <remotecursoroverlay.h>
#include <documentsession.h>

#include <message.h>
#include <selection.h>
#include <textoperation.h>

#include <QElapsedTimer>
#include <QScrollBar>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

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
        editor.setLineNumbersVisible(true); // as View › Line Numbers is by default
        editor.resize(800, 600);
        editor.show();
        binding.resetText(makeDocument(bytes / 2));
        length = binding.length();
    }

    ui::CollabEditor editor;
    ui::DocumentBinding binding;
    qsizetype length = 0;
};

// Just enough of a relay for one editor on one document: welcome, opened (the editor has the text cached, so
// an empty catch-up), an ack for every op, and remote operations on demand. It keeps no text: what is
// measured is the editor's side only.
class ScriptedRelay : public QObject
{
public:
    explicit ScriptedRelay(int revision) : m_revision(revision)
    {
        m_server.listen(QHostAddress::LocalHost);
        connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
            m_client = m_server.nextPendingConnection();
            connect(m_client, &QWebSocket::textMessageReceived, this, &ScriptedRelay::onMessage);
        });
    }

    QString server() const { return QStringLiteral("ws://127.0.0.1:%1").arg(m_server.serverPort()); }

    // Another participant's edit, as the relay broadcasts it.
    void broadcast(const collab::TextOperation &op)
    {
        collab::Message::RemoteOp m;
        m.doc = QStringLiteral("bench");
        m.revision = ++m_revision;
        m.operation = op;
        m.author = QStringLiteral("peer");
        m.sequence = ++m_peerSequence;
        m.connectionId = QStringLiteral("peer-connection");
        send(collab::Message::encode(m));
    }

private:
    void onMessage(const QString &frame)
    {
        collab::ProtocolResult<collab::Message::Client> m = collab::Message::decodeClient(frame.toUtf8());
        if (!m)
            return;
        if (std::holds_alternative<collab::Message::Hello>(m.value())) {
            collab::Message::Welcome welcome;
            welcome.connectionId = QStringLiteral("bench-connection");
            send(collab::Message::encode(welcome));
        } else if (const auto *open = std::get_if<collab::Message::Open>(&m.value())) {
            // The editor comes with the text at our revision (from its local store): nothing to catch up.
            collab::Message::Opened opened;
            opened.ref = open->id;
            opened.doc = open->doc;
            opened.revision = m_revision;
            opened.role = collab::Role::Write;
            opened.ops = QList<collab::CommittedOperation>();
            send(collab::Message::encode(opened));
        } else if (const auto *op = std::get_if<collab::Message::Op>(&m.value())) {
            send(collab::Message::encode(collab::Message::Ack{op->doc, ++m_revision, op->sequence}));
        }
    }
    void send(const QByteArray &frame) { m_client->sendTextMessage(QString::fromUtf8(frame)); }

    QWebSocketServer m_server{QStringLiteral("bench"), QWebSocketServer::NonSecureMode};
    QWebSocket *m_client = nullptr;
    int m_revision = 0;
    qint64 m_peerSequence = 0;
};

// The editor, its binding, a local store and a DocumentSession online on a document of `bytes` bytes. The
// text is put into the local store beforehand (as a cached document), so the link carries no snapshot.
struct SyncFixture
{
    static constexpr int Revision = 1;

    explicit SyncFixture(qsizetype bytes)
        : relay(Revision), binding(&editor), store(storeDir.path()), connection(&binding, &store)
    {
        binding.attach(&connection);
        editor.resize(800, 600);
        editor.show();
        store.open();
        {
            std::optional<syncing::LocalStore::Replica> r = store.claim(relay.server(), QStringLiteral("bench"));
            QVERIFY(r);
            r->synced = true;
            r->revision = Revision;
            r->snapshot = makeDocument(bytes / 2);
            QVERIFY(store.save(*r, true));
            store.release(r->id);
        }
        connection.open(QUrl(relay.server() + QStringLiteral("/bench")),
                        syncing::DocumentSession::Profile{QStringLiteral("Bench"), QStringLiteral("#ff0000"), {}, {}});
        QTRY_VERIFY_WITH_TIMEOUT(connection.status() == syncing::DocumentSession::Status::Online, 30000);
        length = binding.length();
    }

    // Process events until the connection has seen `revision` and has nothing pending.
    bool waitFor(int revision)
    {
        QDeadlineTimer deadline(10000);
        while (connection.revision() < revision || connection.pendingEdits() > 0) {
            if (deadline.hasExpired())
                return false;
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
        }
        return true;
    }

    QTemporaryDir storeDir;
    ScriptedRelay relay;
    ui::CollabEditor editor;
    ui::DocumentBinding binding;
    syncing::LocalStore store;
    syncing::DocumentSession connection;
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
    void syncRemoteOperation_data() { addSizes(); }
    void syncRemoteOperation();
    void syncLocalEditAcknowledged_data() { addSizes(); }
    void syncLocalEditAcknowledged();
    void offlineTyping_data();
    void offlineTyping();
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

// A remote operation arriving over the socket, through DocumentSession (client, base text, local store) into the
// editor: an insert and a delete in the middle per iteration.
void bench_Editor::syncRemoteOperation()
{
    QFETCH(qsizetype, bytes);
    SyncFixture f(bytes);
    QVERIFY(f.length > 0);
    const qsizetype middle = f.length / 2;
    const collab::TextOperation insert = collab::TextOperation::makeInsert(f.length, middle, QStringLiteral("x"));
    const collab::TextOperation remove = collab::TextOperation::makeDelete(f.length + 1, middle, 1);
    QBENCHMARK {
        const int target = f.connection.revision() + 2;
        f.relay.broadcast(insert);
        f.relay.broadcast(remove);
        QVERIFY(f.waitFor(target));
    }
    QCOMPARE(f.binding.length(), f.length);
}

// A local edit saved, sent and acknowledged, then a second one (the pair leaves the size unchanged): what one
// keystroke of one's own costs in DocumentSession, with the relay's answer.
void bench_Editor::syncLocalEditAcknowledged()
{
    QFETCH(qsizetype, bytes);
    SyncFixture f(bytes);
    QVERIFY(f.length > 0);
    const qsizetype middle = f.length / 2;
    const collab::TextOperation insert = collab::TextOperation::makeInsert(f.length, middle, QStringLiteral("x"));
    const collab::TextOperation remove = collab::TextOperation::makeDelete(f.length + 1, middle, 1);
    QBENCHMARK {
        const int target = f.connection.revision() + 2;
        QVERIFY(f.binding.applyLocal(insert, ui::DocumentBinding::Origin::User));
        QVERIFY(f.waitFor(target - 1));
        QVERIFY(f.binding.applyLocal(remove, ui::DocumentBinding::Origin::User));
        QVERIFY(f.waitFor(target));
    }
    QCOMPARE(f.binding.length(), f.length);
}

void bench_Editor::offlineTyping_data()
{
    QTest::addColumn<int>("edits");
    QTest::newRow("1,000 scattered edits") << 1000;
    QTest::newRow("10,000 scattered edits") << 10000;
}

// Typing offline: one-character inserts at scattered places of a 100 KB document through
// the whole editor path (binding, session, client buffer, local store write before anything is sent), with
// no relay reachable. The cost per edit must not grow with the edits already pending: compare the two rows'
// "us per edit" lines.
void bench_Editor::offlineTyping()
{
    QFETCH(int, edits);
    QTemporaryDir storeDir;
    syncing::LocalStore store(storeDir.path());
    QVERIFY(store.open());
    const QString server = QStringLiteral("ws://127.0.0.1:9"); // nothing listens (discard): the session stays offline
    {
        std::optional<syncing::LocalStore::Replica> r = store.claim(server, QStringLiteral("bench"));
        QVERIFY(r);
        r->synced = true;
        r->revision = 1;
        r->snapshot = makeDocument(50 * 1024);
        QVERIFY(store.save(*r, true));
        store.release(r->id);
    }
    ui::CollabEditor editor;
    ui::DocumentBinding binding(&editor);
    syncing::DocumentSession session(&binding, &store);
    binding.attach(&session);
    session.open(QUrl(server + QStringLiteral("/bench")),
                 syncing::DocumentSession::Profile{QStringLiteral("Bench"), QStringLiteral("#ff0000"), {}, {}});
    QTRY_VERIFY_WITH_TIMEOUT(binding.length() > 0, 10000);
    QVERIFY(session.status() != syncing::DocumentSession::Status::Online);
    quint32 seed = 42;
    QElapsedTimer timer;
    QBENCHMARK_ONCE {
        timer.start();
        for (int i = 0; i < edits; ++i) {
            seed = seed * 1664525u + 1013904223u;
            const qsizetype length = binding.length();
            const qsizetype at = qsizetype(seed % quint32(length + 1));
            QVERIFY(binding.applyLocal(collab::TextOperation::makeInsert(length, at, QStringLiteral("x")),
                                       ui::DocumentBinding::Origin::User));
        }
    }
    const double us = double(timer.nsecsElapsed()) / 1000.0 / edits;
    qInfo("offline typing: %d edits, %.1f us per edit", edits, us);
    QCOMPARE(session.pendingEdits(), edits);
}

QTEST_MAIN(bench_Editor)
#include "bench_editor.moc"
