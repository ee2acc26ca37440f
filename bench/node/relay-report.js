// SPDX-License-Identifier: MIT
// Merges the JSON lines of coscribe-loadgen and sharedb-loadgen.js (several processes per point), read from the
// file given, into a Markdown table, and prints `ratio NAME: X.XX` lines (Coscribe vs ShareDB, > 1 = better):
//   relay-ops-C<n>          acknowledged keystrokes per second, ours / ShareDB's (same offered load);
//   relay-ack-p99-C<n>      ShareDB's ack p99 / ours;
//   relay-fanout-p99-C<n>   ShareDB's fan-out p99 / ours;
//   relay-cpu-per-op-C<n>   ShareDB's server CPU seconds per acknowledged keystroke / ours (ops per core).
'use strict';

const fs = require('fs');
const rows = fs.readFileSync(process.argv[2] || 0, 'utf8').split('\n').filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l));

function merge(hs) {
  const buckets = new Map();
  let count = 0;
  let maxUs = 0;
  for (const h of hs) {
    if (!h) continue;
    for (const [b, n] of Object.entries(h.buckets || {})) buckets.set(Number(b), (buckets.get(Number(b)) || 0) + n);
    count += h.count || 0;
    maxUs = Math.max(maxUs, h.maxUs || 0);
  }
  const sorted = [...buckets.keys()].sort((a, b) => a - b);
  const q = (p) => {
    if (!count) return NaN;
    const rank = Math.max(1, Math.ceil(p * count));
    let seen = 0;
    for (const b of sorted) {
      seen += buckets.get(b);
      if (seen >= rank) return Math.min(maxUs, b * 10 + 5);
    }
    return maxUs;
  };
  return {count, p50: q(0.5), p99: q(0.99), max: maxUs};
}

const points = new Map();
for (const r of rows) {
  const key = `${r.point || r.connections}|${r.impl}`;
  if (!points.has(key)) points.set(key, []);
  points.get(key).push(r);
}
const summary = new Map();
for (const [key, rs] of points) {
  const [c, impl] = key.split('|');
  const window = Math.max(...rs.map((r) => r.windowSeconds || 0));
  const acked = rs.reduce((s, r) => s + (r.keystrokesAcked || 0), 0);
  const server = rs.find((r) => r.serverCpuSeconds !== undefined) || {};
  summary.set(key, {
    c: Number(c), impl, window, acked,
    keystrokes: rs.reduce((s, r) => s + (r.keystrokes || 0), 0),
    opsPerSec: window ? acked / window : 0,
    ack: merge(rs.map((r) => r.ack)), fanout: merge(rs.map((r) => r.fanout)),
    serverCpu: server.serverCpuSeconds, serverRssKb: server.serverPeakRssKb,
    loadgenCpu: rs.reduce((s, r) => s + (r.loadgenCpuSeconds || 0), 0), processes: rs.length,
    errors: rs.reduce((s, r) => s + (r.errors || 0), 0),
    notes: [...new Set(rs.flatMap((r) => [...(r.failures || []), r.firstError].filter(Boolean)))].slice(0, 2),
  });
}

const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(1) : '-');
console.log('| C | relay | keystrokes acked/s | ack p50 / p99 / max ms | fan-out p50 / p99 / max ms | ' +
            'relay CPU s (% of one core) | relay peak RSS MB | loadgen CPU % (procs) | errors |');
console.log('|---:|---|---:|---|---|---|---:|---|---|');
const byC = [...new Set([...summary.values()].map((s) => s.c))].sort((a, b) => a - b);
for (const c of byC) {
  for (const impl of ['coscribe', 'sharedb']) {
    const s = summary.get(`${c}|${impl}`);
    if (!s) continue;
    const cpu = s.serverCpu === undefined ? '-' :
      `${s.serverCpu.toFixed(1)} (${(100 * s.serverCpu / s.window).toFixed(0)} %)`;
    const errs = s.errors + (s.notes.length ? ` ${s.notes.join('; ').slice(0, 120)}` : '');
    console.log(`| ${c} | ${impl === 'coscribe' ? 'Coscribe' : 'ShareDB'} | ${s.opsPerSec.toFixed(0)} | ` +
      `${ms(s.ack.p50)} / ${ms(s.ack.p99)} / ${ms(s.ack.max)} | ` +
      `${ms(s.fanout.p50)} / ${ms(s.fanout.p99)} / ${ms(s.fanout.max)} | ${cpu} | ` +
      `${s.serverRssKb ? (s.serverRssKb / 1024).toFixed(0) : '-'} | ` +
      `${(100 * s.loadgenCpu / (s.window || 1)).toFixed(0)} (${s.processes}) | ${errs} |`);
  }
}
console.log('');
for (const c of byC) {
  const a = summary.get(`${c}|coscribe`);
  const b = summary.get(`${c}|sharedb`);
  if (!a || !b || !a.acked || !b.acked) continue;
  const r = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  console.log(`ratio relay-ops-C${c}: ${r(a.opsPerSec / b.opsPerSec)}`);
  console.log(`ratio relay-ack-p99-C${c}: ${r(b.ack.p99 / a.ack.p99)}`);
  console.log(`ratio relay-fanout-p99-C${c}: ${r(b.fanout.p99 / a.fanout.p99)}`);
  if (a.serverCpu > 0 && b.serverCpu > 0) {
    console.log(`ratio relay-cpu-per-op-C${c}: ${r((b.serverCpu / b.acked) / (a.serverCpu / a.acked))}`);
  }
}
