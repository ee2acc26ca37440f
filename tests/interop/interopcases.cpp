// SPDX-License-Identifier: MIT
// interopcases: writes random TextOperation cases with Coscribe's results, one JSON object per line, for
// compare.js to recompute with ot.js and compare byte for byte.
//
// Each case is a document and three operations: a and b concurrent on doc, c on apply(doc, a).
//   inputs   doc (string), a, b, c (ot.js arrays)
//   results  aJson, bJson, cJson          our toJsonBytes() of the parsed inputs (normalization + serializer)
//            applyA, applyB               apply(doc, a), apply(doc, b)
//            compose                      a.compose(c)
//            transformAB, transformBA     transform(a, b) and transform(b, a): both tie orders
//            invertA                      a.invert(doc)
// A result is {"value": ...} or {"error": "..."}. Operation results are the text of our toJsonBytes(), so
// compare.js checks our serializer against JSON.stringify. The file itself escapes every code unit outside
// printable ASCII as \uXXXX, so documents pass through losslessly (even lone surrogates, should any appear).
//
// Cases come from the shared RapidCheck generators (tests/common/generators.h) driven by a fixed seed, with
// the size parameter cycling so that tiny documents (where inserts tie often) and long ones both appear.

#include "generators.h"
#include "textoperation.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>

#include <cstdio>
#include <string>

using collab::TextOperation;

namespace {

// JSON string literal with every code unit outside printable ASCII escaped: lossless for any QString.
std::string jsonString(const QString &s)
{
    std::string out = "\"";
    for (const QChar c : s) {
        const char16_t u = c.unicode();
        if (u == '"' || u == '\\') {
            out += '\\';
            out += char(u);
        } else if (u >= 0x20 && u < 0x7f) {
            out += char(u);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(u));
            out += buf;
        }
    }
    return out + '"';
}

// The ot.js array form written from the components directly (independent of toJsonBytes()).
std::string jsonOperation(const TextOperation &op)
{
    std::string out = "[";
    bool first = true;
    for (const auto &c : op.components()) {
        if (!first)
            out += ',';
        first = false;
        switch (c.kind) {
        case TextOperation::Kind::Retain:
            out += std::to_string(c.length);
            break;
        case TextOperation::Kind::Delete:
            out += std::to_string(-c.length);
            break;
        case TextOperation::Kind::Insert:
            out += jsonString(c.text);
            break;
        }
    }
    return out + ']';
}

std::string errorResult(const collab::Error &e)
{
    return "{\"error\":" + jsonString(collab::errorCodeName(e.code) + QStringLiteral(": ") + e.message) + '}';
}

std::string opResult(const TextOperation &op)
{
    return "{\"value\":" + jsonString(QString::fromUtf8(op.toJsonBytes())) + '}';
}

std::string stringResult(const collab::Expected<QString> &r)
{
    return r ? "{\"value\":" + jsonString(*r) + '}' : errorResult(r.error());
}

std::string transformResult(const TextOperation &a, const TextOperation &b)
{
    const auto r = TextOperation::transform(a, b);
    if (!r)
        return errorResult(r.error());
    return "{\"value\":[" + jsonString(QString::fromUtf8(r->first.toJsonBytes())) + ','
        + jsonString(QString::fromUtf8(r->second.toJsonBytes())) + "]}";
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Writes random TextOperation cases for the ot.js interop test"));
    parser.addHelpOption();
    const QCommandLineOption countOption(QStringLiteral("count"), QStringLiteral("Number of cases."),
                                         QStringLiteral("n"), QStringLiteral("6000"));
    const QCommandLineOption seedOption(QStringLiteral("seed"), QStringLiteral("Random seed."),
                                        QStringLiteral("seed"), QStringLiteral("20240611"));
    const QCommandLineOption outputOption(QStringLiteral("output"), QStringLiteral("Output file (JSON lines)."),
                                          QStringLiteral("file"));
    parser.addOptions({countOption, seedOption, outputOption});
    parser.process(app);

    bool ok = false;
    const int count = parser.value(countOption).toInt(&ok);
    if (!ok || count < 0) {
        std::fprintf(stderr, "interopcases: bad --count\n");
        return 2;
    }
    const quint64 seed = parser.value(seedOption).toULongLong(&ok);
    if (!ok) {
        std::fprintf(stderr, "interopcases: bad --seed\n");
        return 2;
    }
    if (!parser.isSet(outputOption)) {
        std::fprintf(stderr, "interopcases: --output is required\n");
        return 2;
    }
    QFile file(parser.value(outputOption));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        std::fprintf(stderr, "interopcases: cannot write %s: %s\n", qPrintable(file.fileName()),
                     qPrintable(file.errorString()));
        return 2;
    }

    rc::Random root(seed);
    for (int i = 0; i < count; ++i) {
        rc::Random r = root.split();
        rc::Random rDoc = r.split();
        rc::Random rA = r.split();
        rc::Random rB = r.split();
        rc::Random rC = r.split();
        // Sizes cycle through 0..99: some cases have a document of a handful of units (inserts tie often),
        // others a few hundred.
        const int size = (i * 7) % 100;
        const QString doc = genText()(rDoc, size).value();
        const TextOperation a = genOperation(doc)(rA, size).value();
        const TextOperation b = genOperation(doc)(rB, size).value();
        const auto afterA = a.apply(doc);
        // c needs the document after a; if our apply failed the compose result records that instead.
        const TextOperation c = afterA ? genOperation(*afterA)(rC, size).value() : TextOperation();

        std::string line = "{\"id\":" + std::to_string(i) + ",\"doc\":" + jsonString(doc)
            + ",\"a\":" + jsonOperation(a) + ",\"b\":" + jsonOperation(b) + ",\"c\":" + jsonOperation(c);
        line += ",\"aJson\":" + opResult(a) + ",\"bJson\":" + opResult(b) + ",\"cJson\":" + opResult(c);
        line += ",\"applyA\":" + stringResult(afterA) + ",\"applyB\":" + stringResult(b.apply(doc));
        if (afterA) {
            const auto composed = a.compose(c);
            line += ",\"compose\":" + (composed ? opResult(*composed) : errorResult(composed.error()));
        } else {
            line += ",\"compose\":" + errorResult(afterA.error());
        }
        line += ",\"transformAB\":" + transformResult(a, b) + ",\"transformBA\":" + transformResult(b, a);
        line += ",\"invertA\":" + opResult(a.invert(doc));
        line += "}\n";
        if (file.write(line.data(), qint64(line.size())) != qint64(line.size())) {
            std::fprintf(stderr, "interopcases: write failed: %s\n", qPrintable(file.errorString()));
            return 2;
        }
    }
    file.close();
    std::printf("interopcases: wrote %d cases (seed %llu) to %s\n", count, static_cast<unsigned long long>(seed),
                qPrintable(file.fileName()));
    return 0;
}
