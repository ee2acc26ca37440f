// SPDX-License-Identifier: MIT
#include "textdiff.h"

#include <QStringView>

#include <dtl/dtl.hpp>

#include <vector>

namespace collab {

namespace {

std::vector<QStringView> linesOf(QStringView text)
{
    std::vector<QStringView> lines;
    while (!text.isEmpty()) {
        const qsizetype end = text.indexOf(u'\n');
        const qsizetype length = end < 0 ? text.size() : end + 1;
        lines.push_back(text.left(length));
        text = text.mid(length);
    }
    return lines;
}

void append(TextOperation &into, const TextOperation &op)
{
    for (const TextOperation::Component &c : op.components()) {
        if (c.kind == TextOperation::Kind::Retain)
            into.retain(c.length);
        else if (c.kind == TextOperation::Kind::Insert)
            into.insert(c.text);
        else
            into.remove(c.length);
    }
}

// Words, and each other character on its own (a space or a "?" kept is not part of a change).
std::vector<QStringView> tokensOf(QStringView text)
{
    const auto isWord = [](QChar c) { return c.isLetterOrNumber() || c == u'_' || c.isMark() || c.isSurrogate(); };
    std::vector<QStringView> tokens;
    qsizetype start = 0;
    for (qsizetype i = 1; i <= text.size(); ++i) {
        if (i == text.size() || !isWord(text[i]) || !isWord(text[i - 1])) {
            tokens.push_back(text.mid(start, i - start));
            start = i;
        }
    }
    return tokens;
}

// Two versions of a line (or of a few lines) compared word by word (Myers over words and the runs between
// them): a reader sees "two" become "three" and "March" become "April", not one change from "wo" to "il".
TextOperation wordDiff(const QString &from, const QString &to)
{
    const std::vector<QStringView> oldWords = tokensOf(from);
    const std::vector<QStringView> newWords = tokensOf(to);
    if (oldWords.size() + newWords.size() > 4000)
        return TextOperation::makeDiff(from, to);
    dtl::Diff<QStringView, std::vector<QStringView>> diff(oldWords, newWords);
    diff.compose();
    TextOperation op;
    qsizetype deleted = 0;
    QString inserted;
    const auto flush = [&] {
        op.remove(deleted);
        op.insert(inserted);
        deleted = 0;
        inserted.clear();
    };
    for (const auto &[word, info] : diff.getSes().getSequence()) {
        if (info.type == dtl::SES_COMMON) {
            flush();
            op.retain(word.size());
        } else if (info.type == dtl::SES_DELETE) {
            deleted += word.size();
        } else {
            inserted += word;
        }
    }
    flush();
    return op;
}

} // namespace

TextOperation lineDiff(const QString &before, const QString &after, qsizetype maxLines)
{
    // The common beginning and end (those of the one replace around every change), as whole lines.
    const TextOperation around = TextOperation::makeDiff(before, after);
    const TextOperation::Components parts = around.components();
    if (parts.size() <= 1)
        return around; // the same text, or one of them empty
    qsizetype prefix = parts.front().kind == TextOperation::Kind::Retain ? parts.front().length : 0;
    qsizetype suffix = parts.back().kind == TextOperation::Kind::Retain ? parts.back().length : 0;
    prefix = prefix == 0 ? 0 : before.lastIndexOf(u'\n', prefix - 1) + 1;
    if (suffix > 0 && suffix < before.size() && before[before.size() - suffix - 1] != u'\n') {
        const qsizetype newline = QStringView(before).right(suffix).indexOf(u'\n');
        suffix = newline < 0 ? 0 : suffix - newline - 1;
    }
    const QStringView oldMiddle = QStringView(before).mid(prefix, before.size() - prefix - suffix);
    const QStringView newMiddle = QStringView(after).mid(prefix, after.size() - prefix - suffix);
    const std::vector<QStringView> oldLines = linesOf(oldMiddle);
    const std::vector<QStringView> newLines = linesOf(newMiddle);
    if (qsizetype(oldLines.size() + newLines.size()) > maxLines)
        return TextOperation::makeDiff(before, after);

    dtl::Diff<QStringView, std::vector<QStringView>> diff(oldLines, newLines);
    diff.compose();
    TextOperation op;
    op.retain(prefix);
    std::vector<QStringView> deleted;
    std::vector<QStringView> inserted;
    // A stretch of changed lines: as many deleted as inserted are changed lines, each narrowed to what
    // differs in it; otherwise the stretch is narrowed as a whole.
    const auto flush = [&] {
        if (deleted.size() == inserted.size()) {
            for (size_t i = 0; i < deleted.size(); ++i)
                append(op, wordDiff(deleted[i].toString(), inserted[i].toString()));
        } else {
            QString from;
            QString to;
            for (QStringView line : deleted)
                from += line;
            for (QStringView line : inserted)
                to += line;
            append(op, wordDiff(from, to));
        }
        deleted.clear();
        inserted.clear();
    };
    for (const auto &[line, info] : diff.getSes().getSequence()) {
        switch (info.type) {
        case dtl::SES_COMMON:
            flush();
            op.retain(line.size());
            break;
        case dtl::SES_DELETE:
            deleted.push_back(line);
            break;
        case dtl::SES_ADD:
            inserted.push_back(line);
            break;
        }
    }
    flush();
    op.retain(suffix);
    return op;
}

TextOperation readableDiff(const QString &before, const TextOperation &op)
{
    const Expected<QString> after = op.apply(before);
    if (!after)
        return op;
    const auto changed = [](const TextOperation &o) {
        qsizetype n = 0;
        for (const TextOperation::Component &c : o.components())
            n += c.kind == TextOperation::Kind::Retain ? 0 : c.length;
        return n;
    };
    TextOperation lines = lineDiff(before, *after);
    return changed(lines) < changed(op) ? std::move(lines) : op;
}

} // namespace collab
