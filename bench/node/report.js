// SPDX-License-Identifier: MIT
// Formats the JSON lines of bench_ot and ot-bench.js (read from the file given, or stdin) as a Markdown table
// and prints one `ratio NAME: X.XX` line per (trace, mode): Coscribe's edits/s over ot.js's (> 1: faster).
'use strict';

const fs = require('fs');
const lines = fs.readFileSync(process.argv[2] || 0, 'utf8').split('\n').filter((l) => l.startsWith('{'));
const rows = lines.map((l) => JSON.parse(l));
const key = (r) => `${r.trace}${r.repeat > 1 ? '-x' + r.repeat : ''} ${r.mode}`;
const groups = new Map();
for (const r of rows) {
  if (!groups.has(key(r))) groups.set(key(r), {});
  groups.get(key(r))[r.impl] = r;
}
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const mb = (kb) => (kb / 1024).toFixed(0);
console.log('| trace | mode | impl | edits | seconds | edits/s | peak RSS MB | heap held after replay MB | final text |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---|');
for (const [k, g] of groups) {
  const [trace, mode] = k.split(' ');
  for (const impl of ['coscribe', 'otjs']) {
    const r = g[impl];
    if (!r) continue;
    const note = r.complete ? (r.ok ? 'ok' : 'MISMATCH') : `partial (time cap)`;
    console.log(`| ${trace} | ${mode} | ${impl === 'otjs' ? 'ot.js' : 'Coscribe'} | ${fmt(r.edits)} | ` +
                `${r.seconds.toFixed(2)} | ${fmt(r.editsPerSec)} | ${mb(r.peakRssKb)} | ${mb(r.heapGrowthKb)} | ${note} |`);
  }
}
console.log('');
for (const [k, g] of groups) {
  if (g.coscribe && g.otjs) {
    const [trace, mode] = k.split(' ');
    console.log(`ratio ot-${mode}-${trace}: ${(g.coscribe.editsPerSec / g.otjs.editsPerSec).toFixed(2)}`);
  }
}
