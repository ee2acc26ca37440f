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

} // namespace syncing
