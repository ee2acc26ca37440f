// SPDX-License-Identifier: MIT
#include "authorship.h"

using namespace collab;

namespace relay {

size_t Attribution::find(qint64 position, qint64 &start) const
{
    start = 0;
    for (size_t i = 0; i < m_chunks.size(); ++i) {
        if (position < start + m_chunks[i].length || i + 1 == m_chunks.size())
            return i;
        start += m_chunks[i].length;
    }
    return 0;
}

void Attribution::insert(qint64 position, qint64 length, int author)
{
    if (length <= 0)
        return;
    m_length += length;
    if (m_chunks.empty()) {
        m_chunks.push_back({{AuthorRun{length, author}}, length});
        return;
    }
    qint64 start = 0;
    const size_t c = find(position, start);
    Chunk &chunk = m_chunks[c];
    chunk.length += length;
    qint64 offset = position - start;
    auto run = chunk.runs.begin();
    while (run != chunk.runs.end() && offset > run->length) {
        offset -= run->length;
        ++run;
    }
    // offset is inside *run or at its end.
    if (run != chunk.runs.end() && run->author == author) {
        run->length += length;
    } else if (run != chunk.runs.end() && offset == run->length && run + 1 != chunk.runs.end()
               && (run + 1)->author == author) {
        (run + 1)->length += length;
    } else if (run == chunk.runs.end()) {
        chunk.runs.push_back({length, author});
    } else if (offset == 0) {
        chunk.runs.insert(run, {length, author});
    } else if (offset == run->length) {
        chunk.runs.insert(run + 1, {length, author});
    } else {
        const AuthorRun tail{run->length - offset, run->author};
        run->length = offset;
        const auto at = chunk.runs.insert(run + 1, {length, author});
        chunk.runs.insert(at + 1, tail);
    }
    if (chunk.runs.size() > MaxRuns) {
        Chunk second;
        second.runs.assign(chunk.runs.begin() + MaxRuns / 2, chunk.runs.end());
        chunk.runs.resize(MaxRuns / 2);
        for (const AuthorRun &r : second.runs)
            second.length += r.length;
        chunk.length -= second.length;
        m_chunks.insert(m_chunks.begin() + qsizetype(c) + 1, std::move(second));
    }
}

void Attribution::remove(qint64 position, qint64 length)
{
    while (length > 0 && !m_chunks.empty()) {
        qint64 start = 0;
        const size_t c = find(position, start);
        Chunk &chunk = m_chunks[c];
        qint64 offset = position - start;
        auto run = chunk.runs.begin();
        while (run != chunk.runs.end() && offset >= run->length) {
            offset -= run->length;
            ++run;
        }
        if (run == chunk.runs.end())
            return; // past the end: the operations did not fit the text (checked by the replay)
        const qint64 taken = std::min(length, run->length - offset);
        run->length -= taken;
        chunk.length -= taken;
        m_length -= taken;
        length -= taken;
        if (run->length == 0) {
            run = chunk.runs.erase(run);
            // Neighbours of one author join again.
            if (run != chunk.runs.begin() && run != chunk.runs.end() && (run - 1)->author == run->author) {
                (run - 1)->length += run->length;
                chunk.runs.erase(run);
            }
        }
        if (chunk.runs.empty())
            m_chunks.erase(m_chunks.begin() + qsizetype(c));
    }
}

QList<AuthorRun> Attribution::runs() const
{
    QList<AuthorRun> out;
    for (const Chunk &chunk : m_chunks) {
        for (const AuthorRun &r : chunk.runs) {
            if (!out.isEmpty() && out.last().author == r.author)
                out.last().length += r.length;
            else
                out.append(r);
        }
    }
    return out;
}

bool Authorship::apply(int revision, const TextOperation &op, const QString &user, const QString &name,
                       const QString &color)
{
    if (revision != m_revision + 1 || op.baseLength() != m_text.length())
        return false;
    int author = -1;
    if (!user.isEmpty() || !name.isEmpty()) {
        const QString k = key(user, name);
        auto it = m_index.find(k);
        if (it == m_index.end()) {
            it = m_index.insert(k, int(m_authors.size()));
            m_authors.append(Author{user, name, color});
        }
        author = *it;
        if (m_authors[author].color != color)
            m_authors[author].color = color; // the latest colour
    }
    qint64 position = 0;
    for (const TextOperation::Component &c : op.components()) {
        switch (c.kind) {
        case TextOperation::Kind::Retain: position += c.length; break;
        case TextOperation::Kind::Insert:
            m_text.insert(position, c.length, author);
            position += c.length;
            break;
        case TextOperation::Kind::Delete: m_text.remove(position, c.length); break;
        }
    }
    m_revision = revision;
    return true;
}

Message::Authors Authorship::message(const QString &doc) const
{
    return Message::Authors{{}, doc, m_revision, m_authors, m_text.runs()};
}

QString Authorship::toStored() const
{
    return Message::encodeText(message(QString()));
}

std::optional<Authorship> Authorship::fromStored(QStringView stored, int revision, qint64 length)
{
    ProtocolResult<Message::Server> decoded = Message::decodeServer(stored);
    if (!decoded)
        return std::nullopt;
    const Message::Authors *m = std::get_if<Message::Authors>(&*decoded);
    if (!m || m->revision != revision)
        return std::nullopt;
    Authorship a;
    a.m_revision = revision;
    a.m_authors = m->authors;
    for (qsizetype i = 0; i < a.m_authors.size(); ++i)
        a.m_index.insert(key(a.m_authors[i].user, a.m_authors[i].name), int(i));
    for (const AuthorRun &r : m->runs)
        a.m_text.insert(a.m_text.length(), r.length, r.author);
    if (a.m_text.length() != length || a.m_index.size() != a.m_authors.size())
        return std::nullopt;
    return a;
}

} // namespace relay
