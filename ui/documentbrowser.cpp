// SPDX-License-Identifier: MIT
#include "documentbrowser.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ui {

namespace {

enum Column { Title, Modified, Size, People, Columns };
constexpr int IdRole = Qt::UserRole;
constexpr int SortRole = Qt::UserRole + 1;

// A cell that sorts by its SortRole value (a time, a size) instead of its text.
class SortedItem : public QTableWidgetItem
{
public:
    using QTableWidgetItem::QTableWidgetItem;
    bool operator<(const QTableWidgetItem &other) const override
    {
        const QVariant mine = data(SortRole);
        const QVariant theirs = other.data(SortRole);
        if (mine.isValid() && theirs.isValid())
            return mine.toLongLong() < theirs.toLongLong();
        return text().localeAwareCompare(other.text()) < 0;
    }
};

QString modifiedText(qint64 ms)
{
    if (ms <= 0)
        return QString();
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(ms);
    const QLocale locale;
    if (when.date() == QDate::currentDate())
        return locale.toString(when.time(), QLocale::ShortFormat);
    return locale.toString(when, QLocale::ShortFormat);
}

QString peopleText(const collab::DocumentInfo &d)
{
    QString text = d.people.join(QStringLiteral(", "));
    if (const qsizetype more = d.participants - d.people.size(); more > 0)
        text += (text.isEmpty() ? QString() : QStringLiteral(" ")) + QStringLiteral("+%1").arg(more);
    return text;
}

bool isAdmin(const collab::DocumentInfo &d)
{
    // An older relay says no role: it offers rename and delete to everyone (and refuses where it must).
    return d.role.isEmpty() || d.role == QLatin1String("admin");
}

} // namespace

DocumentBrowser::DocumentBrowser(const QString &server, const syncing::DocumentSession::Profile &profile, QWidget *parent)
    : QDialog(parent), m_catalogue(QUrl(server), {profile.name, profile.color, profile.token}),
      m_search(new QLineEdit(this)), m_table(new QTableWidget(0, Columns, this)), m_status(new QLabel(this))
{
    setWindowTitle(tr("Open from Server"));
    resize(720, 420);
    m_search->setPlaceholderText(tr("Search titles, names and people"));
    m_search->setClearButtonEnabled(true);
    m_search->setObjectName(QStringLiteral("search"));
    m_table->setHorizontalHeaderLabels({tr("Title"), tr("Modified"), tr("Characters"), tr("People")});
    m_table->horizontalHeader()->setSectionResizeMode(Title, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(Modified, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(Size, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(People, QHeaderView::Interactive);
    m_table->horizontalHeader()->resizeSection(People, 160);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(Modified, Qt::DescendingOrder); // the latest work first
    m_status->setWordWrap(true);

    auto *buttons = new QDialogButtonBox(this);
    m_open = buttons->addButton(tr("&Open"), QDialogButtonBox::AcceptRole);
    QPushButton *create = buttons->addButton(tr("&New Document..."), QDialogButtonBox::ActionRole);
    m_rename = buttons->addButton(tr("Re&name..."), QDialogButtonBox::ActionRole);
    m_delete = buttons->addButton(tr("&Delete..."), QDialogButtonBox::ActionRole);
    QPushButton *refreshButton = buttons->addButton(tr("&Refresh"), QDialogButtonBox::ActionRole);
    buttons->addButton(QDialogButtonBox::Cancel);
    m_open->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &DocumentBrowser::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &DocumentBrowser::reject);
    connect(create, &QPushButton::clicked, this, &DocumentBrowser::newDocument);
    connect(m_rename, &QPushButton::clicked, this, &DocumentBrowser::renameSelected);
    connect(m_delete, &QPushButton::clicked, this, &DocumentBrowser::deleteSelected);
    connect(refreshButton, &QPushButton::clicked, this, &DocumentBrowser::refresh);
    connect(m_search, &QLineEdit::textChanged, this, &DocumentBrowser::applySearch);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &DocumentBrowser::updateButtons);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, &DocumentBrowser::accept);
    // Return on the focused row opens it (the table takes the key before the dialog's default button).
    connect(m_table, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        if (index.isValid())
            accept();
    });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Documents on %1:").arg(m_catalogue.server().toString()), this));
    layout->addWidget(m_search);
    layout->addWidget(m_table);
    layout->addWidget(m_status);
    layout->addWidget(buttons);

    connect(&m_catalogue, &syncing::DocumentCatalogue::listed, this, [this](const QList<collab::DocumentInfo> &docs) {
        m_documents = docs;
        showDocuments();
        Q_EMIT documentsListed();
    });
    connect(&m_catalogue, &syncing::DocumentCatalogue::created, this, [this](const QString &id) {
        // Made: open it, as one who asked for a new document expects.
        m_created = id;
        accept();
    });
    connect(&m_catalogue, &syncing::DocumentCatalogue::renamed, this, [this](const QString &, const QString &title) {
        m_status->setText(tr("Renamed to “%1”.").arg(title));
        m_catalogue.list();
    });
    connect(&m_catalogue, &syncing::DocumentCatalogue::deleted, this, [this](const QString &id) {
        m_documents.removeIf([&](const collab::DocumentInfo &d) { return d.id == id; });
        showDocuments();
        m_status->setText(tr("Deleted."));
    });
    connect(&m_catalogue, &syncing::DocumentCatalogue::failed, this,
            [this](collab::ProtocolErrorCode, const QString &message) { showProblem(message); });
    connect(&m_catalogue, &syncing::DocumentCatalogue::unreachable, this, &DocumentBrowser::showProblem);
    updateButtons();
    refresh();
}

std::optional<QString> DocumentBrowser::askTitle(QWidget *parent, const QString &caption, const QString &current)
{
    bool ok = false;
    const QString title = QInputDialog::getText(parent, caption, tr("Title:"), QLineEdit::Normal, current, &ok)
                                  .simplified();
    if (!ok || title.isEmpty())
        return std::nullopt;
    return title;
}

QUrl DocumentBrowser::selectedDocumentUrl() const
{
    if (!m_created.isEmpty())
        return m_catalogue.documentUrl(m_created);
    const std::optional<collab::DocumentInfo> d = selectedDocument();
    return d ? m_catalogue.documentUrl(d->id) : QUrl();
}

std::optional<collab::DocumentInfo> DocumentBrowser::selectedDocument() const
{
    const int row = m_table->currentRow();
    if (row < 0 || !m_table->item(row, Title) || m_table->isRowHidden(row) || m_table->selectedItems().isEmpty())
        return std::nullopt;
    const QString id = m_table->item(row, Title)->data(IdRole).toString();
    for (const collab::DocumentInfo &d : m_documents)
        if (d.id == id)
            return d;
    return std::nullopt;
}

QStringList DocumentBrowser::visibleDocumentIds() const
{
    QStringList ids;
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (!m_table->isRowHidden(row))
            ids << m_table->item(row, Title)->data(IdRole).toString();
    return ids;
}

bool DocumentBrowser::selectDocument(const QString &id)
{
    for (int row = 0; row < m_table->rowCount(); ++row) {
        if (!m_table->isRowHidden(row) && m_table->item(row, Title)->data(IdRole).toString() == id) {
            m_table->selectRow(row);
            return true;
        }
    }
    return false;
}

void DocumentBrowser::refresh()
{
    m_status->setText(tr("Asking %1...").arg(m_catalogue.server().toString()));
    m_catalogue.list();
}

void DocumentBrowser::showProblem(const QString &message)
{
    m_status->setText(message);
    Q_EMIT failed(message);
}

void DocumentBrowser::newDocument()
{
    if (const std::optional<QString> title = askTitle(this, tr("New Document")))
        createDocument(*title);
}

void DocumentBrowser::createDocument(const QString &title)
{
    m_status->setText(tr("Creating “%1”...").arg(title));
    m_catalogue.create(title);
}

void DocumentBrowser::renameSelected()
{
    const std::optional<collab::DocumentInfo> d = selectedDocument();
    if (!d)
        return;
    const QString current = d->name.isEmpty() ? d->id : d->name;
    if (const std::optional<QString> title = askTitle(this, tr("Rename Document"), current); title && *title != current)
        m_catalogue.rename(d->id, *title);
}

void DocumentBrowser::deleteSelected()
{
    const std::optional<collab::DocumentInfo> d = selectedDocument();
    if (!d)
        return;
    const QString title = d->name.isEmpty() ? d->id : d->name;
    QMessageBox box(QMessageBox::Warning, tr("Delete Document"),
                    tr("Delete “%1” from %2 for everyone?").arg(title, m_catalogue.server().toString()),
                    QMessageBox::NoButton, this);
    QString detail = tr("Its text and its whole history are removed; this cannot be undone.");
    if (d->participants > 0)
        detail += QLatin1Char(' ') + tr("%n person(s) have it open now and will be told.", nullptr, d->participants);
    box.setInformativeText(detail);
    QPushButton *remove = box.addButton(tr("Delete “%1”").arg(title), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == remove)
        m_catalogue.remove(d->id);
}

void DocumentBrowser::updateButtons()
{
    const std::optional<collab::DocumentInfo> d = selectedDocument();
    m_open->setEnabled(d.has_value());
    const bool admin = d && isAdmin(*d);
    m_rename->setEnabled(admin);
    m_delete->setEnabled(admin);
    const QString why = d && !admin ? tr("Your access to this document does not include renaming or deleting it")
                                    : QString();
    m_rename->setToolTip(why);
    m_delete->setToolTip(why);
}

void DocumentBrowser::showDocuments()
{
    const std::optional<collab::DocumentInfo> before = selectedDocument();
    const QLocale locale;
    m_table->setSortingEnabled(false); // rows are filled in place, then sorted once
    m_table->setRowCount(int(m_documents.size()));
    for (int row = 0; row < m_documents.size(); ++row) {
        const collab::DocumentInfo &d = m_documents.at(row);
        const QString tip = tr("%1 · revision %2").arg(d.id).arg(d.revision);
        auto *title = new SortedItem(d.name.isEmpty() ? d.id : d.name);
        title->setData(IdRole, d.id);
        title->setToolTip(tip);
        m_table->setItem(row, Title, title);
        auto *modified = new SortedItem(modifiedText(d.modified));
        modified->setData(SortRole, d.modified);
        modified->setToolTip(d.modified > 0 ? locale.toString(QDateTime::fromMSecsSinceEpoch(d.modified), QLocale::LongFormat)
                                            : QString());
        m_table->setItem(row, Modified, modified);
        auto *size = new SortedItem(d.length < 0 ? QStringLiteral("—") : locale.toString(d.length));
        size->setData(SortRole, d.length);
        size->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, Size, size);
        auto *people = new SortedItem(peopleText(d));
        people->setData(SortRole, d.participants);
        people->setToolTip(d.people.join(u'\n'));
        m_table->setItem(row, People, people);
    }
    m_table->setSortingEnabled(true);
    applySearch();
    // The keyboard starts on the list: on the row chosen before, else the first one shown.
    if (!before || !selectDocument(before->id)) {
        const QStringList visible = visibleDocumentIds();
        if (!visible.isEmpty())
            selectDocument(visible.constFirst());
    }
    m_table->setFocus();
    m_status->setText(tr("%n document(s)", nullptr, int(m_documents.size())));
    updateButtons();
}

void DocumentBrowser::applySearch()
{
    // Every word must appear in the title, the id or a name of someone in it (case and accents aside).
    const auto fold = [](const QString &s) {
        QString out;
        for (const QChar c : s.normalized(QString::NormalizationForm_KD))
            if (c.category() != QChar::Mark_NonSpacing)
                out += c.toCaseFolded();
        return out;
    };
    const QStringList words = fold(m_search->text()).split(u' ', Qt::SkipEmptyParts);
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const QString id = m_table->item(row, Title)->data(IdRole).toString();
        const QString haystack = fold(m_table->item(row, Title)->text() + u' ' + id + u' '
                                      + m_table->item(row, People)->toolTip());
        const bool shown = std::all_of(words.cbegin(), words.cend(),
                                       [&](const QString &w) { return haystack.contains(w); });
        m_table->setRowHidden(row, !shown);
    }
    if (!selectedDocument()) {
        const QStringList visible = visibleDocumentIds();
        if (!visible.isEmpty())
            selectDocument(visible.constFirst());
        else
            m_table->clearSelection();
    }
    updateButtons();
}

} // namespace ui
