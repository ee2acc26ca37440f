// SPDX-License-Identifier: MIT
// The peer relay of run-relay-vs-sharedb: ShareDB (in-memory database and pub/sub, the defaults) with the
// ot-text-unicode type and presence, served over `ws` on a loopback port.
//
//   node sharedb-server.js [--port 7400] [--host 127.0.0.1]
// Prints "listening <port>" once ready.
'use strict';

const {Duplex} = require('stream');
const {WebSocketServer} = require('ws');
const {ShareDB} = require('./texttype');

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

// ShareDB's backend.listen() takes a Duplex object stream of JSON messages (what the
// @teamwork/websocket-json-stream package provides; these few lines do the same).
function jsonStream(ws) {
  const stream = new Duplex({
    objectMode: true,
    read() {},
    write(message, _encoding, callback) {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      callback();
    },
    final(callback) {
      ws.close();
      callback();
    },
  });
  ws.on('message', (data) => {
    let message;
    try {
      message = JSON.parse(data.toString());
    } catch (e) {
      stream.destroy(e);
      return;
    }
    stream.push(message);
  });
  ws.on('close', () => {
    stream.push(null);
    stream.destroy();
  });
  ws.on('error', (e) => stream.destroy(e));
  return stream;
}

const backend = new ShareDB({presence: true});
const host = arg('host', '127.0.0.1');
const wss = new WebSocketServer({host, port: Number(arg('port', '7400')), perMessageDeflate: false});
wss.on('connection', (ws) => backend.listen(jsonStream(ws)));
wss.on('listening', () => console.log(`listening ${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
