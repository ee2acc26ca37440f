// SPDX-License-Identifier: MIT
// The text OT type both ShareDB sides use: ot-text-unicode, registered with ShareDB's type registry (the
// server and the client library share it).
'use strict';

const ShareDB = require('sharedb');
const {type} = require('ot-text-unicode');

ShareDB.types.register(type);

module.exports = {ShareDB, type};
