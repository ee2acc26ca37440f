// SPDX-License-Identifier: MIT
// bench_history: the relay's history requests on a long real document, against docs/PERFORMANCE.md's goals.
//
//   bench_history [--trace FILE] [--repeat N]
//
// A SQLite store (a file in a temporary directory, as the relay keeps it) is seeded with an editing trace
// replayed keystroke by keystroke — automerge-paper: 259,778 operations — as the relay would have stored it:
// a snapshot every 500 operations, three authors taking turns every 1,000 operations. Then, on that store:
//   - the text at 200 random revisions (goal: at most 50 ms each at 200,000 operations);
//   - the authorship of the whole text, from the latest snapshot's (stored beside it, as the relay does)
//     plus the operations after it (goal: at most 200 ms for a 1 MB document of 200,000 operations: run with
//     --repeat 10 for the megabyte), then again after 1,000 more operations (only those are replayed); and,
//     for a database whose snapshots lack it, replayed from the whole log; and what keeping it costs per
//     operation;
//   - the first page of edit sessions, and diffs of 1,000-operation spans.
// Prints one line per figure and the ratio to each goal (< 1 = within it).
#include "tracereader.h"

#include "history.h"
#include "livedocuments.h"
#include "sqlstorage.h"

#include "rope.h"
#include "textoperation.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace collab;

namespace {

double msSince(const QElapsedTimer &t) { return double(t.nsecsElapsed()) / 1e6; }

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("The relay's history requests on a long document"));
    parser.addHelpOption();
    const QCommandLineOption traceOption(QStringLiteral("trace"), QStringLiteral("Trace file (.json.gz)."),
                                         QStringLiteral("file"),
                                         bench::TraceReader::tracesDirectory() + QStringLiteral("/automerge-paper.json.gz"));
    const QCommandLineOption repeatOption(QStringLiteral("repeat"), QStringLiteral("Rounds of the trace."),
                                          QStringLiteral("n"), QStringLiteral("1"));
    parser.addOptions({traceOption, repeatOption});
    parser.process(app);

    QString error;
    const auto trace = bench::TraceReader::load(parser.value(traceOption), parser.value(repeatOption).toInt(), &error);
    if (!trace) {
        std::fprintf(stderr, "bench_history: %s\n", qPrintable(error));
        return 77;
    }

    QTemporaryDir dir;
    relay::SqlStorage::Options options;
    options.databaseName = dir.filePath(QStringLiteral("history.sqlite"));
    options.synchronousFull = false;
    relay::SqlStorage storage(options);
    if (!storage.open() || !storage.createDocument(QStringLiteral("d"), QStringLiteral("d")))
        return 1;
    const QString authors[3][3] = {{QStringLiteral("ada"), QStringLiteral("Ada"), QStringLiteral("#3366cc")},
                                   {QStringLiteral("bob"), QStringLiteral("Bob"), QStringLiteral("#cc3333")},
                                   {QStringLiteral("cy"), QStringLiteral("Cy"), QStringLiteral("#33aa33")}};
    constexpr int SnapshotInterval = 500;
    QElapsedTimer seedTimer;
    seedTimer.start();
    Rope text;
    relay::Authorship authorship; // kept as the relay keeps it for a loaded document, stored with each snapshot
    qint64 attributeNs = 0;
    int revision = 0;
    const auto append = [&](const TextOperation &op) {
        ++revision;
        const QString *who = authors[(revision / 1000) % 3];
        if (!storage.appendOperation(QStringLiteral("d"), {revision, op.toJsonText(), who[0] + QStringLiteral("-client"),
                                                           revision, who[0], who[1], who[2]}))
            return false;
        if (text.apply(op))
            return false;
        QElapsedTimer a;
        a.start();
        if (!authorship.apply(revision, op, who[0], who[1], who[2]))
            return false;
        attributeNs += a.nsecsElapsed();
        return revision % SnapshotInterval != 0
               || storage.saveSnapshot(QStringLiteral("d"), revision, text.toString(), authorship.toStored());
    };
    storage.beginTransaction();
    for (const auto &e : trace->edits) {
        if (!append(TextOperation::makeReplace(text.length(), e.position, e.removed, e.inserted)))
            return 1;
    }
    if (!storage.commitTransaction())
        return 1;
    std::printf("seeded %d operations, %lld UTF-16 units of text, in %.0f ms\n", revision,
                qint64(text.length()), msSince(seedTimer));
    std::printf("authorship kept per operation: %.2f us per operation\n", double(attributeNs) / 1e3 / revision);

    relay::LiveDocuments live(storage, relay::LiveDocuments::Limits{1000, SnapshotInterval, 0, 0});
    relay::History history(storage, live, relay::History::Limits{300'000, 20000});

    // Text at random revisions.
    QRandomGenerator random(12);
    double total = 0;
    double worst = 0;
    constexpr int Samples = 200;
    for (int i = 0; i < Samples; ++i) {
        const int at = int(random.bounded(revision + 1));
        QElapsedTimer t;
        t.start();
        if (!history.textAt(QStringLiteral("d"), at))
            return 1;
        const double ms = msSince(t);
        total += ms;
        worst = std::max(worst, ms);
    }
    std::printf("text at a revision: mean %.2f ms, worst %.2f ms over %d random revisions\n", total / Samples, worst, Samples);
    std::printf("ratio text-at-revision-worst/50ms: %.3f\n", worst / 50);

    // What a replay of the whole log costs before any attribution: reading it, and parsing its operations.
    QElapsedTimer t;
    t.start();
    qint64 parsed = 0;
    double readMs = 0;
    for (int after = 0; after < revision; after += 1000) {
        QElapsedTimer r;
        r.start();
        const auto records = storage.operations(QStringLiteral("d"), after, std::min(revision, after + 1000));
        readMs += msSince(r);
        if (!records)
            return 1;
        for (const auto &record : *records)
            parsed += TextOperation::fromJsonText(record.operation).hasValue();
    }
    std::printf("the log read: %.1f ms, and parsed: %.1f ms more (%lld operations)\n", readMs, msSince(t) - readMs, parsed);

    // Authorship: the first request starts from the latest snapshot's and replays what came after it; the
    // next replays only what came since. A relay that stored no authorship with its snapshots replays the
    // whole log (an older database: measured on a second relay's History, with the column cleared).
    t.restart();
    const auto first = history.authorsAt(QStringLiteral("d"), revision);
    const double firstMs = msSince(t);
    if (!first || first->runs != authorship.message(QStringLiteral("d")).runs)
        return 1;
    qint64 covered = 0;
    for (const AuthorRun &r : first->runs)
        covered += r.length;
    if (covered != text.length())
        return 1;
    std::printf("authorship of the text: %.1f ms (%lld runs, %lld authors)\n", firstMs, qint64(first->runs.size()),
                qint64(first->authors.size()));
    std::printf("ratio authorship-first/200ms: %.3f\n", firstMs / 200);
    {
        relay::History legacy(storage, live, relay::History::Limits{300'000, 20000});
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("clear"));
            db.setDatabaseName(options.databaseName);
            if (!db.open() || !QSqlQuery(db).exec(QStringLiteral("UPDATE snapshots SET authors = NULL")))
                return 1;
        }
        QSqlDatabase::removeDatabase(QStringLiteral("clear"));
        t.restart();
        const auto replayed = legacy.authorsAt(QStringLiteral("d"), revision);
        if (!replayed || replayed->runs != first->runs)
            return 1;
        std::printf("authorship replayed from the whole log (snapshots without it): %.1f ms\n", msSince(t));
    }
    storage.beginTransaction();
    for (int i = 0; i < 1000; ++i) {
        const qsizetype at = qsizetype(random.bounded(int(text.length() + 1)));
        if (!append(TextOperation::makeInsert(text.length(), at, QStringLiteral("x"))))
            return 1;
    }
    storage.commitTransaction();
    t.restart();
    if (!history.authorsAt(QStringLiteral("d"), revision))
        return 1;
    std::printf("authorship after 1,000 more operations: %.1f ms\n", msSince(t));

    t.restart();
    const auto page = history.read(QStringLiteral("d"), revision, 50);
    if (!page)
        return 1;
    std::printf("first page of edit sessions: %.1f ms (%lld sessions)\n", msSince(t), qint64(page->sessions.size()));

    total = 0;
    for (int i = 0; i < 20; ++i) {
        const int from = int(random.bounded(revision - 1000));
        t.restart();
        if (!history.diffBetween(QStringLiteral("d"), from, from + 1000))
            return 1;
        total += msSince(t);
    }
    std::printf("diff of 1,000 operations: mean %.2f ms\n", total / 20);
    return 0;
}
