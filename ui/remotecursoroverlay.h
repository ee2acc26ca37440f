// SPDX-License-Identifier: MIT
#pragma once

#include <selection.h>
#include <textoperation.h>

#include <QColor>
#include <QElapsedTimer>
#include <QFont>
#include <QRect>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include <optional>

QT_BEGIN_NAMESPACE
class QPainter;
QT_END_NAMESPACE

namespace ui {

class CollabEditor;

// RemoteCursorOverlay: the other participants' carets and selections, in local document positions, and the
// painting of them over a CollabEditor's viewport: a 2 px caret and a translucent selection in the
// participant's colour, with a name label that shows while they type or move and then fades.
//
// Invariant: every position is within [0, document length]. Whoever changes the document moves the cursors
// through the same operation (transform()), so a caret stays on the same character when text before it
// changes; an insert exactly at a caret goes before it unless it is that participant's own.
class RemoteCursorOverlay : public QObject
{
    Q_OBJECT
public:
    struct Cursor
    {
        QString id;              // connection id
        QString name;
        QColor color;
        collab::Selection selection;
        qint64 lastActivityMs = 0; // on the overlay's clock
    };

    // How long a name label stays fully visible after activity, and how long it then takes to fade.
    static constexpr int LabelVisibleMs = 2500;
    static constexpr int LabelFadeMs = 1000;

    explicit RemoteCursorOverlay(CollabEditor *editor);

    // Add or update a participant's cursor; `active` marks it as just moved (the label shows again).
    void setCursor(const QString &id, const QString &name, const QColor &color, const collab::Selection &selection,
                   bool active = true);
    void removeCursor(const QString &id);
    void clear();
    // The document changed by `op` (authored by the participant on `authorConnectionId`, empty for the local user).
    void transform(const collab::TextOperation &op, const QString &authorConnectionId = {});

    std::optional<Cursor> cursor(const QString &id) const;
    const QList<Cursor> &cursors() const { return m_cursors; }

    bool isVisible() const { return m_visible; }
    void setVisible(bool visible);

    // The label's opacity in [0, 1] for a cursor, now.
    double labelOpacity(const Cursor &cursor) const;
    // Where a participant's name label is drawn (viewport coordinates): above their caret, moved below it or
    // beside it when it would cover the local caret. Its background lets the text under it show through.
    std::optional<QRect> labelRect(const QString &id) const;
    static constexpr double LabelBackgroundAlpha = 0.6;

    void paint(QPainter &painter) const;

Q_SIGNALS:
    void changed();

private:
    void scheduleRepaint();
    void paintCursor(QPainter &painter, const Cursor &cursor) const;
    QFont labelFont() const;
    QRect labelRect(const QString &name, const QRect &caret) const;

    CollabEditor *m_editor;
    QList<Cursor> m_cursors;
    QElapsedTimer m_clock;
    QTimer m_fadeTimer;
    bool m_visible = true;
};

} // namespace ui
