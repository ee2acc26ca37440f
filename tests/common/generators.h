// SPDX-License-Identifier: MIT
#pragma once

// Shared RapidCheck generators and printers for Coscribe's tests.
//
//   genText()              text in UTF-16 code units: ASCII, whitespace, emoji (astral: surrogate pairs, skin
//                          tones, ZWJ sequences, flags), combining marks, CJK (BMP and astral); sometimes empty.
//                          Never contains a lone surrogate.
//   genNonEmptyText()      the same, never empty.
//   genOperation(doc)      a TextOperation whose base is doc (baseLength() == doc.size()); every component
//                          boundary falls outside doc's surrogate pairs; inserted text comes from genText()
//                          at a fifth of the size.
//   genRawUtf16()          any UTF-16 code units: controls, quotes, backslashes, lone and reversed surrogates,
//                          BMP, pairs, noncharacters (for codecs, which must carry whatever they are given).
//   genSelection()         a Selection of any number of ranges anywhere in [0, 2^30].
//   splitsPair(s, pos)     true when pos sits between the high and the low half of a surrogate pair of s.
//   rc::Arbitrary<QString> genText(), so `[](const QString &s) { ... }` properties get interesting text.
//
// Failing cases print readably: QString as a quoted string with escapes for control characters, combining
// marks and lone surrogates plus its length in code units; TextOperation as its JSON ([5,"abc",-2]).
//
// Everything lives in the global namespace because RapidCheck finds showValue() by argument-dependent lookup
// (QString is a global-namespace type), and the tests call genText()/genOperation() unqualified.

#include "selection.h"
#include "textoperation.h"

#include <rapidcheck.h>

#include <QString>
#include <QStringList>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

// True when pos is strictly inside s and splits a surrogate pair (s[pos-1] high, s[pos] low).
inline bool splitsPair(const QString &s, qsizetype pos)
{
    return pos > 0 && pos < s.size() && s.at(pos - 1).isHighSurrogate() && s.at(pos).isLowSurrogate();
}

// Any boundary of op (start or end of a component, measured in doc) splits a pair of doc?
inline bool operationSplitsPair(const collab::TextOperation &op, const QString &doc)
{
    qsizetype pos = 0;
    for (const auto &c : op.components()) {
        if (splitsPair(doc, pos))
            return true;
        if (c.kind != collab::TextOperation::Kind::Insert)
            pos += c.length;
    }
    return splitsPair(doc, pos);
}

inline QString codePointString(char32_t cp)
{
    const char32_t units[1] = {cp};
    return QString::fromUcs4(units, 1);
}

namespace generators_detail {

inline rc::Gen<QString> genCodePoint(char32_t first, char32_t last)
{
    return rc::gen::map(rc::gen::inRange<uint32_t>(first, last + 1),
                        [](uint32_t cp) { return codePointString(char32_t(cp)); });
}

// One "atom" of text: a character or a short cluster from one script family.
inline rc::Gen<QString> genTextAtom()
{
    using namespace rc;
    const Gen<QString> ascii = genCodePoint(0x21, 0x7e);
    const Gen<QString> whitespace = gen::element(QStringLiteral(" "), QStringLiteral(" "), QStringLiteral("\n"),
                                                 QStringLiteral("\t"), QStringLiteral("\r\n"));
    // Astral emoji (each a surrogate pair) and multi-unit clusters: skin tone, ZWJ family, flag, VS16 heart.
    const Gen<QString> emoji = gen::weightedOneOf<QString>({
        {4, genCodePoint(0x1F300, 0x1F64F)},
        {2, genCodePoint(0x1F680, 0x1F6FF)},
        {2, genCodePoint(0x1F900, 0x1F9FF)},
        {1, gen::element(QStringLiteral("\U0001F44D\U0001F3FD"),
                         QStringLiteral("\U0001F468\u200D\U0001F469\u200D\U0001F467"),
                         QStringLiteral("\U0001F1EB\U0001F1F7"), QStringLiteral("\u2764\uFE0F"))},
    });
    // A combining mark after a base letter, stacked marks, or a mark on its own (at the start of a document,
    // after an emoji...).
    const Gen<QString> marks = genCodePoint(0x0300, 0x036F);
    const Gen<QString> combining = gen::weightedOneOf<QString>({
        {3, gen::map(gen::pair(genCodePoint(U'a', U'z'), marks),
                     [](const std::pair<QString, QString> &p) { return p.first + p.second; })},
        {1, gen::map(gen::tuple(genCodePoint(U'a', U'z'), marks, marks),
                     [](const std::tuple<QString, QString, QString> &t) {
                         return std::get<0>(t) + std::get<1>(t) + std::get<2>(t);
                     })},
        {1, marks},
    });
    const Gen<QString> cjk = gen::weightedOneOf<QString>({
        {4, genCodePoint(0x4E00, 0x9FFF)},   // CJK unified ideographs (BMP)
        {1, genCodePoint(0x3041, 0x3096)},   // hiragana
        {1, genCodePoint(0xAC00, 0xD7A3)},   // hangul syllables
        {1, genCodePoint(0x20000, 0x2A6DF)}, // CJK extension B (astral: surrogate pairs)
    });
    const Gen<QString> otherAstral = gen::weightedOneOf<QString>({
        {1, genCodePoint(0x1D400, 0x1D7FF)}, // mathematical alphanumerics
        {1, genCodePoint(0x10330, 0x1034A)}, // Gothic
    });
    return gen::weightedOneOf<QString>({
        {8, ascii},
        {3, whitespace},
        {4, emoji},
        {3, combining},
        {3, cjk},
        {1, otherAstral},
    });
}

} // namespace generators_detail

namespace generators_detail {

inline QString join(const std::vector<QString> &atoms)
{
    QString s;
    for (const QString &a : atoms)
        s += a;
    return s;
}

} // namespace generators_detail

// Text for documents and inserts: usually a few dozen code units, sometimes empty, rich in surrogate pairs
// and combining marks. Shrinks towards fewer and simpler characters.
inline rc::Gen<QString> genText()
{
    using namespace rc;
    return gen::weightedOneOf<QString>({
        {1, gen::just(QString())},
        {9, gen::map(gen::container<std::vector<QString>>(generators_detail::genTextAtom()),
                     generators_detail::join)},
    });
}

// Like genText(), never empty (rc::gen::nonEmpty does not work on QString: it calls .empty()).
inline rc::Gen<QString> genNonEmptyText()
{
    using namespace rc;
    return gen::map(gen::nonEmpty(gen::container<std::vector<QString>>(generators_detail::genTextAtom())),
                    generators_detail::join);
}

// A random operation over doc. It walks doc with a list of actions (retain / delete / insert), then retains
// or deletes the remainder. Lengths are nudged forward so no retain or delete ends inside a surrogate pair of
// doc; inserts land only at such safe boundaries too. Shrinks towards fewer actions and towards retains.
inline rc::Gen<collab::TextOperation> genOperation(const QString &doc)
{
    using namespace rc;
    enum : int { Retain = 0, Delete = 1, Insert = 2 };
    using Action = std::tuple<int, int, QString>; // kind, length (retain/delete), text (insert)
    const int docSize = int(std::min<qsizetype>(doc.size(), 1 << 20));
    const Gen<int> length = gen::weightedOneOf<int>({
        {3, gen::inRange(1, 5)},
        {1, gen::inRange(1, std::max(2, docSize + 1))},
    });
    // Inserts are scaled down so an operation with many actions stays a few hundred units, not thousands.
    const Gen<Action> action = gen::tuple(gen::weightedElement<int>({{3, Retain}, {2, Delete}, {2, Insert}}),
                                          length, gen::scale(0.2, genText()));
    return gen::map(gen::pair(gen::container<std::vector<Action>>(action), gen::arbitrary<bool>()),
                    [doc](const std::pair<std::vector<Action>, bool> &input) {
                        collab::TextOperation op;
                        qsizetype pos = 0;
                        const auto safeEnd = [&doc](qsizetype end) {
                            end = std::min(end, doc.size());
                            while (splitsPair(doc, end))
                                ++end;
                            return end;
                        };
                        for (const auto &[kind, len, text] : input.first) {
                            if (kind == Insert) {
                                op.insert(text);
                                continue;
                            }
                            if (pos == doc.size())
                                continue;
                            const qsizetype end = safeEnd(pos + len);
                            if (kind == Retain)
                                op.retain(end - pos);
                            else
                                op.remove(end - pos);
                            pos = end;
                        }
                        if (pos < doc.size()) {
                            if (input.second)
                                op.remove(doc.size() - pos);
                            else
                                op.retain(doc.size() - pos);
                        }
                        return op;
                    });
}

inline rc::Gen<QString> genRawUtf16()
{
    return rc::gen::map(rc::gen::container<std::vector<char16_t>>(rc::gen::oneOf(
                            rc::gen::inRange<char16_t>(0, 0x80), rc::gen::inRange<char16_t>(0xd7f0, 0xe010),
                            rc::gen::inRange<char16_t>(0xfdc0, 0xffff), rc::gen::arbitrary<char16_t>())),
                        [](const std::vector<char16_t> &units) {
                            return QString(reinterpret_cast<const QChar *>(units.data()), qsizetype(units.size()));
                        });
}

inline rc::Gen<collab::Selection> genSelection()
{
    return rc::gen::map(rc::gen::container<std::vector<std::pair<int, int>>>(
                            rc::gen::pair(rc::gen::inRange(0, 1 << 30), rc::gen::inRange(0, 1 << 30))),
                        [](const std::vector<std::pair<int, int>> &ranges) {
                            QList<collab::Selection::Range> list;
                            for (auto [a, h] : ranges)
                                list.append(collab::Selection::Range{a, h});
                            return collab::Selection(list);
                        });
}

namespace rc {

template<>
struct Arbitrary<QString>
{
    static Gen<QString> arbitrary() { return genText(); }
};

} // namespace rc

// Printers, found by RapidCheck through argument-dependent lookup.

// "é😀\u0301" (5 units): printable text as UTF-8; control characters, combining marks, format characters
// (ZWJ, variation selectors) and lone surrogates as \uXXXX escapes so they are visible.
inline void showValue(const QString &s, std::ostream &os)
{
    std::string out = "\"";
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s.at(i);
        const char16_t u = c.unicode();
        if (c.isHighSurrogate() && i + 1 < s.size() && s.at(i + 1).isLowSurrogate()) {
            out += s.mid(i, 2).toStdString();
            ++i;
            continue;
        }
        if (u == '"' || u == '\\') {
            out += '\\';
            out += char(u);
        } else if (u == '\n') {
            out += "\\n";
        } else if (u == '\t') {
            out += "\\t";
        } else if (u == '\r') {
            out += "\\r";
        } else if (u < 0x20 || u == 0x7f || c.isSurrogate() || c.isMark()
                   || c.category() == QChar::Other_Format) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04X", unsigned(u));
            out += buf;
        } else {
            out += QString(c).toStdString();
        }
    }
    out += "\" (" + std::to_string(s.size()) + " units)";
    os << out;
}

namespace collab {

inline void showValue(const TextOperation &op, std::ostream &os)
{
    os << op.toJsonBytes().toStdString() << " (base " << op.baseLength() << ", target " << op.targetLength()
       << ")";
}

inline void showValue(const Error &e, std::ostream &os)
{
    os << errorCodeName(e.code).toStdString() << ": " << e.message.toStdString();
}

} // namespace collab
