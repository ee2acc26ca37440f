// SPDX-License-Identifier: MIT
// Every kind of bad input gets an error with the right code; nothing stored changes; other clients carry on.
#include "relayserver.h"
#include "relaytestclient.h"
#include "sqlstorage.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace collab;
using relay::RelayServer;

namespace {
// "hello 😀 world": the emoji is a surrogate pair at UTF-16 indices 6 and 7; length 14.
const QString initialText = QStringLiteral("hello \U0001F600 world");
constexpr qint64 maxMessageBytes = 4096;
} // namespace

class tst_BadInput : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<relay::SqlStorage> m_storage;
    std::unique_ptr<RelayServer> m_server;
    std::unique_ptr<RelayTestClient> m_good;

    int storedRevision() { return m_storage->document(QStringLiteral("doc"))->revision; }

private Q_SLOTS:
    void initTestCase();
    void badInput_data();
    void badInput();
    void flood();
    void framesFarAboveTheLimit();
    void documentTooLarge();
};

void tst_BadInput::initTestCase()
{
    relay::SqlStorage::Options options;
    options.databaseName = m_dir.filePath(QStringLiteral("relay.sqlite"));
    options.synchronousFull = false;
    m_storage = std::make_unique<relay::SqlStorage>(options);
    QVERIFY(m_storage->open());
    RelayServer::Settings settings;
    settings.maxMessageBytes = maxMessageBytes;
    settings.opsPerSecond = 20;
    settings.burst = 40;
    settings.documents.maxDocumentBytes = 64;
    m_server = std::make_unique<RelayServer>(*m_storage, settings);
    QVERIFY(m_server->listen());
    m_good = std::make_unique<RelayTestClient>();
    QVERIFY(m_good->open(m_server->url()));
    QVERIFY(!m_good->hello(QStringLiteral("good")).isEmpty());
    QVERIFY(!m_good->openDocument(QStringLiteral("doc")).isEmpty());
    QCOMPARE(m_good->edit(QStringLiteral("doc"), 0, 1, TextOperation::makeInsert(0, 0, initialText)), 1);
}

void tst_BadInput::badInput_data()
{
    QTest::addColumn<QByteArray>("frame");   // sent after hello + open; "<binary>" sends a binary frame
    QTest::addColumn<QString>("code");

    const auto op = [](const char *json) {
        return QByteArray(R"({"type":"op","doc":"doc","rev":1,"seq":1,"op":)") + json + "}";
    };
    QTest::newRow("not-json") << QByteArray("{\"type\":") << "malformed-json";
    QTest::newRow("json-array") << QByteArray("[\"op\"]") << "malformed-json";
    QTest::newRow("json-string") << QByteArray("\"hello\"") << "malformed-json";
    QTest::newRow("type-missing") << QByteArray(R"({"doc":"doc"})") << "invalid-message";
    QTest::newRow("type-number") << QByteArray(R"({"type":1})") << "invalid-message";
    QTest::newRow("unknown-type") << QByteArray(R"({"type":"format-disk"})") << "unknown-type";
    QTest::newRow("rev-string") << QByteArray(R"({"type":"op","doc":"doc","rev":"1","seq":1,"op":[14,"x"]})") << "invalid-message";
    QTest::newRow("seq-missing") << QByteArray(R"({"type":"op","doc":"doc","rev":1,"op":[14,"x"]})") << "invalid-message";
    QTest::newRow("doc-number") << QByteArray(R"({"type":"op","doc":5,"rev":1,"seq":1,"op":[14,"x"]})") << "invalid-message";
    QTest::newRow("doc-traversal") << QByteArray(R"({"type":"op","doc":"../doc","rev":1,"seq":1,"op":[14,"x"]})") << "invalid-document-id";
    QTest::newRow("op-not-array") << op(R"("abc")") << "invalid-message";
    QTest::newRow("op-zero") << op("[0]") << "invalid-operation";
    QTest::newRow("op-float") << op("[1.5]") << "invalid-operation";
    QTest::newRow("op-empty-insert") << op(R"([14,""])") << "invalid-operation";
    QTest::newRow("op-nested") << op("[[1]]") << "invalid-operation";
    QTest::newRow("base-too-short") << op(R"([3,"x"])") << "base-length-mismatch";
    QTest::newRow("base-too-long") << op(R"([20,"x"])") << "base-length-mismatch";
    QTest::newRow("delete-past-end") << op("[10,-9]") << "base-length-mismatch";
    QTest::newRow("split-surrogate-insert") << op(R"([7,"x",7])") << "splits-surrogate-pair";
    QTest::newRow("split-surrogate-delete") << op("[6,-1,7]") << "splits-surrogate-pair";
    QTest::newRow("revision-from-future") << QByteArray(R"({"type":"op","doc":"doc","rev":99,"seq":1,"op":[14,"x"]})") << "revision-from-future";
    QTest::newRow("not-open") << QByteArray(R"({"type":"op","doc":"other","rev":0,"seq":1,"op":["x"]})") << "not-open";
    QTest::newRow("selection-bad") << QByteArray(R"({"type":"selection","doc":"doc","rev":1,"selection":{"ranges":[{"anchor":"a","head":0}]}})") << "invalid-message";
    QTest::newRow("selection-future") << QByteArray(R"({"type":"selection","doc":"doc","rev":9,"selection":{"ranges":[]}})") << "revision-from-future";
    QTest::newRow("second-hello") << QByteArray(R"({"type":"hello","protocol":1,"clientId":"z"})") << "invalid-message";
    QTest::newRow("oversized") << (QByteArray(R"({"type":"list","pad":")") + QByteArray(maxMessageBytes, 'x') + "\"}")
                               << "message-too-large";
    QTest::newRow("binary") << QByteArray("<binary>") << "binary-frame";
}

void tst_BadInput::badInput()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    const int revisionBefore = storedRevision();
    RelayTestClient bad;
    QVERIFY(bad.open(m_server->url()));
    QVERIFY(!bad.hello(QStringLiteral("bad")).isEmpty());
    QVERIFY(!bad.openDocument(QStringLiteral("doc"), 1, false).isEmpty());

    if (frame == "<binary>")
        bad.socket.sendBinaryMessage(QByteArray("\x00\x01", 2));
    else
        bad.sendRaw(QString::fromUtf8(frame));
    const QJsonObject error = bad.waitFor(QStringLiteral("error"));
    QVERIFY2(!error.isEmpty(), "no error reply");
    QCOMPARE(error.value(QStringLiteral("code")).toString(), code);
    QVERIFY(!error.value(QStringLiteral("message")).toString().isEmpty());

    // Nothing stored changed, the bad client is still connected, and the good one keeps working.
    QCOMPARE(storedRevision(), revisionBefore);
    QCOMPARE(bad.socket.state(), QAbstractSocket::ConnectedState);
    bad.send(Message::List{QStringLiteral("still-here")});
    QVERIFY(!bad.waitFor(QStringLiteral("documents")).isEmpty());
    m_good->send(Message::SetSelection{QStringLiteral("doc"), storedRevision(), Selection::cursor(1)});
    QVERIFY(!bad.waitFor(QStringLiteral("selection")).isEmpty());
    QCOMPARE(m_good->count(QStringLiteral("error")), 0);
}

void tst_BadInput::flood()
{
    RelayTestClient flooder;
    QVERIFY(flooder.open(m_server->url()));
    QVERIFY(!flooder.hello(QStringLiteral("flood")).isEmpty());
    for (int i = 0; i < 400 && flooder.socket.state() == QAbstractSocket::ConnectedState; ++i)
        flooder.send(Message::List{});
    QVERIFY(!flooder.waitForError(QStringLiteral("rate-limited")).isEmpty());
    QVERIFY(flooder.waitForDisconnect(10000));
    QCOMPARE(flooder.closeCode, 4029);
    // Others are unaffected.
    const int revision = storedRevision();
    m_good->send(Message::SetSelection{QStringLiteral("doc"), revision, Selection::cursor(2)});
    m_good->send(Message::List{QStringLiteral("after-flood")});
    QVERIFY(!m_good->waitFor(QStringLiteral("documents")).isEmpty());
    QCOMPARE(m_good->count(QStringLiteral("error")), 0);
}

void tst_BadInput::framesFarAboveTheLimit()
{
    RelayTestClient big;
    QVERIFY(big.open(m_server->url()));
    QVERIFY(!big.hello(QStringLiteral("big")).isEmpty());
    big.sendRaw(QString(int(maxMessageBytes * 20), u'x'));
    QVERIFY(big.waitForDisconnect(10000));
    QCOMPARE(big.closeCode, 1009);
    m_good->send(Message::List{QStringLiteral("after-big")});
    QVERIFY(!m_good->waitFor(QStringLiteral("documents")).isEmpty());
}

void tst_BadInput::documentTooLarge()
{
    const int revision = storedRevision();
    RelayTestClient writer;
    QVERIFY(writer.open(m_server->url()));
    QVERIFY(!writer.hello(QStringLiteral("writer")).isEmpty());
    QVERIFY(!writer.openDocument(QStringLiteral("doc"), revision, false).isEmpty());
    writer.send(Message::Op{QStringLiteral("doc"), revision, 1,
                            TextOperation().retain(initialText.size()).insert(QString(60, u'y')), {}});
    QVERIFY(!writer.waitForError(QStringLiteral("document-too-large")).isEmpty());
    QCOMPARE(storedRevision(), revision);
    // A small edit still fits.
    QCOMPARE(writer.edit(QStringLiteral("doc"), revision, 1, TextOperation().retain(initialText.size()).insert(QStringLiteral("!"))),
             revision + 1);
}

QTEST_GUILESS_MAIN(tst_BadInput)
#include "tst_badinput.moc"
