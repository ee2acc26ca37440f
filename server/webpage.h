// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace relay {

// WebPage: the browser editor (web/, docs/WEB.md) as the relay serves it on its own port: `/` (the document
// list) and `/d/<doc>` give the page, `/assets/app.js` and `/assets/app.css` its code. The files are Qt
// resources under :/web/ compiled into the relay when the build had Node.js (web/CMakeLists.txt); a relay
// built without answers those paths with 404 and says why.
//
// Each file is kept as built and gzipped; a browser that accepts gzip gets the gzipped bytes. Every response
// carries an ETag (a digest of the bytes) and Cache-Control: no-cache, so a reload costs a 304 and a new
// relay version is picked up at once, and a Content-Security-Policy that lets the page load only its own code
// and connect only to its own origin.
class WebPage
{
public:
    struct Request
    {
        QByteArray method;
        QByteArray path;
        bool acceptsGzip = false;
        QByteArray ifNoneMatch;
    };

    // Loads the files from the resources under `prefix`.
    explicit WebPage(const QString &prefix = QStringLiteral(":/web"));

    bool isBuilt() const { return !m_files.isEmpty(); }
    // Whether `path` is one of the page's: "/", "/d/<doc>", "/assets/...".
    static bool serves(const QByteArray &path);
    // The complete HTTP response for a request to a path serves() accepts.
    QByteArray respond(const Request &request) const;

private:
    struct File
    {
        QByteArray contentType;
        QByteArray plain;
        QByteArray gzipped;
        QByteArray etag;
    };
    QHash<QByteArray, File> m_files;  // by URL path: "/index.html", "/assets/app.js", ...
};

} // namespace relay
