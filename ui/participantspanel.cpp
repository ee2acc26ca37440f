// SPDX-License-Identifier: MIT
#include "participantspanel.h"

#include <QCheckBox>
#include <QListWidget>
#include <QPainter>
#include <QPixmap>
#include <QVBoxLayout>

namespace ui {

namespace {

constexpr int IdRole = Qt::UserRole;

QIcon swatch(const QColor &color, bool idle)
{
    QPixmap pixmap(14, 14);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    QColor c = color.isValid() ? color : QColor(Qt::gray);
    if (idle)
        c.setAlphaF(0.35);
    painter.setBrush(c);
    painter.setPen(Qt::NoPen);
    painter.drawEllipse(1, 1, 12, 12);
    return QIcon(pixmap);
}

} // namespace

ParticipantsPanel::ParticipantsPanel(QWidget *parent)
    : QWidget(parent), m_list(new QListWidget(this)), m_follow(new QCheckBox(tr("&Follow selected"), this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_list);
    layout->addWidget(m_follow);
    m_follow->setToolTip(tr("Keep the selected participant's cursor in view"));
    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT participantActivated(item->data(IdRole).toString());
        updateFollow();
    });
    connect(m_follow, &QCheckBox::toggled, this, &ParticipantsPanel::updateFollow);
}

QListWidgetItem *ParticipantsPanel::itemFor(const QString &connectionId) const
{
    for (int i = 0; i < m_list->count(); ++i) {
        if (m_list->item(i)->data(IdRole).toString() == connectionId)
            return m_list->item(i);
    }
    return nullptr;
}

void ParticipantsPanel::setParticipant(const collab::Participant &p)
{
    QListWidgetItem *item = itemFor(p.connectionId);
    if (!item) {
        item = new QListWidgetItem(m_list);
        item->setData(IdRole, p.connectionId);
    }
    QString text = p.name.isEmpty() ? tr("Anonymous") : p.name;
    if (p.readOnly)
        text += QStringLiteral("  ") + tr("[read-only]");
    text += QStringLiteral("  ·  ") + (p.idle ? tr("idle") : tr("active"));
    item->setText(text);
    item->setIcon(swatch(QColor::fromString(p.color), p.idle));
    item->setToolTip(tr("%1 (%2), connection %3").arg(p.name, p.user, p.connectionId));
    if (p.idle)
        item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
    else
        item->setForeground(palette().color(QPalette::Active, QPalette::Text));
}

void ParticipantsPanel::removeParticipant(const QString &connectionId)
{
    const bool wasFollowed = followedId() == connectionId;
    delete itemFor(connectionId);
    if (wasFollowed)
        updateFollow();
}

void ParticipantsPanel::clear()
{
    m_list->clear();
    updateFollow();
}

int ParticipantsPanel::count() const
{
    return m_list->count();
}

QStringList ParticipantsPanel::names() const
{
    QStringList result;
    for (int i = 0; i < m_list->count(); ++i)
        result.append(m_list->item(i)->text());
    return result;
}

QString ParticipantsPanel::followedId() const
{
    if (!m_follow->isChecked() || !m_list->currentItem())
        return {};
    return m_list->currentItem()->data(IdRole).toString();
}

void ParticipantsPanel::updateFollow()
{
    Q_EMIT followChanged(followedId());
}

} // namespace ui
