// SPDX-License-Identifier: MIT
#pragma once

#include <message.h>

#include <QByteArray>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringView>

#include <optional>
#include <variant>
#include <vector>

// TokenStore: who may do what, read from the tokens file (--tokens). Immutable once loaded.
//
// File format (UTF-8 text, one token per line; blank lines and lines starting with # are ignored):
//
//     # TOKEN                              USER    GRANT...
//     3f9c1a7e0b5d4c2a9e8f7a6b5c4d3e2f     alice   admin:*
//     c0ffee00c0ffee00c0ffee00c0ffee00     bob     read:private/* write:*
//     8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a     ci-bot  read:reports-??
//
//   TOKEN  the secret a client presents in its hello: at least 16 characters from A-Z a-z 0-9 . _ ~ + / = -
//          (`openssl rand -hex 24` makes a good one), or only its digest, `sha256:` and 64 hex digits of the
//          SHA-256 of the token's UTF-8 (what `coscribe-relay token add` writes: the file then holds no
//          secret). Each token appears once.
//   USER   the name shown to other participants and in logs: 1-64 characters from A-Z a-z 0-9 . _ @ -
//          (several tokens may share a user, e.g. one per device).
//   GRANT  ROLE:PATTERN, at least one. ROLE is read, write or admin (read < write < admin: write includes
//          read, admin includes write plus create/rename/delete). PATTERN is a glob over the whole document id:
//          `*` any run of characters (including `/`), `?` exactly one character, everything else literal.
//          The FIRST grant whose pattern matches the document id decides the role, so put narrow patterns
//          first: `read:private/* write:*` gives bob read-only access under private/ and write elsewhere.
//          A document no grant matches is invisible to that token.
//
// Security properties:
//   - Only SHA-256 digests of tokens are kept in memory; lookups hash the presented token and compare it with
//     every stored digest in constant time, without early exit, so timing reveals neither which token nor how
//     much of one matched.
//   - No token text ever appears in an error message, log line or debug output. Use redact() to name a token
//     in logs: "token:1a2b3c4d5e6f" (a prefix of its digest: stable for correlating, useless to an attacker).
namespace relay {

class TokenStore
{
public:
    using Role = collab::Role; // read < write < admin

    struct Grant
    {
        Role role = Role::Read;
        QString pattern;
        QRegularExpression regex;
    };

    // What a valid token resolves to.
    struct Account
    {
        QString user;
        QString tokenId;  // redacted form of the token, for logs
        QByteArray digest;  // SHA-256 of the token: finds the account again in a reloaded file
        QList<Grant> grants;

        // The role on one document, or nullopt if no grant matches (no access at all).
        std::optional<Role> roleFor(const QString &documentId) const;
        // Same user and the same grants in the same order (a reload that changed nothing for it).
        bool sameAccess(const Account &other) const;
    };

    struct Identity
    {
        QString user;
        Role role = Role::Read;
    };

    TokenStore() = default;  // empty: every lookup fails

    // Errors name the file and line, never a token.
    static std::variant<TokenStore, QString> load(const QString &path);
    static std::variant<TokenStore, QString> parse(const QByteArray &text, const QString &source);

    // The account for a token (at hello time, before any document is named).
    std::optional<Account> authenticate(QStringView token) const;
    // The account a token with this SHA-256 digest has in this store (after a reload: is it still there?).
    std::optional<Account> accountForDigest(const QByteArray &digest) const;
    // The user and role for a token on one document; nullopt for an unknown token or no matching grant.
    std::optional<Identity> lookup(QStringView token, const QString &documentId) const;

    qsizetype size() const { return qsizetype(m_entries.size()); }
    bool isEmpty() const { return m_entries.empty(); }

    static QString redact(QStringView token);
    // redact() for a token known only by its SHA-256 digest (a `sha256:` line).
    static QString idForDigest(const QByteArray &digest);
    // The TOKEN field that stores only the token's digest ("sha256:" and 64 hex digits): a file of those
    // holds no secret (`coscribe-relay token add` writes it; server/tokencommand.h).
    static QString digestPrefix() { return QStringLiteral("sha256:"); }
    static QString digestLine(QStringView token);
    // A new random token (64 hex digits from the system's random source).
    static QString newToken();
    // Glob (see above) to an anchored regular expression.
    static QRegularExpression patternToRegex(const QString &pattern);

    static constexpr qsizetype minimumTokenLength = 16;

private:
    struct Entry
    {
        QByteArray digest;  // SHA-256 of the token's UTF-8 bytes
        Account account;
    };
    std::vector<Entry> m_entries;
};

} // namespace relay
