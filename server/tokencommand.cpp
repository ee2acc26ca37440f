// SPDX-License-Identifier: MIT
#include "tokencommand.h"

#include "tokenstore.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

namespace relay {

namespace {

const char *const kUsage =
    "usage: coscribe-relay token add USER ROLE:PATTERN... [--tokens FILE]\n"
    "       coscribe-relay token list [--tokens FILE]\n"
    "       coscribe-relay token revoke TOKEN-ID|USER [--tokens FILE]\n"
    "FILE defaults to $COSCRIBE_RELAY_TOKENS. ROLE is read, write or admin; PATTERN a glob over document ids\n"
    "(docs/SELF-HOSTING.md, \"Tokens and roles\").";

QStringList fieldsOf(const QString &line)
{
    return line.trimmed().split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
}

bool isTokenLine(const QString &line)
{
    const QString t = line.trimmed();
    return !t.isEmpty() && !t.startsWith(u'#');
}

// The id `token list` shows for a line's TOKEN field, stored as a digest or (older files) as the secret.
QString idOf(const QString &tokenField)
{
    if (tokenField.startsWith(TokenStore::digestPrefix()))
        return TokenStore::idForDigest(QByteArray::fromHex(tokenField.mid(TokenStore::digestPrefix().size()).toLatin1()));
    return TokenStore::redact(tokenField);
}

bool write(const QString &path, const QString &content, QTextStream &err)
{
    const bool existed = QFileInfo::exists(path);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        err << "cannot write " << path << ": " << file.errorString() << "\n";
        return false;
    }
    file.write(content.toUtf8());
    if (!file.commit()) {
        err << "cannot write " << path << ": " << file.errorString() << "\n";
        return false;
    }
    if (!existed)
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

} // namespace

int TokenCommand::run(const QStringList &arguments, const QProcessEnvironment &environment, QTextStream &out,
                      QTextStream &err)
{
    QStringList args = arguments;
    QString path = environment.value(QStringLiteral("COSCRIBE_RELAY_TOKENS"));
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args.at(i) == u"--tokens" && i + 1 < args.size()) {
            path = args.at(i + 1);
            args.remove(i, 2);
            --i;
        } else if (args.at(i).startsWith(QStringLiteral("--tokens="))) {
            path = args.at(i).mid(9);
            args.remove(i);
            --i;
        }
    }
    if (args.isEmpty() || path.isEmpty()) {
        err << kUsage << "\n";
        return 2;
    }
    const QString verb = args.takeFirst();

    QString content;
    {
        QFile file(path);
        if (file.exists()) {
            if (!file.open(QIODevice::ReadOnly)) {
                err << "cannot read " << path << ": " << file.errorString() << "\n";
                return 1;
            }
            content = QString::fromUtf8(file.readAll());
        } else if (verb != u"add") {
            err << "no tokens file at " << path << "\n";
            return 1;
        }
    }
    // The file as it is must be valid: a change is never made on top of a broken file.
    if (auto current = TokenStore::parse(content.toUtf8(), path); std::holds_alternative<QString>(current)) {
        err << std::get<QString>(current) << "\n";
        return 1;
    }

    if (verb == u"list") {
        if (!args.isEmpty()) {
            err << kUsage << "\n";
            return 2;
        }
        for (const QString &line : content.split(u'\n')) {
            if (!isTokenLine(line))
                continue;
            const QStringList f = fieldsOf(line);
            out << idOf(f.at(0)) << "  " << f.at(1) << "  " << f.mid(2).join(u' ');
            if (!f.at(0).startsWith(TokenStore::digestPrefix()))
                out << "  (the secret is stored in the file: revoke and add it again to keep only its digest)";
            out << "\n";
        }
        return 0;
    }

    if (verb == u"add") {
        if (args.size() < 2) {
            err << kUsage << "\n";
            return 2;
        }
        const QString user = args.takeFirst();
        const QString token = TokenStore::newToken();
        QString next = content;
        if (!next.isEmpty() && !next.endsWith(u'\n'))
            next += u'\n';
        if (next.isEmpty())
            next = QStringLiteral("# Coscribe relay tokens (docs/SELF-HOSTING.md): TOKEN-or-sha256:DIGEST USER "
                                  "ROLE:PATTERN...\n");
        next += QStringLiteral("# %1, added %2\n%3 %1 %4\n")
                    .arg(user, QDateTime::currentDateTimeUtc().toString(Qt::ISODate), TokenStore::digestLine(token),
                         args.join(u' '));
        if (auto checked = TokenStore::parse(next.toUtf8(), path); std::holds_alternative<QString>(checked)) {
            err << std::get<QString>(checked) << "\n";
            return 2;
        }
        if (!write(path, next, err))
            return 1;
        out << "token for " << user << " (" << TokenStore::redact(token) << "):\n" << token << "\n"
            << "It is shown only now: give it to " << user << ". " << path << " keeps only its digest; a running "
            << "relay picks it up by itself.\n";
        return 0;
    }

    if (verb == u"revoke") {
        if (args.size() != 1) {
            err << kUsage << "\n";
            return 2;
        }
        QString wanted = args.first();
        const bool byId = wanted.startsWith(QStringLiteral("token:"));
        if (byId && wanted.size() < 6 + 6) {
            err << "give at least 6 digits of the id (as `token list` shows it)\n";
            return 2;
        }
        QStringList kept;
        QStringList revoked;
        const QStringList lines = content.split(u'\n');
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const QString &line = lines.at(i);
            if (isTokenLine(line)) {
                const QStringList f = fieldsOf(line);
                const bool match = byId ? idOf(f.at(0)).startsWith(wanted.toLower()) : f.at(1) == wanted;
                if (match) {
                    revoked << idOf(f.at(0)) + QStringLiteral("  ") + f.at(1);
                    // The comment `token add` wrote just above it goes too.
                    if (!kept.isEmpty() && kept.constLast().startsWith(QStringLiteral("# ") + f.at(1) + u','))
                        kept.removeLast();
                    continue;
                }
            }
            kept << line;
        }
        if (revoked.isEmpty()) {
            err << "no token matches " << wanted << " (see `coscribe-relay token list`)\n";
            return 1;
        }
        if (!write(path, kept.join(u'\n'), err))
            return 1;
        for (const QString &r : revoked)
            out << "revoked " << r << "\n";
        out << "A running relay closes their connections when it reloads the file (by itself, or on SIGHUP).\n";
        return 0;
    }

    err << kUsage << "\n";
    return 2;
}

} // namespace relay
