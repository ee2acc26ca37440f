// SPDX-License-Identifier: MIT
// DocumentSession over TextBuffers (no window) against an in-process relay: convergence under concurrent
// random edits, offline work through a relay restart, undo of one's own edits only, acknowledgement, and a
// session without a local store.
#include "relayfixture.h"

#include <documentsession.h>
#include <localstore.h>
#include <textbuffer.h>

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using syncing::DocumentSession;
using syncing::LocalStore;
using syncing::TextBuffer;
using collab::TextOperation;

namespace {

// One headless editor: a buffer, optionally a local store, and the session.
struct Editor
{
    explicit Editor(bool withStore = true)
    {
        if (withStore) {
            store = std::make_unique<LocalStore>(storeDir.path());
            store->open();
        }
        session = std::make_unique<DocumentSession>(&buffer, store.get());
        session->setReconnectDelays(30, 200);
    }
    bool open(const QUrl &url, const QString &name)
    {
        return session->open(url, DocumentSession::Profile{name, QStringLiteral("#336699"), QString(), {}});
    }
    bool edit(const TextOperation &op)
    {
        const TextOperation inverse = buffer.rope().invert(op);
        return buffer.apply(op) && session->localEdited(op, inverse);
    }
    bool insert(qsizetype at, const QString &text) { return edit(TextOperation::makeInsert(buffer.rope().length(), at, text)); }
    bool online() const { return session->status() == DocumentSession::Status::Online; }
    bool settled() const { return online() && !session->hasPendingEdits(); }

    QTemporaryDir storeDir;
    TextBuffer buffer;
    std::unique_ptr<LocalStore> store;
    std::unique_ptr<DocumentSession> session;
};

TextOperation randomEdit(const collab::Rope &text, QRandomGenerator &random)
{
    const qsizetype length = text.length();
    const qsizetype at = random.bounded(int(length + 1));
    if (length > 0 && random.bounded(3) == 0) {
        const qsizetype removed = std::min<qsizetype>(length - at, 1 + random.bounded(4));
        if (removed > 0)
            return TextOperation::makeDelete(length, at, removed);
    }
    static const QString alphabet = QStringLiteral("abcdefgh \n\u00e9\u65e5");
    QString inserted;
    for (int i = 0, n = 1 + random.bounded(5); i < n; ++i)
        inserted += alphabet.at(random.bounded(int(alphabet.size())));
    return TextOperation::makeInsert(length, at, inserted);
}

} // namespace

class tst_DocumentSession : public QObject
{
    Q_OBJECT

    RelayFixture m_relay;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_relay.start()); }

    // What a load generator or a test measures by: each operation sent is acknowledged once, with the
    // sequence it went out with, at the revision the relay gave it; the other participant hears of the
    // same operation (author and sequence) at the same revision.
    void acknowledgementsNameTheirOperations()
    {
        Editor a, b;
        const QUrl url = m_relay.documentUrl(QStringLiteral("acks"));
        QVERIFY(a.open(url, QStringLiteral("A")));
        QVERIFY(b.open(url, QStringLiteral("B")));
        QTRY_VERIFY(a.online() && b.online());
        QList<qint64> sent;
        QList<std::pair<qint64, int>> acked;
        QList<std::tuple<QString, qint64, int>> heard;
        connect(a.session.get(), &DocumentSession::operationSent, this, [&](qint64 sequence) { sent << sequence; });
        connect(a.session.get(), &DocumentSession::acknowledged, this,
                [&](qint64 sequence, int revision) { acked.append({sequence, revision}); });
        connect(b.session.get(), &DocumentSession::remoteOperationReceived, this,
                [&](const QString &author, qint64 sequence, int revision) { heard.append({author, sequence, revision}); });
        // Three keystrokes at once: the first goes out, the other two compose into the second operation.
        QVERIFY(a.insert(0, QStringLiteral("x")));
        QVERIFY(a.insert(1, QStringLiteral("y")));
        QVERIFY(a.insert(2, QStringLiteral("z")));
        QTRY_VERIFY(a.settled() && b.buffer.text() == QStringLiteral("xyz"));
        QCOMPARE(sent, (QList<qint64>{1, 2}));
        QCOMPARE(acked.size(), 2);
        QCOMPARE(acked.at(0).first, 1);
        QCOMPARE(acked.at(1).first, 2);
        QCOMPARE(acked.at(1).second, acked.at(0).second + 1);
        QCOMPARE(heard.size(), 2);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(std::get<0>(heard.at(i)), a.session->clientId());
            QCOMPARE(std::get<1>(heard.at(i)), acked.at(i).first);
            QCOMPARE(std::get<2>(heard.at(i)), acked.at(i).second);
        }
    }

    void concurrentRandomEditsConverge()
    {
        Editor a, b;
        QVERIFY(a.open(m_relay.documentUrl(QStringLiteral("converge")), QStringLiteral("A")));
        QVERIFY(b.open(m_relay.documentUrl(QStringLiteral("converge")), QStringLiteral("B")));
        QTRY_VERIFY(a.online() && b.online());
        QRandomGenerator random(20261202);
        for (int round = 0; round < 60; ++round) {
            // Both edit before either hears of the other's edit: every round is concurrent.
            QVERIFY(a.edit(randomEdit(a.buffer.rope(), random)));
            QVERIFY(b.edit(randomEdit(b.buffer.rope(), random)));
            if (round % 7 == 0)
                QTest::qWait(random.bounded(20));
        }
        QTRY_VERIFY_WITH_TIMEOUT(a.settled() && b.settled() && a.session->revision() == b.session->revision(), 15000);
        QCOMPARE(a.buffer.text(), b.buffer.text());
        // And both equal the relay's text, as a newcomer gets it.
        Editor reader(false);
        QVERIFY(reader.open(m_relay.documentUrl(QStringLiteral("converge")), QStringLiteral("R")));
        QTRY_VERIFY(reader.online());
        QCOMPARE(reader.buffer.text(), a.buffer.text());
        QCOMPARE(reader.session->revision(), a.session->revision());
    }

    // Edits made while the relay is down are kept (in the store) and arrive once it is back.
    void offlineEditsArriveAfterARelayRestart()
    {
        Editor a, b;
        const QUrl url = m_relay.documentUrl(QStringLiteral("offline"));
        QVERIFY(a.open(url, QStringLiteral("A")));
        QVERIFY(b.open(url, QStringLiteral("B")));
        QTRY_VERIFY(a.online() && b.online());
        QVERIFY(a.insert(0, QStringLiteral("before ")));
        QTRY_VERIFY(a.settled() && b.buffer.text() == QStringLiteral("before "));

        m_relay.stop();
        QTRY_VERIFY(!a.online() && !b.online());
        QVERIFY(a.insert(a.buffer.rope().length(), QStringLiteral("A-offline ")));
        QVERIFY(b.insert(0, QStringLiteral("B-offline ")));
        QCOMPARE(a.session->pendingEdits(), 1);
        QVERIFY(m_relay.start());
        QTRY_VERIFY_WITH_TIMEOUT(a.settled() && b.settled() && a.buffer.text() == b.buffer.text(), 15000);
        QCOMPARE(a.buffer.text(), QStringLiteral("B-offline before A-offline "));
    }

    // The relay lost the document's history (its database replaced by an older backup, or lost) while the
    // editor was away: it no longer knows the editor's sequence numbers, so an editor that kept counting would
    // be refused (out-of-order-sequence) for good. What the editor types from then on must still arrive, and
    // so must what it had typed offline meanwhile.
    void editsArriveAfterTheRelayLostItsHistory()
    {
        Editor a;
        const QUrl url = m_relay.documentUrl(QStringLiteral("amnesia"));
        QVERIFY(a.open(url, QStringLiteral("A")));
        QTRY_VERIFY(a.online());
        for (const QString &word : {QStringLiteral("one "), QStringLiteral("two "), QStringLiteral("three ")}) {
            QVERIFY(a.insert(a.buffer.rope().length(), word));
            QTRY_VERIFY(a.settled());
        }
        m_relay.stop();
        QTRY_VERIFY(!a.online());
        m_relay.wipeStorage();
        QVERIFY(a.insert(0, QStringLiteral("offline ")));
        QVERIFY(m_relay.start());
        QTRY_VERIFY_WITH_TIMEOUT(a.online(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(a.settled(), 10000);
        QVERIFY(a.insert(a.buffer.rope().length(), QStringLiteral("after")));
        QTRY_VERIFY_WITH_TIMEOUT(a.settled(), 10000);
        QVERIFY2(!a.session->problem().isEmpty(), "the editor says the relay went back in time");

        Editor b;
        QVERIFY(b.open(url, QStringLiteral("B")));
        QTRY_VERIFY_WITH_TIMEOUT(b.settled(), 10000);
        QCOMPARE(b.buffer.text(), a.buffer.text());
        QVERIFY2(a.buffer.text().contains(QStringLiteral("offline")) && a.buffer.text().endsWith(QStringLiteral("after")),
                 qPrintable(a.buffer.text()));
    }

    // Undo takes back one's own edit and leaves the other participant's.
    void undoTakesBackOnlyOwnEdits()
    {
        Editor a, b;
        const QUrl url = m_relay.documentUrl(QStringLiteral("undo"));
        QVERIFY(a.open(url, QStringLiteral("A")));
        QVERIFY(b.open(url, QStringLiteral("B")));
        QTRY_VERIFY(a.online() && b.online());
        QVERIFY(a.insert(0, QStringLiteral("mine ")));
        QTRY_VERIFY(b.buffer.text() == QStringLiteral("mine "));
        QVERIFY(b.insert(5, QStringLiteral("theirs")));
        QTRY_COMPARE(a.buffer.text(), QStringLiteral("mine theirs"));
        QVERIFY(a.session->undoManager().canUndo());
        QVERIFY(!b.session->undoManager().canRedo());
        const std::optional<TextOperation> undo = a.session->undoOperation();
        QVERIFY(undo);
        const TextOperation inverse = a.buffer.rope().invert(*undo);
        QVERIFY(a.buffer.apply(*undo));
        QVERIFY(a.session->localEdited(*undo, inverse, false));
        QTRY_VERIFY(a.settled() && b.buffer.text() == QStringLiteral("theirs"));
        QCOMPARE(a.buffer.text(), QStringLiteral("theirs"));
        QVERIFY(a.session->undoManager().canRedo());
    }

    // allAcknowledged says when everything typed so far is stored on the relay.
    void allAcknowledgedMeansStoredOnTheRelay()
    {
        Editor a;
        QVERIFY(a.open(m_relay.documentUrl(QStringLiteral("acked")), QStringLiteral("A")));
        QTRY_VERIFY(a.online());
        QSignalSpy acknowledged(a.session.get(), &DocumentSession::allAcknowledged);
        for (int i = 0; i < 20; ++i)
            QVERIFY(a.insert(a.buffer.rope().length(), QString::number(i)));
        QVERIFY(a.session->hasPendingEdits());
        QTRY_VERIFY(!acknowledged.isEmpty());
        QVERIFY(!a.session->hasPendingEdits());
        Editor reader(false);
        QVERIFY(reader.open(m_relay.documentUrl(QStringLiteral("acked")), QStringLiteral("R")));
        QTRY_VERIFY(reader.online());
        QCOMPARE(reader.buffer.text(), a.buffer.text());
    }

    // Without a store every open is a new client, and nothing is written anywhere.
    void aSessionWithoutAStoreIsANewClientEachTime()
    {
        Editor a(false);
        const QUrl url = m_relay.documentUrl(QStringLiteral("nostore"));
        QVERIFY(a.open(url, QStringLiteral("A")));
        const QString first = a.session->clientId();
        QTRY_VERIFY(a.online());
        QVERIFY(a.insert(0, QStringLiteral("x")));
        QTRY_VERIFY(a.settled());
        a.session->close();
        QVERIFY(a.open(url, QStringLiteral("A")));
        QVERIFY(a.session->clientId() != first);
        QTRY_VERIFY(a.online());
        QCOMPARE(a.buffer.text(), QStringLiteral("x"));
    }

    // A document that does not exist is refused when the session must not create it.
    void openWithoutCreateIsRefusedForAMissingDocument()
    {
        Editor a(false);
        a.session->setCreateIfMissing(false);
        QSignalSpy errors(a.session.get(), &DocumentSession::relayError);
        QVERIFY(a.open(m_relay.documentUrl(QStringLiteral("never-made")), QStringLiteral("A")));
        QTRY_VERIFY(!errors.isEmpty());
        QCOMPARE(errors.first().at(0).value<collab::ProtocolErrorCode>(), collab::ProtocolErrorCode::NoSuchDocument);
        QVERIFY(!a.online());
        QVERIFY(!a.session->problem().isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_DocumentSession)
#include "tst_documentsession.moc"
