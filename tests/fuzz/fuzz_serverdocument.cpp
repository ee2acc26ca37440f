// SPDX-License-Identifier: MIT
// libFuzzer target: collab::ServerDocument::receive() on operations decoded from the input.
//
// Input: UTF-8 text, one command per line (readable seeds; see corpus/fuzz_serverdocument/):
//   line 1                          the initial document text (\n inside it cannot be expressed; fine)
//   <rev> <client> <seq> <op-json>  receive(rev, TextOperation::fromJsonBytes(op-json), client, seq)
//   trim <rev>                      trimHistory(rev)
//   since <rev>                     operationsSince(rev)
// Anything unparsable is skipped (that is the decoder's business: fuzz_message).
//
// Invariants checked after every command, against a shadow copy kept with plain QString::apply:
//   - on success the revision grows by one, the receipt names it, the transformed operation's base length is
//     the previous text length and applying it to the shadow gives exactly the document's text; the text
//     length equals the operation's target length; the rope's structure is valid;
//   - on error nothing changes: same revision, same text;
//   - operationsSince(r), when answered, replays the text at r into the current text.
#include "serverdocument.h"

#include <QHash>
#include <QList>

#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_serverdocument: invariant broken: %s\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const QList<QByteArray> lines = input.split('\n');
    const QString initial = QString::fromUtf8(lines.constFirst());

    collab::ServerDocument document(initial, 0);
    QString shadow = initial;
    QHash<int, QString> textAt{{0, initial}};  // shadow text at each revision reached

    for (qsizetype i = 1; i < lines.size() && i < 200; ++i) {
        const QByteArray &line = lines.at(i);
        const QList<QByteArray> words = line.split(' ');
        bool ok = false;

        if (words.size() == 2 && (words[0] == "trim" || words[0] == "since")) {
            const int revision = words[1].toInt(&ok);
            if (!ok)
                continue;
            if (words[0] == "trim") {
                document.trimHistory(revision);
                continue;
            }
            const auto ops = document.operationsSince(revision);
            if (ops && textAt.contains(revision)) {
                QString replayed = textAt.value(revision);
                for (const auto &entry : *ops) {
                    auto next = entry.operation.apply(replayed);
                    if (!next)
                        fail("operationsSince() returned an operation that does not apply");
                    replayed = std::move(next.value());
                }
                if (replayed != shadow)
                    fail("operationsSince() does not lead to the current text");
            }
            continue;
        }

        if (words.size() < 4)
            continue;
        const int revision = words[0].toInt(&ok);
        if (!ok)
            continue;
        const QString clientId = QString::fromUtf8(words[1]);
        const qint64 sequence = words[2].toLongLong(&ok);
        if (!ok)
            continue;
        const qsizetype jsonStart = words[0].size() + words[1].size() + words[2].size() + 3;
        const auto op = collab::TextOperation::fromJsonBytes(line.mid(jsonStart));
        if (!op)
            continue;

        const int before = document.revision();
        const auto receipt = document.receive(revision, *op, clientId, sequence);
        if (!receipt) {
            if (document.revision() != before || document.length() != shadow.size()
                || document.text().toString() != shadow)
                fail("a refused operation changed the document");
            continue;
        }
        if (document.revision() != before + 1 || receipt->revision != document.revision())
            fail("revision did not advance by exactly one");
        if (receipt->operation.baseLength() != shadow.size())
            fail("transformed operation's base length differs from the text length");
        auto next = receipt->operation.apply(shadow);
        if (!next)
            fail("transformed operation does not apply to the previous text");
        shadow = std::move(next.value());
        if (document.length() != shadow.size() || document.length() != receipt->operation.targetLength())
            fail("text length differs from the operation's target length");
        if (document.text().toString() != shadow)
            fail("document text differs from the shadow copy");
        if (const auto violation = document.text().invariantViolation())
            fail(qPrintable(*violation));
        textAt.insert(document.revision(), shadow);
    }
    return 0;
}
