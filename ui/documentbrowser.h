// SPDX-License-Identifier: MIT
#pragma once

#include <documentsession.h>
#include <relaylink.h>

#include <message.h>

#include <QDialog>

#include <QUrl>

#include <optional>

QT_BEGIN_NAMESPACE
class QLabel;
class QPushButton;
class QTableWidget;
QT_END_NAMESPACE

namespace ui {

// DocumentBrowser: the server's documents (name, id, how many people are in each, revision, length) and a
// way to create a new one. It keeps a short-lived RelayLink of its own (hello, list, create) so browsing
// never disturbs the open document's session.
class DocumentBrowser : public QDialog
{
    Q_OBJECT
public:
    DocumentBrowser(const QString &server, const syncing::DocumentSession::Profile &profile, QWidget *parent = nullptr);

    // Ask the user for a new document's id (validated; a warning explains a bad one); nullopt if cancelled.
    static std::optional<QString> askDocumentName(QWidget *parent);

    // The chosen document's address, after accept(): the row chosen (mouse or keyboard: arrows, Home, End,
    // Return), or the document just made with New Document, which is opened at once.
    QUrl selectedDocumentUrl() const;
    // New Document… once its id is given: made on the relay, then chosen.
    void create(const QString &id);
    const QList<collab::DocumentInfo> &documents() const { return m_documents; }

Q_SIGNALS:
    void documentsListed();

private:
    void refresh();
    void createDocument();
    void onReceived(const collab::Message::Server &message);
    void showDocuments();

    QString m_server;
    syncing::DocumentSession::Profile m_profile;
    syncing::RelayLink m_link;
    QString m_created; // the document New Document made
    QList<collab::DocumentInfo> m_documents;
    QTableWidget *m_table;
    QLabel *m_status;
    QPushButton *m_open;
};

} // namespace ui
