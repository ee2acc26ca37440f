// SPDX-License-Identifier: MIT
#include "loadclient.h"

#include "loadgenerator.h"

#include <QCoreApplication>

namespace bench {

using namespace collab;

LoadClient::LoadClient(LoadGenerator *generator, int index, QString document, QObject *parent)
    : QObject(parent), m_generator(generator), m_index(index), m_document(std::move(document)),
      m_session(std::make_unique<syncing::DocumentSession>(&m_buffer, nullptr))
{
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &LoadClient::onTick);
    syncing::DocumentSession *session = m_session.get();
    session->setAutoReconnect(false); // a dropped connection is a failure of the run, not something to hide
    connect(session, &syncing::DocumentSession::statusChanged, this, &LoadClient::onStatusChanged);
    connect(session, &syncing::DocumentSession::linkDropped, this,
            [this](const QString &why) { fail(QStringLiteral("disconnected: %1").arg(why)); });
    connect(session, &syncing::DocumentSession::relayError, this, [this](ProtocolErrorCode code, const QString &message) {
        m_generator->errorReceived(QStringLiteral("%1: %2").arg(protocolErrorName(code), message));
    });
    connect(&session->link(), &syncing::RelayLink::frameSent, this,
            [this] { m_generator->messageSent(LoadGenerator::nowUs()); });
    connect(session, &syncing::DocumentSession::operationSent, this, [this](qint64 sequence) {
        const qint64 now = LoadGenerator::nowUs();
        // After an acknowledgement the buffer goes out: its keystrokes are the in-flight ones now.
        if (m_outstandingKeys.empty())
            m_outstandingKeys.swap(m_bufferKeys);
        m_generator->operationSent(m_session->clientId(), sequence, now);
        m_generator->operationMessageSent(now);
    });
    connect(session, &syncing::DocumentSession::acknowledged, this, [this] {
        m_generator->keystrokesAcknowledged(m_outstandingKeys, LoadGenerator::nowUs());
        m_outstandingKeys.clear();
    });
    connect(session, &syncing::DocumentSession::remoteOperationReceived, this,
            [this](const QString &author, qint64 sequence) {
                m_generator->broadcastReceived(author, sequence, LoadGenerator::nowUs());
            });
}

void LoadClient::open(const QUrl &server)
{
    QUrl url = server;
    url.setPath(QLatin1Char('/') + m_document);
    syncing::DocumentSession::Profile profile;
    profile.name = QStringLiteral("loadgen-%1-%2").arg(QCoreApplication::applicationPid()).arg(m_index);
    profile.color = QStringLiteral("#3366cc");
    QString error;
    if (!m_session->open(url, profile, &error))
        fail(error);
}

void LoadClient::onStatusChanged()
{
    if (m_ready || m_session->status() != syncing::DocumentSession::Status::Online || !m_session->isOpenOnRelay())
        return;
    m_buffer.setSelection(Selection::cursor(m_buffer.rope().length()));
    m_ready = true;
    Q_EMIT ready();
}

void LoadClient::fail(const QString &why)
{
    if (!m_timer.isActive() && m_ready)
        return; // the run is over: connections closing now are not failures
    m_timer.stop();
    Q_EMIT failed(QStringLiteral("%1: %2").arg(m_session->clientId(), why));
}

qsizetype LoadClient::caret() const
{
    const Selection selection = m_buffer.selection();
    return selection.ranges().isEmpty() ? 0 : selection.ranges().constFirst().head;
}

void LoadClient::startTyping(int firstDelayMs, int intervalMs)
{
    m_timer.setInterval(intervalMs);
    QTimer::singleShot(firstDelayMs, this, [this] {
        m_timer.start();
        onTick();
    });
}

void LoadClient::stopTyping()
{
    m_timer.stop();
}

void LoadClient::onTick()
{
    if (!m_ready)
        return;
    const qint64 now = LoadGenerator::nowUs();
    auto &random = m_generator->random();
    const double roll = std::uniform_real_distribution<double>(0, 1)(random);
    const qsizetype length = m_buffer.rope().length();
    if (roll < m_generator->settings().cursorJumpShare) {
        // The session sends it now, or with the next operation while one is in flight.
        m_buffer.setSelection(Selection::cursor(qsizetype(random() % quint64(length + 1))));
        m_session->localSelectionChanged();
        return;
    }
    m_generator->keystrokeMade(now);
    const qsizetype at = caret();
    TextOperation op;
    if (roll < m_generator->settings().cursorJumpShare + 0.15 && at > 0)
        op = TextOperation::makeDelete(length, at - 1, 1);
    else
        op = TextOperation::makeInsert(length, at, QString(QChar(u'a' + char16_t(random() % 26))));
    const TextOperation inverse = m_buffer.rope().invert(op);
    // An edit made while one is in flight joins the buffer (composed into the next operation).
    const bool inFlight = m_session->hasPendingEdits();
    (inFlight ? m_bufferKeys : m_outstandingKeys).push_back(now);
    if (!m_buffer.apply(op) || !m_session->localEdited(op, inverse, false))
        fail(QStringLiteral("the edit could not be made"));
}

} // namespace bench
