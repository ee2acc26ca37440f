// SPDX-License-Identifier: MIT
// bench_historyslider: the History panel's slider on a 1 MB document, end to end (docs/PERFORMANCE.md).
//
//   QT_QPA_PLATFORM=offscreen bench_historyslider [--sessions N] [--units N] [--interval MS]
//
// A SQLite store is seeded as the relay keeps it: one author pastes a document of about a million UTF-16 code
// units, then three authors take turns, each edit session typing a word at a random place and correcting it
// (50 operations a session, a snapshot every 500 operations with its authorship). An in-process relay
// (default limits) serves it to the editor's main window over a loopback WebSocket. With View › History
// open, the slider is moved by its keyboard (Left: one point older, Right: one newer) across the newest 100
// points and back. Each move is timed from the key press until the preview shows that point with its changes
// highlighted (HistoryPanel::previewReady), then the repaint of the window separately: at a reader's pace (a
// key press every --interval ms), then back to back, where the relay's rate limit sets the pace.
// Peer in the same run: the same moves done as the panel did them before, the whole text of each point
// fetched and set into a QPlainTextEdit of the same size.
// Goal: a move between adjacent points under one frame (16 ms). Prints median, 95th percentile and worst, and
// their ratio to the goal (< 1 = within it).
#include <documentbinding.h>
#include <documentsession.h>
#include <historypanel.h>
#include <mainwindow.h>

#include <authorship.h>
#include <relayserver.h>
#include <sqlstorage.h>

#include <rope.h>
#include <textoperation.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>

using namespace collab;

namespace {

QString makeDocument(qsizetype units)
{
    const QString line = QStringLiteral("Coscribe keeps one text for everyone who opens it — café, naïve, 東京. %1\n");
    QString text;
    text.reserve(units + 100);
    for (int i = 0; text.size() < units; ++i)
        text += line.arg(i);
    return text;
}

struct Figures
{
    double median = 0, p95 = 0, worst = 0;
};

Figures figuresOf(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    if (ms.empty())
        return {};
    return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)], ms.back()};
}

void print(const char *what, const Figures &f, double goal)
{
    std::printf("%-52s median %7.2f ms  p95 %7.2f ms  worst %7.2f ms  (worst / goal %.2f)\n", what, f.median, f.p95,
                f.worst, f.worst / goal);
}

// The seeded store: returns the number of operations, or 0 on a storage error.
int seed(relay::SqlStorage &storage, qsizetype units, int sessions)
{
    const QString authors[3][3] = {{QStringLiteral("ada"), QStringLiteral("Ada"), QStringLiteral("#3366cc")},
                                   {QStringLiteral("bob"), QStringLiteral("Bob"), QStringLiteral("#cc3333")},
                                   {QStringLiteral("cy"), QStringLiteral("Cy"), QStringLiteral("#33aa33")}};
    constexpr int SnapshotInterval = 500;
    if (!storage.createDocument(QStringLiteral("d"), QStringLiteral("d")))
        return 0;
    Rope text;
    relay::Authorship authorship;
    int revision = 0;
    const auto append = [&](const TextOperation &op, int author) {
        ++revision;
        const QString *who = authors[author];
        if (!storage.appendOperation(QStringLiteral("d"), {revision, op.toJsonText(), who[0] + QStringLiteral("-client"),
                                                           revision, who[0], who[1], who[2]})
            || text.apply(op) || !authorship.apply(revision, op, who[0], who[1], who[2]))
            return false;
        return revision % SnapshotInterval != 0 || revision == 1
               || storage.saveSnapshot(QStringLiteral("d"), revision, text.toString(), authorship.toStored());
    };
    storage.beginTransaction();
    const QString document = makeDocument(units);
    if (!append(TextOperation::makeInsert(0, 0, document), 0)
        || !storage.saveSnapshot(QStringLiteral("d"), revision, text.toString(), authorship.toStored()))
        return 0;
    QRandomGenerator random(12);
    const QString word = QStringLiteral("collaboration, reviewed ");
    for (int s = 0; s < sessions; ++s) {
        const int author = 1 + s % 2 + (s % 7 == 0 ? -1 : 0); // mostly Bob and Cy, now and then Ada
        qsizetype at = qsizetype(random.bounded(quint32(text.length())));
        for (int i = 0; i < 40; ++i, ++at) { // typed one character at a time
            if (!append(TextOperation::makeInsert(text.length(), at, word.at(i % word.size())), author))
                return 0;
        }
        for (int i = 0; i < 10; ++i) { // and ten backspaces
            --at;
            if (!append(TextOperation::makeReplace(text.length(), at, 1, QString()), author))
                return 0;
        }
    }
    return storage.commitTransaction() ? revision : 0;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption sessionsOption(QStringLiteral("sessions"), QStringLiteral("Edit sessions after the paste."),
                                            QStringLiteral("n"), QStringLiteral("400"));
    const QCommandLineOption unitsOption(QStringLiteral("units"), QStringLiteral("UTF-16 code units of the document."),
                                         QStringLiteral("n"), QStringLiteral("1048576"));
    const QCommandLineOption intervalOption(QStringLiteral("interval"), QStringLiteral("ms from one key press to the next."),
                                            QStringLiteral("ms"), QStringLiteral("100"));
    parser.addOption(intervalOption);
    parser.addOption(sessionsOption);
    parser.addOption(unitsOption);
    parser.process(app);

    QTemporaryDir dir;
    relay::SqlStorage::Options options;
    options.databaseName = dir.filePath(QStringLiteral("relay.sqlite"));
    options.synchronousFull = false;
    relay::SqlStorage storage(options);
    QElapsedTimer seedTimer;
    seedTimer.start();
    const int operations = storage.open() ? seed(storage, parser.value(unitsOption).toLongLong(),
                                                 parser.value(sessionsOption).toInt())
                                          : 0;
    if (operations == 0) {
        std::fprintf(stderr, "bench_historyslider: seeding the store failed\n");
        return 1;
    }
    std::printf("seeded %d operations in %.0f ms\n", operations, double(seedTimer.nsecsElapsed()) / 1e6);

    relay::RelayServer server(storage, relay::RelayServer::Settings{});
    if (!server.listen()) {
        std::fprintf(stderr, "bench_historyslider: the relay does not listen\n");
        return 1;
    }
    ui::MainWindow window(dir.filePath(QStringLiteral("editor")));
    window.resize(1280, 800);
    window.show();
    window.openDocument(QUrl(QStringLiteral("ws://127.0.0.1:%1/d").arg(server.port())),
                        syncing::DocumentSession::Profile{QStringLiteral("Reader"), QStringLiteral("#884488"), QString(), {}});
    if (!QTest::qWaitFor([&] { return window.session()->revision() == operations; }, 60000)) {
        std::fprintf(stderr, "bench_historyslider: the editor did not open the document\n");
        return 1;
    }
    const qsizetype length = window.binding()->text().size();
    std::printf("document: %lld UTF-16 code units, revision %d\n", qint64(length), operations);

    ui::HistoryPanel *history = window.historyPanel();
    window.historyDock()->show();
    if (!QTest::qWaitFor([&] { return history->entryCount() >= 100 && history->previewRevision() == operations; }, 60000)) {
        std::fprintf(stderr, "bench_historyslider: the history did not arrive (%d points)\n", history->entryCount());
        return 1;
    }
    QSlider *slider = history->findChild<QSlider *>(QStringLiteral("historySlider"));
    slider->setFocus();
    QSignalSpy ready(history, &ui::HistoryPanel::previewReady);
    QString failed;
    QObject::connect(window.session(), &syncing::DocumentSession::historyFailed, &app,
            [&](collab::ProtocolErrorCode, const QString &message) { failed = message; });

    const int moves = std::min(99, history->entryCount() - 1);
    const int interval = parser.value(intervalOption).toInt();
    std::vector<double> older, newer, paint, olderBackToBack, newerBackToBack;
    const auto move = [&](Qt::Key key, std::vector<double> &into, bool measurePaint) {
        ready.clear();
        QElapsedTimer t;
        t.start();
        QTest::keyClick(slider, key);
        if (ready.isEmpty() && !ready.wait(5000))
            return false;
        into.push_back(double(t.nsecsElapsed()) / 1e6);
        if (measurePaint) {
            t.restart();
            window.repaint();
            paint.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        return true;
    };
    // A pass over the points, older then newer: at a reader's pace (`interval` ms from one key press to the
    // next), then back to back, where the relay's rate limit (which the editor keeps to) sets the pace.
    const auto pass = [&](std::vector<double> &left, std::vector<double> &right, int pause) {
        for (const Qt::Key key : {Qt::Key_Left, Qt::Key_Right}) {
            for (int i = 0; i < moves; ++i) {
                QElapsedTimer step;
                step.start();
                if (!move(key, key == Qt::Key_Left ? left : right, pause > 0)) {
                    std::fprintf(stderr, "bench_historyslider: no preview after a move (%s)\n", qPrintable(failed));
                    return false;
                }
                if (pause > 0 && step.elapsed() < pause)
                    QTest::qWait(int(pause - step.elapsed()));
            }
        }
        if (history->previewRevision() != operations || history->previewText() != window.binding()->text()) {
            std::fprintf(stderr, "bench_historyslider: back at the newest point, the preview is not the text\n");
            return false;
        }
        return failed.isEmpty();
    };
    if (!pass(older, newer, interval))
        return 1;
    QTest::qWait(3000); // the link's bucket refills
    if (!pass(olderBackToBack, newerBackToBack, 0))
        return 1;

    // The peer: the whole text of each point, set into a plain text edit as big as the preview.
    QPlainTextEdit peer;
    peer.resize(history->findChild<QPlainTextEdit *>(QStringLiteral("historyPreview"))->size());
    peer.setReadOnly(true);
    peer.show();
    std::vector<double> whole;
    int wanted = operations;
    QString arrived;
    QObject::connect(window.session(), &syncing::DocumentSession::revisionReceived, &app, [&](int revision, const QString &text) {
        if (revision == wanted)
            arrived = text;
    });
    for (int i = 0; i < 20; ++i) {
        wanted = operations - 50 * (i + 1);
        arrived.clear();
        QElapsedTimer t;
        t.start();
        window.session()->requestRevision(wanted);
        if (!QTest::qWaitFor([&] { return !arrived.isEmpty(); }, 5000)) {
            std::fprintf(stderr, "bench_historyslider: no text for revision %d (%s)\n", wanted, qPrintable(failed));
            return 1;
        }
        peer.setPlainText(ui::DocumentBinding::displayForm(arrived));
        whole.push_back(double(t.nsecsElapsed()) / 1e6);
    }

    constexpr double Frame = 16.0;
    std::printf("%d moves each way between adjacent points (edit sessions of 50 operations), a key press every %d ms\n",
                moves, interval);
    print("slider one point older (key to highlighted preview)", figuresOf(older), Frame);
    print("slider one point newer", figuresOf(newer), Frame);
    print("repaint of the window after a move", figuresOf(paint), Frame);
    std::printf("back to back (paced by the relay's rate limit, %d messages/s):\n", window.session()->link().welcome().opsPerSecond);
    print("  one point older", figuresOf(olderBackToBack), Frame);
    print("  one point newer", figuresOf(newerBackToBack), Frame);
    const Figures peerFigures = figuresOf(whole);
    print("peer: whole text fetched and set", peerFigures, Frame);
    std::vector<double> all = older;
    all.insert(all.end(), newer.begin(), newer.end());
    std::printf("peer median / slider median: %.1f\n", peerFigures.median / figuresOf(all).median);
    return 0;
}
