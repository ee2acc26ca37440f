// SPDX-License-Identifier: MIT
// Loads an editing trace (editing-traces by Joseph Gentle, CC BY 4.0) and turns it into single-keystroke
// edits with UTF-16 positions, the units of both JavaScript strings and QString. The same conversion as
// bench/tracereader.cpp, done before any timing starts.
'use strict';

const fs = require('fs');
const zlib = require('zlib');

function hasAstral(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

// Code point offset `cp` in `doc` -> UTF-16 offset (scans only when the document has surrogates).
function toUtf16(doc, cp, astral) {
  if (!astral) return cp;
  let i = 0;
  for (let n = 0; n < cp && i < doc.length; n++) {
    const c = doc.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  return i;
}

// Returns {edits: [[pos, delLen, insStr]...] in UTF-16 units, endContent} for `repeat` rounds: each round
// replays the trace after the text the previous rounds left (positions shifted by its length), so the
// result is endContent repeated `repeat` times.
function loadTrace(file, repeat) {
  const data = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  if (data.startContent !== '') throw new Error('trace does not start empty');
  // Positions are code points. The document can only hold surrogate pairs if some insert brought them;
  // without any, code points and UTF-16 units coincide and the positions are used as they are. Otherwise
  // the document is rebuilt as we go to convert each position (slow, but untimed).
  const astral = data.txns.some((t) => t.patches.some((p) => hasAstral(p[2])));
  const round = [];
  let doc = '';
  let length = 0;
  for (const txn of data.txns) {
    for (const [pos, del, ins] of txn.patches) {
      const from = toUtf16(doc, pos, astral);
      const to = toUtf16(doc, pos + del, astral);
      round.push([from, to - from, ins]);
      if (astral) doc = doc.slice(0, from) + ins + doc.slice(to);
      length += ins.length - (to - from);
    }
  }
  if (length !== data.endContent.length) throw new Error('trace length mismatch while converting');
  const edits = [];
  for (let r = 0; r < repeat; r++) {
    const shift = r * length;
    for (const [p, d, s] of round) edits.push([p + shift, d, s]);
  }
  return {edits, endContent: data.endContent.repeat(repeat), rounds: repeat};
}

module.exports = {loadTrace};
