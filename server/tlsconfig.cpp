// SPDX-License-Identifier: MIT
#include "tlsconfig.h"

#include <QDateTime>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

namespace relay {

bool TlsConfig::isAvailable(QString *why)
{
    if (QSslSocket::supportsSsl())
        return true;
    if (why)
        *why = QStringLiteral("this Qt build has no working TLS backend (is libssl installed? build-time: %1)")
                   .arg(QSslSocket::sslLibraryBuildVersionString());
    return false;
}

std::variant<QSslConfiguration, QString> TlsConfig::load(const QString &certificatePath, const QString &keyPath)
{
    QString why;
    if (!isAvailable(&why))
        return why;

    QFile certFile(certificatePath);
    if (!certFile.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read TLS certificate %1: %2").arg(certificatePath, certFile.errorString());
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
    if (chain.isEmpty() || chain.constFirst().isNull())
        return QStringLiteral("TLS certificate %1 contains no PEM certificate (expected -----BEGIN CERTIFICATE-----)")
            .arg(certificatePath);
    const QSslCertificate &leaf = chain.constFirst();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (leaf.expiryDate().isValid() && leaf.expiryDate() < now)
        return QStringLiteral("TLS certificate %1 expired on %2").arg(certificatePath, leaf.expiryDate().toString(Qt::ISODate));
    if (leaf.effectiveDate().isValid() && leaf.effectiveDate() > now)
        return QStringLiteral("TLS certificate %1 is not valid before %2")
            .arg(certificatePath, leaf.effectiveDate().toString(Qt::ISODate));

    QFile keyFile(keyPath);
    if (!keyFile.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read TLS key %1: %2").arg(keyPath, keyFile.errorString());
    const QByteArray keyPem = keyFile.readAll();
    if (keyPem.contains("ENCRYPTED"))
        return QStringLiteral("TLS key %1 is encrypted with a passphrase; the relay needs an unencrypted key "
                              "(openssl pkey -in %1 -out plain.key), readable only by the relay's user")
            .arg(keyPath);
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull())
        return QStringLiteral("TLS key %1 is not a PEM RSA or EC private key").arg(keyPath);
    if (leaf.publicKey().algorithm() != key.algorithm())
        return QStringLiteral("TLS key %1 does not belong to certificate %2 (different key types)")
            .arg(keyPath, certificatePath);

    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);  // clients authenticate with tokens, not certs
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    return configuration;
}

} // namespace relay
