// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"
#include "textoperation.h"

#include <QHash>

#include <optional>
#include <vector>

namespace relay {

// Runs of author indices over a text, in chunks of at most MaxRuns runs (so an edit costs about one chunk, not
// the whole text).
class Attribution
{
public:
    void insert(qint64 position, qint64 length, int author);
    void remove(qint64 position, qint64 length);
    qint64 length() const { return m_length; }
    QList<collab::AuthorRun> runs() const;

private:
    static constexpr size_t MaxRuns = 128;
    struct Chunk
    {
        std::vector<collab::AuthorRun> runs;
        qint64 length = 0;
    };
    // The chunk holding `position` (the last one for the end) and the position where it starts.
    size_t find(qint64 position, qint64 &start) const;
    std::vector<Chunk> m_chunks;
    qint64 m_length = 0;
};

// Authorship: who inserted each part of a document's text at one revision — the authors (user, display name,
// latest colour) and the runs of the text each wrote. It follows the log one committed operation at a time.
// The relay keeps it for every loaded document and stores it beside each snapshot, so who wrote the current
// text is known at once, and who wrote an older or unloaded one costs a snapshot plus the operations after it.
class Authorship
{
public:
    int revision() const { return m_revision; }
    qint64 length() const { return m_text.length(); }

    // The operation committed as revision() + 1, by that author (empty user and name: unknown). False, and
    // nothing changed, when it is not the next revision or does not fit the text.
    bool apply(int revision, const collab::TextOperation &op, const QString &user, const QString &name,
               const QString &color);

    collab::Message::Authors message(const QString &doc) const;
    // What tells authors apart: the user and the display name (a colour change keeps the author).
    static QString key(const QString &user, const QString &name) { return user + u'\n' + name; }
    // As stored beside a snapshot (the "authors" message's JSON, without ref and doc).
    QString toStored() const;
    // The stored form back, checked to be at `revision` and to cover a text of `length`; nullopt otherwise.
    static std::optional<Authorship> fromStored(QStringView stored, int revision, qint64 length);

private:
    int m_revision = 0;
    Attribution m_text;
    QList<collab::Author> m_authors;
    QHash<QString, int> m_index; // key() -> m_authors index
};

} // namespace relay
