// SPDX-License-Identifier: MIT
#pragma once

#include <documentcatalogue.h>
#include <documentsession.h>

#include <message.h>

#include <QDialog>
#include <QUrl>

#include <optional>

QT_BEGIN_NAMESPACE
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;
QT_END_NAMESPACE

namespace ui {

// DocumentBrowser: the server's documents — title, last change, size and who is in each — with a search
// field, and New Document…, Rename… and Delete… (offered by the role the relay gives the user for each
// document). It asks through a syncing::DocumentCatalogue, a short-lived link of its own, so browsing never
// disturbs the open document's session.
class DocumentBrowser : public QDialog
{
    Q_OBJECT
public:
    DocumentBrowser(const QString &server, const syncing::DocumentSession::Profile &profile, QWidget *parent = nullptr);

    // Ask for a document title (any Unicode; the relay makes the id); nullopt if cancelled or empty.
    static std::optional<QString> askTitle(QWidget *parent, const QString &caption, const QString &current = {});

    // The chosen document's address, after accept(): the row chosen (mouse or keyboard: arrows, Home, End,
    // Return), or the document just made with New Document, which is opened at once.
    QUrl selectedDocumentUrl() const;
    // The documents as last listed, and the ids of the rows the search leaves visible, in their order.
    const QList<collab::DocumentInfo> &documents() const { return m_documents; }
    QStringList visibleDocumentIds() const;
    // Select the row of document `id` (false if it is not listed or hidden by the search).
    bool selectDocument(const QString &id);

    // The buttons' actions on the selected row, asking as the buttons do (title, confirmation).
    void newDocument();
    // New Document… once its title is given: made on the relay (which picks the id), then chosen.
    void createDocument(const QString &title);
    void renameSelected();
    void deleteSelected();

Q_SIGNALS:
    void documentsListed();
    // The relay refused a request or could not be reached (the text is shown in the dialog as well).
    void failed(const QString &message);

private:
    void refresh();
    void showDocuments();
    void applySearch();
    void updateButtons();
    void showProblem(const QString &message);
    std::optional<collab::DocumentInfo> selectedDocument() const;

    syncing::DocumentCatalogue m_catalogue;
    QString m_created; // the document New Document made
    QList<collab::DocumentInfo> m_documents;
    QLineEdit *m_search;
    QTableWidget *m_table;
    QLabel *m_status;
    QPushButton *m_open;
    QPushButton *m_rename;
    QPushButton *m_delete;
};

} // namespace ui
