// SPDX-License-Identifier: MIT
#include "documentlink.h"

namespace syncing {

namespace {

// The same relay and document under another scheme and path prefix; no credentials, query or fragment.
QUrl twin(const QUrl &from, const QString &scheme, const QString &pathPrefix, const QString &document)
{
    QUrl url;
    url.setScheme(scheme);
    url.setHost(from.host());
    if (from.port() != -1)
        url.setPort(from.port());
    url.setPath(pathPrefix + document);
    return url;
}

} // namespace

std::optional<QUrl> DocumentLink::fromText(const QString &text)
{
    QString trimmed = text.trimmed();
    if (const qsizetype hash = trimmed.indexOf(u'#'); hash >= 0)
        trimmed.truncate(hash); // an invite link's token is not part of the address
    if (!trimmed.contains(QStringLiteral("://")))
        trimmed.prepend(QStringLiteral("ws://"));
    const QUrl url(trimmed, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return std::nullopt;
    const QString scheme = url.scheme().toLower();
    QString path = url.path();
    const bool secure = scheme == u"wss" || scheme == u"coscribes" || scheme == u"https";
    if (scheme == u"http" || scheme == u"https") {
        if (!path.startsWith(QStringLiteral("/d/")))
            return std::nullopt;
        path = path.mid(2);
    } else if (scheme != u"ws" && scheme != u"coscribe" && !secure) {
        return std::nullopt;
    }
    const QString document = path.mid(1);
    if (!path.startsWith(u'/') || document.isEmpty() || document.contains(u'/'))
        return std::nullopt;
    return twin(url, secure ? QStringLiteral("wss") : QStringLiteral("ws"), QStringLiteral("/"), document);
}

QUrl DocumentLink::webUrl(const QUrl &documentUrl)
{
    const bool secure = documentUrl.scheme() == u"wss";
    return twin(documentUrl, secure ? QStringLiteral("https") : QStringLiteral("http"), QStringLiteral("/d/"),
                documentUrl.path().mid(1));
}

QUrl DocumentLink::desktopUrl(const QUrl &documentUrl)
{
    const bool secure = documentUrl.scheme() == u"wss";
    return twin(documentUrl, secure ? QStringLiteral("coscribes") : QStringLiteral("coscribe"), QStringLiteral("/"),
                documentUrl.path().mid(1));
}

namespace {

QUrl withToken(QUrl url, const QString &token)
{
    url.setFragment(QStringLiteral("token=") + QString::fromLatin1(QUrl::toPercentEncoding(token)), QUrl::StrictMode);
    return url;
}

} // namespace

QUrl DocumentLink::desktopInviteUrl(const QUrl &documentUrl, const QString &token)
{
    return withToken(desktopUrl(documentUrl), token);
}

QUrl DocumentLink::webInviteUrl(const QUrl &documentUrl, const QString &token)
{
    return withToken(webUrl(documentUrl), token);
}

QString DocumentLink::inviteToken(const QString &text)
{
    const QString fragment = QUrl(text.trimmed()).fragment(QUrl::FullyEncoded);
    if (!fragment.startsWith(QStringLiteral("token=")))
        return {};
    return QUrl::fromPercentEncoding(fragment.mid(6).toLatin1());
}

} // namespace syncing
