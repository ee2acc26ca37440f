// SPDX-License-Identifier: MIT
#include "documentbrowser.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ui {

DocumentBrowser::DocumentBrowser(const QString &server, const syncing::DocumentSession::Profile &profile, QWidget *parent)
    : QDialog(parent), m_server(server), m_profile(profile), m_table(new QTableWidget(0, 4, this)),
      m_status(new QLabel(this))
{
    setWindowTitle(tr("Open from Server"));
    resize(560, 360);
    m_table->setHorizontalHeaderLabels({tr("Name"), tr("Id"), tr("People"), tr("Revision")});
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();

    auto *buttons = new QDialogButtonBox(this);
    m_open = buttons->addButton(tr("&Open"), QDialogButtonBox::AcceptRole);
    QPushButton *create = buttons->addButton(tr("&New Document..."), QDialogButtonBox::ActionRole);
    QPushButton *refreshButton = buttons->addButton(tr("&Refresh"), QDialogButtonBox::ActionRole);
    buttons->addButton(QDialogButtonBox::Cancel);
    m_open->setEnabled(false);
    connect(buttons, &QDialogButtonBox::accepted, this, &DocumentBrowser::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &DocumentBrowser::reject);
    connect(create, &QPushButton::clicked, this, &DocumentBrowser::createDocument);
    connect(refreshButton, &QPushButton::clicked, this, &DocumentBrowser::refresh);
    connect(m_table, &QTableWidget::itemSelectionChanged, this,
            [this] { m_open->setEnabled(!m_table->selectedItems().isEmpty()); });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, &DocumentBrowser::accept);
    // Return on the focused row opens it (the table takes the key before the dialog's default button).
    connect(m_table, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        if (index.isValid())
            accept();
    });
    m_open->setDefault(true);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Documents on %1:").arg(m_server), this));
    layout->addWidget(m_table);
    layout->addWidget(m_status);
    layout->addWidget(buttons);

    m_link.setAutoReconnect(false);
    m_link.setAddresses({QUrl(m_server)});
    m_link.setIdentity(syncing::RelayLink::Identity::fresh(QStringLiteral("browser-"), m_profile.name, m_profile.color,
                                                           m_profile.token));
    connect(&m_link, &syncing::RelayLink::welcomed, this,
            [this] { m_link.send(collab::Message::encodeText(collab::Message::List{QStringLiteral("list")})); });
    connect(&m_link, &syncing::RelayLink::received, this, &DocumentBrowser::onReceived);
    connect(&m_link, &syncing::RelayLink::dropped, this, [this](const QString &why) {
        m_status->setText(why.isEmpty() ? tr("The connection to %1 was closed").arg(m_server) : why);
    });
    refresh();
}

QUrl DocumentBrowser::selectedDocumentUrl() const
{
    QString id = m_created;
    if (id.isEmpty()) {
        const int row = m_table->currentRow();
        if (row < 0 || !m_table->item(row, 1))
            return {};
        id = m_table->item(row, 1)->text();
    }
    QUrl url(m_server);
    url.setPath(QLatin1Char('/') + id);
    return url;
}

void DocumentBrowser::refresh()
{
    m_status->setText(tr("Connecting to %1...").arg(m_server));
    if (m_link.isConnected())
        m_link.send(collab::Message::encodeText(collab::Message::List{QStringLiteral("list")}));
    else if (m_link.state() == syncing::RelayLink::State::Offline)
        m_link.open();
}

std::optional<QString> DocumentBrowser::askDocumentName(QWidget *parent)
{
    bool ok = false;
    const QString id = QInputDialog::getText(parent, tr("New Document"),
                                             tr("Document name (letters, digits, '.', '_', '-'):"),
                                             QLineEdit::Normal, QString(), &ok)
                           .trimmed();
    if (!ok || id.isEmpty())
        return std::nullopt;
    if (!collab::isValidDocumentId(id)) {
        QMessageBox::warning(parent, tr("New Document"), tr("\"%1\" is not a valid document name.").arg(id));
        return std::nullopt;
    }
    return id;
}

void DocumentBrowser::createDocument()
{
    if (const std::optional<QString> id = askDocumentName(this))
        create(*id);
}

void DocumentBrowser::create(const QString &id)
{
    m_link.send(collab::Message::encodeText(collab::Message::Create{QStringLiteral("create"), id, id}));
}

void DocumentBrowser::onReceived(const collab::Message::Server &message)
{
    if (auto *documents = std::get_if<collab::Message::Documents>(&message)) {
        m_documents = documents->documents;
        showDocuments();
        Q_EMIT documentsListed();
    } else if (auto *created = std::get_if<collab::Message::Created>(&message)) {
        // Made: open it, as one who asked for a new document expects.
        m_created = created->doc;
        accept();
    } else if (auto *error = std::get_if<collab::Message::Error>(&message)) {
        m_status->setText(tr("The server says: %1").arg(error->message));
    }
}

void DocumentBrowser::showDocuments()
{
    m_table->setRowCount(int(m_documents.size()));
    for (int row = 0; row < m_documents.size(); ++row) {
        const collab::DocumentInfo &d = m_documents.at(row);
        m_table->setItem(row, 0, new QTableWidgetItem(d.name.isEmpty() ? d.id : d.name));
        m_table->setItem(row, 1, new QTableWidgetItem(d.id));
        auto *people = new QTableWidgetItem(QString::number(d.participants));
        people->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, 2, people);
        auto *revision = new QTableWidgetItem(QString::number(d.revision));
        revision->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, 3, revision);
    }
    // The keyboard starts on the list, on its first row.
    if (m_table->currentRow() < 0 && m_table->rowCount() > 0)
        m_table->selectRow(0);
    m_table->setFocus();
    m_status->setText(tr("%n document(s)", nullptr, int(m_documents.size())));
}

} // namespace ui
