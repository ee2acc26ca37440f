// SPDX-License-Identifier: MIT
#include "tracereader.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

namespace bench {

namespace {

bool hasSurrogates(const QString &s)
{
    for (QChar c : s) {
        if (c.isSurrogate())
            return true;
    }
    return false;
}

// Code point offset -> UTF-16 offset in doc.
qsizetype toUtf16(const QString &doc, qsizetype codePoints)
{
    qsizetype i = 0;
    for (qsizetype n = 0; n < codePoints && i < doc.size(); ++n)
        i += doc.at(i).isHighSurrogate() ? 2 : 1;
    return i;
}

} // namespace

QString TraceReader::tracesDirectory()
{
    const QByteArray env = qgetenv("COSCRIBE_TRACES_DIR");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    return QDir::cleanPath(QStringLiteral(COSCRIBE_SOURCE_DIR "/../shared/traces"));
}

std::optional<TraceReader::Trace> TraceReader::load(const QString &path, int repeat, QString *error)
{
    QProcess gunzip;
    gunzip.start(QStringLiteral("gzip"), {QStringLiteral("-dc"), path});
    if (!gunzip.waitForFinished(120000) || gunzip.exitStatus() != QProcess::NormalExit || gunzip.exitCode() != 0) {
        *error = QStringLiteral("cannot gunzip %1: %2").arg(path, QString::fromLocal8Bit(gunzip.readAllStandardError()));
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(gunzip.readAllStandardOutput(), &parseError);
    if (!json.isObject()) {
        *error = QStringLiteral("%1: %2").arg(path, parseError.errorString());
        return std::nullopt;
    }
    const QJsonObject root = json.object();
    if (!root.value(QLatin1String("startContent")).toString().isEmpty()) {
        *error = QStringLiteral("%1: trace does not start empty").arg(path);
        return std::nullopt;
    }
    const QString endContent = root.value(QLatin1String("endContent")).toString();
    const QJsonArray txns = root.value(QLatin1String("txns")).toArray();

    // Without a surrogate pair in any insert, code points and UTF-16 units coincide; otherwise rebuild the
    // document while converting (slow, but outside the timing).
    std::vector<Edit> round;
    bool astral = false;
    for (const QJsonValue &txn : txns) {
        for (const QJsonValue &patch : txn.toObject().value(QLatin1String("patches")).toArray()) {
            const QJsonArray p = patch.toArray();
            Edit e{p.at(0).toInteger(), p.at(1).toInteger(), p.at(2).toString()};
            astral = astral || hasSurrogates(e.inserted);
            round.push_back(std::move(e));
        }
    }
    qsizetype length = 0;
    QString doc;
    for (Edit &e : round) {
        if (astral) {
            const qsizetype from = toUtf16(doc, e.position);
            const qsizetype to = toUtf16(doc, e.position + e.removed);
            doc.replace(from, to - from, e.inserted);
            e.position = from;
            e.removed = to - from;
        }
        length += e.inserted.size() - e.removed;
    }
    if (length != endContent.size() || (astral && doc != endContent)) {
        *error = QStringLiteral("%1: converting the trace does not give endContent").arg(path);
        return std::nullopt;
    }

    Trace trace;
    trace.name = QFileInfo(path).fileName().remove(QLatin1String(".json.gz"));
    trace.endContent = endContent.repeated(repeat);
    trace.edits.reserve(round.size() * size_t(repeat));
    for (int r = 0; r < repeat; ++r) {
        for (const Edit &e : round)
            trace.edits.push_back(Edit{e.position + r * length, e.removed, e.inserted});
    }
    return trace;
}

} // namespace bench
