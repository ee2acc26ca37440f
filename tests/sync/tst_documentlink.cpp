// SPDX-License-Identifier: MIT
#include <documentlink.h>

#include <QtTest>

using syncing::DocumentLink;

class tst_DocumentLink : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fromText_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("documentUrl");  // empty: not a document link
        QTest::newRow("ws") << "ws://127.0.0.1:7300/notes" << "ws://127.0.0.1:7300/notes";
        QTest::newRow("wss") << "wss://notes.example.org/plan.md" << "wss://notes.example.org/plan.md";
        QTest::newRow("desktop link") << "coscribe://127.0.0.1:7300/notes" << "ws://127.0.0.1:7300/notes";
        QTest::newRow("desktop link, TLS") << "coscribes://notes.example.org/notes" << "wss://notes.example.org/notes";
        QTest::newRow("web page") << "http://127.0.0.1:7300/d/notes" << "ws://127.0.0.1:7300/notes";
        QTest::newRow("web page, TLS") << "https://notes.example.org/d/plan.md" << "wss://notes.example.org/plan.md";
        QTest::newRow("typed") << "  localhost:7300/todo " << "ws://localhost:7300/todo";
        QTest::newRow("credentials dropped") << "coscribe://ada:secret@host:7300/n?token=x#y" << "ws://host:7300/n";
        QTest::newRow("web list page") << "http://127.0.0.1:7300/" << "";
        QTest::newRow("web other path") << "https://notes.example.org/notes" << "";
        QTest::newRow("no document") << "ws://127.0.0.1:7300/" << "";
        QTest::newRow("nested path") << "ws://127.0.0.1:7300/a/b" << "";
        QTest::newRow("other scheme") << "ftp://host/doc" << "";
        QTest::newRow("no host") << "coscribe:///doc" << "";
    }
    void fromText()
    {
        QFETCH(QString, text);
        QFETCH(QString, documentUrl);
        const auto url = DocumentLink::fromText(text);
        QCOMPARE(url ? url->toString() : QString(), documentUrl);
    }

    void twins_data()
    {
        QTest::addColumn<QString>("documentUrl");
        QTest::addColumn<QString>("web");
        QTest::addColumn<QString>("desktop");
        QTest::newRow("plain") << "ws://127.0.0.1:7300/notes" << "http://127.0.0.1:7300/d/notes"
                               << "coscribe://127.0.0.1:7300/notes";
        QTest::newRow("TLS, default port") << "wss://notes.example.org/plan.md" << "https://notes.example.org/d/plan.md"
                                           << "coscribes://notes.example.org/plan.md";
    }
    void twins()
    {
        QFETCH(QString, documentUrl);
        QFETCH(QString, web);
        QFETCH(QString, desktop);
        QCOMPARE(DocumentLink::webUrl(QUrl(documentUrl)).toString(), web);
        QCOMPARE(DocumentLink::desktopUrl(QUrl(documentUrl)).toString(), desktop);
        // Each twin reads back as the document.
        QCOMPARE(DocumentLink::fromText(web)->toString(), documentUrl);
        QCOMPARE(DocumentLink::fromText(desktop)->toString(), documentUrl);
    }

    // An invite link carries its token in the fragment (never in the path or query a server logs); it reads
    // back as the same document and gives the token back exactly, whatever characters it has.
    void inviteLinks()
    {
        const QUrl doc(QStringLiteral("wss://notes.example.org/plan.md"));
        const QString token = QStringLiteral("a+b/c=d&e#f%g h");
        const QUrl desktop = DocumentLink::desktopInviteUrl(doc, token);
        const QUrl web = DocumentLink::webInviteUrl(doc, token);
        QCOMPARE(desktop.adjusted(QUrl::RemoveFragment).toString(), QStringLiteral("coscribes://notes.example.org/plan.md"));
        QCOMPARE(web.adjusted(QUrl::RemoveFragment).toString(), QStringLiteral("https://notes.example.org/d/plan.md"));
        QVERIFY(desktop.query().isEmpty() && !desktop.path().contains(QStringLiteral("a+b")));
        for (const QUrl &invite : {desktop, web}) {
            QCOMPARE(DocumentLink::inviteToken(invite.toString(QUrl::FullyEncoded)), token);
            QCOMPARE(DocumentLink::inviteToken(invite.toString()), token);
            QCOMPARE(DocumentLink::fromText(invite.toString())->toString(), doc.toString());
        }
        // The plain links never carry one.
        QCOMPARE(DocumentLink::inviteToken(DocumentLink::desktopUrl(doc).toString()), QString());
        QCOMPARE(DocumentLink::inviteToken(QStringLiteral("coscribe://h:1/d#other=1")), QString());
        QVERIFY(!DocumentLink::desktopUrl(DocumentLink::fromText(desktop.toString()).value()).hasFragment());
    }
};

QTEST_GUILESS_MAIN(tst_DocumentLink)
#include "tst_documentlink.moc"
