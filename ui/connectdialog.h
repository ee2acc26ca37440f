// SPDX-License-Identifier: MIT
#pragma once

#include <documentsession.h>

#include <QDialog>
#include <QUrl>

QT_BEGIN_NAMESPACE
class QLineEdit;
class QPushButton;
QT_END_NAMESPACE

namespace ui {

// ConnectDialog: where to connect and as whom: server address, document, token, display name and cursor
// colour. What the user chose last is remembered with QSettings and is the profile every window uses.
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    // `server`: the address to offer (the window's own); empty: the one used last.
    explicit ConnectDialog(QWidget *parent = nullptr, const QString &server = {});

    // ws://host:port/document
    QUrl documentUrl() const;
    syncing::DocumentSession::Profile profile() const;

    // The remembered profile and server (defaults on first run: the user's login name, a colour from it and
    // this installation, the relay's port 7300 on this machine).
    static syncing::DocumentSession::Profile savedProfile();
    static QString savedServer();
    static void saveProfile(const syncing::DocumentSession::Profile &profile);
    // The colour of a name nobody chose a colour for: its own per installation and name, with a contrast of
    // at least MinContrast on the editor's white page.
    static QColor defaultColor(const QString &name);
    static constexpr double MinContrast = 3.0;

    void accept() override;

private:
    void chooseColor();
    void updateColorButton();

    QLineEdit *m_server;
    QLineEdit *m_document;
    QLineEdit *m_token;
    QLineEdit *m_name;
    QPushButton *m_colorButton;
    QColor m_color;
};

} // namespace ui
