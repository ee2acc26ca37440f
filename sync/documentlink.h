// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QUrl>

#include <optional>

namespace syncing {

// DocumentLink: the forms in which people pass a document around, all naming one (relay, document) pair:
//
//   ws://host:port/doc        wss://host:port/doc        what the editor connects to (docs/PROTOCOL.md)
//   coscribe://host:port/doc  coscribes://host:port/doc  the desktop link (coscribes: TLS)
//   http://host:port/d/doc    https://host:port/d/doc    the web editor the relay serves (docs/WEB.md)
//
// Each link has its twins: fromText() reads any of them (also "host:port/doc" as typed), webUrl() and
// desktopUrl() write the others. A link never carries a token (nor a user or password: they are dropped),
// so copying one cannot leak access. Only an invite link, made when the user asks for one, does: the token in
// its fragment (coscribe://host:port/doc#token=SECRET), which a browser never sends to a server either.
class DocumentLink
{
public:
    // The relay's WebSocket URL for a link in any form; nullopt for anything else (or no document).
    static std::optional<QUrl> fromText(const QString &text);

    // For a ws:// or wss:// document URL.
    static QUrl webUrl(const QUrl &documentUrl);
    static QUrl desktopUrl(const QUrl &documentUrl);
    // desktopUrl() or webUrl() with `token` in the fragment.
    static QUrl desktopInviteUrl(const QUrl &documentUrl, const QString &token);
    static QUrl webInviteUrl(const QUrl &documentUrl, const QString &token);
    // The token an invite link carries (empty: none).
    static QString inviteToken(const QString &text);
};

} // namespace syncing
