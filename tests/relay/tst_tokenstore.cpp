// SPDX-License-Identifier: MIT
#include "tokenstore.h"

#include <QTemporaryDir>
#include <QtTest>

using relay::TokenStore;
using Role = TokenStore::Role;

namespace {

const QByteArray kTokens =
    "# Coscribe tokens\n"
    "\n"
    "alice-token-0123456789   alice   admin:*\n"
    "bob-token-0123456789abc  bob     read:private/* write:*\n"
    "   carol-token-012345678 carol   write:team/*   read:team-??  \r\n"
    "dave-token-0123456789aa  dave    read:notes.txt\n";

TokenStore store()
{
    auto parsed = TokenStore::parse(kTokens, QStringLiteral("tokens"));
    if (auto *error = std::get_if<QString>(&parsed))
        qFatal("%s", qPrintable(*error));
    return std::get<TokenStore>(std::move(parsed));
}

} // namespace

class tst_TokenStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rolesPerPattern_data()
    {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("document");
        QTest::addColumn<QString>("expectedUser");  // empty: no access
        QTest::addColumn<int>("expectedRole");

        QTest::newRow("admin everywhere") << "alice-token-0123456789" << "anything" << "alice" << int(Role::Admin);
        QTest::newRow("star crosses slash") << "alice-token-0123456789" << "a/b/c" << "alice" << int(Role::Admin);
        QTest::newRow("first grant wins: read") << "bob-token-0123456789abc" << "private/diary" << "bob"
                                                << int(Role::Read);
        QTest::newRow("first grant wins: write") << "bob-token-0123456789abc" << "public" << "bob" << int(Role::Write);
        QTest::newRow("prefix is not enough") << "bob-token-0123456789abc" << "private" << "bob" << int(Role::Write);
        QTest::newRow("write under team/") << "carol-token-012345678" << "team/plan" << "carol" << int(Role::Write);
        QTest::newRow("? is one character") << "carol-token-012345678" << "team-42" << "carol" << int(Role::Read);
        QTest::newRow("? is not two") << "carol-token-012345678" << "team-123" << "" << 0;
        QTest::newRow("no grant matches") << "carol-token-012345678" << "other" << "" << 0;
        QTest::newRow("dot is literal") << "dave-token-0123456789aa" << "notes.txt" << "dave" << int(Role::Read);
        QTest::newRow("dot is not a wildcard") << "dave-token-0123456789aa" << "notesXtxt" << "" << 0;
        QTest::newRow("unknown token") << "mallory-token-0123456789" << "anything" << "" << 0;
        QTest::newRow("prefix of a token") << "alice-token-012345678" << "anything" << "" << 0;
        QTest::newRow("token plus suffix") << "alice-token-01234567890" << "anything" << "" << 0;
        QTest::newRow("empty token") << "" << "anything" << "" << 0;
    }

    void rolesPerPattern()
    {
        QFETCH(QString, token);
        QFETCH(QString, document);
        QFETCH(QString, expectedUser);
        QFETCH(int, expectedRole);
        const TokenStore tokens = store();
        const auto identity = tokens.lookup(token, document);
        if (expectedUser.isEmpty()) {
            QVERIFY(!identity);
            return;
        }
        QVERIFY(identity);
        QCOMPARE(identity->user, expectedUser);
        QCOMPARE(int(identity->role), expectedRole);
    }

    void authenticateWithoutDocument()
    {
        const TokenStore tokens = store();
        QCOMPARE(tokens.size(), 4);
        const auto account = tokens.authenticate(u"bob-token-0123456789abc");
        QVERIFY(account);
        QCOMPARE(account->user, QStringLiteral("bob"));
        QCOMPARE(account->grants.size(), 2);
        QCOMPARE(account->roleFor(QStringLiteral("private/x")), std::optional<Role>(Role::Read));
        QVERIFY(!tokens.authenticate(u"nobody-0123456789abcdef"));
        QVERIFY(!TokenStore().authenticate(u"alice-token-0123456789"));
    }

    void roleOrdering()
    {
        QVERIFY(Role::Read < Role::Write);
        QVERIFY(Role::Write < Role::Admin);
        for (Role role : {Role::Read, Role::Write, Role::Admin})
            QCOMPARE(collab::roleFromName(collab::roleName(role)), std::optional<Role>(role));
        QVERIFY(!collab::roleFromName(u"owner"));
    }

    void redaction()
    {
        const QString token = QStringLiteral("alice-token-0123456789");
        const QString redacted = TokenStore::redact(token);
        QVERIFY(redacted.startsWith(QStringLiteral("token:")));
        QCOMPARE(redacted.size(), 6 + 12);
        QVERIFY(!redacted.contains(QStringLiteral("alice")));
        QVERIFY(!redacted.contains(QStringLiteral("0123")));
        QCOMPARE(TokenStore::redact(token), redacted);  // stable, for correlating log lines
        QVERIFY(TokenStore::redact(QStringLiteral("bob-token-0123456789abc")) != redacted);
        QCOMPARE(store().authenticate(token)->tokenId, redacted);
    }

    // Every error names file:line and never echoes the secret.
    // A line may hold the token's digest instead of the token (`coscribe-relay token add`): the token still
    // authenticates, the digest itself does not, and a digest and its plain token are one token.
    void digestLines()
    {
        const QString secret = QStringLiteral("a-secret-only-ada-knows-0123456789");
        const QByteArray text = (TokenStore::digestLine(secret) + QStringLiteral(" ada write:*\n")).toUtf8();
        const auto parsed = TokenStore::parse(text, QStringLiteral("tokens"));
        QVERIFY(std::holds_alternative<TokenStore>(parsed));
        const TokenStore &store = std::get<TokenStore>(parsed);
        const auto account = store.authenticate(secret);
        QVERIFY(account);
        QCOMPARE(account->user, QStringLiteral("ada"));
        QCOMPARE(account->tokenId, TokenStore::redact(secret));
        QVERIFY(!store.authenticate(TokenStore::digestLine(secret)));
        QVERIFY(store.accountForDigest(account->digest));
        const auto both = TokenStore::parse(text + secret.toUtf8() + " eve read:*\n", QStringLiteral("tokens"));
        QVERIFY(std::holds_alternative<QString>(both));
        QVERIFY(std::get<QString>(both).contains(QStringLiteral("duplicate token")));
    }

    void parseErrors_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("needle");
        QTest::addColumn<QString>("secret");
        QTest::newRow("missing grants") << QByteArray("secret-value-0123456789 alice\n") << "tokens:1: expected TOKEN USER"
                                        << "secret-value-0123456789";
        QTest::newRow("short token") << QByteArray("# c\nshortsecret alice read:*\n")
                                     << "tokens:2: token is too short (11 characters" << "shortsecret";
        QTest::newRow("bad token char") << QByteArray("secret\"value\"0123456789 alice read:*\n")
                                        << "tokens:1: token contains a character" << "secret\"value";
        QTest::newRow("bad role") << QByteArray("secret-value-0123456789 alice owner:*\n")
                                  << "tokens:1: grant 'owner:*' must be ROLE:PATTERN" << "secret-value-0123456789";
        QTest::newRow("empty pattern") << QByteArray("secret-value-0123456789 alice read:\n") << "grant 'read:'"
                                       << "secret-value-0123456789";
        QTest::newRow("bad user") << QByteArray("secret-value-0123456789 al!ce read:*\n") << "user name 'al!ce'"
                                  << "secret-value-0123456789";
        QTest::newRow("short digest") << QByteArray("sha256:0123abcd alice read:*\n") << "tokens:1: sha256: must be followed by 64"
                                      << "sha256:0123abcd";
        QTest::newRow("digest not hex") << QByteArray("sha256:") + QByteArray(64, 'g') + " alice read:*\n"
                                        << "tokens:1: sha256: must be followed by 64" << QString(64, u'g');
        QTest::newRow("duplicate") << QByteArray("secret-value-0123456789 alice read:*\n"
                                                 "secret-value-0123456789 bob write:*\n")
                                   << "tokens:2: duplicate token (already given to user alice)"
                                   << "secret-value-0123456789";
    }

    void parseErrors()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, needle);
        QFETCH(QString, secret);
        const auto parsed = TokenStore::parse(text, QStringLiteral("tokens"));
        QVERIFY(std::holds_alternative<QString>(parsed));
        const QString error = std::get<QString>(parsed);
        QVERIFY2(error.contains(needle), qPrintable(error));
        QVERIFY2(!error.contains(secret), qPrintable(error));
    }

    void loadFromFile()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("tokens"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(kTokens);
        file.close();
        const auto loaded = TokenStore::load(path);
        QVERIFY(std::holds_alternative<TokenStore>(loaded));
        QCOMPARE(std::get<TokenStore>(loaded).size(), 4);
        const auto missing = TokenStore::load(dir.filePath(QStringLiteral("absent")));
        QVERIFY(std::holds_alternative<QString>(missing));
        QVERIFY(std::get<QString>(missing).contains(QStringLiteral("cannot read tokens file")));
    }

    void emptyFileIsEmptyStore()
    {
        const auto parsed = TokenStore::parse("# nobody yet\n", QStringLiteral("tokens"));
        QVERIFY(std::holds_alternative<TokenStore>(parsed));
        QVERIFY(std::get<TokenStore>(parsed).isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_TokenStore)
#include "tst_tokenstore.moc"
