// SPDX-License-Identifier: MIT
#pragma once

// PgCluster: a throwaway PostgreSQL cluster for tests. initdb into a temporary directory, start it with
// pg_ctl on a free loopback port (TCP on 127.0.0.1 only, its Unix socket inside the directory), create a
// database, and stop and remove everything in the destructor.
//
// PostgreSQL refuses to run as root: when the test runs as root, the cluster runs as the `postgres` system
// user (created by Debian's package), which then owns the directory.

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QStringList>
#include <QTcpServer>
#include <QTemporaryDir>

#include <optional>
#include <unistd.h>

namespace testutil {

class PgCluster
{
public:
    PgCluster() = default;
    PgCluster(const PgCluster &) = delete;
    PgCluster &operator=(const PgCluster &) = delete;
    ~PgCluster() { stop(); }

    // Directory of the PostgreSQL server binaries (initdb, pg_ctl), or empty when none is installed.
    static QString binDir()
    {
        const QByteArray env = qgetenv("COSCRIBE_PG_BINDIR");
        if (!env.isEmpty())
            return QString::fromLocal8Bit(env);
        const QDir base(QStringLiteral("/usr/lib/postgresql"));
        QStringList versions = base.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        for (auto it = versions.crbegin(); it != versions.crend(); ++it) {
            const QString dir = base.filePath(*it + QStringLiteral("/bin"));
            if (QFile::exists(dir + QStringLiteral("/initdb")))
                return dir;
        }
        return {};
    }

    // Start the cluster; on failure returns false and sets *error to what went wrong (with the log).
    bool start(QString *error)
    {
        m_bin = binDir();
        if (m_bin.isEmpty()) {
            *error = QStringLiteral("no PostgreSQL server binaries (install Debian's postgresql)");
            return false;
        }
        m_dir.emplace(QDir::tempPath() + QStringLiteral("/coscribe-pg-XXXXXX"));
        if (!m_dir->isValid()) {
            *error = QStringLiteral("cannot create a temporary directory");
            return false;
        }
        m_asPostgres = (::geteuid() == 0);
        if (m_asPostgres && !run(QStringLiteral("chown"), {QStringLiteral("postgres:postgres"), m_dir->path()}, error))
            return false;

        const QString data = m_dir->filePath(QStringLiteral("data"));
        if (!runPg(QStringLiteral("initdb"),
                   {QStringLiteral("-D"), data, QStringLiteral("-U"), user(), QStringLiteral("--auth=trust"),
                    QStringLiteral("--no-sync"), QStringLiteral("-E"), QStringLiteral("UTF8"),
                    QStringLiteral("--locale=C")},
                   error))
            return false;

        m_port = freePort();
        if (!startServer(error))
            return false;
        if (!runPg(QStringLiteral("createdb"),
                   {QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(m_port),
                    QStringLiteral("-U"), user(), database()},
                   error))
            return false;
        return true;
    }

    // Start the server of an initialised cluster again after stopServer(): same data directory and port.
    bool startServer(QString *error)
    {
        const QString options = QStringLiteral("-c listen_addresses=127.0.0.1 -c port=%1 -c unix_socket_directories=%2 "
                                               "-c fsync=off -c max_connections=200")
                                    .arg(m_port)
                                    .arg(m_dir->path());
        const QString log = m_dir->filePath(QStringLiteral("server.log"));
        if (!runPg(QStringLiteral("pg_ctl"),
                   {QStringLiteral("-D"), m_dir->filePath(QStringLiteral("data")), QStringLiteral("-l"), log,
                    QStringLiteral("-o"), options, QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("60"),
                    QStringLiteral("start")},
                   error)) {
            QFile f(log);
            if (f.open(QIODevice::ReadOnly))
                *error += QStringLiteral("\nserver log:\n") + QString::fromLocal8Bit(f.readAll());
            return false;
        }
        m_running = true;
        return true;
    }

    // Stop the server, keeping the cluster: `mode` is pg_ctl's -m (smart, fast: disconnect clients and shut
    // down cleanly; immediate: like a crash, recovery at the next start).
    bool stopServer(const QString &mode, QString *error)
    {
        if (!m_running) {
            *error = QStringLiteral("the server is not running");
            return false;
        }
        if (!runPg(QStringLiteral("pg_ctl"),
                   {QStringLiteral("-D"), m_dir->filePath(QStringLiteral("data")), QStringLiteral("-m"), mode,
                    QStringLiteral("-w"), QStringLiteral("stop")},
                   error))
            return false;
        m_running = false;
        return true;
    }

    void stop()
    {
        if (m_running) {
            QString ignored;
            runPg(QStringLiteral("pg_ctl"),
                  {QStringLiteral("-D"), m_dir->filePath(QStringLiteral("data")), QStringLiteral("-m"),
                   QStringLiteral("immediate"), QStringLiteral("-w"), QStringLiteral("stop")},
                  &ignored);
            m_running = false;
        }
        m_dir.reset();
    }

    bool isRunning() const { return m_running; }
    quint16 port() const { return m_port; }
    static QString user() { return QStringLiteral("coscribe"); }
    static QString database() { return QStringLiteral("coscribe"); }
    // The relay's --database form.
    QString url() const
    {
        return QStringLiteral("postgresql://%1@127.0.0.1:%2/%3").arg(user()).arg(m_port).arg(database());
    }

    // A new empty database `name` (an SQL identifier: CREATE DATABASE takes no parameters) in this cluster,
    // owned by user(); false with *error on failure.
    bool createDatabase(const QString &name, QString *error) const
    {
        const QString connection = QStringLiteral("pgcluster-admin");
        bool ok = false;
        {
            QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
            admin.setHostName(QStringLiteral("127.0.0.1"));
            admin.setPort(m_port);
            admin.setUserName(user());
            admin.setDatabaseName(database());
            ok = admin.open();
            if (ok) {
                QSqlQuery q(admin);
                ok = q.exec(QStringLiteral("CREATE DATABASE %1").arg(name));
                if (!ok)
                    *error = q.lastError().text();
            } else {
                *error = admin.lastError().text();
            }
            admin.close();
        }
        QSqlDatabase::removeDatabase(connection);
        return ok;
    }

private:
    static quint16 freePort()
    {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return probe.serverPort();
    }

    bool runPg(const QString &tool, const QStringList &args, QString *error)
    {
        const QString program = m_bin + QLatin1Char('/') + tool;
        if (m_asPostgres) {
            QStringList wrapped{QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"), program};
            wrapped += args;
            return run(QStringLiteral("runuser"), wrapped, error);
        }
        return run(program, args, error);
    }

    static bool run(const QString &program, const QStringList &args, QString *error)
    {
        QProcess process;
        process.setWorkingDirectory(QDir::tempPath());
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(program, args);
        if (!process.waitForFinished(120000) || process.exitStatus() != QProcess::NormalExit
            || process.exitCode() != 0) {
            *error = QStringLiteral("%1 %2 failed: %3")
                         .arg(program, args.join(QLatin1Char(' ')), QString::fromLocal8Bit(process.readAll()));
            return false;
        }
        return true;
    }

    QString m_bin;
    std::optional<QTemporaryDir> m_dir;
    bool m_asPostgres = false;
    bool m_running = false;
    quint16 m_port = 0;
};

} // namespace testutil
