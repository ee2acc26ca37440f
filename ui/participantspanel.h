// SPDX-License-Identifier: MIT
#pragma once

#include <message.h>

#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QListWidget;
class QListWidgetItem;
QT_END_NAMESPACE

namespace ui {

// ParticipantsPanel: who else has the document open: a colour swatch, the name, active or idle, and a
// read-only badge. Clicking a name asks to scroll to that person's cursor; "Follow" keeps asking while they
// move. It shows what it is told; syncing::DocumentSession is the source of truth.
class ParticipantsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ParticipantsPanel(QWidget *parent = nullptr);

    void setParticipant(const collab::Participant &participant);
    void removeParticipant(const QString &connectionId);
    void clear();

    int count() const;
    QStringList names() const;
    // The connection id of the participant being followed, or empty.
    QString followedId() const;

Q_SIGNALS:
    void participantActivated(const QString &connectionId);
    void followChanged(const QString &connectionId);

private:
    QListWidgetItem *itemFor(const QString &connectionId) const;
    void updateFollow();

    QListWidget *m_list;
    QCheckBox *m_follow;
};

} // namespace ui
