// SPDX-License-Identifier: MIT
// The peer of bench_ot: the same trace replay with ot.js (npm `ot` 0.0.15) over plain strings.
//
//   node ot-bench.js --trace FILE [--repeat N] --mode server|pipeline [--max-seconds S]
//
// server:   every keystroke as a TextOperation received by ot.Server (transform over nothing, apply).
// pipeline: per keystroke, client A (ot.Client) -> JSON text -> parse -> Server.receiveOperation -> JSON
//           broadcast + ack -> A.serverAck(), client B parses and applyServer()s onto its own string.
// Prints one JSON line: {impl, trace, repeat, mode, edits, seconds, editsPerSec, complete, ok, peakRssKb,
// heapGrowthKb (live heap held by the server, the clients and the history after the replay; run node with
// --expose-gc so it is measured after a full collection)}.
// --max-seconds bounds a run that would take too long (ot.js applies in O(document) per keystroke): the
// rate is then over the edits done so far, on a smaller document than the full run's (favouring ot.js).
'use strict';

const fs = require('fs');
const path = require('path');
const ot = require('ot');
const {loadTrace} = require('./trace');

const TextOperation = ot.TextOperation;

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function statusKb(field) {
  const m = new RegExp(field + ':\\s+(\\d+)').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

// Bytes held by live objects (after a full collection; needs --expose-gc).
function liveHeapBytes() {
  if (global.gc) global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

function makeOp(length, [pos, del, ins]) {
  const op = new TextOperation().retain(pos);
  if (del) op['delete'](del);
  if (ins) op.insert(ins);
  return op.retain(length - pos - del);
}

function runServer(edits, deadline) {
  const server = new ot.Server('');
  let length = 0;
  let n = 0;
  for (; n < edits.length; n++) {
    if ((n & 1023) === 0 && deadline && performance.now() > deadline) break;
    const e = edits[n];
    const op = makeOp(length, e);
    server.receiveOperation(server.operations.length, op);
    length += e[2].length - e[1];
  }
  return {done: n, text: server.document, keep: [server]};
}

function runPipeline(edits, deadline) {
  const server = new ot.Server('');
  const doc = 'bench';
  let outbox = null;
  let seqA = 0;
  const a = new ot.Client(0);
  a.sendOperation = (revision, operation) => {
    outbox = JSON.stringify({type: 'op', doc, rev: revision, seq: ++seqA, op: operation});
  };
  a.applyOperation = () => {};
  let textB = '';
  const b = new ot.Client(0);
  b.sendOperation = () => { throw new Error('B never edits'); };
  b.applyOperation = (operation) => { textB = operation.apply(textB); };

  let length = 0;
  let n = 0;
  for (; n < edits.length; n++) {
    if ((n & 1023) === 0 && deadline && performance.now() > deadline) break;
    const e = edits[n];
    a.applyClient(makeOp(length, e));
    length += e[2].length - e[1];
    // Relay side: decode, transform/apply, encode the broadcast once and the ack.
    const m = JSON.parse(outbox);
    const op = server.receiveOperation(m.rev, TextOperation.fromJSON(m.op));
    const rev = server.operations.length;
    const broadcast = JSON.stringify({type: 'op', doc: m.doc, rev, op, author: 'a', seq: m.seq, conn: 'c1'});
    const ack = JSON.stringify({type: 'ack', doc: m.doc, rev, seq: m.seq});
    // Client A: acknowledgement.
    const am = JSON.parse(ack);
    if (am.rev !== rev) throw new Error('bad ack');
    a.serverAck();
    // Client B: the remote operation.
    const bm = JSON.parse(broadcast);
    b.applyServer(TextOperation.fromJSON(bm.op));
  }
  if (server.document !== textB) throw new Error('client B diverged from the server');
  return {done: n, text: textB, keep: [server, a, b]};
}

function main() {
  const file = arg('trace');
  const repeat = Number(arg('repeat', '1'));
  const mode = arg('mode', 'server');
  const maxSeconds = Number(arg('max-seconds', '0'));
  const {edits, endContent} = loadTrace(file, repeat);
  const heapBefore = liveHeapBytes();
  const t0 = performance.now();
  const deadline = maxSeconds > 0 ? t0 + maxSeconds * 1000 : 0;
  const r = mode === 'pipeline' ? runPipeline(edits, deadline) : runServer(edits, deadline);
  const seconds = (performance.now() - t0) / 1000;
  const heapGrowthKb = Math.round((liveHeapBytes() - heapBefore) / 1024); // r.keep holds the state
  void r.keep;
  const complete = r.done === edits.length;
  const ok = complete ? r.text === endContent : true;
  console.log(JSON.stringify({
    impl: 'otjs', trace: path.basename(file).replace(/\.json\.gz$/, ''), repeat, mode,
    edits: r.done, seconds, editsPerSec: r.done / seconds, complete, ok, peakRssKb: statusKb('VmHWM'), heapGrowthKb,
  }));
  if (!ok) process.exit(1);
}

main();
