// SPDX-License-Identifier: MIT
#pragma once

// Test helper: a throw-away self-signed certificate for localhost / 127.0.0.1, made with the `openssl`
// command line tool (Debian package openssl) in a QTemporaryDir. Header-only; used by tst_tlsconfig and
// tst_tls. Tests fail (not skip) when generation fails (no openssl on the machine), with the reason.

#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QStandardPaths>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace tlstest {

struct Certificate
{
    QString certificatePath;
    QString keyPath;
    QSslCertificate certificate;
    QString error;  // empty on success
    bool isValid() const { return error.isEmpty(); }
};

// Runs openssl with args in dir; returns an error message or an empty string.
inline QString runOpenssl(const QString &dir, const QStringList &args)
{
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty())
        return QStringLiteral("openssl not found in PATH");
    QProcess process;
    process.setWorkingDirectory(dir);
    process.start(openssl, args);
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return QStringLiteral("openssl %1 failed: %2").arg(args.join(u' '), QString::fromLocal8Bit(process.readAllStandardError()));
    return {};
}

// A P-256 key and a self-signed certificate valid for two days, with subjectAltName localhost and 127.0.0.1.
// `name` prefixes the file names so one directory can hold several.
inline Certificate generateSelfSigned(const QTemporaryDir &dir, const QString &name = QStringLiteral("relay"))
{
    Certificate result;
    result.certificatePath = dir.filePath(name + QStringLiteral("-cert.pem"));
    result.keyPath = dir.filePath(name + QStringLiteral("-key.pem"));
    result.error = runOpenssl(dir.path(),
                              {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                               QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                               QStringLiteral("-keyout"), result.keyPath, QStringLiteral("-out"), result.certificatePath,
                               QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost"),
                               QStringLiteral("-addext"), QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1")});
    if (!result.isValid())
        return result;
    const QList<QSslCertificate> certificates = QSslCertificate::fromPath(result.certificatePath);
    if (certificates.isEmpty())
        result.error = QStringLiteral("openssl wrote no readable certificate");
    else
        result.certificate = certificates.constFirst();
    return result;
}

// The same key, encrypted with a passphrase (to test the relay's refusal of encrypted keys).
inline QString writeEncryptedKey(const QTemporaryDir &dir, const Certificate &plain, QString *error)
{
    const QString path = dir.filePath(QStringLiteral("encrypted-key.pem"));
    *error = runOpenssl(dir.path(), {QStringLiteral("pkey"), QStringLiteral("-in"), plain.keyPath, QStringLiteral("-aes256"),
                                     QStringLiteral("-passout"), QStringLiteral("pass:secret"), QStringLiteral("-out"), path});
    return path;
}

} // namespace tlstest
