// SPDX-License-Identifier: MIT
#include "tokenstore.h"

#include <QCryptographicHash>
#include <QFile>
#include <QRandomGenerator>

#include <algorithm>

namespace relay {

namespace {

QByteArray digestOf(QStringView token)
{
    return QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
}

// Compare two equal-length digests without branching on their contents.
bool constantTimeEqual(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

bool isTokenChar(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '.' || u == '_'
        || u == '~' || u == '+' || u == '/' || u == '=' || u == '-';
}

bool isUserChar(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '.' || u == '_'
        || u == '@' || u == '-';
}

} // namespace

std::optional<TokenStore::Role> TokenStore::Account::roleFor(const QString &documentId) const
{
    for (const Grant &grant : grants)
        if (grant.regex.match(documentId).hasMatch())
            return grant.role;
    return std::nullopt;
}

QRegularExpression TokenStore::patternToRegex(const QString &pattern)
{
    QString re;
    re.reserve(pattern.size() * 2 + 8);
    for (const QChar c : pattern) {
        if (c == u'*')
            re += QStringLiteral(".*");
        else if (c == u'?')
            re += u'.';
        else
            re += QRegularExpression::escape(QString(c));
    }
    return QRegularExpression(QRegularExpression::anchoredPattern(re),
                              QRegularExpression::DotMatchesEverythingOption);
}

QString TokenStore::redact(QStringView token)
{
    return idForDigest(digestOf(token));
}

QString TokenStore::idForDigest(const QByteArray &digest)
{
    return QStringLiteral("token:") + QString::fromLatin1(digest.toHex().left(12));
}

std::variant<TokenStore, QString> TokenStore::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read tokens file %1: %2").arg(path, file.errorString());
    return parse(file.readAll(), path);
}

std::variant<TokenStore, QString> TokenStore::parse(const QByteArray &text, const QString &source)
{
    TokenStore store;
    const QString content = QString::fromUtf8(text);
    const QStringList lines = content.split(u'\n');
    for (qsizetype index = 0; index < lines.size(); ++index) {
        const QString line = lines.at(index).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const QString where = QStringLiteral("%1:%2").arg(source).arg(index + 1);
        const QStringList fields = line.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
        if (fields.size() < 3)
            return QStringLiteral("%1: expected TOKEN USER ROLE:PATTERN [ROLE:PATTERN ...]").arg(where);

        const QString &token = fields.at(0);
        // A stored digest instead of the secret (what `coscribe-relay token add` writes).
        const bool hashed = token.startsWith(digestPrefix());
        QByteArray storedDigest;
        if (hashed) {
            const QByteArray hex = token.mid(digestPrefix().size()).toLatin1();
            storedDigest = QByteArray::fromHex(hex);
            if (hex.size() != 64 || storedDigest.size() != 32 || storedDigest.toHex() != hex.toLower())
                return QStringLiteral("%1: %2 must be followed by 64 hexadecimal digits (a SHA-256 digest)")
                    .arg(where, digestPrefix());
        } else if (token.size() < minimumTokenLength)
            return QStringLiteral("%1: token is too short (%2 characters; at least %3 are required)")
                .arg(where).arg(token.size()).arg(minimumTokenLength);
        if (!hashed && !std::all_of(token.begin(), token.end(), isTokenChar))
            return QStringLiteral("%1: token contains a character outside A-Z a-z 0-9 . _ ~ + / = -").arg(where);

        const QString &user = fields.at(1);
        if (user.size() > 64 || !std::all_of(user.begin(), user.end(), isUserChar))
            return QStringLiteral("%1: user name '%2' must be 1-64 characters from A-Z a-z 0-9 . _ @ -")
                .arg(where, user.left(64));

        Entry entry;
        entry.digest = hashed ? storedDigest : digestOf(token);
        for (const Entry &existing : store.m_entries)
            if (existing.digest == entry.digest)
                return QStringLiteral("%1: duplicate token (already given to user %2)")
                    .arg(where, existing.account.user);
        entry.account.user = user;
        entry.account.tokenId = idForDigest(entry.digest);
        entry.account.digest = entry.digest;
        for (qsizetype f = 2; f < fields.size(); ++f) {
            const QString &grantText = fields.at(f);
            const qsizetype colon = grantText.indexOf(u':');
            const auto role = colon > 0 ? collab::roleFromName(QStringView(grantText).left(colon)) : std::nullopt;
            const QString pattern = colon > 0 ? grantText.mid(colon + 1) : QString();
            if (!role || pattern.isEmpty())
                return QStringLiteral("%1: grant '%2' must be ROLE:PATTERN with ROLE read, write or admin")
                    .arg(where, grantText);
            entry.account.grants.append(Grant{*role, pattern, patternToRegex(pattern)});
        }
        store.m_entries.push_back(std::move(entry));
    }
    return store;
}

std::optional<TokenStore::Account> TokenStore::authenticate(QStringView token) const
{
    const QByteArray digest = digestOf(token);
    const Entry *found = nullptr;
    for (const Entry &entry : m_entries)  // no early exit: time does not depend on the position of a match
        if (constantTimeEqual(entry.digest, digest))
            found = &entry;
    if (!found)
        return std::nullopt;
    return found->account;
}

std::optional<TokenStore::Account> TokenStore::accountForDigest(const QByteArray &digest) const
{
    const Entry *found = nullptr;
    for (const Entry &entry : m_entries)
        if (constantTimeEqual(entry.digest, digest))
            found = &entry;
    return found ? std::optional(found->account) : std::nullopt;
}

QString TokenStore::digestLine(QStringView token)
{
    return digestPrefix() + QString::fromLatin1(digestOf(token).toHex());
}

QString TokenStore::newToken()
{
    // 32 bytes from the system's random source, as 64 hex digits (within the token alphabet).
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(bytes.begin(), bytes.end());
    return QString::fromLatin1(bytes.toHex());
}

bool TokenStore::Account::sameAccess(const Account &other) const
{
    if (user != other.user || grants.size() != other.grants.size())
        return false;
    for (qsizetype i = 0; i < grants.size(); ++i)
        if (grants.at(i).role != other.grants.at(i).role || grants.at(i).pattern != other.grants.at(i).pattern)
            return false;
    return true;
}

std::optional<TokenStore::Identity> TokenStore::lookup(QStringView token, const QString &documentId) const
{
    const auto account = authenticate(token);
    if (!account)
        return std::nullopt;
    const auto role = account->roleFor(documentId);
    if (!role)
        return std::nullopt;
    return Identity{account->user, *role};
}

} // namespace relay
