// SPDX-License-Identifier: MIT
#pragma once

#include <textoperation.h>

#include <QDialog>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QLabel;
class QLineEdit;
QT_END_NAMESPACE

namespace ui {

class CollabEditor;
class DocumentBinding;

// FindReplaceDialog: a non-modal find / replace over the editor. Replace All is one operation with one
// replace per occurrence (not one big replace of the span between the first and the last), so concurrent
// edits between occurrences survive and a single undo takes it back.
class FindReplaceDialog : public QDialog
{
    Q_OBJECT
public:
    FindReplaceDialog(CollabEditor *editor, DocumentBinding *binding, QWidget *parent = nullptr);

    // The operation replacing every occurrence of `needle` in `text` by `replacement` (a no-op if none).
    static collab::TextOperation replaceAllOperation(const QString &text, const QString &needle,
                                                     const QString &replacement, Qt::CaseSensitivity cs,
                                                     int *count = nullptr);

    bool findNext(bool backwards = false);
    bool replaceOne();
    int replaceAll();

    void setFindText(const QString &text);
    void setReplaceText(const QString &text);

private:
    CollabEditor *m_editor;
    DocumentBinding *m_binding;
    QLineEdit *m_find;
    QLineEdit *m_replace;
    QCheckBox *m_caseSensitive;
    QLabel *m_status;
};

} // namespace ui
