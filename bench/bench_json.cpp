// SPDX-License-Identifier: MIT
// bench_json: the protocol codec's JSON library (RapidJSON) and its candidate (simdjson), on the frames the
// per-keystroke pipeline actually carries (bench_ot --mode pipeline: one client op, one ack and one broadcast
// per edit of a real trace), side by side in one run:
//
//   bench_json --trace FILE [--repeat N]
//
//   rapidjson   parse as collab/jsonreader.cpp does (in place in a padded copy, ASCII skips validation,
//               SSE2), then walk every value;
//   simdjson    simdjson::dom::parser (one parser reused, as a relay connection would), then walk every value;
//   ondemand    simdjson::ondemand, reading every field once in document order;
//   codec       collab::Message::decodeClient / decodeServer: parse plus building our types.
//
// Prints one JSON line per library (ns per frame) and `ratio simdjson/rapidjson: X.XX` (> 1 = simdjson faster).
#include "tracereader.h"

#include "client.h"
#include "message.h"
#include "serverdocument.h"
#include "textoperation.h"

#define RAPIDJSON_SSE2
#include <rapidjson/document.h>
#include <simdjson.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

using bench::TraceReader;
using namespace collab;

namespace {

struct Frames
{
    std::vector<QByteArray> client; // op
    std::vector<QByteArray> server; // ack, remote op
};

// The frames of bench_ot's pipeline, built once.
Frames pipelineFrames(const TraceReader::Trace &trace)
{
    Frames frames;
    ServerDocument server;
    Client a(QStringLiteral("a"));
    qsizetype length = 0;
    const QString doc = QStringLiteral("bench");
    for (const auto &e : trace.edits) {
        auto effects = a.applyClient(TextOperation::makeReplace(length, e.position, e.removed, e.inserted));
        length += e.inserted.size() - e.removed;
        const Client::Outgoing &sent = *effects->send;
        frames.client.push_back(
                Message::encode(Message::Op{doc, sent.revision, sent.sequence, sent.operation, std::nullopt}));
        auto receipt = server.receive(sent.revision, sent.operation, a.clientId(), sent.sequence);
        frames.server.push_back(Message::encode(Message::Ack{doc, receipt->revision, sent.sequence}));
        frames.server.push_back(Message::encode(Message::RemoteOp{doc, receipt->revision, receipt->operation,
                a.clientId(), sent.sequence, QStringLiteral("c1"), std::nullopt}));
        (void)a.serverAck(receipt->revision, sent.sequence);
    }
    return frames;
}

// What every walk adds up, so no parse is optimised away.
struct Sink
{
    quint64 bytes = 0;
    qint64 numbers = 0;
};

void walk(const rapidjson::Value &v, Sink &sink)
{
    if (v.IsObject()) {
        for (const auto &m : v.GetObject()) {
            sink.bytes += m.name.GetStringLength();
            walk(m.value, sink);
        }
    } else if (v.IsArray()) {
        for (const auto &e : v.GetArray())
            walk(e, sink);
    } else if (v.IsString()) {
        sink.bytes += v.GetStringLength();
    } else if (v.IsInt64()) {
        sink.numbers += v.GetInt64();
    }
}

void walk(simdjson::dom::element v, Sink &sink)
{
    switch (v.type()) {
    case simdjson::dom::element_type::OBJECT:
        for (auto field : simdjson::dom::object(v)) {
            sink.bytes += field.key.size();
            walk(field.value, sink);
        }
        break;
    case simdjson::dom::element_type::ARRAY:
        for (auto e : simdjson::dom::array(v))
            walk(e, sink);
        break;
    case simdjson::dom::element_type::STRING:
        sink.bytes += std::string_view(v).size();
        break;
    case simdjson::dom::element_type::INT64:
        sink.numbers += int64_t(v);
        break;
    default:
        break;
    }
}

bool walk(simdjson::ondemand::value v, Sink &sink)
{
    simdjson::ondemand::json_type type;
    if (v.type().get(type))
        return false;
    switch (type) {
    case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object object;
        if (v.get_object().get(object))
            return false;
        for (auto field : object) {
            std::string_view key;
            if (field.unescaped_key().get(key))
                return false;
            sink.bytes += key.size();
            if (!walk(field.value(), sink))
                return false;
        }
        return true;
    }
    case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array array;
        if (v.get_array().get(array))
            return false;
        for (auto e : array) {
            simdjson::ondemand::value element;
            if (e.get(element) || !walk(element, sink))
                return false;
        }
        return true;
    }
    case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s))
            return false;
        sink.bytes += s.size();
        return true;
    }
    case simdjson::ondemand::json_type::number: {
        int64_t n;
        if (v.get_int64().get(n))
            return false;
        sink.numbers += n;
        return true;
    }
    default:
        return true;
    }
}

struct RapidJsonParser
{
    std::vector<char> copy;
    char valueBuffer[4096];
    char stackBuffer[2048];

    bool parse(const QByteArray &frame, Sink &sink)
    {
        const std::size_t size = std::size_t(frame.size());
        copy.resize(size + 16);
        std::memcpy(copy.data(), frame.constData(), size);
        std::memset(copy.data() + size, 0, 16);
        bool ascii = true;
        for (std::size_t i = 0; i < size; ++i)
            ascii &= static_cast<unsigned char>(copy[i]) < 0x80;
        rapidjson::MemoryPoolAllocator<> values(valueBuffer, sizeof valueBuffer);
        rapidjson::MemoryPoolAllocator<> stack(stackBuffer, sizeof stackBuffer);
        rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                rapidjson::MemoryPoolAllocator<>> document(&values, sizeof stackBuffer / 4, &stack);
        rapidjson::InsituStringStream stream(copy.data());
        if (ascii)
            document.ParseStream<rapidjson::kParseInsituFlag>(stream);
        else
            document.ParseStream<rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag>(stream);
        if (document.HasParseError())
            return false;
        walk(document, sink);
        return true;
    }
};

struct SimdjsonParser
{
    simdjson::dom::parser parser;
    simdjson::padded_string padded;

    bool parse(const QByteArray &frame, Sink &sink)
    {
        simdjson::dom::element root;
        if (parser.parse(frame.constData(), std::size_t(frame.size()), true).get(root))
            return false;
        walk(root, sink);
        return true;
    }
};

struct OndemandParser
{
    simdjson::ondemand::parser parser;
    std::vector<char> copy;

    bool parse(const QByteArray &frame, Sink &sink)
    {
        const std::size_t size = std::size_t(frame.size());
        copy.resize(size + simdjson::SIMDJSON_PADDING);
        std::memcpy(copy.data(), frame.constData(), size);
        simdjson::ondemand::document document;
        if (parser.iterate(copy.data(), size, copy.size()).get(document))
            return false;
        simdjson::ondemand::value root;
        if (document.get_value().get(root))
            return false;
        return walk(root, sink);
    }
};

struct CodecParser
{
    bool client = true;
    bool parse(const QByteArray &frame, Sink &sink)
    {
        if (client) {
            auto m = Message::decodeClient(frame);
            sink.bytes += m ? 1 : 0;
            return bool(m);
        }
        auto m = Message::decodeServer(frame);
        sink.bytes += m ? 1 : 0;
        return bool(m);
    }
};

template<typename Parser>
double nsPerFrame(Parser &parser, const Frames &frames, int repeat, Sink &sink, bool &ok)
{
    const auto start = std::chrono::steady_clock::now();
    qsizetype count = 0;
    for (int r = 0; r < repeat; ++r) {
        for (const auto &f : frames.client)
            ok &= parser.parse(f, sink);
        for (const auto &f : frames.server)
            ok &= parser.parse(f, sink);
        count += qsizetype(frames.client.size() + frames.server.size());
    }
    const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / double(count);
}

double codecNsPerFrame(const Frames &frames, int repeat, Sink &sink, bool &ok)
{
    CodecParser codec;
    const auto start = std::chrono::steady_clock::now();
    qsizetype count = 0;
    for (int r = 0; r < repeat; ++r) {
        codec.client = true;
        for (const auto &f : frames.client)
            ok &= codec.parse(f, sink);
        codec.client = false;
        for (const auto &f : frames.server)
            ok &= codec.parse(f, sink);
        count += qsizetype(frames.client.size() + frames.server.size());
    }
    const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / double(count);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser options;
    options.addHelpOption();
    options.addOption({QStringLiteral("trace"), QStringLiteral("Trace file (.json or .json.gz)."),
                       QStringLiteral("file")});
    options.addOption({QStringLiteral("repeat"), QStringLiteral("Passes over the frames (default 5)."),
                       QStringLiteral("n"), QStringLiteral("5")});
    options.process(app);
    QString error;
    const auto trace = TraceReader::load(options.value(QStringLiteral("trace")), 1, &error);
    if (!trace) {
        std::fprintf(stderr, "bench_json: %s\n", qPrintable(error));
        return 2;
    }
    const int repeat = qMax(1, options.value(QStringLiteral("repeat")).toInt());
    const Frames frames = pipelineFrames(*trace);
    quint64 bytes = 0;
    for (const auto &f : frames.client)
        bytes += quint64(f.size());
    for (const auto &f : frames.server)
        bytes += quint64(f.size());
    const double meanBytes = double(bytes) / double(frames.client.size() + frames.server.size());

    // Each library sees the same frames; a warm-up pass first, then the timed passes. The sinks must agree.
    Sink rapidSink, simdSink, ondemandSink, codecSink, warm;
    bool ok = true;
    RapidJsonParser rapid;
    SimdjsonParser simd;
    OndemandParser ondemand;
    nsPerFrame(rapid, frames, 1, warm, ok);
    nsPerFrame(simd, frames, 1, warm, ok);
    nsPerFrame(ondemand, frames, 1, warm, ok);
    codecNsPerFrame(frames, 1, warm, ok);
    const double rapidNs = nsPerFrame(rapid, frames, repeat, rapidSink, ok);
    const double simdNs = nsPerFrame(simd, frames, repeat, simdSink, ok);
    const double ondemandNs = nsPerFrame(ondemand, frames, repeat, ondemandSink, ok);
    const double codecNs = codecNsPerFrame(frames, repeat, codecSink, ok);
    if (!ok || rapidSink.bytes != simdSink.bytes || rapidSink.numbers != simdSink.numbers
        || rapidSink.bytes != ondemandSink.bytes || rapidSink.numbers != ondemandSink.numbers) {
        std::fprintf(stderr, "bench_json: the libraries disagree on the frames\n");
        return 1;
    }
    const QString name = QFileInfo(options.value(QStringLiteral("trace"))).baseName();
    const auto line = [&](const char *impl, double ns) {
        std::printf("{\"impl\":\"%s\",\"trace\":\"%s\",\"frames\":%zu,\"meanBytes\":%.1f,\"nsPerFrame\":%.1f}\n",
                    impl, qPrintable(name), frames.client.size() + frames.server.size(), meanBytes, ns);
    };
    line("rapidjson", rapidNs);
    line("simdjson-dom", simdNs);
    line("simdjson-ondemand", ondemandNs);
    line("codec", codecNs);
    std::printf("ratio simdjson-dom/rapidjson: %.2f\n", rapidNs / simdNs);
    std::printf("ratio simdjson-ondemand/rapidjson: %.2f\n", rapidNs / ondemandNs);
    return 0;
}
