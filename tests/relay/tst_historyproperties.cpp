// SPDX-License-Identifier: MIT
// The history laws, on logs made by the convergence simulation (random concurrent edits, lost links,
// reconnects with resends, duplicated messages) and stored as the relay stores them — with snapshots, with
// or without authorship beside them (a database of an older relay):
//   - the text at revision r is the replay of the first r operations;
//   - the difference between revisions a and b, applied to the text at a, gives the text at b;
//   - the authorship of the text names, for every character, the participant who inserted it (each inserts
//     only letters of its own);
//   - the authorship the relay keeps per operation equals the one replayed from the log.
#include "authorship.h"
#include "history.h"
#include "livedocuments.h"
#include "sqlstorage.h"

#include "rope.h"

#include "schedule.h"

#include <QTemporaryDir>
#include <QTest>

using namespace collab;
using namespace collab::testing;

namespace {

// Client i inserts only the letters of row i ('a'.., 'A'.., then CJK, then astral ones).
QString lettersOf(int client, int count, int salt)
{
    static const char32_t first[] = {U'a', U'A', U'\u4e00', U'\U0001F600'};
    QString out;
    for (int k = 0; k < count; ++k) {
        const char32_t cp = first[client % 4] + char32_t((salt + k) % 20);
        out += QString::fromUcs4(&cp, 1);
    }
    return out;
}

int writerOf(QStringView text, qsizetype at)
{
    const char32_t cp = text.at(at).isHighSurrogate() ? QChar::surrogateToUcs4(text.at(at), text.at(at + 1))
                                                      : text.at(at).unicode();
    if (cp >= U'a' && cp < U'a' + 20)
        return 0;
    if (cp >= U'A' && cp < U'A' + 20)
        return 1;
    if (cp >= U'\u4e00' && cp < U'\u4e00' + 20)
        return 2;
    return 3;
}

} // namespace

class tst_HistoryProperties : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void propertyHistoryOfASimulatedLog();
};

void tst_HistoryProperties::propertyHistoryOfASimulatedLog()
{
    QVERIFY(rc::check("text at r, diffs and authorship of a log made under a random schedule", [] {
        const int clients = *rc::gen::inRange(2, 5);
        Simulation sim(QString(), clients);
        int salt = 0;
        const auto edit = [&](int client, const QString &doc) {
            const qsizetype at = *genPosition(doc);
            qsizetype removed = *rc::gen::inRange<qsizetype>(0, std::min<qsizetype>(4, doc.size() - at) + 1);
            if (splitsPair(doc, at + removed))
                ++removed;
            return TextOperation::makeReplace(doc.size(), at, removed,
                                              lettersOf(client, *rc::gen::inRange(0, 4), ++salt));
        };
        runSchedule(sim, *rc::gen::inRange(1, 150), Weights{}, edit);
        sim.drain();
        assertOk(sim);
        const auto &log = sim.server().history();
        const int revisions = sim.server().revision();
        RC_ASSERT(int(log.size()) == revisions);

        // Stored as the relay stores it: every operation with its author, a snapshot every few, each with the
        // authorship kept alongside (or, for an older relay's database, without).
        QTemporaryDir dir;
        relay::SqlStorage::Options options;
        options.databaseName = dir.filePath(QStringLiteral("h.sqlite"));
        options.synchronousFull = false;
        relay::SqlStorage storage(options);
        RC_ASSERT(storage.open());
        RC_ASSERT(storage.createDocument(QStringLiteral("d"), QStringLiteral("d")));
        const int interval = *rc::gen::inRange(2, 12);
        const bool withAuthorship = *rc::gen::arbitrary<bool>();
        std::vector<QString> texts{QString()};
        Rope text;
        relay::Authorship kept;
        for (int r = 1; r <= revisions; ++r) {
            const ServerDocument::LogEntry &e = log[size_t(r - 1)];
            RC_ASSERT(storage.appendOperation(QStringLiteral("d"), {r, e.operation.toJsonText(), e.clientId, e.sequence,
                                                                    e.clientId, e.clientId, QStringLiteral("#123456")}));
            RC_ASSERT(!text.apply(e.operation));
            RC_ASSERT(kept.apply(r, e.operation, e.clientId, e.clientId, QStringLiteral("#123456")));
            texts.push_back(text.toString());
            if (r % interval == 0)
                RC_ASSERT(storage.saveSnapshot(QStringLiteral("d"), r, texts.back(),
                                               withAuthorship ? kept.toStored() : QString()));
        }
        RC_ASSERT(texts.back() == sim.server().text().toString());

        relay::LiveDocuments live(storage, relay::LiveDocuments::Limits{1000, interval, 0, 0});
        relay::History history(storage, live, relay::History::Limits{300'000, *rc::gen::inRange(1, 30), 0});
        for (int k = 0; k < 5; ++k) {
            const int r = *rc::gen::inRange(0, revisions + 1);
            RC_ASSERT(history.textAt(QStringLiteral("d"), r) == std::optional<QString>(texts[size_t(r)]));
            int a = *rc::gen::inRange(0, revisions + 1);
            int b = *rc::gen::inRange(0, revisions + 1);
            if (a > b)
                std::swap(a, b);
            const auto diff = history.diffBetween(QStringLiteral("d"), a, b);
            RC_ASSERT(diff.has_value());
            const Expected<QString> applied = diff->operation.apply(texts[size_t(a)]);
            RC_ASSERT(applied.hasValue() && *applied == texts[size_t(b)]);
        }

        const auto authors = history.authorsAt(QStringLiteral("d"), revisions);
        RC_ASSERT(authors.has_value());
        RC_ASSERT(authors->runs == kept.message(QStringLiteral("d")).runs);
        qsizetype position = 0;
        const QString &final = texts.back();
        for (const AuthorRun &run : authors->runs) {
            RC_ASSERT(run.author >= 0 && run.author < authors->authors.size());
            const QString client = authors->authors.at(run.author).user;
            for (qsizetype k = 0; k < run.length; ++k) {
                if (final.at(position + k).isLowSurrogate())
                    continue;
                RC_ASSERT(QStringLiteral("client-%1").arg(writerOf(final, position + k) + 1) == client);
            }
            position += run.length;
        }
        RC_ASSERT(position == final.size());
        RC_CLASSIFY(withAuthorship, "snapshots with authorship");
        RC_CLASSIFY(sim.resends() > 0, "resends after reconnect");
    }));
}

QTEST_GUILESS_MAIN(tst_HistoryProperties)
#include "tst_historyproperties.moc"
