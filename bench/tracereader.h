// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <optional>
#include <vector>

namespace bench {

// TraceReader: loads an editing trace of the editing-traces collection (Joseph Gentle, CC BY 4.0):
// gzipped JSON {startContent, endContent, txns: [{time, patches: [[pos, delLen, insStr], ...]}]}, positions
// in Unicode code points. Produces one Edit per patch with positions in UTF-16 code units (QString's), so
// each edit is one keystroke-sized TextOperation; the conversion happens here, before any timing.
//
// repeat > 1 replays the trace again after the text the earlier rounds left (positions shifted by its
// length): the document grows to endContent repeated `repeat` times. bench/node/trace.js does the same.
class TraceReader
{
public:
    struct Edit
    {
        qsizetype position = 0;
        qsizetype removed = 0;
        QString inserted;
    };

    struct Trace
    {
        QString name;           // file name without .json.gz
        QString endContent;     // the expected final text (repeated)
        std::vector<Edit> edits;
    };

    // The directory of traces: $COSCRIBE_TRACES_DIR, else ../shared/traces beside the source tree.
    static QString tracesDirectory();

    // std::nullopt with *error set when the file cannot be read or its replay does not give endContent.
    static std::optional<Trace> load(const QString &path, int repeat, QString *error);
};

} // namespace bench
