// SPDX-License-Identifier: MIT
// The ShareDB twin of coscribe-loadgen (bench/loadgen): the same workload against sharedb-server.js, the same
// measurements, the same JSON line (merged by relay-report.js).
//
//   node sharedb-loadgen.js --url ws://127.0.0.1:7400 --connections C --documents D [--first-document i]
//        [--rate 5] [--warmup 5] [--duration 20] [--start-at ms] [--server-pid pid] [--seed n]
//
// Each client subscribes to its document (the first client of each creates it), joins a presence channel,
// and per tick (rate per second, random phase) either moves its caret (10 %: a presence message) or types at
// it: inserts a letter (75 %) or deletes the character before it (15 %), submitted with submitOp.
//   ack latency     submitOp -> its callback (the server's acknowledgement), per keystroke;
//   fan-out latency the op message leaving the sender -> arriving at each other subscriber.
// DEBUG_ACTIONS=1 adds a count of the messages sent per ShareDB action ("op", "p", ...) to the result.
'use strict';

const fs = require('fs');
const WebSocket = require('ws');
const ShareDBClient = require('sharedb/lib/client');
const {type} = require('./texttype'); // registers the type (and its presence hook) with ShareDB
const {insert, remove} = require('ot-text-unicode');

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const settings = {
  url: arg('url', 'ws://127.0.0.1:7400'),
  connections: Number(arg('connections', '10')),
  documents: Math.max(1, Number(arg('documents', '1'))),
  firstDocument: Number(arg('first-document', '0')),
  prefix: arg('document-prefix', 'bench-'),
  rate: Number(arg('rate', '5')),
  warmup: Number(arg('warmup', '5')),
  duration: Number(arg('duration', '20')),
  startAt: Number(arg('start-at', '0')),
  serverPid: Number(arg('server-pid', '0')),
  seed: Number(arg('seed', '1')),
  connectTimeout: Number(arg('connect-timeout', '60')),
  cursorJumpShare: 0.1,
};

// A small deterministic generator (mulberry32), so runs are repeatable.
let seed = settings.seed >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// Latencies in 10 µs buckets, as bench/loadgen/latencyhistogram.h.
class Histogram {
  constructor() { this.buckets = new Map(); this.count = 0; this.maxUs = 0; }
  add(us) {
    us = Math.max(0, Math.round(us));
    const b = Math.floor(us / 10);
    this.buckets.set(b, (this.buckets.get(b) || 0) + 1);
    this.count++;
    if (us > this.maxUs) this.maxUs = us;
  }
  quantile(q) {
    if (!this.count) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b);
      if (seen >= rank) return Math.min(this.maxUs, b * 10 + 5);
    }
    return this.maxUs;
  }
  toJSON() {
    return {bucketUs: 10, count: this.count, maxUs: this.maxUs, buckets: Object.fromEntries(this.buckets),
            p50Us: this.quantile(0.5), p99Us: this.quantile(0.99)};
  }
}

function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid || 'self'}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch (e) {
    return -1;
  }
}

// Seconds the process's main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat, field 2).
function runQueueWaitSeconds(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid || 'self'}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch (e) {
    return 0;
  }
}

function peakRssKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : -1;
  } catch (e) {
    return -1;
  }
}

const nowUs = () => performance.now() * 1000;
let windowStart = -1;
let windowEnd = -1;
const measured = (t) => windowStart >= 0 && t >= windowStart && (windowEnd < 0 || t < windowEnd);
const ack = new Histogram();
const fanout = new Histogram();
const sendTimes = new Map();
let keystrokes = 0;
let messages = 0;
let opMessages = 0;
const actions = {};
let errors = 0;
let firstError = '';
const failures = [];
const warnings = []; // worth reporting, but the measurement stands
function error(e) {
  if (errors++ === 0) firstError = String(e && e.message || e);
}

class LoadClient {
  constructor(index, docId) {
    this.index = index;
    this.docId = docId;
    this.caret = 0;
    this.timer = null;
    this.seen = new Map(); // src -> highest seq seen
  }

  open(create) {
    return new Promise((resolve) => {
      const socket = new WebSocket(settings.url, {perMessageDeflate: false});
      this.connection = new ShareDBClient.Connection(socket);
      this.connection.on('send', (m) => {
        const t = nowUs();
        if (measured(t)) {
          messages++;
          if (process.env.DEBUG_ACTIONS) actions[m.a] = (actions[m.a] || 0) + 1;
          if (m.a === 'op' && m.op) {
            opMessages++;
            sendTimes.set(this.connection.id + '#' + m.seq, t);
          }
        }
      });
      this.connection.on('receive', (request) => {
        const d = request.data;
        if (d && d.a === 'op' && d.op && d.src !== this.connection.id && !(this.seen.get(d.src) >= d.seq)) {
          this.seen.set(d.src, d.seq); // an op can arrive twice (broadcast and catch-up fetch): count it once
          const sent = sendTimes.get(d.src + '#' + d.seq);
          if (sent !== undefined) fanout.add(nowUs() - sent);
        }
      });
      this.doc = this.connection.get('docs', this.docId);
      this.doc.on('op', (op, source) => {
        if (!source) this.caret = type.transformPosition(this.caret, op);
      });
      this.doc.on('error', error);
      this.doc.subscribe((err) => {
        if (err) { failures.push(String(err.message || err)); resolve(); return; }
        const ready = () => {
          // Carets go over a plain presence channel per document (ShareDB's cheapest presence: relayed, not
          // transformed; document presence added fetch and presence-request chatter under concurrent typing).
          this.presence = this.connection.getPresence('cursors-' + this.docId);
          this.presence.subscribe((e) => { if (e) error(e); });
          this.local = this.presence.create('p' + this.index);
          this.caret = this.doc.data.length;
          resolve();
        };
        if (this.doc.type || !create) return ready();
        this.doc.create('', type.uri, (e) => { if (e) error(e); ready(); });
      });
    });
  }

  startTyping(firstDelayMs, intervalMs) {
    setTimeout(() => {
      this.timer = setInterval(() => this.tick(), intervalMs);
      this.tick();
    }, firstDelayMs);
  }

  stopTyping() {
    clearInterval(this.timer);
  }

  tick() {
    const t = nowUs();
    const roll = random();
    const text = this.doc.data;
    if (roll < settings.cursorJumpShare) {
      this.caret = Math.floor(random() * (text.length + 1));
      this.local.submit({index: this.caret}, (e) => { if (e) error(e); });
      return;
    }
    if (measured(t)) keystrokes++;
    let op;
    if (roll < settings.cursorJumpShare + 0.15 && this.caret > 0) {
      op = remove(this.caret - 1, 1);
      this.caret--;
    } else {
      op = insert(this.caret, String.fromCharCode(97 + Math.floor(random() * 26)));
      this.caret++;
    }
    this.doc.submitOp(op, {source: true}, (e) => {
      if (e) return error(e);
      if (measured(t)) ack.add(nowUs() - t);
    });
  }
}

async function main() {
  setTimeout(() => {
    console.log(JSON.stringify({impl: 'sharedb', connections: settings.connections, documents: settings.documents,
                                failures: ['timed out before the measurement finished']}));
    process.exit(1);
  }, (settings.connectTimeout + settings.warmup + settings.duration + 5) * 1000 +
     Math.max(0, settings.startAt - Date.now())).unref();
  const clients = [];
  for (let i = 0; i < settings.connections; i++) {
    clients.push(new LoadClient(i, settings.prefix + (settings.firstDocument + (i % settings.documents))));
  }
  // The first client of each document creates it, then everyone else joins, 20 connections per 10 ms.
  await Promise.all(clients.slice(0, settings.documents).map((c) => c.open(true)));
  const rest = clients.slice(settings.documents);
  for (let i = 0; i < rest.length; i += 20) {
    await Promise.all(rest.slice(i, i + 20).map((c) => c.open(false)));
  }
  const wait = settings.startAt > 0 ? settings.startAt - Date.now() : 0;
  if (wait < 0) warnings.push(`connections were ready ${-wait} ms after the agreed start`);
  await new Promise((r) => setTimeout(r, Math.max(0, wait)));

  // The same rounding as coscribe-loadgen: every client acts exactly once per `interval` ms.
  const interval = Math.max(1, Math.round(1000 / settings.rate));
  for (const c of clients) c.startTyping(Math.floor(random() * interval), interval);
  await new Promise((r) => setTimeout(r, settings.warmup * 1000));
  windowStart = nowUs();
  const serverCpu0 = settings.serverPid ? cpuSeconds(settings.serverPid) : 0;
  const ownCpu0 = cpuSeconds(0);
  const serverWait0 = settings.serverPid ? runQueueWaitSeconds(settings.serverPid) : 0;
  const ownWait0 = runQueueWaitSeconds(0);
  await new Promise((r) => setTimeout(r, settings.duration * 1000));
  windowEnd = nowUs();
  const serverCpu1 = settings.serverPid ? cpuSeconds(settings.serverPid) : 0;
  const ownCpu1 = cpuSeconds(0);
  const serverWait1 = settings.serverPid ? runQueueWaitSeconds(settings.serverPid) : 0;
  const ownWait1 = runQueueWaitSeconds(0);
  for (const c of clients) c.stopTyping();
  await new Promise((r) => setTimeout(r, 2000));

  const result = {
    impl: 'sharedb', connections: settings.connections, documents: settings.documents,
    windowSeconds: (windowEnd - windowStart) / 1e6, keystrokes, keystrokesAcked: ack.count,
    messagesSent: messages, opsSent: opMessages, intervalMs: interval,
    offeredKeystrokesPerSecond: settings.connections * 1000 / interval * (1 - settings.cursorJumpShare),
    ack: ack.toJSON(), fanout: fanout.toJSON(), errors, firstError,
    failures: failures.slice(0, 20), warnings,
    loadgenCpuSeconds: ownCpu1 - ownCpu0, loadgenWaitSeconds: ownWait1 - ownWait0,
  };
  if (settings.serverPid) {
    result.serverCpuSeconds = serverCpu1 - serverCpu0;
    result.serverWaitSeconds = serverWait1 - serverWait0;
    result.serverPeakRssKb = peakRssKb(settings.serverPid);
  }
  if (process.env.DEBUG_ACTIONS) result.actions = actions;
  console.log(JSON.stringify(result));
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
