// SPDX-License-Identifier: MIT
#include "httpendpoints.h"

#include "metrics.h"
#include "webpage.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

Q_LOGGING_CATEGORY(lcHttp, "coscribe.relay.http")

namespace relay {

namespace {

// End of the header block: the offset just past the blank line, or -1.
qsizetype headerEnd(const QByteArray &head)
{
    const qsizetype crlf = head.indexOf("\r\n\r\n");
    const qsizetype lf = head.indexOf("\n\n");
    if (crlf >= 0 && (lf < 0 || crlf < lf))
        return crlf + 4;
    return lf >= 0 ? lf + 2 : -1;
}

struct Request
{
    bool valid = false;
    QByteArray method;
    QByteArray path;
    bool upgradeToWebSocket = false;
    bool acceptsGzip = false;
    QByteArray ifNoneMatch;
    QByteArray origin;  // empty: no Origin header
    QByteArray host;
};

Request parseRequest(const QByteArray &head)
{
    Request request;
    const qsizetype end = headerEnd(head);
    if (end < 0)
        return request;
    const QList<QByteArray> lines = head.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.constFirst().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.") || requestLine.at(1).isEmpty())
        return request;
    for (const char c : requestLine.at(0))
        if (c < 'A' || c > 'Z')
            return request;
    request.method = requestLine.at(0);
    QByteArray target = requestLine.at(1);
    if (const qsizetype query = target.indexOf('?'); query >= 0)
        target.truncate(query);
    request.path = target;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "upgrade") {
            for (const QByteArray &token : value.split(','))
                if (token.trimmed().toLower() == "websocket")
                    request.upgradeToWebSocket = true;
        } else if (name == "accept-encoding") {
            for (const QByteArray &token : value.split(',')) {
                const QList<QByteArray> parts = token.split(';');
                bool refused = false;  // "gzip;q=0"
                for (qsizetype i = 1; i < parts.size(); ++i)
                    if (const QByteArray p = parts.at(i).trimmed(); p.startsWith("q="))
                        refused = p.mid(2).toDouble() <= 0.0;
                if (parts.constFirst().trimmed().toLower() == "gzip" && !refused)
                    request.acceptsGzip = true;
            }
        } else if (name == "if-none-match") {
            request.ifNoneMatch = value;
        } else if (name == "origin") {
            request.origin = value;
        } else if (name == "host") {
            request.host = value.toLower();
        }
    }
    request.valid = true;
    return request;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

QByteArray response(int status, const QByteArray &contentType, const QByteArray &body, bool includeBody,
                    const QByteArray &extraHeaders = {})
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "Cache-Control: no-store\r\nConnection: close\r\n";
    out += extraHeaders;
    out += "\r\n";
    if (includeBody)
        out += body;
    return out;
}

QByteArray textResponse(int status, const QByteArray &text, bool includeBody = true,
                        const QByteArray &extraHeaders = {})
{
    return response(status, "text/plain; charset=utf-8", text + '\n', includeBody, extraHeaders);
}

} // namespace

HttpEndpoints::HttpEndpoints(Metrics *metrics, QObject *parent) : QObject(parent), m_metrics(metrics)
{
    m_uptime.start();
}

HttpEndpoints::~HttpEndpoints() = default;

void HttpEndpoints::setHealthProvider(std::function<QJsonObject()> provider)
{
    m_healthProvider = std::move(provider);
}

void HttpEndpoints::setVersion(const QString &version)
{
    m_version = version;
}

void HttpEndpoints::setRelayPortRoutes(Routes routes)
{
    m_relayPortRoutes = routes;
}

void HttpEndpoints::setWebPage(const WebPage *page)
{
    m_webPage = page;
}

void HttpEndpoints::setAllowedOrigins(const QStringList &origins)
{
    m_allowedOrigins = origins;
}

bool HttpEndpoints::originAllowed(const QByteArray &head, const QStringList &allowedOrigins)
{
    const Request request = parseRequest(head);
    if (request.origin.isEmpty())
        return true;  // native clients send none
    const QString origin = QString::fromLatin1(request.origin);
    if (allowedOrigins.contains(QStringLiteral("*")) || allowedOrigins.contains(origin, Qt::CaseInsensitive))
        return true;
    // The relay's own origin (its web page, or the same site behind a reverse proxy that keeps Host): the
    // Origin's host and port are those the browser connected to. "null" and other opaque origins never match.
    const QUrl url(origin, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || (url.scheme() != u"http" && url.scheme() != u"https"))
        return false;
    const int defaultPort = url.scheme() == u"https" ? 443 : 80;
    QUrl host;
    host.setAuthority(QString::fromLatin1(request.host), QUrl::StrictMode);
    if (!host.isValid() || host.host().isEmpty())
        return false;
    return host.host().compare(url.host(), Qt::CaseInsensitive) == 0
           && host.port(defaultPort) == url.port(defaultPort);
}

void HttpEndpoints::setHeaderTimeout(int milliseconds)
{
    m_headerTimeoutMs = milliseconds;
}

HttpEndpoints::RequestKind HttpEndpoints::classify(const QByteArray &head)
{
    if (head.isEmpty())
        return RequestKind::Incomplete;
    // Not an HTTP method at all (e.g. a TLS ClientHello on a plain port): answer 400 at once.
    for (qsizetype i = 0; i < head.size() && head.at(i) != ' '; ++i)
        if (head.at(i) < 'A' || head.at(i) > 'Z' || i > 16)
            return RequestKind::Http;
    if (headerEnd(head) < 0)
        return head.size() > maxHeaderBytes ? RequestKind::Http : RequestKind::Incomplete;
    const Request request = parseRequest(head);
    return request.valid && request.upgradeToWebSocket ? RequestKind::WebSocket : RequestKind::Http;
}

QJsonObject HttpEndpoints::health() const
{
    QJsonObject object{
        {QStringLiteral("status"), QStringLiteral("ok")},
        {QStringLiteral("service"), QStringLiteral("coscribe-relay")},
        {QStringLiteral("uptimeSeconds"), double(m_uptime.elapsed()) / 1000.0},
    };
    if (!m_version.isEmpty())
        object.insert(QStringLiteral("version"), m_version);
    if (m_metrics) {
        object.insert(QStringLiteral("startedAt"), m_metrics->startTime().toString(Qt::ISODate));
        object.insert(QStringLiteral("connections"), m_metrics->connections());
        object.insert(QStringLiteral("documentsOpen"), m_metrics->documentsOpen());
        object.insert(QStringLiteral("operationsApplied"), m_metrics->operationsApplied());
    }
    if (m_healthProvider) {
        const QJsonObject extra = m_healthProvider();
        for (auto it = extra.begin(); it != extra.end(); ++it)
            object.insert(it.key(), it.value());
    }
    return object;
}

QByteArray HttpEndpoints::respond(const QByteArray &head, Routes routes) const
{
    if (headerEnd(head) < 0 && head.size() > maxHeaderBytes)
        return textResponse(431, "request header too large");
    const Request request = parseRequest(head);
    if (!request.valid)
        return textResponse(400, "bad request");
    const bool isHead = request.method == "HEAD";
    const bool readOnly = request.method == "GET" || isHead;

    if (request.path == "/healthz") {
        if (!readOnly)
            return textResponse(405, "use GET", true, "Allow: GET, HEAD\r\n");
        const QJsonObject object = health();
        const int status = object.value(QStringLiteral("status")).toString() == u"ok" ? 200 : 503;
        return response(status, "application/json", QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n',
                        !isHead);
    }
    if (request.path == "/metrics" && routes != Routes::RelayPortHealthOnly) {
        if (!readOnly)
            return textResponse(405, "use GET", true, "Allow: GET, HEAD\r\n");
        return response(200, Metrics::contentType, m_metrics ? m_metrics->exposition() : QByteArray(), !isHead);
    }
    if (m_webPage && routes != Routes::MetricsPort && WebPage::serves(request.path))
        return m_webPage->respond({request.method, request.path, request.acceptsGzip, request.ifNoneMatch});
    if (routes == Routes::MetricsPort || request.path == "/metrics")
        return textResponse(404, "not found; try /healthz or /metrics", !isHead);
    return textResponse(426, "this is a Coscribe relay: connect with a WebSocket client (ws:// or wss://)", !isHead,
                        "Upgrade: websocket\r\n");
}

void HttpEndpoints::route(QTcpSocket *socket, std::function<void(QTcpSocket *)> handOver)
{
    serveWhenComplete(socket, m_relayPortRoutes, std::move(handOver));
}

void HttpEndpoints::serveWhenComplete(QTcpSocket *socket, Routes routes,
                                      std::function<void(QTcpSocket *)> handOver)
{
    // Every connection made here uses `guard` as its context; finish() cuts them all before the socket is
    // answered or handed over, so nothing of ours runs on a socket QWebSocketServer owns.
    auto *guard = new QObject(socket);
    auto *timer = new QTimer(guard);
    auto finish = [socket, guard, timer]() {
        QObject::disconnect(socket, nullptr, guard, nullptr);
        timer->stop();
        guard->deleteLater();
    };
    auto answer = [socket](const QByteArray &reply) {
        socket->readAll();
        socket->write(reply);
        connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
        socket->disconnectFromHost();
        if (socket->state() == QAbstractSocket::UnconnectedState)
            socket->deleteLater();
    };
    auto check = [this, socket, routes, handOver, answer, finish]() {
        const QByteArray head = socket->peek(maxHeaderBytes + 1);
        const RequestKind kind = classify(head);
        if (kind == RequestKind::Incomplete)
            return;
        finish();
        if (kind == RequestKind::WebSocket && handOver && !originAllowed(head, m_allowedOrigins)) {
            // Before the handshake: a page of another site must not drive a session with the user's token.
            qCWarning(lcHttp).noquote() << "refused origin" << parseRequest(head).origin;
            if (m_metrics)
                m_metrics->connectionRejected(QStringLiteral("origin"));
            answer(textResponse(403, "origin not allowed: the relay accepts its own page and the origins of "
                                     "--allowed-origin"));
        } else if (kind == RequestKind::WebSocket && handOver)
            handOver(socket);
        else
            answer(respond(head, routes));
    };

    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, guard, [answer, finish]() {
        finish();
        answer(textResponse(408, "request header not received in time"));
    });
    connect(socket, &QIODevice::readyRead, guard, check);
    connect(socket, &QAbstractSocket::disconnected, guard, [socket, finish]() {
        finish();
        socket->deleteLater();
    });
    timer->start(m_headerTimeoutMs);
    if (socket->bytesAvailable() > 0) {
        check();
    } else if (socket->state() != QAbstractSocket::ConnectedState) {
        finish();
        socket->deleteLater();
    }
}

bool HttpEndpoints::listen(const QHostAddress &address, quint16 port)
{
    close();
    m_server = new QTcpServer(this);
    connect(m_server, &QTcpServer::newConnection, this, &HttpEndpoints::onMetricsConnection);
    if (!m_server->listen(address, port)) {
        m_errorString = QStringLiteral("cannot listen on %1 port %2 for /metrics: %3")
                            .arg(address.toString()).arg(port).arg(m_server->errorString());
        delete m_server;
        m_server = nullptr;
        return false;
    }
    return true;
}

quint16 HttpEndpoints::serverPort() const
{
    return m_server ? m_server->serverPort() : 0;
}

QString HttpEndpoints::errorString() const
{
    return m_errorString;
}

void HttpEndpoints::close()
{
    delete m_server;
    m_server = nullptr;
}

void HttpEndpoints::onMetricsConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection())
        serveWhenComplete(socket, Routes::MetricsPort, {});
}

} // namespace relay
