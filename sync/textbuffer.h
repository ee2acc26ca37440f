// SPDX-License-Identifier: MIT
#pragma once

#include "textsurface.h"

namespace syncing {

// TextBuffer: a TextSurface in memory (a rope and a selection), for coscribe-cli and headless tests. Edits
// made here go through apply(); the caller hands them to DocumentSession::localEdited().
class TextBuffer : public TextSurface
{
public:
    TextBuffer() = default;

    const collab::Rope &rope() const override { return m_text; }
    void resetText(const QString &text) override { m_text = collab::Rope(text); }
    bool applyRemote(const collab::TextOperation &op) override;
    collab::Selection selection() const override { return m_selection; }
    void setReadOnly(bool readOnly) override { m_readOnly = readOnly; }

    QString text() const { return m_text.toString(); }
    bool isReadOnly() const { return m_readOnly; }
    void setSelection(const collab::Selection &selection) { m_selection = selection; }
    // Apply a local edit; false (nothing changes) if op does not fit the text.
    bool apply(const collab::TextOperation &op);

private:
    collab::Rope m_text;
    collab::Selection m_selection;
    bool m_readOnly = false;
};

} // namespace syncing
