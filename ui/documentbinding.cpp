// SPDX-License-Identifier: MIT
#include "documentbinding.h"

#include <documentsession.h>

#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>

namespace ui {

namespace {

constexpr QChar CarriageReturnSymbol(0x240D);

// The character QTextDocument holds for an engine character, for comparing the two texts.
QChar canonical(QChar c)
{
    switch (c.unicode()) {
    case QChar::ParagraphSeparator:
    case QChar::LineSeparator:
        return QLatin1Char('\n');
    case u'\r':
        return CarriageReturnSymbol;
    case 0xFDD0: // QTextBeginningOfFrame
    case 0xFDD1: // QTextEndOfFrame
        return QChar(QChar::ReplacementCharacter);
    default:
        return c;
    }
}

} // namespace

DocumentBinding::DocumentBinding(QPlainTextEdit *editor, QObject *parent)
    : QObject(parent), m_editor(editor), m_document(editor->document())
{
    m_document->setUndoRedoEnabled(false);
    m_shadow = collab::Rope(documentRange(0, m_document->characterCount() - 1));
    connect(m_document, &QTextDocument::contentsChange, this, &DocumentBinding::onContentsChange);
    connect(m_editor, &QPlainTextEdit::cursorPositionChanged, this, &DocumentBinding::onCursorPositionChanged);
    connect(m_editor, &QPlainTextEdit::selectionChanged, this, &DocumentBinding::onCursorPositionChanged);
}

QString DocumentBinding::displayForm(QString text)
{
    for (QChar &c : text) {
        if (c == u'\r')
            c = CarriageReturnSymbol;
        else if (c.unicode() == 0xFDD0 || c.unicode() == 0xFDD1)
            c = QChar(QChar::ReplacementCharacter);
    }
    return text;
}

QString DocumentBinding::documentRange(int position, int length) const
{
    if (length <= 0)
        return {};
    QTextCursor cursor(m_document);
    cursor.setPosition(position);
    cursor.setPosition(position + length, QTextCursor::KeepAnchor);
    QString text = cursor.selectedText();
    for (QChar &c : text) {
        if (c == QChar::ParagraphSeparator || c == QChar::LineSeparator)
            c = QLatin1Char('\n');
    }
    return text;
}

void DocumentBinding::resetText(const QString &text)
{
    const QTextCursor old = m_editor->textCursor();
    const int oldAnchor = old.anchor();
    const int oldPosition = old.position();
    const int scroll = m_editor->verticalScrollBar()->value();
    m_applying = true;
    m_document->setPlainText(displayForm(text));
    m_shadow = collab::Rope(text);
    QTextCursor cursor(m_document);
    cursor.setPosition(std::min<int>(oldAnchor, text.size()));
    cursor.setPosition(std::min<int>(oldPosition, text.size()), QTextCursor::KeepAnchor);
    m_editor->setTextCursor(cursor);
    m_editor->verticalScrollBar()->setValue(scroll);
    m_applying = false;
    if (m_document->characterCount() - 1 != m_shadow.length())
        qWarning("DocumentBinding: the document and its shadow differ in length after a reset");
}

collab::Selection DocumentBinding::selection() const
{
    const QTextCursor cursor = m_editor->textCursor();
    return collab::Selection({collab::Selection::Range{cursor.anchor(), cursor.position()}});
}

void DocumentBinding::applyToDocument(QTextDocument *document, const collab::TextOperation &op)
{
    QTextCursor cursor(document);
    cursor.beginEditBlock();
    qsizetype position = 0;
    for (const collab::TextOperation::Component &c : op.components()) {
        switch (c.kind) {
        case collab::TextOperation::Kind::Retain:
            position += c.length;
            break;
        case collab::TextOperation::Kind::Insert:
            cursor.setPosition(int(position));
            cursor.insertText(displayForm(c.text));
            position += c.length;
            break;
        case collab::TextOperation::Kind::Delete:
            cursor.setPosition(int(position));
            cursor.setPosition(int(position + c.length), QTextCursor::KeepAnchor);
            cursor.removeSelectedText();
            break;
        }
    }
    cursor.endEditBlock();
}

bool DocumentBinding::applyRemote(const collab::TextOperation &op)
{
    // The rope checks the operation (base length, surrogate pairs) before it changes anything.
    if (m_shadow.apply(op))
        return false;

    // Where the caret, the selection and the first visible line are, in engine positions, so they can be put
    // back on the same text afterwards (the editor's own cursor would jump over an insert at the caret).
    // (Read as numbers now: a QTextCursor copy is itself moved by the edits.)
    const int oldAnchor = m_editor->textCursor().anchor();
    const int oldPosition = m_editor->textCursor().position();
    QScrollBar *bar = m_editor->verticalScrollBar();
    const int scroll = bar->value();
    const QTextBlock topBlock = m_editor->cursorForPosition(QPoint(0, 0)).block();
    const int topPosition = topBlock.position();
    const int linesIntoTop = scroll - topBlock.firstLineNumber();
    const bool atBottom = scroll == bar->maximum() && scroll > 0;

    m_applying = true;
    applyToDocument(m_document, op);

    QTextCursor cursor(m_document);
    cursor.setPosition(int(collab::Selection::transformIndex(oldAnchor, op, false)));
    cursor.setPosition(int(collab::Selection::transformIndex(oldPosition, op, false)),
                       QTextCursor::KeepAnchor);
    m_editor->setTextCursor(cursor);
    if (atBottom) {
        bar->setValue(bar->maximum());
    } else {
        const QTextBlock newTop =
            m_document->findBlock(int(collab::Selection::transformIndex(topPosition, op, false)));
        bar->setValue(newTop.firstLineNumber() + std::max(0, linesIntoTop));
    }
    m_applying = false;

    if (m_document->characterCount() - 1 != m_shadow.length()) {
        qWarning("DocumentBinding: document diverged from its shadow; resetting it");
        resetText(m_shadow.toString());
    }
    return true;
}

bool DocumentBinding::applyLocal(const collab::TextOperation &op, Origin origin)
{
    // The inverse is read from the text before op (it needs the deleted text), so the length is checked first;
    // the rope then checks the rest and applies op.
    if (op.baseLength() != m_shadow.length())
        return false;
    const collab::TextOperation inverse = m_shadow.invert(op);
    if (m_shadow.apply(op))
        return false;

    // The caret goes to the end of the last change, as after a normal undo.
    qsizetype position = 0;
    qsizetype caret = -1;
    for (const collab::TextOperation::Component &c : op.components()) {
        if (c.kind == collab::TextOperation::Kind::Delete) {
            caret = position;
        } else {
            position += c.length;
            if (c.kind == collab::TextOperation::Kind::Insert)
                caret = position;
        }
    }

    m_applying = true;
    applyToDocument(m_document, op);
    if (caret >= 0) {
        QTextCursor cursor(m_document);
        cursor.setPosition(int(caret));
        m_editor->setTextCursor(cursor);
        m_editor->ensureCursorVisible();
    }
    m_applying = false;
    if (m_document->characterCount() - 1 != m_shadow.length())
        resetText(m_shadow.toString());
    Q_EMIT localEdited(op, inverse, origin);
    Q_EMIT localSelectionChanged(selection());
    return true;
}

void DocumentBinding::onContentsChange(int position, int removed, int added)
{
    if (m_applying)
        return;
    const qsizetype newLength = m_document->characterCount() - 1;
    const qsizetype oldLength = m_shadow.length();
    // QTextDocument counts its implicit final paragraph separator in some changes (a whole-document
    // replace reports it as both removed and added): take it off both sides.
    if (position + removed > oldLength) {
        const int excess = int(position + removed - oldLength);
        removed -= excess;
        added -= excess;
    }
    if (position < 0 || removed < 0 || added < 0 || position > oldLength
        || oldLength - removed + added != newLength) {
        resyncFromDocument();
        return;
    }
    emitEdit(position, removed, documentRange(position, added));
}

void DocumentBinding::resyncFromDocument()
{
    const QString now = documentRange(0, m_document->characterCount() - 1);
    emitEdit(0, m_shadow.length(), now);
}

// Report the replacement of m_shadow[position, position + removed) by `inserted`, trimmed to what really
// changed (a format-only change reports equal texts; an input method often replaces a word by itself plus
// one letter). The trim never ends inside a surrogate pair, so the operation never splits an emoji.
void DocumentBinding::emitEdit(qsizetype position, qsizetype removed, const QString &inserted)
{
    const QString old = m_shadow.mid(position, removed);
    const qsizetype oldSize = old.size();
    const qsizetype newSize = inserted.size();
    qsizetype prefix = 0;
    const qsizetype shorter = std::min(oldSize, newSize);
    while (prefix < shorter && canonical(old[prefix]) == inserted[prefix])
        ++prefix;
    if (prefix > 0 && old[prefix - 1].isHighSurrogate())
        --prefix;
    qsizetype suffix = 0;
    while (suffix < shorter - prefix && canonical(old[oldSize - 1 - suffix]) == inserted[newSize - 1 - suffix])
        ++suffix;
    if (suffix > 0 && old[oldSize - suffix].isLowSurrogate())
        --suffix;
    qsizetype start = position + prefix;
    qsizetype end = position + oldSize - suffix;
    QString insertedText = inserted.mid(prefix, newSize - prefix - suffix);
    if (start == end && insertedText.isEmpty())
        return;
    // Code that edits the document directly can cut between the halves of a surrogate pair. The operation
    // must not (the engine refuses it), so it is widened to the whole pair, re-inserting the half that stays.
    const qsizetype length = m_shadow.length();
    const auto splitsPair = [this, length](qsizetype at) {
        return at > 0 && at < length && QChar::isHighSurrogate(m_shadow.at(at - 1))
            && QChar::isLowSurrogate(m_shadow.at(at));
    };
    if (splitsPair(start)) {
        --start;
        insertedText.prepend(QChar(m_shadow.at(start)));
    }
    if (splitsPair(end)) {
        insertedText.append(QChar(m_shadow.at(end)));
        ++end;
    }

    const collab::TextOperation op = collab::TextOperation::makeReplace(length, start, end - start, insertedText);
    const collab::TextOperation inverse = m_shadow.invert(op);
    m_shadow.remove(start, end - start);
    m_shadow.insert(start, insertedText);
    Q_EMIT localEdited(op, inverse, Origin::User);
}

void DocumentBinding::onCursorPositionChanged()
{
    if (m_applying)
        return;
    Q_EMIT localSelectionChanged(selection());
}

void DocumentBinding::attach(syncing::DocumentSession *session)
{
    connect(this, &DocumentBinding::localEdited, session,
            [session](const collab::TextOperation &op, const collab::TextOperation &inverse, Origin origin) {
                session->localEdited(op, inverse, origin == Origin::User);
            });
    connect(this, &DocumentBinding::localSelectionChanged, session,
            &syncing::DocumentSession::localSelectionChanged);
}

void DocumentBinding::setReadOnly(bool readOnly)
{
    m_editor->setReadOnly(readOnly);
}

} // namespace ui
