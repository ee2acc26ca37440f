// SPDX-License-Identifier: MIT
// bench_rebase: the cost of concurrent transformation. N clients go offline and each makes K edits (the
// first becomes the unsent outstanding operation, the rest compose into the buffer) while a writer commits K
// edits on the server. Then each client resyncs as the editor does after a reconnect: it is fed the
// operations since its revision (one by one or in one batch, see --strategy) and applies the results to its
// text, calls resumed(), and its outstanding and buffer are received by the ServerDocument and acknowledged.
// The time of that resync, summed over the clients, is reported for a series of K: it must grow
// near-linearly.
//
//   bench_rebase [--trace FILE] [--clients N] [--sizes 1000,2000,...] [--model trace|scattered]
//                [--strategy per-op|batched]
//
// Edit models:
//   trace      human editing from a real trace (default automerge-paper): the document D reached after a
//              warm-up prefix of the trace is copied N+1 times (separated by newlines); the writer replays
//              the next K trace edits on copy 0, client i the same K edits on copy i. Locality as in life.
//   scattered  worst case: every edit a one-character insert or delete at a uniformly random position of
//              the client's copy (fixed seed), so the buffer has about as many components as edits.
// Strategies:
//   per-op     every missed operation through Client::applyServer, each one transformed against the whole
//              buffer (O(K x buffer components)), its result applied to the text.
//   batched    what the editor does after a reconnect: all missed operations through one
//              Client::applyServerBatch call (same result as per-op; each missed operation transforms only the
//              pieces of the pending operations it touches), its one composed result applied to the text.
// At the end every client catches up and must hold the server's text.
#include "tracereader.h"

#include "client.h"
#include "rope.h"
#include "serverdocument.h"
#include "textoperation.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>

#include <chrono>
#include <cstdio>
#include <random>

using bench::TraceReader;
using namespace collab;

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct LocalEdit
{
    qsizetype position;
    qsizetype removed;
    QString inserted;
};

// K edits inside the copy that starts at `offset` and is `copyLength` long (lengths change as we go).
std::vector<LocalEdit> makeEdits(const QString &model, const std::vector<TraceReader::Edit> &trace,
                                 qsizetype warmup, qsizetype k, qsizetype offset, qsizetype copyLength,
                                 std::mt19937 &random)
{
    std::vector<LocalEdit> edits;
    edits.reserve(size_t(k));
    if (model == QLatin1String("scattered")) {
        qsizetype length = copyLength;
        for (qsizetype n = 0; n < k; ++n) {
            const bool remove = length > 0 && (random() % 4 == 0);
            if (remove) {
                const qsizetype p = qsizetype(random() % quint64(length));
                edits.push_back({offset + p, 1, QString()});
                --length;
            } else {
                const qsizetype p = qsizetype(random() % quint64(length + 1));
                edits.push_back({offset + p, 0, QString(QChar(u'a' + char16_t(random() % 26)))});
                ++length;
            }
        }
    } else {
        for (qsizetype n = 0; n < k; ++n) {
            const auto &e = trace[size_t(warmup + n)];
            edits.push_back({offset + e.position, e.removed, e.inserted});
        }
    }
    return edits;
}

struct Row
{
    qsizetype k = 0;
    double offlineMs = 0;    // composing the K local edits into the buffers (all clients)
    double historyMs = 0;    // the writer's K edits on the server
    double resyncMs = 0;     // all clients' resync (the figure)
    qsizetype bufferComponents = 0;
    bool converged = false;
};

Row run(const QString &model, const QString &strategy, const TraceReader::Trace &trace, qsizetype warmup,
        int clientCount, qsizetype k)
{
    Row row;
    row.k = k;
    // D: the text after the warm-up prefix of the trace.
    QString d;
    for (qsizetype n = 0; n < warmup; ++n) {
        const auto &e = trace.edits[size_t(n)];
        d.replace(e.position, e.removed, e.inserted);
    }
    d += QLatin1Char('\n');
    const QString base = d.repeated(clientCount + 1);
    std::mt19937 random(42);

    ServerDocument server(base, 0);
    std::vector<Client> clients;
    std::vector<Rope> texts;
    std::vector<qsizetype> lengths;
    clients.reserve(size_t(clientCount));
    for (int i = 0; i < clientCount; ++i) {
        clients.emplace_back(QStringLiteral("client-%1").arg(i));
        texts.emplace_back(base);
        lengths.push_back(base.size());
        clients.back().disconnected();
    }

    // Offline: each client edits its own copy.
    auto start = Clock::now();
    for (int i = 0; i < clientCount; ++i) {
        const auto edits = makeEdits(model, trace.edits, warmup, k, (i + 1) * d.size(), d.size() - 1, random);
        for (const auto &e : edits) {
            const TextOperation op = TextOperation::makeReplace(lengths[size_t(i)], e.position, e.removed, e.inserted);
            if (!clients[size_t(i)].applyClient(op) || texts[size_t(i)].apply(op)) {
                std::fprintf(stderr, "bench_rebase: local edit failed\n");
                return row;
            }
            lengths[size_t(i)] += e.inserted.size() - e.removed;
        }
        row.bufferComponents += clients[size_t(i)].buffer() ? qsizetype(clients[size_t(i)].buffer()->components().size()) : 0;
    }
    row.offlineMs = msSince(start);

    // Meanwhile the writer commits K edits on copy 0.
    start = Clock::now();
    {
        qsizetype length = base.size();
        qint64 sequence = 0;
        const auto edits = makeEdits(model, trace.edits, warmup, k, 0, d.size() - 1, random);
        for (const auto &e : edits) {
            const TextOperation op = TextOperation::makeReplace(length, e.position, e.removed, e.inserted);
            if (!server.receive(server.revision(), op, QStringLiteral("writer"), ++sequence)) {
                std::fprintf(stderr, "bench_rebase: writer edit failed\n");
                return row;
            }
            length += e.inserted.size() - e.removed;
        }
    }
    row.historyMs = msSince(start);

    // Resync, one client after another (each also sees the operations of those before it).
    const auto catchUp = [&](int i) -> bool {
        Client &c = clients[size_t(i)];
        const auto since = server.operationsSince(c.revision());
        if (!since)
            return false;
        int revision = c.revision();
        for (const auto &entry : *since) {
            auto effects = c.applyServer(++revision, entry.operation, entry.clientId, entry.sequence);
            if (!effects)
                return false;
            if (effects->apply && texts[size_t(i)].apply(*effects->apply))
                return false;
        }
        return true;
    };
    // The same in one call: one composed operation to apply.
    const auto catchUpBatched = [&](int i) -> bool {
        Client &c = clients[size_t(i)];
        const auto since = server.operationsSince(c.revision());
        if (!since)
            return false;
        std::vector<Client::ServerEntry> entries;
        entries.reserve(since->size());
        int revision = c.revision();
        for (const auto &entry : *since)
            entries.push_back({++revision, entry.operation, entry.clientId, entry.sequence});
        auto effects = c.applyServerBatch(entries);
        if (!effects)
            return false;
        return !(effects->apply && texts[size_t(i)].apply(*effects->apply));
    };
    start = Clock::now();
    for (int i = 0; i < clientCount; ++i) {
        Client &c = clients[size_t(i)];
        if (!(strategy == QLatin1String("batched") ? catchUpBatched(i) : catchUp(i)))
            return row;
        Client::Effects effects = c.resumed();
        while (effects.send) {
            const Client::Outgoing sent = *effects.send;
            auto receipt = server.receive(sent.revision, sent.operation, c.clientId(), sent.sequence);
            if (!receipt) {
                std::fprintf(stderr, "bench_rebase: %s\n", qPrintable(receipt.error().message));
                return row;
            }
            auto acked = c.serverAck(receipt->revision, sent.sequence);
            if (!acked)
                return row;
            effects = *acked;
        }
    }
    row.resyncMs = msSince(start);

    // Everyone catches up (untimed) and must hold the server's text.
    const QString final = server.text().toString();
    row.converged = true;
    for (int i = 0; i < clientCount; ++i)
        row.converged = row.converged && catchUp(i) && texts[size_t(i)].toString() == final;
    return row;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Offline clients rebasing against a long server history"));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("trace"), QStringLiteral("Trace file (.json.gz)."), QStringLiteral("file"),
                      QDir(TraceReader::tracesDirectory()).filePath(QStringLiteral("automerge-paper.json.gz"))});
    parser.addOption({QStringLiteral("clients"), QStringLiteral("Offline clients."), QStringLiteral("n"),
                      QStringLiteral("4")});
    parser.addOption({QStringLiteral("sizes"), QStringLiteral("Edits per client and in the history."),
                      QStringLiteral("list"), QStringLiteral("1000,2000,5000,10000,20000")});
    parser.addOption({QStringLiteral("model"), QStringLiteral("trace or scattered."), QStringLiteral("model"),
                      QStringLiteral("trace")});
    parser.addOption({QStringLiteral("strategy"),
                      QStringLiteral("per-op (Client::applyServer) or batched (Client::applyServerBatch)."),
                      QStringLiteral("strategy"), QStringLiteral("per-op")});
    parser.addOption({QStringLiteral("warmup"), QStringLiteral("Trace edits before the copies are taken."),
                      QStringLiteral("n"), QStringLiteral("20000")});
    parser.process(app);

    QString error;
    const auto trace = TraceReader::load(parser.value(QStringLiteral("trace")), 1, &error);
    if (!trace) {
        std::fprintf(stderr, "bench_rebase: %s\n", qPrintable(error));
        return 2;
    }
    const QString model = parser.value(QStringLiteral("model"));
    const QString strategy = parser.value(QStringLiteral("strategy"));
    const int clientCount = parser.value(QStringLiteral("clients")).toInt();
    const qsizetype warmup = parser.value(QStringLiteral("warmup")).toLongLong();

    std::printf("rebase (%s edits, %s resync, %d clients; K = offline edits per client = server history length)\n\n",
                qPrintable(model), qPrintable(strategy), clientCount);
    std::printf("| K | buffer components (sum) | offline compose ms | resync ms (all clients) | resync us per edit | vs previous K |\n");
    std::printf("|---:|---:|---:|---:|---:|---|\n");
    bool ok = true;
    Row previous;
    for (const QString &s : parser.value(QStringLiteral("sizes")).split(QLatin1Char(','))) {
        const qsizetype k = s.toLongLong();
        if (model != QLatin1String("scattered") && warmup + k > qsizetype(trace->edits.size())) {
            std::fprintf(stderr, "bench_rebase: trace too short for K = %lld\n", qlonglong(k));
            return 2;
        }
        const Row row = run(model, strategy, *trace, warmup, clientCount, k);
        ok = ok && row.converged;
        // Resync handles K server operations plus the 2 operations of each client: per client-edit.
        const double perEdit = row.resyncMs * 1000.0 / double(k * clientCount);
        QString growth;
        if (previous.k)
            growth = QStringLiteral("%1x edits -> %2x time")
                             .arg(double(row.k) / double(previous.k), 0, 'f', 1)
                             .arg(row.resyncMs / previous.resyncMs, 0, 'f', 1);
        std::printf("| %lld | %lld | %.1f | %.1f | %.3f | %s |%s\n", qlonglong(row.k),
                    qlonglong(row.bufferComponents), row.offlineMs, row.resyncMs, perEdit, qPrintable(growth),
                    row.converged ? "" : " NOT CONVERGED");
        std::fflush(stdout);
        previous = row;
    }
    return ok ? 0 : 1;
}
