// SPDX-License-Identifier: MIT
#pragma once

#include "textoperation.h"

#include <QString>
#include <QStringView>

#include <memory>
#include <optional>
#include <vector>

namespace collab {

// Rope: the server's text representation. A large document is held as a balanced tree of chunks (a few
// kilobytes each), so applying a keystroke-sized operation to a 10 MB text costs O(log n + edit), not a
// copy of the whole document, as QString::insert would.
//
// Invariants: length() is the sum of the chunk lengths; chunks are never empty (except in an empty rope).
class Rope
{
public:
    Rope();
    explicit Rope(QStringView text);
    Rope(const Rope &other);
    Rope &operator=(const Rope &other);
    Rope(Rope &&) noexcept;
    Rope &operator=(Rope &&) noexcept;
    ~Rope();

    qsizetype length() const;
    char16_t at(qsizetype index) const;          // index in [0, length())
    QString mid(qsizetype position, qsizetype n) const;
    QString toString() const;

    void insert(qsizetype position, QStringView text);
    void remove(qsizetype position, qsizetype n);

    // Validate (base length, surrogate boundaries) and apply; on error the rope is unchanged.
    std::optional<Error> apply(const TextOperation &op);

    // The inverse of op, which must apply to this rope as it is now (before applying op).
    TextOperation invert(const TextOperation &op) const;

    // Structural self-check for tests: the first broken invariant of the tree (cached lengths, chunk and
    // fan-out bounds, all leaves at one depth), or std::nullopt when the tree is well formed.
    std::optional<QString> invariantViolation() const;
    // Levels of the tree (1 for a single chunk); logarithmic in the number of chunks.
    int height() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace collab
