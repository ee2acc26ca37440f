// SPDX-License-Identifier: MIT
#include "webpage.h"

#include <QCryptographicHash>
#include <QFile>

namespace relay {

namespace {

const char *const kSecurityHeaders =
    "Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n";

QByteArray statusLine(int status)
{
    switch (status) {
    case 200: return "HTTP/1.1 200 OK\r\n";
    case 304: return "HTTP/1.1 304 Not Modified\r\n";
    case 404: return "HTTP/1.1 404 Not Found\r\n";
    default: return "HTTP/1.1 405 Method Not Allowed\r\n";
    }
}

QByteArray plainText(int status, const QByteArray &text, bool includeBody, const QByteArray &extra = {})
{
    const QByteArray body = text + '\n';
    return statusLine(status) + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
           + QByteArray::number(body.size()) + "\r\nCache-Control: no-store\r\nConnection: close\r\n" + extra
           + "\r\n" + (includeBody ? body : QByteArray());
}

} // namespace

WebPage::WebPage(const QString &prefix)
{
    const struct { const char *path; const char *type; } files[] = {
        {"/index.html", "text/html; charset=utf-8"},
        {"/assets/app.js", "text/javascript; charset=utf-8"},
        {"/assets/app.css", "text/css; charset=utf-8"},
    };
    for (const auto &f : files) {
        QFile plain(prefix + QLatin1String(f.path));
        QFile gzipped(prefix + QLatin1String(f.path) + QStringLiteral(".gz"));
        if (!plain.open(QIODevice::ReadOnly) || !gzipped.open(QIODevice::ReadOnly)) {
            m_files.clear();  // all or nothing: half a page is no page
            return;
        }
        File file;
        file.contentType = f.type;
        file.plain = plain.readAll();
        file.gzipped = gzipped.readAll();
        file.etag = '"' + QCryptographicHash::hash(file.plain, QCryptographicHash::Blake2b_160).toHex().left(24) + '"';
        m_files.insert(f.path, file);
    }
}

bool WebPage::serves(const QByteArray &path)
{
    if (path == "/" || path.startsWith("/assets/"))
        return true;
    // /d/<doc>: a document id ([A-Za-z0-9._-], docs/PROTOCOL.md), possibly percent-encoded by the browser.
    return path.startsWith("/d/") && path.size() > 3 && path.indexOf('/', 3) < 0;
}

QByteArray WebPage::respond(const Request &request) const
{
    const bool isHead = request.method == "HEAD";
    if (request.method != "GET" && !isHead)
        return plainText(405, "use GET", true, "Allow: GET, HEAD\r\n");
    if (!isBuilt())
        return plainText(404, "this relay was built without its web editor (Node.js and npm were missing at build "
                              "time; see docs/WEB.md)", !isHead);
    const QByteArray key = request.path.startsWith("/assets/") ? request.path : QByteArray("/index.html");
    const auto it = m_files.constFind(key);
    if (it == m_files.constEnd())
        return plainText(404, "not found", !isHead);
    const File &file = *it;
    QByteArray headers = "ETag: " + file.etag + "\r\nCache-Control: no-cache\r\nVary: Accept-Encoding\r\n"
                         + kSecurityHeaders + "Connection: close\r\n";
    if (!request.ifNoneMatch.isEmpty() && request.ifNoneMatch.contains(file.etag))
        return statusLine(304) + headers + "\r\n";
    const QByteArray &body = request.acceptsGzip ? file.gzipped : file.plain;
    if (request.acceptsGzip)
        headers += "Content-Encoding: gzip\r\n";
    return statusLine(200) + "Content-Type: " + file.contentType + "\r\nContent-Length: "
           + QByteArray::number(body.size()) + "\r\n" + headers + "\r\n" + (isHead ? QByteArray() : body);
}

} // namespace relay
