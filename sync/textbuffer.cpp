// SPDX-License-Identifier: MIT
#include "textbuffer.h"

namespace syncing {

bool TextBuffer::applyRemote(const collab::TextOperation &op)
{
    if (m_text.apply(op))
        return false;
    m_selection = m_selection.transform(op, false);
    return true;
}

bool TextBuffer::apply(const collab::TextOperation &op)
{
    if (m_text.apply(op))
        return false;
    m_selection = m_selection.transform(op, true);
    return true;
}

collab::TextOperation TextBuffer::diff(const QString &from, const QString &to)
{
    const qsizetype shorter = std::min(from.size(), to.size());
    qsizetype prefix = 0;
    while (prefix < shorter && from[prefix] == to[prefix])
        ++prefix;
    if (prefix > 0 && from[prefix - 1].isHighSurrogate())
        --prefix;
    qsizetype suffix = 0;
    while (suffix < shorter - prefix && from[from.size() - 1 - suffix] == to[to.size() - 1 - suffix])
        ++suffix;
    if (suffix > 0 && from[from.size() - suffix].isLowSurrogate())
        --suffix;
    return collab::TextOperation::makeReplace(from.size(), prefix, from.size() - prefix - suffix,
                                              to.mid(prefix, to.size() - prefix - suffix));
}

} // namespace syncing
