// SPDX-License-Identifier: MIT
#pragma once

#include <rope.h>
#include <selection.h>
#include <textoperation.h>

#include <QString>

namespace syncing {

// TextSurface: what a DocumentSession needs of the text a user (or a program) edits, as ot.js's
// EditorClient needs an editor adapter. The desktop editor's ui::DocumentBinding implements it over a
// QPlainTextEdit; TextBuffer implements it in memory for coscribe-cli and headless tests.
//
// The surface reports its own edits by calling DocumentSession::localEdited() (and localSelectionChanged()),
// never for what the session applied through this interface. Positions are UTF-16 code units, as in the
// engine.
class TextSurface
{
public:
    virtual ~TextSurface() = default;

    // The text as the engine sees it, without a copy.
    virtual const collab::Rope &rope() const = 0;
    // Replace the whole text (a snapshot); not reported as an edit.
    virtual void resetText(const QString &text) = 0;
    // Apply an operation made elsewhere; false (and nothing changes) if it does not fit the text.
    virtual bool applyRemote(const collab::TextOperation &op) = 0;
    // The local caret and selection.
    virtual collab::Selection selection() const = 0;
    // The relay grants only reading: the surface should stop accepting edits.
    virtual void setReadOnly(bool readOnly) = 0;
};

} // namespace syncing
