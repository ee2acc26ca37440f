// SPDX-License-Identifier: MIT
#include "connectdialog.h"

#include <QColorDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>

namespace ui {

namespace {

const QString ServerKey = QStringLiteral("connection/server");
const QString DocumentKey = QStringLiteral("connection/document");
const QString TokenKey = QStringLiteral("connection/token");
const QString NameKey = QStringLiteral("profile/name");
const QString ColorKey = QStringLiteral("profile/color");

QColor defaultColor(const QString &name)
{
    // A stable, readable hue per name, so a user keeps the same colour without choosing one.
    const int hue = int(qHash(name) % 360);
    return QColor::fromHsl(hue, 170, 110);
}

QString defaultName()
{
    QString user = qEnvironmentVariable("USER", qEnvironmentVariable("USERNAME"));
    if (user.isEmpty())
        return QObject::tr("Anonymous");
    user[0] = user[0].toUpper();
    return user;
}

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent),
      m_server(new QLineEdit(this)),
      m_document(new QLineEdit(this)),
      m_token(new QLineEdit(this)),
      m_name(new QLineEdit(this)),
      m_colorButton(new QPushButton(this))
{
    setWindowTitle(tr("Connect to a Server"));
    m_server->setObjectName(QStringLiteral("server"));
    m_document->setObjectName(QStringLiteral("document"));
    m_name->setObjectName(QStringLiteral("name"));
    QSettings settings;
    const syncing::DocumentSession::Profile profile = savedProfile();
    m_server->setText(savedServer());
    m_server->setPlaceholderText(QStringLiteral("ws://127.0.0.1:8080"));
    m_document->setText(settings.value(DocumentKey, QStringLiteral("welcome")).toString());
    m_token->setText(profile.token);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("only if the server asks for one"));
    m_name->setText(profile.name);
    m_color = QColor::fromString(profile.color);
    updateColorButton();
    connect(m_colorButton, &QPushButton::clicked, this, &ConnectDialog::chooseColor);

    auto *form = new QFormLayout;
    form->addRow(tr("&Server:"), m_server);
    form->addRow(tr("&Document:"), m_document);
    form->addRow(tr("&Token:"), m_token);
    form->addRow(tr("Display &name:"), m_name);
    form->addRow(tr("Cursor &colour:"), m_colorButton);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("C&onnect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
}

QUrl ConnectDialog::documentUrl() const
{
    QUrl url(m_server->text().trimmed());
    url.setPath(QLatin1Char('/') + m_document->text().trimmed());
    return url;
}

syncing::DocumentSession::Profile ConnectDialog::profile() const
{
    return syncing::DocumentSession::Profile{m_name->text().trimmed(), m_color.name(), m_token->text(), {}};
}

syncing::DocumentSession::Profile ConnectDialog::savedProfile()
{
    QSettings settings;
    syncing::DocumentSession::Profile profile;
    profile.name = settings.value(NameKey, defaultName()).toString();
    QColor color = QColor::fromString(settings.value(ColorKey).toString());
    if (!color.isValid())
        color = defaultColor(profile.name);
    profile.color = color.name();
    profile.token = settings.value(TokenKey).toString();
    return profile;
}

QString ConnectDialog::savedServer()
{
    return QSettings().value(ServerKey, QStringLiteral("ws://127.0.0.1:8080")).toString();
}

void ConnectDialog::saveProfile(const syncing::DocumentSession::Profile &profile)
{
    QSettings settings;
    settings.setValue(NameKey, profile.name);
    settings.setValue(ColorKey, profile.color);
    settings.setValue(TokenKey, profile.token);
}

void ConnectDialog::accept()
{
    QString server;
    QString document;
    if (!syncing::DocumentSession::splitUrl(documentUrl(), &server, &document)) {
        QMessageBox::warning(this, windowTitle(),
                             tr("Please give a server address such as ws://127.0.0.1:8080 and a document name "
                                "made of letters, digits, '.', '_' or '-'."));
        return;
    }
    QSettings settings;
    settings.setValue(ServerKey, server);
    settings.setValue(DocumentKey, document);
    saveProfile(profile());
    QDialog::accept();
}

void ConnectDialog::chooseColor()
{
    const QColor color = QColorDialog::getColor(m_color, this, tr("Cursor Colour"));
    if (color.isValid()) {
        m_color = color;
        updateColorButton();
    }
}

void ConnectDialog::updateColorButton()
{
    QPixmap pixmap(32, 16);
    pixmap.fill(m_color);
    m_colorButton->setIcon(QIcon(pixmap));
    m_colorButton->setText(m_color.name());
}

} // namespace ui
