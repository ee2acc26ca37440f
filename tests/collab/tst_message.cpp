// SPDX-License-Identifier: MIT
// The protocol codec shared by the editor and the relay: round trips and strict decoding.
#include "message.h"

#include <QTest>

using namespace collab;

class tst_Message : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void clientRoundTrip();
    void serverRoundTrip();
    void badClientFrames_data();
    void badClientFrames();
    void documentIds_data();
    void documentIds();
    void errorNames();
    void documentListRoundTrip();
    void documentIdsForTitles_data();
    void documentIdsForTitles();
    void repeatedStringsDecodeToThemselves();
    void historyMessagesRoundTrip();
};

void tst_Message::clientRoundTrip()
{
    Message::Op op{QStringLiteral("doc"), 41, 7, TextOperation::makeReplace(10, 5, 2, QStringLiteral("abc")),
                   Selection::cursor(8)};
    const QByteArray bytes = Message::encode(op);
    QCOMPARE(bytes, QByteArray(R"({"doc":"doc","op":[5,"abc",-2,3],"rev":41,"selection":{"ranges":[{"anchor":8,"head":8}]},"seq":7,"type":"op"})"));
    auto decoded = Message::decodeClient(bytes);
    QVERIFY(decoded);
    const auto *back = std::get_if<Message::Op>(&*decoded);
    QVERIFY(back);
    QCOMPARE(back->operation, op.operation);
    QCOMPARE(back->revision, 41);
    QCOMPARE(back->sequence, 7);
    QCOMPARE(*back->selection, Selection::cursor(8));

    auto hello = Message::decodeClient(Message::encode(
            Message::Hello{1, QStringLiteral("id-1"), QStringLiteral("Ada"), QStringLiteral("#a0b0c0"), QStringLiteral("t"),
                           QStringLiteral("0123456789abcdef")}));
    QVERIFY(hello);
    QCOMPARE(*std::get<Message::Hello>(*hello).token, QStringLiteral("t"));
    QCOMPARE(std::get<Message::Hello>(*hello).secret, QStringLiteral("0123456789abcdef"));

    auto open = Message::decodeClient(R"({"type":"open","id":"5","doc":"notes.md","revision":3,"create":true})");
    QVERIFY(open);
    const auto &o = std::get<Message::Open>(*open);
    QCOMPARE(o.id, QStringLiteral("5"));
    QCOMPARE(*o.revision, 3);
    QVERIFY(o.create);
}

void tst_Message::serverRoundTrip()
{
    Message::Opened opened;
    opened.ref = QStringLiteral("5");
    opened.doc = QStringLiteral("doc");
    opened.name = QStringLiteral("Doc");
    opened.revision = 2;
    opened.role = Role::Write;
    opened.ops = QList<CommittedOperation>{{2, TextOperation::makeInsert(1, 1, QStringLiteral("x")), QStringLiteral("a"), 4}};
    opened.participants = {Participant{QStringLiteral("c1"), QStringLiteral("a"), QStringLiteral("ada"),
                                       QStringLiteral("Ada"), QStringLiteral("#000000"), Selection::cursor(1), true, false}};
    auto decoded = Message::decodeServer(Message::encode(opened));
    QVERIFY2(decoded, decoded ? "" : qPrintable(decoded.error().message));
    const auto &back = std::get<Message::Opened>(*decoded);
    QCOMPARE(back.ref, opened.ref);
    QCOMPARE(back.role, Role::Write);
    QCOMPARE(*back.ops, *opened.ops);
    QCOMPARE(back.participants, opened.participants);
    QVERIFY(!back.snapshot);

    auto remote = Message::decodeServer(Message::encode(Message::RemoteOp{
            QStringLiteral("doc"), 3, TextOperation::makeDelete(3, 0, 1), QStringLiteral("a"), 5, QStringLiteral("c1"), {}}));
    QVERIFY(remote);
    QCOMPARE(std::get<Message::RemoteOp>(*remote).revision, 3);

    auto error = Message::decodeServer(R"({"type":"error","code":"some-future-code","message":"m","retryAfterMs":20})");
    QVERIFY(error);
    QCOMPARE(std::get<Message::Error>(*error).code, ProtocolErrorCode::Unknown);
    QCOMPARE(*std::get<Message::Error>(*error).retryAfterMs, 20);

    Message::Welcome welcome{1, QStringLiteral("coscribe-relay/0.1"), QStringLiteral("ada"), QStringLiteral("c1"), 1024, 2048, 50, 15};
    auto w = Message::decodeServer(Message::encode(welcome));
    QVERIFY(w);
    QCOMPARE(std::get<Message::Welcome>(*w).maxDocumentBytes, 2048);
    QCOMPARE(std::get<Message::Welcome>(*w).heartbeatSeconds, 15);
}

void tst_Message::badClientFrames_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("not-json") << QByteArray("{") << "malformed-json" << "offset";
    QTest::newRow("array") << QByteArray("[1,2]") << "malformed-json" << "object";
    QTest::newRow("no-type") << QByteArray("{}") << "invalid-message" << "\"type\"";
    QTest::newRow("type-number") << QByteArray(R"({"type":3})") << "invalid-message" << "\"type\"";
    QTest::newRow("unknown") << QByteArray(R"({"type":"explode"})") << "unknown-type" << "explode";
    QTest::newRow("rev-string") << QByteArray(R"({"type":"op","doc":"d","rev":"1","seq":1,"op":[1]})") << "invalid-message" << "\"rev\"";
    QTest::newRow("rev-fraction") << QByteArray(R"({"type":"op","doc":"d","rev":1.5,"seq":1,"op":[1]})") << "invalid-message" << "\"rev\"";
    QTest::newRow("rev-negative") << QByteArray(R"({"type":"op","doc":"d","rev":-1,"seq":1,"op":[1]})") << "invalid-message" << "\"rev\"";
    QTest::newRow("seq-zero") << QByteArray(R"({"type":"op","doc":"d","rev":0,"seq":0,"op":[1]})") << "invalid-message" << "\"seq\"";
    QTest::newRow("op-missing") << QByteArray(R"({"type":"op","doc":"d","rev":0,"seq":1})") << "invalid-message" << "\"op\"";
    QTest::newRow("op-object") << QByteArray(R"({"type":"op","doc":"d","rev":0,"seq":1,"op":{}})") << "invalid-message" << "\"op\"";
    QTest::newRow("op-zero") << QByteArray(R"({"type":"op","doc":"d","rev":0,"seq":1,"op":[0]})") << "invalid-operation" << "\"op\"";
    QTest::newRow("op-bool") << QByteArray(R"({"type":"op","doc":"d","rev":0,"seq":1,"op":[true]})") << "invalid-operation" << "\"op\"";
    QTest::newRow("doc-missing") << QByteArray(R"({"type":"open"})") << "invalid-message" << "\"doc\"";
    QTest::newRow("doc-path") << QByteArray(R"({"type":"open","doc":"../x"})") << "invalid-document-id" << "\"doc\"";
    QTest::newRow("selection-type") << QByteArray(R"({"type":"selection","doc":"d","rev":0,"selection":[1]})") << "invalid-message" << "\"selection\"";
    QTest::newRow("idle-string") << QByteArray(R"({"type":"idle","doc":"d","idle":"yes"})") << "invalid-message" << "\"idle\"";
    QTest::newRow("hello-color") << QByteArray(R"({"type":"hello","protocol":1,"clientId":"x","secret":"0123456789abcdef","color":"red"})") << "invalid-message" << "\"color\"";
    QTest::newRow("hello-no-secret") << QByteArray(R"({"type":"hello","protocol":1,"clientId":"x"})") << "invalid-message" << "\"secret\"";
    QTest::newRow("hello-short-secret") << QByteArray(R"({"type":"hello","protocol":1,"clientId":"x","secret":"short"})") << "invalid-message" << "\"secret\"";
    QTest::newRow("hello-no-client") << QByteArray(R"({"type":"hello","protocol":1})") << "invalid-message" << "\"clientId\"";
    QTest::newRow("id-number") << QByteArray(R"({"type":"list","id":5})") << "invalid-message" << "\"id\"";
}

void tst_Message::badClientFrames()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QFETCH(QString, mentions);
    const auto decoded = Message::decodeClient(frame);
    QVERIFY(!decoded);
    QCOMPARE(protocolErrorName(decoded.error().code), code);
    QVERIFY2(decoded.error().message.contains(mentions), qPrintable(decoded.error().message));
}

void tst_Message::documentIds_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("valid");
    QTest::newRow("plain") << "notes.md" << true;
    QTest::newRow("chars") << "A-z_0.9" << true;
    QTest::newRow("64") << QString(64, u'x') << true;
    QTest::newRow("65") << QString(65, u'x') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("dot") << "." << false;
    QTest::newRow("dotdot") << ".." << false;
    QTest::newRow("hidden") << ".git" << false;
    QTest::newRow("slash") << "a/b" << false;
    QTest::newRow("unicode") << QStringLiteral("\u00e9") << false;
}

void tst_Message::documentIds()
{
    QFETCH(QString, id);
    QFETCH(bool, valid);
    QCOMPARE(isValidDocumentId(id), valid);
}

void tst_Message::documentListRoundTrip()
{
    DocumentInfo full{QStringLiteral("notes"), QStringLiteral("Meeting notes, M\u00e4rz"), 7, 2, 1780, 1764750092000,
                      {QStringLiteral("Ada"), QStringLiteral("B\u00f6b")}, QStringLiteral("admin")};
    DocumentInfo bare{QStringLiteral("todo"), QStringLiteral("todo"), 0, 0, -1, 0, {}, {}};
    const QByteArray bytes = Message::encode(Message::Documents{QStringLiteral("1"), {full, bare}});
    QVERIFY2(bytes.contains(R"("modified":1764750092000)"), bytes.constData());
    QVERIFY2(bytes.contains(R"({"id":"todo","name":"todo","participants":0,"revision":0})"), bytes.constData());
    auto decoded = Message::decodeServer(bytes);
    QVERIFY2(decoded, decoded ? "" : qPrintable(decoded.error().message));
    const auto &back = std::get<Message::Documents>(*decoded);
    QCOMPARE(back.documents.size(), 2);
    QCOMPARE(back.documents.at(0), full);
    QCOMPARE(back.documents.at(1), bare);
    QVERIFY(!Message::decodeServer(R"({"type":"documents","documents":[{"id":"a","revision":0,"people":[3]}]})"));

    auto open = Message::decodeClient(Message::encode(Message::Open{QStringLiteral("5"), QStringLiteral("My-Notes"), {},
                                                                    true, false, QStringLiteral("My Notes")}));
    QVERIFY(open);
    QCOMPARE(std::get<Message::Open>(*open).name, QStringLiteral("My Notes"));
}

void tst_Message::documentIdsForTitles_data()
{
    QTest::addColumn<QString>("title");
    QTest::addColumn<QString>("id");
    QTest::newRow("spaces") << "My Notes" << "My-Notes";
    QTest::newRow("accents") << QStringLiteral("Meeting notes, M\u00e4rz 2026") << "Meeting-notes-Marz-2026";
    QTest::newRow("runs") << "  a -- b  " << "a-b";
    QTest::newRow("kept") << "notes.md" << "notes.md";
    QTest::newRow("leading dot") << ".hidden" << "hidden";
    QTest::newRow("long") << QString(100, u'x') << QString(48, u'x');
    QTest::newRow("long words") << QString(47, u'x') + QStringLiteral(" yz") << QString(47, u'x');
}

void tst_Message::documentIdsForTitles()
{
    QFETCH(QString, title);
    QFETCH(QString, id);
    QCOMPARE(documentIdForTitle(title), id);
    QVERIFY(isValidDocumentId(documentIdForTitle(title)));
    // No ASCII letter at all: a stable id from the title's digest, different for different titles.
    const QString cjk = documentIdForTitle(QStringLiteral("\u4f1a\u8b70\u30e1\u30e2"));
    QVERIFY(isValidDocumentId(cjk));
    QVERIFY(cjk.startsWith(QStringLiteral("doc-")));
    QCOMPARE(documentIdForTitle(QStringLiteral("\u4f1a\u8b70\u30e1\u30e2")), cjk);
    QVERIFY(documentIdForTitle(QStringLiteral("\u4f1a\u8b70")) != cjk);
}

void tst_Message::errorNames()
{
    for (int i = 0; i <= int(ProtocolErrorCode::ServerError); ++i) {
        const auto code = ProtocolErrorCode(i);
        QCOMPARE(protocolErrorFromName(protocolErrorName(code)), std::optional<ProtocolErrorCode>(code));
    }
}

// The decoder shares the short strings it decoded recently (document ids, authors, one-letter inserts):
// strings that land in the same slot, or differ in one byte of equal length, must still come out as sent.
void tst_Message::repeatedStringsDecodeToThemselves()
{
    QStringList ids;
    for (int i = 0; i < 500; ++i)
        ids.append(QStringLiteral("d%1").arg(i % 37 * 7919 % 1000));
    ids.append(QStringLiteral("abcdefghijklmnopqrstuvwxyz0123456789ABCD")); // 40 bytes: the longest shared
    ids.append(QStringLiteral("abcdefghijklmnopqrstuvwxyz0123456789ABCE"));
    ids.append(QStringLiteral("abcdefghijklmnopqrstuvwxyz0123456789ABCDE")); // 41: not shared
    ids.append(QStringLiteral("abcdefghijklmnopqrstuvwxyz0123456789ABCD"));
    for (int i = 0; i < ids.size(); ++i) {
        const QString insert = QString(QChar(u'a' + i % 26)) + (i % 2 ? QStringLiteral("é") : QString());
        const TextOperation op = TextOperation().retain(i).insert(insert);
        const auto decoded = Message::decodeServer(Message::encode(Message::RemoteOp{ids[i], i + 1, op, ids[(i + 1) % ids.size()], 1, {}, {}}));
        QVERIFY(decoded);
        const auto &remote = std::get<Message::RemoteOp>(*decoded);
        QCOMPARE(remote.doc, ids[i]);
        QCOMPARE(remote.author, ids[(i + 1) % ids.size()]);
        QCOMPARE(remote.operation, op);
    }
}

// The history requests and replies decode to what was encoded, in both forms, and refuse what makes no sense.
void tst_Message::historyMessagesRoundTrip()
{
    const auto client = [](const auto &m) {
        using M = std::decay_t<decltype(m)>;
        const auto bytes = Message::decodeClient(Message::encode(m));
        const auto text = Message::decodeClient(Message::encodeText(m));
        return bytes && text && std::holds_alternative<M>(*bytes) && Message::encode(*bytes) == Message::encode(m)
               && Message::encode(*text) == Message::encode(m);
    };
    QVERIFY(client(Message::History{QStringLiteral("1"), QStringLiteral("d"), 120, 7}));
    QVERIFY(client(Message::GetRevision{QStringLiteral("2"), QStringLiteral("d"), 0}));
    QVERIFY(client(Message::GetDiff{QStringLiteral("3"), QStringLiteral("d"), 4, 9}));
    QVERIFY(client(Message::GetDiff{QStringLiteral("3b"), QStringLiteral("d"), 9, 4})); // back in time
    QVERIFY(client(Message::GetAuthors{QStringLiteral("4"), QStringLiteral("d")}));
    QVERIFY(client(Message::Versions{QStringLiteral("5"), QStringLiteral("d"), QStringLiteral("Draft é"), 3, true, false}));
    QVERIFY(client(Message::Versions{QStringLiteral("6"), QStringLiteral("d"), {}, std::nullopt, false, false}));

    const auto server = [](const auto &m) {
        using M = std::decay_t<decltype(m)>;
        const auto bytes = Message::decodeServer(Message::encode(m));
        const auto text = Message::decodeServer(Message::encodeText(m));
        return bytes && text && std::holds_alternative<M>(*bytes) && Message::encode(*bytes) == Message::encode(m)
               && Message::encode(*text) == Message::encode(m);
    };
    const EditSession session{QStringLiteral("ada"), QStringLiteral("Ada"), QStringLiteral("#3366cc"), 3, 9, 1000, 2000, 12, 4, 7};
    QVERIFY(server(Message::HistoryPage{QStringLiteral("1"), QStringLiteral("d"), 20, {session, session}, 2}));
    QVERIFY(server(Message::RevisionText{QStringLiteral("2"), QStringLiteral("d"), 5, QStringLiteral("caf\u00e9 \U0001F600")}));
    QVERIFY(server(Message::Diff{QStringLiteral("3"), QStringLiteral("d"), 4, 9, TextOperation::makeInsert(3, 1, QStringLiteral("x")),
                                 {Author{QStringLiteral("ada"), QStringLiteral("Ada"), QStringLiteral("#3366cc")}}}));
    QVERIFY(server(Message::Diff{QStringLiteral("3"), QStringLiteral("d"), 4, 9, TextOperation::makeInsert(3, 1, QStringLiteral("x")),
                                 {}, 17}));
    QCOMPARE(QByteArray(Message::encode(Message::Diff{{}, QStringLiteral("d"), 9, 4, TextOperation().retain(2), {}, 17})),
             QByteArray(R"({"charged":17,"doc":"d","from":9,"op":[2],"to":4,"type":"diff"})"));
    QVERIFY(server(Message::Authors{QStringLiteral("4"), QStringLiteral("d"), 9,
                                    {Author{QStringLiteral("ada"), QStringLiteral("Ada"), QStringLiteral("#3366cc")}},
                                    {AuthorRun{3, 0}, AuthorRun{2, -1}}}));
    QVERIFY(server(Message::VersionList{QStringLiteral("5"), QStringLiteral("d"),
                                        {Message::Version{QStringLiteral("Draft"), 3, QStringLiteral("ada"), 1234}}}));

    // What makes no sense is refused, naming the field.
    QVERIFY(!Message::decodeClient(QByteArray(R"({"type":"diff","doc":"d","from":-1,"to":4})")));
    QVERIFY(!Message::decodeClient(QByteArray(R"({"type":"versions","doc":"d","save":true,"remove":true,"name":"x"})")));
    QVERIFY(!Message::decodeClient(QByteArray(R"({"type":"versions","doc":"d","save":true,"name":"  "})")));
    QVERIFY(!Message::decodeClient(QByteArray(R"({"type":"history","doc":"d","limit":500})")));
    QVERIFY(!Message::decodeServer(QByteArray(R"({"type":"authors","doc":"d","revision":1,"authors":[],"runs":[[3,0]]})")));
    QVERIFY(!Message::decodeServer(QByteArray(R"({"type":"authors","doc":"d","revision":1,"authors":[],"runs":[[0,-1]]})")));
}

QTEST_GUILESS_MAIN(tst_Message)
#include "tst_message.moc"
