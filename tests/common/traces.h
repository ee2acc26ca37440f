// SPDX-License-Identifier: MIT
#pragma once

// Loader for the real editing traces in ../shared/traces (Joseph Gentle's editing-traces, CC BY 4.0):
// gzipped JSON {startContent, endContent, txns: [{time, patches: [[pos, delLen, insStr], ...]}]}.
//
// The traces count Unicode code points; Trace::patches are converted to UTF-16 code units (QString indices)
// so they apply one after another to a QString or a TextOperation. The conversion keeps only the code point
// positions of the astral characters of the document (usually none), so it costs O(patch + astral count)
// per patch, never O(document).
//
// The directory comes from the COSCRIBE_TRACES_DIR environment variable (set by coscribe_add_test).

#include <QByteArray>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <optional>
#include <vector>

namespace traces {

struct Patch
{
    qsizetype position = 0; // UTF-16 code units, in the document as left by the previous patch
    qsizetype removed = 0;  // UTF-16 code units
    QString inserted;
};

struct Trace
{
    QString name; // file name without .json.gz
    QString startContent;
    QString endContent;
    qsizetype transactionCount = 0;
    std::vector<Patch> patches; // every patch of every transaction, in order
};

// The trace directory from the environment, or an empty string when unset.
inline QString directory()
{
    return qEnvironmentVariable("COSCRIBE_TRACES_DIR");
}

// The *.json.gz files of dir, sorted by name; empty when the directory is missing.
inline QStringList files(const QString &dir)
{
    QStringList out;
    const QDir d(dir);
    if (dir.isEmpty() || !d.exists())
        return out;
    for (const QString &name : d.entryList({QStringLiteral("*.json.gz")}, QDir::Files, QDir::Name))
        out << d.absoluteFilePath(name);
    return out;
}

namespace detail {

// gzip, not zlib: qUncompress cannot read it, so let gzip(1) do it.
inline std::optional<QByteArray> gunzip(const QString &path, QString *error)
{
    QProcess gzip;
    gzip.start(QStringLiteral("gzip"), {QStringLiteral("-dc"), path});
    if (!gzip.waitForStarted()) {
        *error = QStringLiteral("cannot run gzip: %1").arg(gzip.errorString());
        return std::nullopt;
    }
    QByteArray out;
    while (gzip.state() != QProcess::NotRunning) {
        gzip.waitForReadyRead(-1);
        out += gzip.readAllStandardOutput();
    }
    out += gzip.readAllStandardOutput();
    if (gzip.exitStatus() != QProcess::NormalExit || gzip.exitCode() != 0) {
        *error = QStringLiteral("gzip -dc %1 failed: %2").arg(path, QString::fromLocal8Bit(gzip.readAllStandardError()));
        return std::nullopt;
    }
    return out;
}

inline qsizetype codePointCount(const QString &s)
{
    qsizetype n = s.size();
    for (qsizetype i = 0; i + 1 < s.size(); ++i) {
        if (s.at(i).isHighSurrogate() && s.at(i + 1).isLowSurrogate()) {
            --n;
            ++i;
        }
    }
    return n;
}

// Code point offsets (within s) of its astral characters.
inline std::vector<qsizetype> astralOffsets(const QString &s)
{
    std::vector<qsizetype> out;
    qsizetype cp = 0;
    for (qsizetype i = 0; i < s.size(); ++i, ++cp) {
        if (s.at(i).isHighSurrogate() && i + 1 < s.size() && s.at(i + 1).isLowSurrogate()) {
            out.push_back(cp);
            ++i;
        }
    }
    return out;
}

// Maps code point positions of an evolving document to UTF-16 positions.
class CodePointMap
{
public:
    explicit CodePointMap(const QString &text)
        : m_astral(astralOffsets(text)), m_length(codePointCount(text))
    {
    }

    qsizetype length() const { return m_length; }

    qsizetype toUtf16(qsizetype cp) const
    {
        if (m_astral.empty())
            return cp;
        return cp + (std::lower_bound(m_astral.begin(), m_astral.end(), cp) - m_astral.begin());
    }

    void replace(qsizetype cp, qsizetype removed, const QString &inserted)
    {
        const qsizetype added = codePointCount(inserted);
        if (!m_astral.empty()) {
            auto first = std::lower_bound(m_astral.begin(), m_astral.end(), cp);
            auto last = std::lower_bound(first, m_astral.end(), cp + removed);
            auto next = m_astral.erase(first, last);
            for (auto it = next; it != m_astral.end(); ++it)
                *it += added - removed;
        }
        if (inserted.size() != added) {
            std::vector<qsizetype> fresh = astralOffsets(inserted);
            for (qsizetype &p : fresh)
                p += cp;
            const auto at = std::lower_bound(m_astral.begin(), m_astral.end(), cp);
            m_astral.insert(at, fresh.begin(), fresh.end());
        }
        m_length += added - removed;
    }

private:
    std::vector<qsizetype> m_astral; // sorted code point positions of astral characters
    qsizetype m_length = 0;          // in code points
};

} // namespace detail

// Converts a parsed trace; std::nullopt with *error set if a patch does not fit the document.
inline std::optional<Trace> fromJson(const QJsonObject &root, const QString &name, QString *error)
{
    Trace trace;
    trace.name = name;
    trace.startContent = root.value(QLatin1String("startContent")).toString();
    trace.endContent = root.value(QLatin1String("endContent")).toString();
    const QJsonArray txns = root.value(QLatin1String("txns")).toArray();
    trace.transactionCount = txns.size();

    detail::CodePointMap map(trace.startContent);
    for (qsizetype t = 0; t < txns.size(); ++t) {
        const QJsonArray patches = txns.at(t).toObject().value(QLatin1String("patches")).toArray();
        for (const QJsonValue &value : patches) {
            const QJsonArray p = value.toArray();
            const qsizetype cp = p.at(0).toInteger(-1);
            const qsizetype removedCp = p.at(1).toInteger(-1);
            if (p.size() != 3 || !p.at(2).isString() || cp < 0 || removedCp < 0 || cp + removedCp > map.length()) {
                *error = QStringLiteral("%1: transaction %2 has a bad patch %3 (document has %4 code points)")
                             .arg(name)
                             .arg(t)
                             .arg(QString::fromUtf8(QJsonDocument(p).toJson(QJsonDocument::Compact)))
                             .arg(map.length());
                return std::nullopt;
            }
            Patch patch;
            patch.position = map.toUtf16(cp);
            patch.removed = map.toUtf16(cp + removedCp) - patch.position;
            patch.inserted = p.at(2).toString();
            map.replace(cp, removedCp, patch.inserted);
            trace.patches.push_back(std::move(patch));
        }
    }
    if (map.length() != detail::codePointCount(trace.endContent)) {
        *error = QStringLiteral("%1: patches give %2 code points, endContent has %3")
                     .arg(name)
                     .arg(map.length())
                     .arg(detail::codePointCount(trace.endContent));
        return std::nullopt;
    }
    return trace;
}

// Reads, decompresses and converts one .json.gz trace; std::nullopt with *error set on failure.
inline std::optional<Trace> load(const QString &path, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    const auto bytes = detail::gunzip(path, error);
    if (!bytes)
        return std::nullopt;
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(*bytes, &parseError);
    if (!json.isObject()) {
        *error = QStringLiteral("%1: not a JSON object (%2)").arg(path, parseError.errorString());
        return std::nullopt;
    }
    return fromJson(json.object(), QFileInfo(path).fileName().remove(QStringLiteral(".json.gz")), error);
}

} // namespace traces
