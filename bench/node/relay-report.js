// SPDX-License-Identifier: MIT
// Merges the JSON lines of coscribe-loadgen and sharedb-loadgen.js (several processes per run; the lines are
// tagged with mode, point = total connections, rate and processes by bench/run-relay-vs-sharedb) and reports.
//
//   node relay-report.js fixed FILE
//     A Markdown table per C and `ratio NAME: X.XX` lines (Coscribe vs ShareDB, > 1 = Coscribe better):
//       relay-ops-C<n>          acknowledged keystrokes per second, ours / ShareDB's (same offered load);
//       relay-ack-p99-C<n>      ShareDB's ack p99 / ours;
//       relay-fanout-p99-C<n>   ShareDB's fan-out p99 / ours;
//       relay-cpu-per-op-C<n>   ShareDB's server CPU seconds per acknowledged keystroke / ours (ops per core).
//   node relay-report.js judge FILE --impl coscribe|sharedb --rate R [--target-ms 50]
//     One line for one saturation step: "pass ..." when it was sustained, else "retry <why> ..." when it
//     missed narrowly (p99 within twice the target) or its server waited > 10 % for a CPU, else
//     "fail <why> ...". Sustained:
//     ack p99 <= target, keystrokes acknowledged >= 95 % of those offered, operations sent >= 95 % of the
//     keystrokes offered (a client composes the keystrokes typed while it waits for an acknowledgement into
//     one operation, so a server that falls behind still acknowledges every keystroke, in fewer, larger
//     operations: that is not keeping up), no errors or failures.
//   node relay-report.js saturation FILE [--target-ms 50]
//     The steps of each system's search, each system's sustained maximum (operations/s of its highest sustained
//     step; a rate counts as sustained when one of its runs was) and
//     `ratio sustained-ops-at-p99<=<target>ms: X.XX` (ours / ShareDB's).
// A file name alone (no command) means `fixed`.
'use strict';

const fs = require('fs');

const argv = process.argv.slice(2);
const command = ['fixed', 'judge', 'saturation'].includes(argv[0]) ? argv.shift() : 'fixed';
function option(name, dflt) {
  const i = argv.indexOf('--' + name);
  return i >= 0 ? argv[i + 1] : dflt;
}
const file = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
const targetMs = Number(option('target-ms', '50'));
const rows = fs.readFileSync(file || 0, 'utf8').split('\n').filter((l) => l.startsWith('{'))
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

// One run = the lines of all its load generator processes.
function summarize(rs) {
  const window = Math.max(...rs.map((r) => r.windowSeconds || 0));
  const sum = (f) => rs.reduce((s, r) => s + (f(r) || 0), 0);
  const acked = sum((r) => r.keystrokesAcked);
  const server = rs.find((r) => r.serverCpuSeconds !== undefined) || {};
  const per = (x) => (window ? x / window : 0);
  return {
    c: rs[0].point || rs[0].connections, impl: rs[0].impl, rate: rs[0].rate, run: rs[0].run || 0, window, acked,
    keystrokes: sum((r) => r.keystrokes),
    opsPerSec: per(acked),
    generatedPerSec: per(sum((r) => r.keystrokes)),
    offeredPerSec: sum((r) => r.offeredKeystrokesPerSecond),
    opMsgsPerSec: per(sum((r) => r.opsSent)),
    messagesPerSec: per(sum((r) => r.messagesSent)),
    ack: merge(rs.map((r) => r.ack)), fanout: merge(rs.map((r) => r.fanout)),
    serverCpu: server.serverCpuSeconds, serverWait: server.serverWaitSeconds, serverRssKb: server.serverPeakRssKb,
    loadgenCpu: sum((r) => r.loadgenCpuSeconds), loadgenWait: sum((r) => r.loadgenWaitSeconds),
    processes: rs.length, loadgenCpus: rs[0].loadgenCpus || 1,
    errors: sum((r) => r.errors),
    notes: [...new Set(rs.flatMap((r) => [...(r.failures || []), r.firstError].filter(Boolean)))].slice(0, 2),
    warnings: [...new Set(rs.flatMap((r) => r.warnings || []))].slice(0, 2),
    failures: sum((r) => (r.failures || []).length),
  };
}

function runs(mode) {
  const byKey = new Map();
  for (const r of rows) {
    if ((r.mode || 'fixed') !== mode) continue;
    // One run = one `run` tag (several load generator processes); older files have none.
    const key = r.run !== undefined ? `run ${r.run}` : `${r.impl}|${r.point || r.connections}|${r.rate}`;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(r);
  }
  return [...byKey.values()].map(summarize);
}

const ms = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(1) : '-');
const pct = (x, window) => (Number.isFinite(x) && window ? `${(100 * x / window).toFixed(0)}` : '-');
const name = (impl) => (impl === 'coscribe' ? 'Coscribe' : 'ShareDB');
const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
// At 90 % of the CPUs they are pinned to, the load generators, not the server, may be what saturates.
const loadgenBound = (s) => s.window && s.loadgenCpu / s.window >= 0.9 * s.loadgenCpus;

// The verdict on one saturation step.
function verdict(s) {
  const why = [];
  if (s.failures || s.errors) why.push(`errors (${s.errors + s.failures}: ${s.notes.join('; ').slice(0, 100)})`);
  if (!(s.ack.p99 <= targetMs * 1000)) why.push(`ack p99 ${ms(s.ack.p99)} ms > ${targetMs} ms`);
  if (!(s.opsPerSec >= 0.95 * s.offeredPerSec)) {
    why.push(`acknowledged ${fmt(s.opsPerSec)}/s < 95 % of offered ${fmt(s.offeredPerSec)}/s`);
  } else if (!(s.opMsgsPerSec >= 0.95 * s.offeredPerSec)) {
    // Every keystroke was acknowledged, but clients waiting for acknowledgements composed them into fewer
    // operations: the server did not keep up with one operation per keystroke.
    why.push(`operations ${fmt(s.opMsgsPerSec)}/s < 95 % of offered ${fmt(s.offeredPerSec)}/s (keystrokes composed)`);
  }
  const flags = [];
  if (loadgenBound(s)) {
    flags.push(`load generator CPU-bound (${pct(s.loadgenCpu, s.window)} % of a core, ${s.loadgenCpus} for it)`);
  }
  if (s.window && s.serverWait / s.window > 0.1) {
    flags.push(`server waited ${pct(s.serverWait, s.window)} % of the window for a CPU (other load)`);
  }
  if (s.warnings.length) flags.push(s.warnings.join('; '));
  if (s.generatedPerSec < 0.95 * s.offeredPerSec) {
    flags.push(`load generator typed only ${fmt(s.generatedPerSec)}/s of ${fmt(s.offeredPerSec)}/s`);
  }
  return {pass: why.length === 0, why, flags};
}

if (command === 'fixed') {
  const all = runs('fixed');
  const get = (c, impl) => all.find((s) => s.c === c && s.impl === impl);
  console.log('| C | relay | keystrokes acked/s | ack p50 / p99 / max ms | fan-out p50 / p99 / max ms | ' +
              'relay CPU s (% of one core) | relay run-queue wait % | relay peak RSS MB | ' +
              'loadgen CPU % (procs) | errors |');
  console.log('|---:|---|---:|---|---|---|---:|---:|---|---|');
  const byC = [...new Set(all.map((s) => s.c))].sort((a, b) => a - b);
  for (const c of byC) {
    for (const impl of ['coscribe', 'sharedb']) {
      const s = get(c, impl);
      if (!s) continue;
      const cpu = s.serverCpu === undefined ? '-' : `${s.serverCpu.toFixed(1)} (${pct(s.serverCpu, s.window)} %)`;
      const errs = s.errors + (s.notes.length ? ` ${s.notes.join('; ').slice(0, 120)}` : '') +
                   (s.warnings.length ? ` (note: ${s.warnings.join('; ').slice(0, 120)})` : '');
      console.log(`| ${c} | ${name(impl)} | ${s.opsPerSec.toFixed(0)} | ` +
        `${ms(s.ack.p50)} / ${ms(s.ack.p99)} / ${ms(s.ack.max)} | ` +
        `${ms(s.fanout.p50)} / ${ms(s.fanout.p99)} / ${ms(s.fanout.max)} | ${cpu} | ${pct(s.serverWait, s.window)} | ` +
        `${s.serverRssKb ? (s.serverRssKb / 1024).toFixed(0) : '-'} | ` +
        `${pct(s.loadgenCpu, s.window)} (${s.processes}) | ${errs} |`);
    }
  }
  console.log('');
  for (const c of byC) {
    const a = get(c, 'coscribe');
    const b = get(c, 'sharedb');
    if (!a || !b || !a.acked || !b.acked) continue;
    const r = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
    console.log(`ratio relay-ops-C${c}: ${r(a.opsPerSec / b.opsPerSec)}`);
    console.log(`ratio relay-ack-p99-C${c}: ${r(b.ack.p99 / a.ack.p99)}`);
    console.log(`ratio relay-fanout-p99-C${c}: ${r(b.fanout.p99 / a.fanout.p99)}`);
    if (a.serverCpu > 0 && b.serverCpu > 0) {
      console.log(`ratio relay-cpu-per-op-C${c}: ${r((b.serverCpu / b.acked) / (a.serverCpu / a.acked))}`);
    }
  }
  // A run that could not open its connections measured nothing.
  const failed = all.filter((s) => s.failures);
  if (failed.length) {
    console.error(`relay-report: load generator failures in ${failed.map((s) => `${name(s.impl)} C = ${s.c}`)
      .join(', ')}: ${failed[0].notes.join('; ').slice(0, 200)}`);
    process.exit(1);
  }
  process.exit(0);
}

if (command === 'judge') {
  const impl = option('impl');
  const rate = Number(option('rate'));
  const s = runs('saturation').filter((x) => x.impl === impl && x.rate === rate).sort((x, y) => x.run - y.run).pop();
  if (!s) {
    console.log(`fail no result for ${impl} at rate ${rate}`);
    process.exit(0);
  }
  const v = verdict(s);
  // Worth running again: a near miss, or a server that waited for its CPU (the machine's other load).
  const doubtful = !v.pass && (s.ack.p99 <= 2 * targetMs * 1000 || (s.window && s.serverWait / s.window > 0.1));
  console.log(`${v.pass ? 'pass' : (doubtful ? 'retry ' : 'fail ') + v.why.join(', ')}: ` +
              `offered ${fmt(s.offeredPerSec)}/s, ` +
              `acknowledged ${fmt(s.opsPerSec)}/s in ${fmt(s.opMsgsPerSec)} operations/s, ` +
              `ack p50/p99 ${ms(s.ack.p50)}/${ms(s.ack.p99)} ms, ` +
              `server CPU ${pct(s.serverCpu, s.window)} %, load generator CPU ${pct(s.loadgenCpu, s.window)} %` +
              (v.flags.length ? ` [${v.flags.join('; ')}]` : ''));
  process.exit(0);
}

// saturation
const steps = runs('saturation');
console.log('| relay | actions/s per client | offered keystrokes/s | acked keystrokes/s | ' +
            'operations / all messages sent per s | ' +
            'ack p50 / p99 ms | fan-out p99 ms | relay CPU % (run-queue wait %) | ' +
            'loadgen CPU % (wait %) | sustained |');
console.log('|---|---:|---:|---:|---:|---|---:|---|---|---|');
const best = new Map();
for (const impl of ['coscribe', 'sharedb']) {
  const mine = steps.filter((s) => s.impl === impl).sort((a, b) => a.rate - b.rate || a.run - b.run);
  // A rate is sustained when one of its runs (a failed step is retried) is.
  const passed = new Set(mine.filter((s) => verdict(s).pass).map((s) => s.rate));
  let top = null;
  let firstFail = null;
  for (const s of mine) {
    const v = verdict(s);
    if (v.pass && (!top || s.rate > top.s.rate)) top = {s, v};
    if (!passed.has(s.rate) && (!firstFail || s.rate < firstFail.s.rate)) firstFail = {s, v};
    console.log(`| ${name(impl)} | ${s.rate} | ${fmt(s.offeredPerSec)} | ${fmt(s.opsPerSec)} | ` +
      `${fmt(s.opMsgsPerSec)} / ${fmt(s.messagesPerSec)} | ` +
      `${ms(s.ack.p50)} / ${ms(s.ack.p99)} | ${ms(s.fanout.p99)} | ` +
      `${pct(s.serverCpu, s.window)} (${pct(s.serverWait, s.window)}) | ` +
      `${pct(s.loadgenCpu, s.window)} (${pct(s.loadgenWait, s.window)}) | ` +
      `${v.pass ? 'yes' : 'no: ' + v.why.join(', ')}${v.flags.length ? ' — ' + v.flags.join('; ') : ''} |`);
  }
  if (mine.length) best.set(impl, {top, firstFail});
}
console.log('');
console.log(`| relay | sustained operations/s at ack p99 <= ${targetMs} ms | at actions/s per client | ` +
            'first step not sustained | caveat |');
console.log('|---|---:|---:|---|---|');
for (const [impl, {top, firstFail}] of best) {
  const caveats = [];
  if (!firstFail) caveats.push('never failed: a lower bound (raise RELAY_SAT_MAX_RATE)');
  if (firstFail && firstFail.v.flags.length) caveats.push(`the failing step: ${firstFail.v.flags.join('; ')}`);
  if (top && top.v.flags.length) caveats.push(`the sustained step: ${top.v.flags.join('; ')}`);
  console.log(`| ${name(impl)} | ${top ? fmt(top.s.opMsgsPerSec) : 'none'} | ${top ? top.s.rate : '-'} | ` +
              `${firstFail ? `${firstFail.s.rate}/s: ${firstFail.v.why.join(', ')}` : '-'} | ` +
              `${caveats.join('; ') || '-'} |`);
}
console.log('');
const a = best.get('coscribe');
// Not even the lowest rate was sustained: the run is broken (or the machine hopelessly busy), not a result.
const broken = [...best].filter(([, {top}]) => !top).map(([impl]) => name(impl));
const b = best.get('sharedb');
if (a && b) {
  const x = a.top ? a.top.s.opMsgsPerSec : 0;
  const y = b.top ? b.top.s.opMsgsPerSec : 0;
  console.log(`ratio sustained-ops-at-p99<=${targetMs}ms: ${y > 0 ? (x / y).toFixed(2) : 'n/a'}`);
}
if (broken.length) {
  console.error(`relay-report: no sustained step for ${broken.join(' and ')}; see the table above`);
  process.exit(1);
}
