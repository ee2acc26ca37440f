// SPDX-License-Identifier: MIT
// compare.js CASES.jsonl: recomputes each case written by interopcases with ot.js and compares our results
// with ot.js's byte for byte (JSON.stringify of ot.js's operation against the text of our toJsonBytes();
// document strings compared exactly, as UTF-16). Exits 1 on any mismatch, or when a kind of check ran zero
// times, 2 when ot.js or the cases file is missing.
'use strict';

const fs = require('fs');
const path = require('path');

const EXPECTED_OT_VERSION = '0.0.15';
const MAX_REPORTED = 10;

function fail(code, message) {
  console.error('compare.js: ' + message);
  process.exit(code);
}

let ot;
try {
  ot = require('ot');
} catch (e) {
  fail(2, 'ot.js is not installed (' + path.join(__dirname, 'node_modules', 'ot') + ' is missing). ' +
    'Run `npm ci` in tests/interop (scripts/install-deps.sh does it).');
}
const otVersion = require('ot/package.json').version;
if (otVersion !== EXPECTED_OT_VERSION) {
  fail(2, 'found ot.js ' + otVersion + ' at ' + path.dirname(require.resolve('ot/package.json')) +
    ', expected the pinned ' + EXPECTED_OT_VERSION + '. Run `npm ci` in tests/interop.');
}
const TextOperation = ot.TextOperation;

if (process.argv.length < 3) {
  fail(2, 'usage: node compare.js CASES.jsonl');
}
let text;
try {
  text = fs.readFileSync(process.argv[2], 'utf8');
} catch (e) {
  fail(2, 'cannot read ' + process.argv[2] + ': ' + e.message);
}

// ot.js result of f(), as what we write: {value} or {error}.
function run(f) {
  try {
    return { value: f() };
  } catch (e) {
    return { error: String(e && e.message || e) };
  }
}

// Base-document positions where op inserts (to count cases where a and b tie).
function insertPositions(ops) {
  const positions = new Set();
  let pos = 0;
  for (const c of ops) {
    if (typeof c === 'string') positions.add(pos);
    else pos += Math.abs(c);
  }
  return positions;
}

const counts = { cases: 0, json: 0, apply: 0, compose: 0, transformAB: 0, transformBA: 0, invert: 0, ties: 0 };
const mismatches = [];

function check(kind, rec, ours, theirs) {
  // ours: {value: string (op JSON text or document) | [string, string]} or {error}
  // theirs: {value: JSON text | document | [JSON text, JSON text]} or {error}
  counts[kind] += 1;
  const oursText = 'error' in ours ? 'error: ' + ours.error : JSON.stringify(ours.value);
  const theirsText = 'error' in theirs ? 'error: ' + theirs.error : JSON.stringify(theirs.value);
  if (oursText !== theirsText) {
    mismatches.push({ id: rec.id, kind, doc: rec.doc, a: rec.a, b: rec.b, c: rec.c, ours: oursText,
      otjs: theirsText });
  }
}

const lines = text.split('\n').filter((l) => l.length > 0);
for (const line of lines) {
  let rec;
  try {
    rec = JSON.parse(line);
  } catch (e) {
    fail(1, 'malformed case line: ' + e.message + ': ' + line.slice(0, 200));
  }
  counts.cases += 1;
  const A = run(() => TextOperation.fromJSON(rec.a));
  const B = run(() => TextOperation.fromJSON(rec.b));
  const C = run(() => TextOperation.fromJSON(rec.c));
  const opText = (r) => ('error' in r ? r : { value: JSON.stringify(r.value) });
  const pairText = (r) => ('error' in r ? r : { value: r.value.map((op) => JSON.stringify(op)) });
  const need = (...ops) => {
    for (const o of ops) if ('error' in o) return o;
    return null;
  };

  // Normalization and serializer: our toJsonBytes() of each input against ot.js's.
  check('json', rec, rec.aJson, opText(A));
  check('json', rec, rec.bJson, opText(B));
  check('json', rec, rec.cJson, opText(C));
  check('apply', rec, rec.applyA, need(A) || run(() => A.value.apply(rec.doc)));
  check('apply', rec, rec.applyB, need(B) || run(() => B.value.apply(rec.doc)));
  check('compose', rec, rec.compose, need(A, C) || opText(run(() => A.value.compose(C.value))));
  check('transformAB', rec, rec.transformAB,
    need(A, B) || pairText(run(() => TextOperation.transform(A.value, B.value))));
  check('transformBA', rec, rec.transformBA,
    need(A, B) || pairText(run(() => TextOperation.transform(B.value, A.value))));
  check('invert', rec, rec.invertA, need(A) || opText(run(() => A.value.invert(rec.doc))));

  const pa = insertPositions(rec.a);
  for (const p of insertPositions(rec.b)) {
    if (pa.has(p)) {
      counts.ties += 1;
      break;
    }
  }
}

console.log('compare.js: ot.js ' + otVersion + ', ' + counts.cases + ' cases: ' +
  counts.json + ' JSON, ' + counts.apply + ' apply, ' + counts.compose + ' compose, ' +
  counts.transformAB + ' transform(a,b), ' + counts.transformBA + ' transform(b,a), ' +
  counts.invert + ' invert checks; ' + counts.ties + ' cases where a and b insert at the same position');

for (const m of mismatches.slice(0, MAX_REPORTED)) {
  console.log('MISMATCH case ' + m.id + ' (' + m.kind + ')\n  doc:   ' + JSON.stringify(m.doc) +
    '\n  a:     ' + JSON.stringify(m.a) + '\n  b:     ' + JSON.stringify(m.b) + '\n  c:     ' +
    JSON.stringify(m.c) + '\n  ours:  ' + m.ours + '\n  ot.js: ' + m.otjs);
}
if (mismatches.length > 0) {
  fail(1, mismatches.length + ' mismatches' + (mismatches.length > MAX_REPORTED ?
    ' (first ' + MAX_REPORTED + ' shown)' : ''));
}
for (const kind of ['apply', 'compose', 'transformAB', 'transformBA', 'ties']) {
  if (counts[kind] === 0) fail(1, 'no ' + kind + ' checks ran: the cases file is empty or incomplete');
}
console.log('compare.js: all results match ot.js');
