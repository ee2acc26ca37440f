// SPDX-License-Identifier: MIT
#pragma once

#include <QProcessEnvironment>
#include <QStringList>
#include <QTextStream>

namespace relay {

// TokenCommand: `coscribe-relay token add|list|revoke`, the tokens file (tokenstore.h) managed without an
// editor and without a restart (a running relay reloads the file when it changes, and on SIGHUP).
//
//   token add USER GRANT... [--tokens FILE]   a new random token: printed once, only its digest is stored
//   token list [--tokens FILE]                every token's id (token:…), user and grants; never a secret
//   token revoke ID-or-USER [--tokens FILE]   removes the token with that id (or every token of that user)
//
// FILE defaults to $COSCRIBE_RELAY_TOKENS. Every change is checked by parsing the whole new file first and
// written atomically (QSaveFile), owner-only (0600) when the file is created, so a relay watching it never
// reads half a file and a mistake never locks everybody out.
class TokenCommand
{
public:
    // `arguments` follow "token". Returns the process exit code (0 done, 1 failed, 2 usage).
    static int run(const QStringList &arguments, const QProcessEnvironment &environment, QTextStream &out,
                   QTextStream &err);
};

} // namespace relay
