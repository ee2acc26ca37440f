// SPDX-License-Identifier: MIT
// The Spanish interface is Spanish in Qt's own dialogs too: Qt's translations (Debian qt6-translations-l10n,
// installed by scripts/install-deps.sh) load from where app/main.cpp looks for them, and turn the standard
// buttons Spanish.
#include <QDialogButtonBox>
#include <QLibraryInfo>
#include <QPushButton>
#include <QTest>
#include <QTranslator>

class tst_Translations : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void qtsOwnButtonsAreSpanish()
    {
        QTranslator qt;
        QVERIFY2(qt.load(QLocale(QLocale::Spanish, QLocale::Spain), QStringLiteral("qtbase"), QStringLiteral("_"),
                         QLibraryInfo::path(QLibraryInfo::TranslationsPath)),
                 "Qt's own translations are not installed (Debian qt6-translations-l10n)");
        QVERIFY(QCoreApplication::installTranslator(&qt));
        QDialogButtonBox box(QDialogButtonBox::Cancel | QDialogButtonBox::Save);
        QCOMPARE(box.button(QDialogButtonBox::Cancel)->text().remove(QLatin1Char('&')), QStringLiteral("Cancelar"));
        QCOMPARE(box.button(QDialogButtonBox::Save)->text().remove(QLatin1Char('&')), QStringLiteral("Guardar"));
        QCoreApplication::removeTranslator(&qt);
    }
};

QTEST_MAIN(tst_Translations)
#include "tst_translations.moc"
