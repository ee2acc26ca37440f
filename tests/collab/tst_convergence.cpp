// SPDX-License-Identifier: MIT
// The heart of the suite, as test-client-server.js is for ot.js: a ServerDocument and 2-8 Clients exchanging
// messages over in-memory channels in a random order, with lost links, reconnects and duplicated messages.
// After everything is delivered and everyone is back online, every client's text must equal the server's,
// and the server must have applied each distinct (client, sequence) exactly once.
#include "client.h"
#include "serverdocument.h"

#include "generators.h"
#include "schedule.h"
#include "simulation.h"

#include <QTest>

#include <functional>

using collab::Client;
using collab::TextOperation;
using collab::testing::Simulation;
using namespace collab::testing;

namespace {

// Deliver everything, bring everyone back, and check that all agree with the server.
void finishAndCheckConverged(Simulation &sim)
{
    sim.drain();
    assertOk(sim);
    const QString serverText = sim.server().text().toString();
    for (int i = 0; i < sim.size(); ++i) {
        const Simulation::Peer &p = sim.peer(i);
        RC_ASSERT(p.online);
        RC_ASSERT(p.up.empty());
        RC_ASSERT(p.down.empty());
        RC_ASSERT(p.client.state() == Client::State::Synchronized);
        RC_ASSERT(p.client.revision() == sim.server().revision());
        RC_ASSERT(p.text == serverText);
    }
    // No operation applied twice, none lost: one revision per distinct (client, sequence) sent.
    RC_ASSERT(sim.server().revision() == int(sim.sent().size()));
    RC_CLASSIFY(sim.duplicatesAnswered() > 0, "duplicates answered");
    RC_CLASSIFY(sim.resends() > 0, "resends after reconnect");
}

// The code points of s (surrogate pairs joined).
std::vector<char32_t> codePoints(const QString &s)
{
    std::vector<char32_t> result;
    for (const uint cp : s.toUcs4())
        result.push_back(char32_t(cp));
    return result;
}

// Markers: one astral private-use character per edit (a surrogate pair, never split by other edits since
// every boundary is surrogate-safe), unique across the whole run.
constexpr char32_t firstMarker = 0xF0000;

} // namespace

class tst_Convergence : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scenarios_data();
    void scenarios();

    void propertyMixedEditsConverge();
    void propertyAckedMarkersPresentOnce();
    void propertyNoDoubleApply();
    void propertyQuietNetworkConverges();
};

// Three clients on "abc". Tokens: e<i> client i inserts its next marker at the start; u<i> / d<i> deliver
// client i's next upstream / downstream message; c<i> duplicates client i's first upstream message;
// x<i> / r<i> disconnect / reconnect client i.
void tst_Convergence::scenarios_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<int>("revision"); // server revision at the end

    QTest::newRow("concurrent edits") << "e0 e1 e2 u2 u0 u1" << 3;
    QTest::newRow("duplicate before ack") << "e0 c0 u0 u0 d0" << 1;
    QTest::newRow("duplicate after next edit") << "e0 c0 u0 d0 e0 u0 u0" << 2;
    QTest::newRow("ack lost with the link") << "e0 e0 u0 x0 e1 u1 r0" << 3;
    QTest::newRow("message lost with the link") << "e0 x0 e1 u1 d0 e0 r0" << 3;
    QTest::newRow("both offline") << "e0 e1 x0 x1 e0 e1 e2 u2 r1 r0" << 5;
    QTest::newRow("reconnect twice") << "e0 x0 r0 x0 r0 u0" << 1;
    QTest::newRow("duplicate of resend") << "e0 u0 x0 r0 e0 c0 u0 u0" << 2;
}

void tst_Convergence::scenarios()
{
    QFETCH(QString, script);
    QFETCH(int, revision);

    Simulation sim(QStringLiteral("abc"), 3);
    char32_t marker = firstMarker;
    for (const QString &token : script.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const int i = token.mid(1).toInt();
        switch (token.at(0).unicode()) {
        case 'e': {
            const char32_t units[1] = {marker++};
            sim.localEdit(i, TextOperation::makeInsert(sim.peer(i).text.size(), 0, QString::fromUcs4(units, 1)));
            break;
        }
        case 'u': if (!sim.peer(i).up.empty()) sim.deliverUp(i); break;
        case 'd': if (!sim.peer(i).down.empty()) sim.deliverDown(i); break;
        case 'c': if (!sim.peer(i).up.empty()) sim.duplicateUp(i, 0); break;
        case 'x': sim.disconnect(i); break;
        case 'r': sim.reconnect(i); break;
        default: QFAIL(qPrintable(QStringLiteral("bad token ") + token));
        }
        QVERIFY2(sim.failure().isEmpty(), qPrintable(sim.failure()));
    }
    sim.drain();
    QVERIFY2(sim.failure().isEmpty(), qPrintable(sim.failure()));
    QCOMPARE(sim.server().revision(), revision);
    QCOMPARE(int(sim.sent().size()), revision);
    const QString text = sim.server().text().toString();
    for (int i = 0; i < sim.size(); ++i)
        QCOMPARE(sim.peer(i).text, text);
    for (char32_t m = firstMarker; m < marker; ++m) {
        const std::vector<char32_t> cps = codePoints(text);
        QCOMPARE(std::count(cps.begin(), cps.end(), m), 1);
    }
}

void tst_Convergence::propertyMixedEditsConverge()
{
    QVERIFY(rc::check("random edits, orders, lost links and duplicates: every client ends with the server's text",
                      [] {
                          const int clients = *rc::gen::inRange(2, 9);
                          Simulation sim(*genText(), clients);
                          const int steps = *rc::gen::inRange(0, 200);
                          runSchedule(sim, steps, Weights{}, [](int, const QString &doc) { return *genOperation(doc); });
                          finishAndCheckConverged(sim);
                      }));
}

void tst_Convergence::propertyAckedMarkersPresentOnce()
{
    QVERIFY(rc::check("insert-only edits: every marker the server acknowledged is in the final text exactly once",
                      [] {
                          const int clients = *rc::gen::inRange(2, 9);
                          Simulation sim(*genText(), clients);
                          char32_t next = firstMarker;
                          const auto makeEdit = [&next](int, const QString &doc) {
                              const char32_t units[1] = {next++};
                              const QString text = *genText() + QString::fromUcs4(units, 1) + *genText();
                              return TextOperation::makeInsert(doc.size(), *genPosition(doc), text);
                          };
                          runSchedule(sim, *rc::gen::inRange(0, 200), Weights{}, makeEdit);

                          // Markers the server has applied so far (acknowledged or about to be): each once.
                          const std::vector<char32_t> before = codePoints(sim.server().text().toString());
                          for (const char32_t cp : before)
                              if (cp >= firstMarker && cp < next)
                                  RC_ASSERT(std::count(before.begin(), before.end(), cp) == 1);

                          finishAndCheckConverged(sim);
                          // After draining, every edit was acknowledged: all markers are there, once each.
                          const std::vector<char32_t> after = codePoints(sim.server().text().toString());
                          for (char32_t m = firstMarker; m < next; ++m)
                              RC_ASSERT(std::count(after.begin(), after.end(), m) == 1);
                      }));
}

void tst_Convergence::propertyNoDoubleApply()
{
    QVERIFY(rc::check("with many duplicates and lost links the server applies each (client, sequence) once",
                      [] {
                          const int clients = *rc::gen::inRange(2, 5);
                          Simulation sim(*genText(), clients);
                          Weights w;
                          w.duplicate = 25;
                          w.disconnect = 10;
                          w.reconnect = 15;
                          runSchedule(sim, *rc::gen::inRange(0, 150), w,
                                      [](int, const QString &doc) { return *genOperation(doc); });
                          // Before draining too: never more revisions than distinct operations sent.
                          RC_ASSERT(sim.server().revision() <= int(sim.sent().size()));
                          finishAndCheckConverged(sim);
                      }));
}

void tst_Convergence::propertyQuietNetworkConverges()
{
    QVERIFY(rc::check("without faults, random delivery order alone converges", [] {
        const int clients = *rc::gen::inRange(2, 9);
        Simulation sim(*genText(), clients);
        Weights w;
        w.duplicate = 0;
        w.disconnect = 0;
        w.reconnect = 0;
        runSchedule(sim, *rc::gen::inRange(0, 200), w, [](int, const QString &doc) { return *genOperation(doc); });
        RC_ASSERT(sim.resends() == 0);
        finishAndCheckConverged(sim);
        RC_ASSERT(sim.duplicatesAnswered() == 0);
    }));
}

QTEST_GUILESS_MAIN(tst_Convergence)
#include "tst_convergence.moc"
