// SPDX-License-Identifier: MIT
#include "client.h"
#include "serverdocument.h"
#include "textoperation.h"

#include "generators.h"
#include "traces.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cstdio>
#include <deque>
#include <memory>
#include <tuple>
#include <vector>

using collab::Client;
using collab::Rope;
using collab::ServerDocument;
using collab::TextOperation;

// Replays real editing sessions (tests/common/traces.h) keystroke by keystroke through the whole pipeline:
//
//   alice's editor ──applyClient──► Client "alice" ──JSON──► ServerDocument::receive ──JSON──► Client "bob"
//        (Rope)                          ▲                         │  (Rope)                  applyServer
//                                        └────── ack (JSON) ───────┘                            │
//                                                                                           bob's editor
//                                                                                              (Rope)
// Messages wait in queues and are delivered every `batch` keystrokes, so alice's client also buffers and
// composes while an acknowledgement is outstanding. At the end all three texts are the trace's endContent.
//
// Without the trace directory only the self-contained conversion checks run and the test reports itself
// skipped (exit code 77).
namespace {

QByteArray encode(const QJsonObject &message)
{
    return QJsonDocument(message).toJson(QJsonDocument::Compact);
}

QJsonObject decode(const QByteArray &bytes)
{
    return QJsonDocument::fromJson(bytes).object();
}

QByteArray operationMessage(int revision, qint64 sequence, const QString &clientId, const TextOperation &op)
{
    return encode({{QStringLiteral("revision"), revision},
                   {QStringLiteral("sequence"), sequence},
                   {QStringLiteral("client"), clientId},
                   {QStringLiteral("operation"), op.toJson()}});
}

// A trace patch as it would come from an editor binding.
TextOperation patchOperation(qsizetype length, const traces::Patch &p)
{
    return TextOperation::makeReplace(length, p.position, p.removed, p.inserted);
}

} // namespace

class tst_TraceReplay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void codePointConversion_data();
    void codePointConversion();
    void propertyCodePointConversion();
    void rejectsInconsistentTrace();

    void replay_data();
    void replay();

private:
    const traces::Trace *trace(const QString &path);
    QHash<QString, std::shared_ptr<traces::Trace>> m_traces;
};

const traces::Trace *tst_TraceReplay::trace(const QString &path)
{
    auto it = m_traces.find(path);
    if (it == m_traces.end()) {
        QString error;
        auto loaded = traces::load(path, &error);
        if (!loaded) {
            qWarning("%s", qPrintable(error));
            return nullptr;
        }
        it = m_traces.insert(path, std::make_shared<traces::Trace>(std::move(*loaded)));
    }
    return it.value().get();
}

void tst_TraceReplay::codePointConversion_data()
{
    QTest::addColumn<QByteArray>("json");

    // Positions and lengths in code points; every astral character is one code point and two code units.
    QTest::newRow("bmp only") << QByteArray(R"({"startContent":"","endContent":"hello world",
        "txns":[{"time":"t","patches":[[0,0,"helo"]]},{"patches":[[3,0,"l"]]},{"patches":[[5,0," world"]]}]})");
    QTest::newRow("replace an emoji")
        << QByteArray(R"({"startContent":"a😀b","endContent":"a🎉xb","txns":[{"patches":[[1,1,"🎉x"]]}]})");
    QTest::newRow("edits after astral characters")
        << QByteArray(R"({"startContent":"😀😀😀","endContent":"😀Z😀é😀!",
            "txns":[{"patches":[[3,0,"!"],[2,0,"é"],[1,0,"Z"]]}]})");
    QTest::newRow("delete across astral characters")
        << QByteArray(R"({"startContent":"x𠮷y👍🏽z","endContent":"xz",
            "txns":[{"patches":[[1,4,""]]}]})");
    QTest::newRow("insert astral text into empty, then delete around it")
        << QByteArray(R"({"startContent":"","endContent":"𝐀🙂",
            "txns":[{"patches":[[0,0,"a𝐀b🙂c"]]},{"patches":[[4,1,""],[2,1,""],[0,1,""]]}]})");
    QTest::newRow("combining marks are code points too")
        << QByteArray(R"({"startContent":"e\u0301😀","endContent":"e\u0301\u0302😀?",
            "txns":[{"patches":[[3,0,"?"],[2,0,"\u0302"]]}]})");
}

void tst_TraceReplay::codePointConversion()
{
    QFETCH(QByteArray, json);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    QVERIFY2(doc.isObject(), qPrintable(parseError.errorString()));
    QString error;
    const auto trace = traces::fromJson(doc.object(), QStringLiteral("inline"), &error);
    QVERIFY2(trace.has_value(), qPrintable(error));
    QString text = trace->startContent;
    for (const auto &p : trace->patches) {
        QVERIFY(p.position >= 0 && p.removed >= 0 && p.position + p.removed <= text.size());
        QVERIFY(!splitsPair(text, p.position));
        QVERIFY(!splitsPair(text, p.position + p.removed));
        text.replace(p.position, p.removed, p.inserted);
    }
    QCOMPARE(text, trace->endContent);
}

// Random code point edits of emoji-rich text, recorded as a trace, come back as the same UTF-16 edits.
void tst_TraceReplay::propertyCodePointConversion()
{
    const auto property = [] {
        const QString start = *genText();
        const QList<uint> startCodePoints = start.toUcs4();
        std::vector<uint> doc(startCodePoints.begin(), startCodePoints.end()); // the reference, in code points
        QJsonArray txns;
        const int count = *rc::gen::inRange(0, 30);
        for (int i = 0; i < count; ++i) {
            const auto [at, len, text] = *rc::gen::tuple(rc::gen::arbitrary<quint32>(), rc::gen::inRange(0, 6),
                                                          genText());
            const qsizetype pos = qsizetype(at % (doc.size() + 1));
            const qsizetype removed = std::min<qsizetype>(len, qsizetype(doc.size()) - pos);
            const QList<uint> inserted = text.toUcs4();
            doc.erase(doc.begin() + pos, doc.begin() + pos + removed);
            doc.insert(doc.begin() + pos, inserted.begin(), inserted.end());
            txns.append(QJsonObject{{QStringLiteral("patches"), QJsonArray{QJsonArray{pos, removed, text}}}});
        }
        const QString end = QString::fromUcs4(reinterpret_cast<const char32_t *>(doc.data()), qsizetype(doc.size()));
        const QJsonObject json{{QStringLiteral("startContent"), start},
                               {QStringLiteral("endContent"), end},
                               {QStringLiteral("txns"), txns}};
        QString error;
        const auto trace = traces::fromJson(json, QStringLiteral("generated"), &error);
        RC_ASSERT(trace.has_value());
        RC_ASSERT(trace->patches.size() == size_t(count));
        QString text = start;
        for (const auto &p : trace->patches) {
            RC_ASSERT(p.position + p.removed <= text.size());
            RC_ASSERT(!splitsPair(text, p.position));
            RC_ASSERT(!splitsPair(text, p.position + p.removed));
            text.replace(p.position, p.removed, p.inserted);
        }
        RC_ASSERT(text == end);
    };
    QVERIFY(rc::check("code point patches convert to the same UTF-16 edits", property));
}

void tst_TraceReplay::rejectsInconsistentTrace()
{
    QString error;
    const auto beyond = traces::fromJson(
        QJsonDocument::fromJson(R"({"startContent":"😀","endContent":"","txns":[{"patches":[[0,2,""]]}]})").object(),
        QStringLiteral("beyond"), &error);
    QVERIFY(!beyond.has_value());
    QVERIFY2(error.contains(QStringLiteral("1 code points")), qPrintable(error));
    const auto wrongEnd = traces::fromJson(
        QJsonDocument::fromJson(R"({"startContent":"ab","endContent":"abcd","txns":[{"patches":[[2,0,"😀"]]}]})")
            .object(),
        QStringLiteral("wrong end"), &error);
    QVERIFY(!wrongEnd.has_value());
    QVERIFY2(error.contains(QStringLiteral("endContent")), qPrintable(error));
}

void tst_TraceReplay::replay_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("batch"); // keystrokes between network deliveries
    for (const QString &path : traces::files(traces::directory())) {
        const QString name = QFileInfo(path).fileName().remove(QStringLiteral(".json.gz"));
        QTest::newRow(qPrintable(name + QStringLiteral(", delivered at once"))) << path << 1;
        QTest::newRow(qPrintable(name + QStringLiteral(", delivered every 16 keystrokes"))) << path << 16;
    }
}

void tst_TraceReplay::replay()
{
    QFETCH(QString, path);
    QFETCH(int, batch);
    const traces::Trace *t = trace(path);
    QVERIFY2(t, qPrintable(QStringLiteral("cannot load %1").arg(path)));

    QElapsedTimer timer;
    timer.start();
    const QString aliceId = QStringLiteral("alice");
    Client alice(aliceId);
    Client bob(QStringLiteral("bob"));
    ServerDocument server(t->startContent, 0);
    Rope aliceText(t->startContent);
    Rope bobText(t->startContent);
    std::deque<QByteArray> toServer, toAlice, toBob;
    qsizetype composedEdits = 0;

    const auto send = [&](const std::optional<Client::Outgoing> &out) {
        if (out)
            toServer.push_back(operationMessage(out->revision, out->sequence, aliceId, out->operation));
    };

    // Delivers everything in flight, in order: the server, then alice's acks, then bob's broadcasts.
    const auto deliver = [&]() -> bool {
        while (!toServer.empty() || !toAlice.empty() || !toBob.empty()) {
            while (!toServer.empty()) {
                const QJsonObject m = decode(toServer.front());
                toServer.pop_front();
                const auto op = TextOperation::fromJson(m.value(QLatin1String("operation")));
                if (!op) {
                    qWarning("server: bad operation: %s", qPrintable(op.error().message));
                    return false;
                }
                const QString author = m.value(QLatin1String("client")).toString();
                const qint64 sequence = m.value(QLatin1String("sequence")).toInteger();
                const auto receipt = server.receive(m.value(QLatin1String("revision")).toInt(), *op, author,
                                                    sequence);
                if (!receipt) {
                    qWarning("server: %s", qPrintable(receipt.error().message));
                    return false;
                }
                toAlice.push_back(encode({{QStringLiteral("ack"), receipt->revision},
                                          {QStringLiteral("sequence"), sequence}}));
                toBob.push_back(operationMessage(receipt->revision, sequence, author, receipt->operation));
            }
            while (!toAlice.empty()) {
                const QJsonObject m = decode(toAlice.front());
                toAlice.pop_front();
                const auto effects = alice.serverAck(m.value(QLatin1String("ack")).toInt(),
                                                     m.value(QLatin1String("sequence")).toInteger());
                if (!effects) {
                    qWarning("alice: %s", qPrintable(effects.error().message));
                    return false;
                }
                send(effects->send);
            }
            while (!toBob.empty()) {
                const QJsonObject m = decode(toBob.front());
                toBob.pop_front();
                const auto op = TextOperation::fromJson(m.value(QLatin1String("operation")));
                if (!op)
                    return false;
                const auto effects = bob.applyServer(m.value(QLatin1String("revision")).toInt(), *op,
                                                     m.value(QLatin1String("client")).toString(),
                                                     m.value(QLatin1String("sequence")).toInteger());
                if (!effects) {
                    qWarning("bob: %s", qPrintable(effects.error().message));
                    return false;
                }
                if (effects->apply) {
                    if (auto error = bobText.apply(*effects->apply)) {
                        qWarning("bob's editor: %s", qPrintable(error->message));
                        return false;
                    }
                }
            }
        }
        return true;
    };

    for (size_t i = 0; i < t->patches.size(); ++i) {
        const TextOperation op = patchOperation(aliceText.length(), t->patches[i]);
        if (auto error = aliceText.apply(op))
            QFAIL(qPrintable(QStringLiteral("patch %1 does not apply: %2").arg(i).arg(error->message)));
        if (alice.state() != Client::State::Synchronized)
            ++composedEdits;
        const auto effects = alice.applyClient(op);
        QVERIFY2(effects.hasValue(),
                 qPrintable(QStringLiteral("patch %1: %2").arg(i).arg(effects ? QString() : effects.error().message)));
        QVERIFY(!effects->apply.has_value());
        send(effects->send);
        if ((i + 1) % size_t(batch) == 0)
            QVERIFY2(deliver(), qPrintable(QStringLiteral("after patch %1").arg(i)));
    }
    QVERIFY(deliver());

    QCOMPARE(alice.state(), Client::State::Synchronized);
    QCOMPARE(alice.revision(), server.revision());
    QCOMPARE(bob.revision(), server.revision());
    QVERIFY(server.revision() > 0);
    QVERIFY2(aliceText.toString() == t->endContent, "alice's text differs from endContent");
    QVERIFY2(server.text().toString() == t->endContent, "the server's text differs from endContent");
    QVERIFY2(bobText.toString() == t->endContent, "bob's text differs from endContent");
    if (batch > 1)
        QVERIFY(composedEdits > 0); // the buffer really was exercised
    qInfo("%s: %zu patches, %d revisions, %lld ms", qPrintable(t->name), t->patches.size(), server.revision(),
          qlonglong(timer.elapsed()));
}

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    tst_TraceReplay test;
    const QString dir = traces::directory();
    if (traces::files(dir).isEmpty()) {
        std::printf("SKIP: traces not found at %s\n",
                    dir.isEmpty() ? "<COSCRIBE_TRACES_DIR not set>" : qPrintable(dir));
        std::fflush(stdout);
        // The conversion checks need no traces: run them, and report skipped only if they pass.
        const int result = QTest::qExec(&test, {QString::fromLocal8Bit(argv[0]),
                                                QStringLiteral("codePointConversion"),
                                                QStringLiteral("propertyCodePointConversion"),
                                                QStringLiteral("rejectsInconsistentTrace")});
        return result == 0 ? 77 : result;
    }
    return QTest::qExec(&test, argc, argv);
}

#include "tst_tracereplay.moc"
