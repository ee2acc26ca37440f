// SPDX-License-Identifier: MIT
// bench_ot: the engine on real editing traces, one keystroke at a time (the C++ side of run-ot-vs-otjs;
// bench/node/ot-bench.js does the same work with ot.js).
//
//   bench_ot --trace FILE [--repeat N] --mode server|pipeline
//
// server:   each edit becomes a TextOperation received by collab::ServerDocument at its current revision
//           (transform over nothing, validate, apply to the rope, append to the log).
// pipeline: per keystroke, the whole path an edit takes between two editors:
//
//   Client A.applyClient ─► Message::Op JSON ─► decodeClient ─► ServerDocument::receive
//        ▲                                                          │
//        └── serverAck ◄── decodeServer ◄── Message::Ack JSON ◄─────┤
//   Client B.applyServer ─► Rope::apply ◄── decodeServer ◄── Message::RemoteOp JSON (encoded once)
//
// The frames are text (Message::encodeText, decoded as QString), as the editor and the relay hand them to
// QWebSocket and get them from it; QWebSocket's own conversion to and from UTF-8 on the wire is not timed.
//
// Prints one JSON line (the fields of ot-bench.js; heapGrowthKb is the heap in use gained during the replay:
// the document, its history and the clients' state, without the trace itself). The final text of the server (and of client B) must be
// the trace's endContent, else the exit code is 1.
#include "processstats.h"
#include "tracereader.h"

#include "client.h"
#include "message.h"
#include "rope.h"
#include "serverdocument.h"
#include "textoperation.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

#include <chrono>
#include <cstdio>

using bench::TraceReader;
using namespace collab;

namespace {

struct Outcome
{
    qsizetype edits = 0;
    QString text;
    qint64 heapKb = 0;   // heap in use at the end, while the server and clients still exist
    QString error;
};

Outcome runServer(const TraceReader::Trace &trace)
{
    ServerDocument server;
    const QString clientId = QStringLiteral("a");
    qint64 sequence = 0;
    qsizetype length = 0;
    Outcome out;
    for (const auto &e : trace.edits) {
        const TextOperation op = TextOperation::makeReplace(length, e.position, e.removed, e.inserted);
        auto receipt = server.receive(server.revision(), op, clientId, ++sequence);
        if (!receipt) {
            out.error = receipt.error().message;
            return out;
        }
        length += e.inserted.size() - e.removed;
        ++out.edits;
    }
    out.text = server.text().toString();
    out.heapKb = bench::ProcessStats::heapInUseKb();
    return out;
}

template<typename T, typename V>
const T *as(const V &variant)
{
    return std::get_if<T>(&variant);
}

Outcome runPipeline(const TraceReader::Trace &trace)
{
    ServerDocument server;
    const QString doc = QStringLiteral("bench");
    const QString connectionA = QStringLiteral("c1");
    Client a(QStringLiteral("a"));
    Client b(QStringLiteral("b"));
    Rope textB;
    qsizetype length = 0;
    Outcome out;
    auto fail = [&](const QString &why) {
        out.error = QStringLiteral("edit %1: %2").arg(out.edits).arg(why);
        return out;
    };
    for (const auto &e : trace.edits) {
        // Client A types.
        auto effects = a.applyClient(TextOperation::makeReplace(length, e.position, e.removed, e.inserted));
        length += e.inserted.size() - e.removed;
        if (!effects)
            return fail(effects.error().message);
        if (!effects->send)
            return fail(QStringLiteral("client A sent nothing"));
        const Client::Outgoing &sent = *effects->send;
        const QString frame = Message::encodeText(
                Message::Op{doc, sent.revision, sent.sequence, sent.operation, std::nullopt});

        // The relay: decode, transform and apply, encode the broadcast once and the acknowledgement.
        auto request = Message::decodeClient(frame);
        if (!request)
            return fail(request.error().message);
        const auto *op = as<Message::Op>(*request);
        if (!op)
            return fail(QStringLiteral("decoded the wrong message type"));
        auto receipt = server.receive(op->revision, op->operation, a.clientId(), op->sequence);
        if (!receipt)
            return fail(receipt.error().message);
        const QString broadcast = Message::encodeText(Message::RemoteOp{
                op->doc, receipt->revision, receipt->operation, a.clientId(), op->sequence, connectionA,
                op->selection});
        const QString ack = Message::encodeText(Message::Ack{op->doc, receipt->revision, op->sequence});

        // Client A: the acknowledgement.
        auto ackMessage = Message::decodeServer(ack);
        const auto *acked = ackMessage ? as<Message::Ack>(*ackMessage) : nullptr;
        if (!acked)
            return fail(QStringLiteral("bad ack"));
        auto afterAck = a.serverAck(acked->revision, acked->sequence);
        if (!afterAck || afterAck->send)
            return fail(QStringLiteral("unexpected state after ack"));

        // Client B: the remote operation, applied to its text.
        auto remoteMessage = Message::decodeServer(broadcast);
        const auto *remote = remoteMessage ? as<Message::RemoteOp>(*remoteMessage) : nullptr;
        if (!remote)
            return fail(QStringLiteral("bad broadcast"));
        auto applied = b.applyServer(remote->revision, remote->operation, remote->author, remote->sequence);
        if (!applied || !applied->apply)
            return fail(QStringLiteral("client B did not apply"));
        if (auto error = textB.apply(*applied->apply))
            return fail(error->message);
        ++out.edits;
    }
    out.text = textB.toString();
    out.heapKb = bench::ProcessStats::heapInUseKb();
    if (out.text != server.text().toString())
        out.error = QStringLiteral("client B diverged from the server");
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Replays an editing trace through the OT engine"));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("trace"), QStringLiteral("Trace file (.json.gz)."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("repeat"), QStringLiteral("Rounds of the trace."), QStringLiteral("n"),
                      QStringLiteral("1")});
    parser.addOption({QStringLiteral("mode"), QStringLiteral("server or pipeline."), QStringLiteral("mode"),
                      QStringLiteral("server")});
    parser.process(app);

    QString error;
    const auto trace = TraceReader::load(parser.value(QStringLiteral("trace")),
                                         parser.value(QStringLiteral("repeat")).toInt(), &error);
    if (!trace) {
        std::fprintf(stderr, "bench_ot: %s\n", qPrintable(error));
        return 2;
    }
    const QString mode = parser.value(QStringLiteral("mode"));

    const qint64 heapBefore = bench::ProcessStats::heapInUseKb();
    const auto start = std::chrono::steady_clock::now();
    const Outcome out = mode == QLatin1String("pipeline") ? runPipeline(*trace) : runServer(*trace);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const qint64 heapGrowth = out.heapKb - heapBefore;
    const bool ok = out.error.isEmpty() && out.text == trace->endContent;
    if (!out.error.isEmpty())
        std::fprintf(stderr, "bench_ot: %s\n", qPrintable(out.error));
    else if (!ok)
        std::fprintf(stderr, "bench_ot: final text differs from endContent\n");
    const QJsonObject result{
            {QStringLiteral("impl"), QStringLiteral("coscribe")},
            {QStringLiteral("trace"), trace->name},
            {QStringLiteral("repeat"), parser.value(QStringLiteral("repeat")).toInt()},
            {QStringLiteral("mode"), mode},
            {QStringLiteral("edits"), qint64(out.edits)},
            {QStringLiteral("seconds"), seconds},
            {QStringLiteral("editsPerSec"), double(out.edits) / seconds},
            {QStringLiteral("complete"), out.edits == qsizetype(trace->edits.size())},
            {QStringLiteral("ok"), ok},
            {QStringLiteral("peakRssKb"), bench::ProcessStats::peakRssKb()},
            {QStringLiteral("heapGrowthKb"), heapGrowth},
    };
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return ok ? 0 : 1;
}
