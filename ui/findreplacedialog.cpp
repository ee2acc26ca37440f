// SPDX-License-Identifier: MIT
#include "findreplacedialog.h"

#include "collabeditor.h"
#include "documentbinding.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTextDocument>
#include <QVBoxLayout>

namespace ui {

FindReplaceDialog::FindReplaceDialog(CollabEditor *editor, DocumentBinding *binding, QWidget *parent)
    : QDialog(parent), m_editor(editor), m_binding(binding), m_find(new QLineEdit(this)),
      m_replace(new QLineEdit(this)), m_caseSensitive(new QCheckBox(tr("Match &case"), this)),
      m_status(new QLabel(this))
{
    setWindowTitle(tr("Find and Replace"));
    auto *form = new QFormLayout;
    form->addRow(tr("&Find:"), m_find);
    form->addRow(tr("Replace &with:"), m_replace);
    form->addRow(QString(), m_caseSensitive);

    auto *buttons = new QDialogButtonBox(this);
    QPushButton *next = buttons->addButton(tr("Find &Next"), QDialogButtonBox::ActionRole);
    QPushButton *previous = buttons->addButton(tr("Find &Previous"), QDialogButtonBox::ActionRole);
    QPushButton *replace = buttons->addButton(tr("&Replace"), QDialogButtonBox::ActionRole);
    QPushButton *all = buttons->addButton(tr("Replace &All"), QDialogButtonBox::ActionRole);
    buttons->addButton(QDialogButtonBox::Close);
    next->setDefault(true);
    connect(next, &QPushButton::clicked, this, [this] { findNext(false); });
    connect(previous, &QPushButton::clicked, this, [this] { findNext(true); });
    connect(replace, &QPushButton::clicked, this, &FindReplaceDialog::replaceOne);
    connect(all, &QPushButton::clicked, this, &FindReplaceDialog::replaceAll);
    connect(buttons, &QDialogButtonBox::rejected, this, &FindReplaceDialog::hide);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
}

void FindReplaceDialog::setFindText(const QString &text)
{
    m_find->setText(text);
}

void FindReplaceDialog::setReplaceText(const QString &text)
{
    m_replace->setText(text);
}

collab::TextOperation FindReplaceDialog::replaceAllOperation(const QString &text, const QString &needle,
                                                             const QString &replacement, Qt::CaseSensitivity cs,
                                                             int *count)
{
    collab::TextOperation op;
    if (count)
        *count = 0;
    if (needle.isEmpty()) {
        op.retain(text.size());
        return op;
    }
    qsizetype done = 0;
    for (qsizetype at = text.indexOf(needle, 0, cs); at >= 0; at = text.indexOf(needle, at + needle.size(), cs)) {
        op.retain(at - done);
        op.insert(replacement);
        op.remove(needle.size());
        done = at + needle.size();
        if (count)
            ++*count;
    }
    op.retain(text.size() - done);
    return op;
}

bool FindReplaceDialog::findNext(bool backwards)
{
    QTextDocument::FindFlags flags;
    if (backwards)
        flags |= QTextDocument::FindBackward;
    if (m_caseSensitive->isChecked())
        flags |= QTextDocument::FindCaseSensitively;
    bool found = m_editor->find(m_find->text(), flags);
    if (!found) {
        // Wrap around once.
        QTextCursor cursor = m_editor->textCursor();
        cursor.movePosition(backwards ? QTextCursor::End : QTextCursor::Start);
        m_editor->setTextCursor(cursor);
        found = m_editor->find(m_find->text(), flags);
    }
    m_status->setText(found ? QString() : tr("\"%1\" was not found.").arg(m_find->text()));
    return found;
}

bool FindReplaceDialog::replaceOne()
{
    const Qt::CaseSensitivity cs = m_caseSensitive->isChecked() ? Qt::CaseSensitive : Qt::CaseInsensitive;
    QTextCursor cursor = m_editor->textCursor();
    if (cursor.hasSelection() && QString::compare(cursor.selectedText(), m_find->text(), cs) == 0 && !m_editor->isReadOnly()) {
        cursor.insertText(m_replace->text());
        m_editor->setTextCursor(cursor);
    }
    return findNext(false);
}

int FindReplaceDialog::replaceAll()
{
    if (m_editor->isReadOnly())
        return 0;
    const Qt::CaseSensitivity cs = m_caseSensitive->isChecked() ? Qt::CaseSensitive : Qt::CaseInsensitive;
    const QString &text = m_binding->text();
    int count = 0;
    const collab::TextOperation op = replaceAllOperation(text, m_find->text(), m_replace->text(), cs, &count);
    if (count > 0)
        m_binding->applyLocal(op, DocumentBinding::Origin::User);
    m_status->setText(tr("Replaced %n occurrence(s).", nullptr, count));
    return count;
}

} // namespace ui
