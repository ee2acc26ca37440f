// SPDX-License-Identifier: MIT
// coscribe-relay as a real subprocess: SIGKILL in the middle of a stream of edits, restart on the same data
// directory, check every acknowledged operation survived and the editors resync to one text; SIGTERM closes
// everyone with 1001 and exits 0.
#include "headlesseditor.h"
#include "relayprocess.h"
#include "relaytestclient.h"

#include <QJsonArray>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace collab;

class tst_CrashRecovery : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;

    // Start the relay (on `port`, 0: any free one); returns its port, or 0.
    quint16 start(QProcess &process, quint16 port = 0)
    {
        return testutil::startRelayProcess(process, {QStringLiteral("--port"), QString::number(port), QStringLiteral("--data-dir"),
                                                     m_dir.path(), QStringLiteral("--snapshot-interval"), QStringLiteral("25")},
                                           10000);
    }

private Q_SLOTS:
    void initTestCase();
    void killMidStreamAndRecover();
    void ackLatency();
};

void tst_CrashRecovery::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(testutil::relayBinary()), qPrintable(testutil::relayBinary()));
}

void tst_CrashRecovery::killMidStreamAndRecover()
{
    QProcess relay;
    quint16 port = start(relay);
    QVERIFY(port != 0);
    QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));

    std::vector<std::unique_ptr<HeadlessEditor>> editors;
    for (int i = 0; i < 3; ++i) {
        editors.push_back(std::make_unique<HeadlessEditor>(QList<QUrl>{url}, 0, QStringLiteral("crash")));
        QVERIFY2(editors.back()->connect(), qPrintable(editors.back()->failure));
    }

    // Type for a while, then SIGKILL the relay in the middle of the stream.
    QRandomGenerator rng(20240611);
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 1500) {
        for (auto &e : editors)
            QVERIFY2(e->type(rng), qPrintable(e->failure));
        QTest::qWait(5);
    }
    relay.kill();
    QVERIFY(relay.state() == QProcess::NotRunning || relay.waitForFinished(5000));
    QCOMPARE(relay.exitStatus(), QProcess::CrashExit);
    for (auto &e : editors) {
        QVERIFY(QTest::qWaitFor([&] { return e->isDisconnected(); }, 5000));
        QVERIFY2(e->pump(), qPrintable(e->failure));
        for (int i = 0; i < 3; ++i)
            QVERIFY2(e->type(rng), qPrintable(e->failure)); // offline edits go to the buffer
    }
    int ackedBeforeKill = 0;
    for (auto &e : editors)
        ackedBeforeKill += int(e->acked.size());
    QVERIFY2(ackedBeforeKill > 20, qPrintable(QString::number(ackedBeforeKill)));

    // Restart on the same port and data directory; every session reconnects by itself from the revision
    // it last saw and resends what is pending.
    QProcess again;
    QCOMPARE(start(again, port), port);

    const auto settled = [&] {
        int revision = -1;
        for (auto &e : editors) {
            if (!e->isOnline() || e->engine().state() != Client::State::Synchronized)
                return false;
            if (revision >= 0 && e->engine().revision() != revision)
                return false;
            revision = e->engine().revision();
        }
        return true;
    };
    QVERIFY(QTest::qWaitFor(settled, 15000));
    for (auto &e : editors)
        QVERIFY2(e->failure.isEmpty(), qPrintable(e->failure));
    QCOMPARE(editors[1]->text(), editors[0]->text());
    QCOMPARE(editors[2]->text(), editors[0]->text());

    // A fresh client's snapshot is the same text.
    RelayTestClient fresh;
    QVERIFY(fresh.open(url));
    QVERIFY(!fresh.hello().isEmpty());
    const QJsonObject opened = fresh.openDocument(QStringLiteral("crash"), std::nullopt, false);
    QCOMPARE(opened.value(QStringLiteral("snapshot")).toString(), editors[0]->text());
    QCOMPARE(opened.value(QStringLiteral("revision")).toInt(), editors[0]->engine().revision());

    // Every acknowledged operation is in storage, at the revision it was acknowledged with.
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
        db.setDatabaseName(m_dir.filePath(QStringLiteral("relay.sqlite")));
        QVERIFY(db.open());
        int checked = 0;
        for (auto &e : editors) {
            for (const auto &[seq, rev] : e->acked) {
                QSqlQuery q(db);
                q.prepare(QStringLiteral("SELECT client_id, seq FROM operations WHERE doc = 'crash' AND revision = ?"));
                q.addBindValue(rev);
                QVERIFY(q.exec());
                QVERIFY2(q.next(), qPrintable(QStringLiteral("acknowledged revision %1 missing").arg(rev)));
                QCOMPARE(q.value(0).toString(), e->clientId());
                QCOMPARE(q.value(1).toLongLong(), seq);
                ++checked;
            }
        }
        qInfo("%d acknowledged operations verified (%d before the kill), final revision %d", checked, ackedBeforeKill,
              editors[0]->engine().revision());
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("check"));

    // SIGTERM: everyone is closed with 1001 and the relay exits 0.
    again.terminate();
    for (auto &e : editors) {
        QVERIFY(QTest::qWaitFor([&] { return e->isDisconnected(); }, 5000));
        QCOMPARE(e->session->link().lastCloseCode(), 1001);
    }
    QVERIFY(fresh.waitForDisconnect());
    QCOMPARE(fresh.closeCode, 1001);
    QVERIFY(again.state() == QProcess::NotRunning || again.waitForFinished(5000));
    QCOMPARE(again.exitStatus(), QProcess::NormalExit);
    QCOMPARE(again.exitCode(), 0);
}

// Not a benchmark, a sanity figure for the report: sequential edit -> ack round trips against the real
// binary (SQLite, WAL, synchronous=FULL: one fsync per operation), printed as p50 / p99.
void tst_CrashRecovery::ackLatency()
{
    QTemporaryDir dir;
    QProcess relay;
    relay.setProgram(testutil::relayBinary());
    relay.setArguments({QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), dir.path()});
    relay.start();
    QVERIFY(relay.waitForStarted(5000));
    QByteArray out;
    QVERIFY(QTest::qWaitFor([&] { out += relay.readAllStandardOutput(); return out.contains('\n'); }, 10000));
    const quint16 port = quint16(out.mid(out.indexOf("listening ") + 10).trimmed().toUInt());
    RelayTestClient c;
    QVERIFY(c.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port))));
    QVERIFY(!c.hello().isEmpty());
    QVERIFY(!c.openDocument(QStringLiteral("latency")).isEmpty());
    std::vector<qint64> micros;
    for (int i = 0; i < 200; ++i) {
        QElapsedTimer t;
        t.start();
        QCOMPARE(c.edit(QStringLiteral("latency"), i, i + 1, TextOperation::makeInsert(i, i, QStringLiteral("x"))), i + 1);
        micros.push_back(t.nsecsElapsed() / 1000);
    }
    std::sort(micros.begin(), micros.end());
    qInfo("edit->ack round trip over 200 sequential ops: p50 %lld us, p99 %lld us, max %lld us",
          micros[micros.size() / 2], micros[micros.size() * 99 / 100], micros.back());
    relay.terminate();
    QVERIFY(relay.state() == QProcess::NotRunning || relay.waitForFinished(5000));
    QCOMPARE(relay.exitCode(), 0);
}

QTEST_GUILESS_MAIN(tst_CrashRecovery)
#include "tst_crashrecovery.moc"
