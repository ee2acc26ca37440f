// SPDX-License-Identifier: MIT
#include "connectdialog.h"

#include <message.h>


#include <QColorDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QUuid>

#include <cmath>
#include <QCryptographicHash>

namespace ui {

namespace {

const QString ServerKey = QStringLiteral("connection/server");
const QString DocumentKey = QStringLiteral("connection/document");
const QString TokenKey = QStringLiteral("connection/token");
const QString NameKey = QStringLiteral("profile/name");
const QString ColorKey = QStringLiteral("profile/color");

const QString InstallKey = QStringLiteral("profile/install");

// This installation's own random id (made once, kept with the settings): two people with the same name, or
// two windows here with different names, get different colours.
QString installId()
{
    QSettings settings;
    QString id = settings.value(InstallKey).toString();
    if (id.isEmpty()) {
        id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        settings.setValue(InstallKey, id);
    }
    return id;
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

ConnectDialog::ConnectDialog(QWidget *parent, const QString &server)
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
    m_server->setText(server.isEmpty() ? savedServer() : server);
    m_server->setPlaceholderText(QStringLiteral("ws://127.0.0.1:7300"));
    m_document->setText(settings.value(DocumentKey, QStringLiteral("welcome")).toString());
    m_document->setToolTip(tr("A document's name or its title: any text, spaces included"));
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
    const QString typed = m_document->text().simplified();
    if (typed.isEmpty() || collab::isValidDocumentId(typed)) {
        url.setPath(QLatin1Char('/') + typed);
        return url;
    }
    // A title ("My Notes", "Café"): its id, and the title for the document if opening it makes it.
    url.setPath(QLatin1Char('/') + collab::documentIdForTitle(typed));
    url.setQuery(QStringLiteral("title=") + QString::fromLatin1(QUrl::toPercentEncoding(typed)), QUrl::StrictMode);
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
    return QSettings().value(ServerKey, QStringLiteral("ws://127.0.0.1:7300")).toString(); // the relay's port
}

QColor ConnectDialog::defaultColor(const QString &name)
{
    // A stable hue per installation and name, dark enough to read on the editor's light page: a user keeps
    // the same colour without choosing one, and another name (another window, --name) gets another.
    const QByteArray key = (installId() + QLatin1Char('/') + name).toUtf8();
    const QByteArray digest = QCryptographicHash::hash(key, QCryptographicHash::Sha256);
    const int hue = int((quint8(digest[0]) << 8 | quint8(digest[1])) % 360);
    // Darker until it reads on white (a contrast of at least 3:1; yellows need it most).
    const auto luminance = [](const QColor &c) {
        const auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
    };
    QColor color;
    for (int lightness = 115; lightness > 20; lightness -= 5) {
        color = QColor::fromHsl(hue, 170, lightness);
        if (1.05 / (luminance(color) + 0.05) >= MinContrast)
            break;
    }
    return color;
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
                             tr("Please give a server address such as ws://127.0.0.1:7300 and a document name."));
        return;
    }
    QSettings settings;
    settings.setValue(ServerKey, server);
    settings.setValue(DocumentKey, m_document->text().simplified());
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
