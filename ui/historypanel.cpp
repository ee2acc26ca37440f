// SPDX-License-Identifier: MIT
#include "historypanel.h"

#include "documentbinding.h"

#include <documentsession.h>

#include <QDateTime>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSlider>
#include <QTextBlock>
#include <QVBoxLayout>

namespace ui {

namespace {
QIcon swatch(const QString &color)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setBrush(QColor(color.isEmpty() ? QStringLiteral("#808080") : color));
    painter.setPen(Qt::NoPen);
    painter.drawEllipse(1, 1, 10, 10);
    return QIcon(pixmap);
}

QString timeOf(qint64 ms)
{
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(ms);
    return when.date() == QDate::currentDate() ? QLocale().toString(when.time(), QLocale::ShortFormat)
                                               : QLocale().toString(when, QLocale::ShortFormat);
}
} // namespace

HistoryPanel::HistoryPanel(syncing::DocumentSession *session, DocumentBinding *binding, QWidget *parent)
    : QWidget(parent), m_session(session), m_binding(binding), m_list(new QListWidget(this)),
      m_slider(new QSlider(Qt::Horizontal, this)), m_preview(new QPlainTextEdit(this)), m_caption(new QLabel(this)),
      m_restore(new QPushButton(tr("&Restore"), this)), m_name(new QPushButton(tr("&Name Version..."), this))
{
    m_preview->setReadOnly(true);
    m_preview->document()->setUndoRedoEnabled(false); // it is stepped through the history: keep no undo of that
    m_preview->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_list->setObjectName(QStringLiteral("historyList"));
    m_slider->setObjectName(QStringLiteral("historySlider"));
    m_preview->setObjectName(QStringLiteral("historyPreview"));
    m_restore->setEnabled(false);
    m_restore->setToolTip(tr("Make the text what it was at this point again (one edit, which you can undo)"));
    m_caption->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_restore);
    buttons->addWidget(m_name);
    buttons->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_list, 2);
    layout->addWidget(m_slider);
    layout->addWidget(m_caption);
    layout->addWidget(m_preview, 3);
    layout->addLayout(buttons);

    connect(m_list, &QListWidget::currentRowChanged, this, &HistoryPanel::choose);
    connect(m_list, &QListWidget::itemActivated, this, [this] { restoreChosen(); });
    // Left is older: the slider runs over the list from its end.
    connect(m_slider, &QSlider::valueChanged, this, [this](int value) {
        const int row = int(m_entries.size()) - 1 - value;
        if (row != m_list->currentRow())
            m_list->setCurrentRow(row);
    });
    connect(m_restore, &QPushButton::clicked, this, &HistoryPanel::restoreChosen);
    connect(m_name, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Name Version"),
                                                   m_chosen >= 0 ? tr("Name for revision %1:").arg(m_entries[size_t(m_chosen)].to)
                                                                        : tr("Name for the current text:"),
                                                   QLineEdit::Normal, QString(), &ok);
        if (ok)
            nameVersion(name);
    });

    connect(m_session, &syncing::DocumentSession::historyReceived, this, [this](const collab::Message::HistoryPage &page) {
        m_sessions = page.sessions;
        rebuild();
    });
    connect(m_session, &syncing::DocumentSession::versionsReceived, this,
            [this](const QList<collab::Message::Version> &versions) {
                m_versions = versions;
                rebuild();
            });
    connect(m_session, &syncing::DocumentSession::revisionReceived, this, &HistoryPanel::onRevision);
    // What the relay refused (naming a version with read access, a name taken) is said where it was asked.
    connect(m_session, &syncing::DocumentSession::historyFailed, this,
            [this](collab::ProtocolErrorCode, const QString &message) {
                m_caption->setText(message);
                // A step that failed: start again from the whole text (a text that failed is not asked again).
                if (m_stepAsked)
                    m_shownRevision = -1;
                m_stepAsked = m_textAsked = m_highlightAsked = false;
            });
    connect(m_session, &syncing::DocumentSession::diffReceived, this, &HistoryPanel::onDiff);
    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(1000);
    connect(&m_refreshTimer, &QTimer::timeout, this, &HistoryPanel::refresh);
    // Keep up while others (or we) type: a refresh at most once a second while shown.
    const auto soon = [this] {
        if (isVisible() && !m_refreshTimer.isActive())
            m_refreshTimer.start();
    };
    connect(m_session, &syncing::DocumentSession::remoteOperationReceived, this, soon);
    connect(m_session, &syncing::DocumentSession::acknowledged, this, soon);
    // Opened while offline: ask again once the relay is there.
    connect(m_session, &syncing::DocumentSession::statusChanged, this, [this] {
        const bool online = m_session->status() == syncing::DocumentSession::Status::Online;
        // What was asked before the link dropped is not answered.
        if (!online)
            m_stepAsked = m_textAsked = m_highlightAsked = false;
        if (online && !m_online && isVisible()) {
            refresh();
            advance();
        }
        m_online = online;
    });
}

void HistoryPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void HistoryPanel::refresh()
{
    m_session->requestVersions();
    m_session->requestHistory(0, 100);
}

void HistoryPanel::rebuild()
{
    // Versions and sessions together, newest first; a version goes before the session it ends in.
    const bool keepChosen = m_chosen >= 0 && m_chosen < int(m_entries.size());
    const Entry previous = keepChosen ? m_entries[size_t(m_chosen)] : Entry{};
    m_entries.clear();
    const auto addVersion = [this](const collab::Message::Version &version) {
        m_entries.push_back({true, tr("★ %1\nrevision %2 · named by %3").arg(version.name).arg(version.revision).arg(version.user),
                             {}, 1, version.revision});
    };
    qsizetype v = 0;
    for (const collab::EditSession &s : m_sessions) {
        for (; v < m_versions.size() && m_versions.at(v).revision >= s.to; ++v)
            addVersion(m_versions.at(v));
        const QString who = s.name.isEmpty() ? s.user : s.name;
        const QString revisions = s.from == s.to ? tr("revision %1").arg(s.to) : tr("revisions %1–%2").arg(s.from).arg(s.to);
        m_entries.push_back({false,
                             tr("%1 · +%2 −%3\n%4 · %5").arg(who).arg(s.inserted).arg(s.deleted).arg(timeOf(s.end), revisions),
                             s.color, s.from, s.to});
    }
    for (; v < m_versions.size(); ++v)
        addVersion(m_versions.at(v));
    // A version shows what changed since the point before it (the next entry down).
    for (size_t i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].version)
            m_entries[i].from = i + 1 < m_entries.size() ? m_entries[i + 1].to + 1 : 1;
    }
    int chosen = -1;
    {
        const QSignalBlocker blockList(m_list);
        const QSignalBlocker blockSlider(m_slider);
        m_list->clear();
        for (size_t i = 0; i < m_entries.size(); ++i) {
            const Entry &e = m_entries[i];
            auto *item = new QListWidgetItem(e.version ? QIcon() : swatch(e.color), e.label, m_list);
            if (e.version) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
            }
            // The point chosen stays chosen while others type: a session by where it starts (it grows at
            // its end), a version by its name and revision.
            if (keepChosen && e.version == previous.version
                && (e.version ? e.label == previous.label : e.from == previous.from))
                chosen = int(i);
        }
        m_slider->setRange(0, std::max(0, int(m_entries.size()) - 1));
        m_chosen = chosen;
        if (chosen >= 0) {
            m_list->setCurrentRow(chosen);
            m_slider->setValue(int(m_entries.size()) - 1 - chosen);
        }
    }
    m_restore->setEnabled(chosen >= 0 && !m_session->isReadOnly());
    m_name->setEnabled(!m_session->isReadOnly());
    Q_EMIT entriesChanged();
    // The chosen session grew (its author kept typing), or a version's previous point changed: show it anew.
    if (chosen >= 0 && (m_entries[size_t(chosen)].to != previous.to || m_entries[size_t(chosen)].from != previous.from))
        choose(chosen);
    // Shown for the first time: the newest point, so the preview is never empty.
    if (chosen < 0 && !m_entries.empty() && isVisible())
        m_list->setCurrentRow(0);
}

void HistoryPanel::choose(int row)
{
    if (row < 0 || row >= int(m_entries.size()))
        return;
    m_chosen = row;
    {
        const QSignalBlocker block(m_slider);
        m_slider->setValue(int(m_entries.size()) - 1 - row);
    }
    const Entry &e = m_entries[size_t(row)];
    m_wantedRevision = e.to;
    m_wantedFrom = std::max(0, e.from - 1);
    m_readyRevision = -1;
    m_highlight.reset();
    m_restore->setEnabled(!m_session->isReadOnly());
    advance();
}

void HistoryPanel::advance()
{
    if (m_wantedRevision < 0)
        return;
    // One request of each kind at a time: a slider dragged fast asks for where it is when the answer comes,
    // not for every point it passed.
    if (!m_highlight && !m_highlightAsked) {
        m_highlightAsked = true;
        m_session->requestDiff(m_wantedFrom, m_wantedRevision);
    }
    if (m_textAsked || m_stepAsked)
        return;
    if (m_shownRevision < 0 && m_wantedRevision == m_session->revision() && !m_session->hasPendingEdits()) {
        // The newest point is the text in the editor: nothing to fetch.
        setShown(m_wantedRevision, m_binding->text());
    } else if (m_shownRevision < 0) {
        m_textAsked = true;
        m_session->requestRevision(m_wantedRevision);
    } else if (m_shownRevision == m_wantedFrom && m_shownRevision != m_wantedRevision) {
        // One point newer: the highlighted change is the step (applied when it arrives, onDiff).
        if (m_highlight)
            step(*m_highlight);
    } else if (m_shownRevision != m_wantedRevision) {
        m_stepAsked = true;
        m_session->requestDiff(m_shownRevision, m_wantedRevision, QStringLiteral("historyStep"));
    } else {
        showPreview();
    }
}

void HistoryPanel::onRevision(int revision, const QString &text)
{
    if (!m_textAsked)
        return;
    m_textAsked = false;
    setShown(revision, text);
}

void HistoryPanel::setShown(int revision, const QString &text)
{
    m_shownRevision = revision;
    m_shownText = collab::Rope(text);
    m_preview->setPlainText(DocumentBinding::displayForm(text));
    advance();
}

void HistoryPanel::onDiff(const collab::Message::Diff &diff)
{
    if (diff.ref == QLatin1String("historyStep")) {
        if (!m_stepAsked)
            return;
        m_stepAsked = false;
        step(diff);
        return;
    }
    if (diff.ref != QLatin1String("diff") || !m_highlightAsked)
        return;
    m_highlightAsked = false;
    if (diff.to == m_wantedRevision && diff.from == m_wantedFrom)
        m_highlight = diff;
    advance();
}

void HistoryPanel::step(const collab::Message::Diff &diff)
{
    if (diff.from == m_shownRevision) {
        if (!m_shownText.apply(diff.operation)) {
            m_shownRevision = diff.to;
            m_preview->setExtraSelections({});
            DocumentBinding::applyToDocument(m_preview->document(), diff.operation);
        } else {
            m_shownRevision = -1; // does not fit what is shown: fetch the whole text
        }
    }
    advance();
}

void HistoryPanel::showPreview()
{
    if (!m_highlight || m_chosen < 0 || m_shownRevision != m_wantedRevision)
        return;
    const Entry &e = m_entries[size_t(m_chosen)];
    // What this point inserted, in the author's colour (a version: everyone since the point before it).
    QColor color(e.color.isEmpty() ? QStringLiteral("#ffd54f") : e.color);
    color.setAlpha(70);
    QList<QTextEdit::ExtraSelection> marks;
    for (const auto &[start, end] : m_highlight->operation.insertedRanges()) {
        QTextEdit::ExtraSelection mark;
        mark.cursor = QTextCursor(m_preview->document());
        mark.cursor.setPosition(int(start));
        mark.cursor.setPosition(int(end), QTextCursor::KeepAnchor);
        mark.format.setBackground(color);
        marks.append(mark);
    }
    m_preview->setExtraSelections(marks);
    // The first change in view.
    if (!marks.isEmpty()) {
        QTextCursor at(m_preview->document());
        at.setPosition(marks.first().cursor.selectionStart());
        m_preview->setTextCursor(at);
        m_preview->ensureCursorVisible();
    }
    QStringList who;
    for (const collab::Author &a : m_highlight->authors)
        who.append(a.name.isEmpty() ? a.user : a.name);
    m_readyRevision = m_shownRevision;
    m_caption->setText(tr("Revision %1%2").arg(m_shownRevision).arg(who.isEmpty() ? QString() : tr(" — by %1").arg(who.join(QStringLiteral(", ")))));
    Q_EMIT previewReady(m_shownRevision);
}

QString HistoryPanel::previewText() const
{
    return m_readyRevision >= 0 ? m_shownText.toString() : QString();
}

QList<std::pair<int, int>> HistoryPanel::highlightedRanges() const
{
    QList<std::pair<int, int>> out;
    for (const QTextEdit::ExtraSelection &s : m_preview->extraSelections())
        out.append({s.cursor.selectionStart(), s.cursor.selectionEnd()});
    return out;
}

bool HistoryPanel::restoreChosen()
{
    if (m_readyRevision < 0 || m_session->isReadOnly())
        return false;
    // One replace from the current text to the old one (common beginning and end kept): it reaches everyone,
    // is in the history itself, and is one step of the restorer's undo.
    const collab::TextOperation restore = collab::TextOperation::makeDiff(m_binding->text(), m_shownText.toString());
    if (restore.isNoop())
        return true;
    return m_binding->applyLocal(restore, DocumentBinding::Origin::User);
}

void HistoryPanel::nameVersion(const QString &name)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty())
        return;
    m_session->requestVersions(trimmed, m_chosen >= 0 ? std::optional<int>(m_entries[size_t(m_chosen)].to) : std::nullopt);
}

} // namespace ui
