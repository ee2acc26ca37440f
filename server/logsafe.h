// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QStringView>

namespace relay {

// Text a client chose (client id, name, document id, user) as it may appear in a log line: control
// characters (newlines, ESC of ANSI sequences, C1 controls, the Unicode line and paragraph separators) are
// written as \xNN / \uNNNN and a backslash as \\, so nobody can forge or recolour log lines; longer than
// maxLength it is cut and marked with "...".
QString logSafe(QStringView text, qsizetype maxLength = 128);

} // namespace relay
