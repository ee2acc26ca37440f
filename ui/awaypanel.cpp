// SPDX-License-Identifier: MIT
#include "awaypanel.h"

#include <documentsession.h>
#include <textdiff.h>

#include <QListWidget>
#include <QPlainTextEdit>
#include <QTextBlock>
#include <QVBoxLayout>

namespace ui {

namespace {
QString nameOf(const QString &user, const QString &name)
{
    return name.isEmpty() ? user : name;
}

void addOnce(QStringList &names, const QString &name)
{
    if (!name.isEmpty() && !names.contains(name))
        names.append(name);
}

// A piece of text for a line of the list: one line, at most 40 characters.
QString quoted(const QString &text)
{
    QString shown = text.left(40);
    shown.replace(QLatin1Char('\n'), QChar(0x23CE));
    shown.replace(QLatin1Char('\t'), QLatin1Char(' '));
    return QStringLiteral("“%1%2”").arg(shown, text.size() > 40 ? QStringLiteral("…") : QString());
}
} // namespace

AwayPanel::AwayPanel(syncing::DocumentSession *session, QPlainTextEdit *editor, QWidget *parent)
    : QWidget(parent), m_session(session), m_editor(editor), m_list(new QListWidget(this))
{
    m_list->setObjectName(QStringLiteral("awayList"));
    m_list->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_list);
    connect(m_list, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) { goTo(m_list->row(item)); });
    connect(m_session, &syncing::DocumentSession::changedWhileAway, this, &AwayPanel::onChangedWhileAway);
    connect(m_session, &syncing::DocumentSession::diffReceived, this, &AwayPanel::onDiff);
    connect(m_session, &syncing::DocumentSession::revisionReceived, this, &AwayPanel::onRevision);
    connect(m_session, &syncing::DocumentSession::authorsReceived, this, &AwayPanel::onAuthors);
    connect(m_session, &syncing::DocumentSession::historyReceived, this, [this](const collab::Message::HistoryPage &page) {
        if (!m_diff)
            return;
        m_sessions = page.sessions;
        describe();
    });
}

void AwayPanel::onChangedWhileAway(int from, int to)
{
    m_session->requestDiff(from, to, QStringLiteral("away"));
}

void AwayPanel::onDiff(const collab::Message::Diff &diff)
{
    if (diff.ref != QLatin1String("away"))
        return;
    // The diff gives the relay's text at `to`; with edits of ours still pending the places have moved, so
    // only what changed is listed then, not where.
    m_diff = diff;
    m_placesFit = diff.to == m_session->revision() && !m_session->hasPendingEdits();
    m_before.reset();
    m_authors.reset();
    m_sessions.clear();
    m_places.clear();
    m_spans.clear();
    m_color = QColor(diff.authors.size() == 1 ? diff.authors.first().color : QStringLiteral("#ffb300"));
    if (!m_color.isValid())
        m_color = QColor(255, 179, 0);
    m_color.setAlpha(80);

    setPlaces(diff.operation);
    if (m_places.isEmpty()) {
        m_diff.reset();
        return;
    }
    // Who inserted (the authorship now), who deleted (the sessions in between) and what (the text before).
    // The text before also narrows the places to what differs in them (a replace of many lines, as a file
    // saved over the document makes, becomes the lines that changed).
    m_session->requestAuthors();
    m_session->requestHistory(0, 100);
    m_session->requestRevision(diff.from);
    describe();
}

void AwayPanel::setPlaces(const collab::TextOperation &op)
{
    // A place is a stretch the others changed: what was inserted and deleted there, with no text kept between.
    m_places.clear();
    m_spans.clear();
    qint64 base = 0;
    qint64 target = 0;
    bool open = false;
    for (const collab::TextOperation::Component &c : op.components()) {
        if (c.kind == collab::TextOperation::Kind::Retain) {
            base += c.length;
            target += c.length;
            open = false;
            continue;
        }
        if (!open) {
            m_places.append(Place{});
            m_spans.append(Span{target, base});
            open = true;
        }
        Place &place = m_places.last();
        if (c.kind == collab::TextOperation::Kind::Insert) {
            place.inserted += c.text;
            target += c.length;
        } else {
            place.deletedLength += c.length;
            base += c.length;
        }
    }
    if (!m_placesFit)
        return;
    for (qsizetype i = 0; i < m_places.size(); ++i) {
        QTextCursor cursor(m_editor->document());
        cursor.setPosition(int(m_spans[i].target));
        cursor.setPosition(int(m_spans[i].target + m_places[i].inserted.size()), QTextCursor::KeepAnchor);
        m_places[i].cursor = cursor;
    }
}

void AwayPanel::onRevision(int revision, const QString &text)
{
    if (!m_diff || m_before || revision != m_diff->from)
        return;
    m_before = text;
    // Where nothing moved since (the places are cursors of the editor's text), narrow them.
    if (!m_placesFit || (m_session->revision() == m_diff->to && !m_session->hasPendingEdits()))
        setPlaces(collab::readableDiff(text, m_diff->operation));
    describe();
}

void AwayPanel::onAuthors(const collab::Message::Authors &authors)
{
    if (!m_diff || m_authors || authors.revision != m_diff->to)
        return;
    m_authors = authors;
    describe();
}

void AwayPanel::describe()
{
    // The sessions between the two revisions: who inserted and who deleted, where the authorship does not say.
    QStringList sessionInserters;
    QStringList sessionDeleters;
    for (const collab::EditSession &s : m_sessions) {
        if (s.to <= m_diff->from || s.from > m_diff->to)
            continue;
        if (s.inserted > 0)
            addOnce(sessionInserters, nameOf(s.user, s.name));
        if (s.deleted > 0)
            addOnce(sessionDeleters, nameOf(s.user, s.name));
    }
    QStringList everyone;
    for (const collab::Author &a : m_diff->authors)
        addOnce(everyone, nameOf(a.user, a.name));

    for (qsizetype i = 0; i < m_places.size(); ++i) {
        Place &place = m_places[i];
        place.insertedBy.clear();
        if (!place.inserted.isEmpty() && m_authors) {
            // The runs cover the text at `to`: the authors of the characters this place inserted.
            const qint64 start = m_spans[i].target;
            const qint64 end = start + place.inserted.size();
            qint64 at = 0;
            place.color = QColor();
            for (const collab::AuthorRun &run : m_authors->runs) {
                if (at >= end)
                    break;
                // (Only those who edited while away: a place widened to a whole word also holds characters
                // written before.)
                if (at + run.length > start && run.author >= 0 && run.author < m_authors->authors.size()) {
                    const collab::Author &a = m_authors->authors.at(run.author);
                    if (everyone.isEmpty() || everyone.contains(nameOf(a.user, a.name))) {
                        addOnce(place.insertedBy, nameOf(a.user, a.name));
                        place.color = place.insertedBy.size() == 1 ? QColor(a.color) : QColor();
                    }
                }
                at += run.length;
            }
            if (place.color.isValid())
                place.color.setAlpha(m_color.alpha());
        }
        if (!place.inserted.isEmpty() && place.insertedBy.isEmpty())
            place.insertedBy = sessionInserters.isEmpty() ? everyone : sessionInserters;
        place.deletedBy = place.deletedLength == 0 ? QStringList() : sessionDeleters.isEmpty() ? everyone : sessionDeleters;
        // What one person inserted in place of a deletion is taken as their replace, when they deleted too.
        if (place.insertedBy.size() == 1 && place.deletedBy.size() > 1 && place.deletedBy.contains(place.insertedBy.first()))
            place.deletedBy = place.insertedBy;
        if (m_before && place.deletedLength > 0)
            place.deleted = m_before->mid(m_spans[i].base, place.deletedLength);
    }

    const QStringList shown = lines();
    m_list->clear();
    m_list->addItems(shown);
    m_summary = tr("While you were away, %1 changed the text (revisions %2 to %3, %n place(s)%4).", "", int(m_places.size()))
                    .arg(everyone.isEmpty() ? tr("others") : everyone.join(QStringLiteral(", ")))
                    .arg(m_diff->from + 1)
                    .arg(m_diff->to)
                    .arg(m_placesFit ? tr(", marked") : QString());
    Q_EMIT changed();
}

QStringList AwayPanel::lines() const
{
    QStringList out;
    for (const Place &place : m_places) {
        const QString orWord = tr(" or ");
        const QString inserters = place.insertedBy.isEmpty() ? tr("Someone") : place.insertedBy.join(orWord);
        const QString deleters = place.deletedBy.isEmpty() ? tr("Someone") : place.deletedBy.join(orWord);
        const QString deleted = place.deleted.isEmpty() ? tr("%n character(s)", "", int(place.deletedLength)) : quoted(place.deleted);
        QString what;
        if (place.deletedLength == 0)
            what = tr("%1 inserted %2").arg(inserters, quoted(place.inserted));
        else if (place.inserted.isEmpty())
            what = tr("%1 deleted %2").arg(deleters, deleted);
        else if (inserters == deleters)
            what = tr("%1 replaced %2 with %3").arg(inserters, deleted, quoted(place.inserted));
        else
            what = tr("%1 deleted %2, %3 inserted %4").arg(deleters, deleted, inserters, quoted(place.inserted));
        if (!place.cursor.isNull())
            what += tr(" · line %1").arg(m_editor->document()->findBlock(place.cursor.selectionStart()).blockNumber() + 1);
        out.append(what);
    }
    return out;
}

QList<QTextEdit::ExtraSelection> AwayPanel::marks() const
{
    QList<QTextEdit::ExtraSelection> out;
    for (const Place &place : m_places) {
        if (place.cursor.isNull() || !place.cursor.hasSelection())
            continue;
        QTextEdit::ExtraSelection mark;
        mark.cursor = place.cursor;
        mark.format.setBackground(place.color.isValid() ? place.color : m_color); // the inserter's, when one
        out.append(mark);
    }
    return out;
}

void AwayPanel::markAsRead()
{
    m_diff.reset();
    m_places.clear();
    m_spans.clear();
    m_summary.clear();
    m_list->clear();
    Q_EMIT changed();
}

void AwayPanel::goTo(int index)
{
    if (index < 0 || index >= m_places.size() || m_places[index].cursor.isNull())
        return;
    m_editor->setTextCursor(m_places[index].cursor);
    m_editor->ensureCursorVisible();
    m_editor->setFocus();
}

} // namespace ui
