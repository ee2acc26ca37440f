// SPDX-License-Identifier: MIT
#include "command.h"

#include <textdiff.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QTimeZone>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringDecoder>

#include <cstdio>
#include <unistd.h>

namespace cli {

namespace {

void writeOut(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

// Errors the relay will not change its mind about within this run.
bool isFinal(collab::ProtocolErrorCode code)
{
    using Code = collab::ProtocolErrorCode;
    switch (code) {
    case Code::Forbidden:
    case Code::NoSuchDocument:
    case Code::InvalidDocumentId:
    case Code::ReadOnly:
    case Code::DocumentTooLarge:
    case Code::MessageTooLarge:
    case Code::QuotaExceeded:
    case Code::ProtocolVersion:
    case Code::ClientIdTaken:
    case Code::NotAuthenticated:
        return true;
    default:
        return false;
    }
}

std::optional<QString> decodeUtf8(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8);
    QString text = decoder(bytes);
    if (decoder.hasError())
        return std::nullopt;
    return text;
}

} // namespace

Command::Command(Options options, QObject *parent) : QObject(parent), m_options(std::move(options))
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(Unreachable, m_lastProblem.isEmpty()
                                ? tr("No answer from %1 within %2 s").arg(m_options.url.toString()).arg(m_options.timeoutMs / 1000)
                                : m_lastProblem);
    });
}

Command::~Command() = default;

void Command::start()
{
    m_timeout.start(m_options.timeoutMs);
    if (m_options.kind == Kind::List || m_options.kind == Kind::Log || m_options.kind == Kind::Diff
        || m_options.kind == Kind::Blame || m_options.kind == Kind::Version
        || (m_options.kind == Kind::Get && m_options.revision >= 0))
        startRequests();
    else if (m_options.kind == Kind::New || m_options.kind == Kind::Rename || m_options.kind == Kind::Remove)
        startCatalogue();
    else
        startDocument();
}

void Command::startCatalogue()
{
    QString server;
    QString document;
    syncing::DocumentSession::splitUrl(m_options.url, &server, &document);
    m_catalogue = std::make_unique<syncing::DocumentCatalogue>(
            m_options.url, syncing::DocumentCatalogue::Identity{m_options.profile.name, m_options.profile.color,
                                                                m_options.profile.token});
    connect(m_catalogue.get(), &syncing::DocumentCatalogue::created, this, [this](const QString &id) {
        std::printf("%s\n", qPrintable(m_catalogue->documentUrl(id).toString()));
        std::fflush(stdout);
        finish(Ok);
    });
    connect(m_catalogue.get(), &syncing::DocumentCatalogue::renamed, this, [this] { finish(Ok); });
    connect(m_catalogue.get(), &syncing::DocumentCatalogue::deleted, this, [this] { finish(Ok); });
    connect(m_catalogue.get(), &syncing::DocumentCatalogue::failed, this,
            [this](collab::ProtocolErrorCode code, const QString &message) {
                finish(Refused, tr("%1 (%2)").arg(message, collab::protocolErrorName(code)));
            });
    connect(m_catalogue.get(), &syncing::DocumentCatalogue::unreachable, this,
            [this](const QString &why) { finish(Unreachable, why); });
    if (m_options.kind == Kind::New)
        m_catalogue->create(m_options.title);
    else if (m_options.kind == Kind::Rename)
        m_catalogue->rename(document, m_options.title);
    else
        m_catalogue->remove(document);
}

void Command::startRequests()
{
    QUrl url = m_options.url;
    url.setPath(QString());
    m_link.setAutoReconnect(false);
    m_link.setAddresses({url});
    m_link.setIdentity(syncing::RelayLink::Identity::fresh(QStringLiteral("cli-"), m_options.profile.name,
                                                           m_options.profile.color, m_options.profile.token));
    connect(&m_link, &syncing::RelayLink::welcomed, this, &Command::sendRequest);
    connect(&m_link, &syncing::RelayLink::dropped, this, [this](const QString &why) {
        finish(Unreachable, why.isEmpty() ? tr("The relay closed the connection") : why);
    });
    connect(&m_link, &syncing::RelayLink::received, this, &Command::onReply);
    m_link.open();
}

void Command::sendRequest()
{
    QString server;
    QString document;
    syncing::DocumentSession::splitUrl(m_options.url, &server, &document);
    switch (m_options.kind) {
    case Kind::List:
        m_link.send(collab::Message::encodeText(collab::Message::List{QStringLiteral("ls")}));
        break;
    case Kind::Version:
        m_link.send(collab::Message::encodeText(collab::Message::Versions{
                QStringLiteral("version"), document, m_options.versionName,
                m_options.revision >= 0 ? std::optional<int>(m_options.revision) : std::nullopt,
                !m_options.deleteVersion, m_options.deleteVersion}));
        break;
    case Kind::Log:
        if (!m_versionsPrinted) { // the named versions first
            m_link.send(collab::Message::encodeText(collab::Message::Versions{QStringLiteral("versions"), document, {},
                                                                              std::nullopt, false, false}));
            break;
        }
        m_link.send(collab::Message::encodeText(collab::Message::History{
                QStringLiteral("log"), document, m_options.before,
                std::min(collab::Message::History::maxLimit, m_options.limit - m_sessionsPrinted)}));
        break;
    case Kind::Diff:
        m_link.send(collab::Message::encodeText(collab::Message::GetRevision{QStringLiteral("from"), document, m_options.from}));
        m_link.send(collab::Message::encodeText(
                collab::Message::GetDiff{QStringLiteral("diff"), document, m_options.from, m_options.to}));
        break;
    case Kind::Blame:
        // The authors first: their revision names the text to fetch.
        m_link.send(collab::Message::encodeText(collab::Message::GetAuthors{QStringLiteral("blame"), document}));
        break;
    default: // get --revision
        m_link.send(collab::Message::encodeText(
                collab::Message::GetRevision{QStringLiteral("get"), document, m_options.revision}));
        break;
    }
}

void Command::onReply(const collab::Message::Server &message)
{
    if (const auto *documents = std::get_if<collab::Message::Documents>(&message)) {
        QByteArray out;
        for (const collab::DocumentInfo &d : documents->documents) {
            out += d.id.toUtf8() + '\t' + QByteArray::number(d.revision) + '\t'
                + QByteArray::number(d.participants) + '\t'
                + (d.length >= 0 ? QByteArray::number(d.length) : QByteArray("-")) + '\t'
                + (d.name.isEmpty() ? d.id : d.name).toUtf8() + '\n';
        }
        writeOut(out);
        finish(Ok);
    } else if (const auto *page = std::get_if<collab::Message::HistoryPage>(&message)) {
        // One line per session: revisions, start and end (UTC), user, name, characters inserted and deleted,
        // operations (tab-separated).
        QByteArray out;
        const auto time = [](qint64 ms) {
            return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate).toUtf8();
        };
        for (const collab::EditSession &e : page->sessions) {
            out += QByteArray::number(e.from) + '-' + QByteArray::number(e.to) + '\t' + time(e.start) + '\t'
                + time(e.end) + '\t' + e.user.toUtf8() + '\t' + (e.name.isEmpty() ? e.user : e.name).toUtf8()
                + "\t+" + QByteArray::number(e.inserted) + "\t-" + QByteArray::number(e.deleted) + '\t'
                + QByteArray::number(e.operations) + '\n';
        }
        writeOut(out);
        m_sessionsPrinted += int(page->sessions.size());
        if (page->next > 0 && m_sessionsPrinted < m_options.limit) {
            m_options.before = page->next;
            sendRequest();
        } else {
            finish(Ok);
        }
    } else if (const auto *revision = std::get_if<collab::Message::RevisionText>(&message)) {
        if (m_options.kind == Kind::Get) {
            writeOut(revision->text.toUtf8());
            finish(Ok);
            return;
        }
        m_text = *revision;
        if (m_options.kind == Kind::Diff && m_diff)
            printDiff();
        else if (m_options.kind == Kind::Blame)
            printBlame();
    } else if (const auto *list = std::get_if<collab::Message::VersionList>(&message)) {
        // One line per named version: "version", its revision, time (UTC), who named it, the name.
        QByteArray out;
        for (const collab::Message::Version &v : list->versions)
            out += "version\t" + QByteArray::number(v.revision) + '\t'
                + QDateTime::fromMSecsSinceEpoch(v.created, Qt::UTC).toString(Qt::ISODate).toUtf8() + '\t'
                + v.user.toUtf8() + '\t' + v.name.toUtf8() + '\n';
        writeOut(out);
        m_versionsPrinted = true;
        if (m_options.kind == Kind::Log)
            sendRequest();
        else
            finish(Ok);
    } else if (const auto *diff = std::get_if<collab::Message::Diff>(&message)) {
        m_diff = *diff;
        if (m_text)
            printDiff();
    } else if (const auto *authors = std::get_if<collab::Message::Authors>(&message)) {
        m_authors = *authors;
        QString server;
        QString document;
        syncing::DocumentSession::splitUrl(m_options.url, &server, &document);
        m_link.send(collab::Message::encodeText(
                collab::Message::GetRevision{QStringLiteral("text"), document, authors->revision}));
    } else if (const auto *error = std::get_if<collab::Message::Error>(&message)) {
        if (error->code == collab::ProtocolErrorCode::ConflictRetry && m_options.kind == Kind::Blame) {
            // A long log: the relay replays it a part per request.
            QTimer::singleShot(error->retryAfterMs.value_or(100), this, &Command::sendRequest);
            return;
        }
        refuse(error->code, error->message);
    }
}

namespace {
// The text's lines, each with the offset where it starts (a final line without a newline included).
QList<std::pair<qsizetype, QString>> lines(const QString &text)
{
    QList<std::pair<qsizetype, QString>> out;
    qsizetype start = 0;
    while (start < text.size()) {
        const qsizetype end = text.indexOf(u'\n', start);
        const qsizetype stop = end < 0 ? text.size() : end + 1;
        out.append({start, text.mid(start, stop - start)});
        start = stop;
    }
    return out;
}

QByteArray prefixed(char mark, const QString &text)
{
    QByteArray out;
    for (const auto &line : lines(text)) {
        out += mark + line.second.toUtf8();
        if (!line.second.endsWith(u'\n'))
            out += "\n\\ no newline\n";
    }
    return out;
}
} // namespace

// Each changed stretch as a hunk: "@@ line L @@" (1-based, in the text at A), the old lines it touches with
// "-", the new ones with "+". First a line naming who made the changes.
void Command::printDiff()
{
    const QString &before = m_text->text;
    QByteArray out;
    QStringList who;
    for (const collab::Author &a : m_diff->authors)
        who.append(a.name.isEmpty() ? a.user : a.name);
    out += "# " + QByteArray::number(m_options.from) + ".." + QByteArray::number(m_options.to) + ": "
        + (who.isEmpty() ? QByteArray("(authors not read for so long a span)") : who.join(QStringLiteral(", ")).toUtf8())
        + '\n';
    qsizetype position = 0; // in the text at A
    // The lines that changed, not the one replace around them that an edit made by a whole-text put is.
    const collab::TextOperation changes = collab::readableDiff(before, m_diff->operation);
    const auto components = changes.components();
    for (size_t i = 0; i < components.size();) {
        if (components[i].kind == collab::TextOperation::Kind::Retain) {
            position += components[i].length;
            ++i;
            continue;
        }
        // The changed stretch: consecutive inserts and deletes, widened to whole lines.
        QString inserted;
        qsizetype removed = 0;
        for (; i < components.size() && components[i].kind != collab::TextOperation::Kind::Retain; ++i) {
            if (components[i].kind == collab::TextOperation::Kind::Insert)
                inserted += components[i].text;
            else
                removed += components[i].length;
        }
        // (lastIndexOf counts a negative start from the end: the first line is found apart)
        const qsizetype lineStart = position == 0 ? 0 : before.lastIndexOf(u'\n', position - 1) + 1;
        qsizetype lineEnd = before.indexOf(u'\n', position + removed);
        lineEnd = lineEnd < 0 ? before.size() : lineEnd + 1;
        const QString oldLines = before.mid(lineStart, lineEnd - lineStart);
        const QString newLines = before.mid(lineStart, position - lineStart) + inserted
                                 + before.mid(position + removed, lineEnd - position - removed);
        out += "@@ line " + QByteArray::number(before.left(lineStart).count(u'\n') + 1) + " @@\n";
        out += prefixed('-', oldLines) + prefixed('+', newLines);
        position += removed;
    }
    writeOut(out);
    finish(Ok);
}

// Each line of the text, tab-separated from the names of who wrote its characters (in the order they
// appear; "?" for text stored before authors were kept).
void Command::printBlame()
{
    QByteArray out;
    const QList<collab::AuthorRun> &runs = m_authors->runs;
    size_t run = 0;
    qsizetype runStart = 0;
    for (const auto &[start, line] : lines(m_text->text)) {
        QStringList names;
        const qsizetype end = start + line.size();
        while (run < size_t(runs.size()) && runStart < end) {
            const collab::AuthorRun &r = runs.at(qsizetype(run));
            const QString name = r.author < 0 ? QStringLiteral("?")
                                              : (m_authors->authors.at(r.author).name.isEmpty()
                                                     ? m_authors->authors.at(r.author).user
                                                     : m_authors->authors.at(r.author).name);
            if (!names.contains(name))
                names.append(name);
            if (runStart + r.length > end)
                break; // the run goes on into the next line
            runStart += r.length;
            ++run;
        }
        QByteArray text = line.toUtf8();
        if (text.endsWith('\n'))
            text.chop(1);
        out += names.join(QStringLiteral(", ")).toUtf8() + '\t' + text + '\n';
    }
    writeOut(out);
    finish(Ok);
}

void Command::startDocument()
{
    QByteArray input;
    if (m_options.kind == Kind::Put) {
        QFile file;
        const bool opened = m_options.file == u"-" ? file.open(stdin, QIODevice::ReadOnly)
                                                   : (file.setFileName(m_options.file), file.open(QIODevice::ReadOnly));
        if (!opened)
            return finish(LocalError, tr("Cannot read %1: %2").arg(m_options.file, file.errorString()));
        input = file.readAll();
        if (!decodeUtf8(input))
            return finish(LocalError, tr("%1 is not UTF-8 text").arg(m_options.file));
    }

    m_session = std::make_unique<syncing::DocumentSession>(&m_buffer, nullptr);
    m_session->setCreateIfMissing(m_options.kind != Kind::Get && m_options.kind != Kind::Watch);
    // One-shot commands report a failed connection within their timeout; watch and type keep retrying.
    m_session->setReconnectDelays(200, 5000);
    connect(m_session.get(), &syncing::DocumentSession::statusChanged, this, [this] {
        if (!m_online && m_session->status() == syncing::DocumentSession::Status::Online) {
            m_online = true;
            onOnline();
        }
        if (!m_session->problem().isEmpty())
            m_lastProblem = m_session->problem();
    });
    connect(m_session.get(), &syncing::DocumentSession::linkDropped, this, [this](const QString &why) {
        if (!why.isEmpty())
            m_lastProblem = why;
        if (m_online && m_options.kind == Kind::Watch)
            std::fprintf(stderr, "coscribe-cli: %s\n", qPrintable(tr("Connection lost; reconnecting")));
        m_online = false;
    });
    connect(m_session.get(), &syncing::DocumentSession::relayError, this, &Command::onRelayError);
    connect(m_session.get(), &syncing::DocumentSession::remoteApplied, this, &Command::onRemoteApplied);
    connect(m_session.get(), &syncing::DocumentSession::documentDeleted, this,
            [this] { finish(m_options.kind == Kind::Watch ? Ok : Refused, tr("The document was deleted on the relay")); });
    connect(m_session.get(), &syncing::DocumentSession::allAcknowledged, this, [this] {
        if (m_options.kind == Kind::Type)
            typeNextLine();
        else
            finishWhenAcknowledged();
    });

    QString error;
    if (!m_session->open(m_options.url, m_options.profile, &error))
        return finish(Usage, error);
    if (m_options.kind == Kind::Put)
        m_partialLine = input; // kept until the relay's text is here
}

void Command::onOnline()
{
    if (m_finished)
        return;
    const bool writes = m_options.kind == Kind::Put || m_options.kind == Kind::Type;
    if (writes && m_session->isReadOnly())
        return finish(Refused, tr("You have read-only access to %1").arg(m_options.url.toString()));
    switch (m_options.kind) {
    case Kind::List: // these run on a bare link (startRequests) or the catalogue, never on a session
    case Kind::New:
    case Kind::Rename:
    case Kind::Remove:
    case Kind::Log:
    case Kind::Diff:
    case Kind::Blame:
    case Kind::Version:
        break;
    case Kind::Get:
        printText();
        finish(Ok);
        break;
    case Kind::Watch:
        m_timeout.stop();
        if (!m_textPrinted) { // a reconnect does not print the text again
            m_textPrinted = true;
            printText();
        }
        if (m_options.count == 0)
            finish(Ok);
        break;
    case Kind::Put: {
        if (m_inputDone)
            break; // a reconnect: the edit is pending already and will be acknowledged
        m_inputDone = true;
        const QString text = *decodeUtf8(m_partialLine);
        m_partialLine.clear();
        const QString current = m_buffer.text();
        const collab::TextOperation op = m_options.append
            ? collab::TextOperation::makeInsert(current.size(), current.size(), text)
            : collab::TextOperation::makeDiff(current, text);
        if (!op.isNoop() && !edit(op))
            return finish(LocalError, tr("The edit could not be made"));
        finishWhenAcknowledged();
        break;
    }
    case Kind::Type:
        if (!m_stdinNotifier) {
            m_timeout.stop();
            m_stdinNotifier = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
            connect(m_stdinNotifier.get(), &QSocketNotifier::activated, this, &Command::onStdinReadable);
        }
        break;
    }
}

void Command::onStdinReadable()
{
    char chunk[65536];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n > 0) {
        m_partialLine.append(chunk, qsizetype(n));
    } else if (n == 0 || errno != EINTR) {
        // End of input: a last line without a newline is typed as it is.
        m_stdinNotifier->setEnabled(false);
        m_inputDone = true;
        m_timeout.start(m_options.timeoutMs);
    }
    typeNextLine();
}

// One line, one edit, one revision: the next line goes once the relay has acknowledged this one (else the
// session would compose lines typed meanwhile into one operation).
void Command::typeNextLine()
{
    if (m_options.kind != Kind::Type || m_finished || m_session->hasPendingEdits())
        return;
    const qsizetype end = m_partialLine.indexOf('\n');
    if (end < 0 && !(m_inputDone && !m_partialLine.isEmpty())) {
        finishWhenAcknowledged();
        return;
    }
    const qsizetype take = end >= 0 ? end + 1 : m_partialLine.size();
    const std::optional<QString> line = decodeUtf8(m_partialLine.left(take));
    m_partialLine.remove(0, take);
    if (!line)
        return finish(LocalError, tr("The input is not UTF-8 text"));
    const qsizetype length = m_buffer.rope().length();
    if (!edit(collab::TextOperation::makeInsert(length, length, *line)))
        return finish(LocalError, tr("The edit could not be made"));
}

bool Command::edit(const collab::TextOperation &op)
{
    const collab::TextOperation inverse = m_buffer.rope().invert(op);
    if (!m_buffer.apply(op))
        return false;
    return m_session->localEdited(op, inverse, false);
}

void Command::finishWhenAcknowledged()
{
    const bool writes = m_options.kind == Kind::Put || m_options.kind == Kind::Type;
    if (writes && m_inputDone && m_online && !m_session->hasPendingEdits())
        finish(Ok);
}

void Command::onRelayError(collab::ProtocolErrorCode code, const QString &message)
{
    if (isFinal(code))
        refuse(code, message);
    // Others are retried by the session (rate limits, lost races, storage trouble).
}

void Command::refuse(collab::ProtocolErrorCode code, const QString &message)
{
    const QString advice = syncing::RelayLink::adviceForError(code, message);
    finish(Refused, tr("The relay refused: %1 (%2)").arg(advice.isEmpty() ? message : advice, collab::protocolErrorName(code)));
}

void Command::onRemoteApplied(const collab::TextOperation &op, const QString &connectionId)
{
    // Changes caught up on after a reconnect count too; before the first text they are part of it.
    if (m_options.kind != Kind::Watch || !m_textPrinted)
        return;
    ++m_changes;
    if (m_options.fullText) {
        printText();
    } else {
        QString author;
        for (const collab::Participant &p : m_session->participants()) {
            if (p.connectionId == connectionId)
                author = p.name;
        }
        QJsonObject line{{QStringLiteral("revision"), m_session->revision()},
                         {QStringLiteral("author"), author},
                         {QStringLiteral("operation"), op.toJson()}};
        writeOut(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n');
    }
    if (m_options.count >= 0 && m_changes >= m_options.count)
        finish(Ok);
}

void Command::printText()
{
    QByteArray out = m_buffer.text().toUtf8();
    // In a watch, a line holding a record separator ends each printing of the text (the text need not end
    // with a newline), so a script can tell the text from the change lines that follow.
    if (m_options.kind == Kind::Watch)
        out += "\n\x1e\n";
    writeOut(out);
}

void Command::finish(int code, const QString &message)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timeout.stop();
    if (!message.isEmpty())
        std::fprintf(stderr, "coscribe-cli: %s\n", qPrintable(message));
    if (m_session)
        m_session->close();
    m_link.close();
    Q_EMIT finished(code);
}

} // namespace cli
