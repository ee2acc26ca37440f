// SPDX-License-Identifier: MIT
// The browser's OT client against a model of the relay built on ot.js's own Server (transform over the
// operations since the sent revision) plus the relay's dedup by (clientId, seq): random schedules with lost,
// duplicated and reordered-between-links messages, disconnects and reloads from the stored snapshot, as
// test-client-server.js does for ot.js. Every run must converge with every edit applied exactly once.
import test from 'node:test';
import assert from 'node:assert/strict';
import Server from 'ot/lib/server.js';
import { OtClient, TextOperation, Selection, splitToFit, jsonStringBytes, transformIndex, wireJson } from '../src/otclient.js';

// A small deterministic PRNG so a failure names its seed.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const alphabet = ['a', 'b', 'c', ' ', '\n', 'é', '😀', '𝄞'];

function randomEdit(random, text) {
  const op = new TextOperation();
  // Positions on code point boundaries, as an editor produces them.
  const boundaries = [0];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    boundaries.push(i);
  }
  const at = boundaries[Math.floor(random() * boundaries.length)];
  if (at > 0) op.retain(at);
  if (random() < 0.4 && at < text.length) {
    const ends = boundaries.filter((b) => b > at && b <= at + 6);
    const end = ends[Math.floor(random() * ends.length)];
    op['delete'](end - at);
    if (text.length - end > 0) op.retain(text.length - end);
    return op;
  }
  let s = '';
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; ++i) s += alphabet[Math.floor(random() * alphabet.length)];
  op.insert(s);
  if (text.length - at > 0) op.retain(text.length - at);
  return op;
}

class RelayModel {
  constructor() {
    this.server = new Server('');
    this.applied = new Map();  // `${clientId}/${seq}` -> revision
    this.log = [];             // {revision, op, author, seq}
  }
  receive(clientId, { revision, seq, op }) {
    const key = `${clientId}/${seq}`;
    if (this.applied.has(key)) return { ack: this.applied.get(key), seq, duplicate: true };
    const transformed = this.server.receiveOperation(revision, TextOperation.fromJSON(op.toJSON()));
    const rev = this.server.operations.length;
    this.applied.set(key, rev);
    const entry = { revision: rev, op: transformed, author: clientId, seq };
    this.log.push(entry);
    return { ack: rev, seq, entry };
  }
  since(revision) {
    return this.log.slice(revision);
  }
}

function simulate(seed, { clients: n = 3, steps = 400, limits = [0, 0] } = {}) {
  const random = rng(seed);
  const relay = new RelayModel();
  const peers = [];
  for (let i = 0; i < n; ++i) {
    const client = new OtClient(`c${i}`);
    [client.maxOperationBytes, client.maxOperationComponents] = limits;
    peers.push({ client, text: '', up: [], down: [], online: true });
  }
  const applyLocal = (p, op) => { if (op) p.text = op.apply(p.text); };
  const send = (p, effects) => { if (effects.send) p.up.push({ ...effects.send, op: effects.send.op }); };
  const reconnect = (p) => {
    p.online = true;
    for (const entry of relay.since(p.client.revision)) {
      const effects = p.client.applyServer(entry.revision, entry.op, entry.author, entry.seq);
      applyLocal(p, effects.apply);
    }
    send(p, p.client.resumed());
  };
  const deliverDown = (p, m) => {
    if (m.kind === 'ack') send(p, p.client.serverAck(m.revision, m.seq));
    else {
      const effects = p.client.applyServer(m.revision, m.op, m.author, m.seq);
      applyLocal(p, effects.apply);
      send(p, effects);
    }
  };

  for (let step = 0; step < steps; ++step) {
    const p = peers[Math.floor(random() * n)];
    const r = random();
    if (r < 0.35) {
      const op = randomEdit(random, p.text);
      p.text = op.apply(p.text);
      send(p, p.client.applyClient(op));
    } else if (r < 0.6 && p.up.length && p.online) {
      const m = p.up.shift();
      const reply = relay.receive(p.client.clientId, m);
      if (random() < 0.1) p.up.unshift(m);  // the network duplicates it
      p.down.push({ kind: 'ack', revision: reply.ack, seq: reply.seq });
      if (reply.entry)
        for (const other of peers)
          if (other !== p && other.online) other.down.push({ kind: 'op', ...reply.entry });
    } else if (r < 0.9 && p.down.length && p.online) {
      deliverDown(p, p.down.shift());
    } else if (r < 0.95 && p.online) {
      // The link drops: what was in flight either way is lost.
      p.online = false;
      p.up = [];
      p.down = [];
      p.client.disconnected();
    } else if (r < 0.98 && !p.online) {
      reconnect(p);
    } else if (!p.online) {
      // The page is reloaded while offline: only the stored snapshot survives.
      const saved = JSON.parse(JSON.stringify(p.client.snapshot()));
      p.client = OtClient.restore(saved);
      [p.client.maxOperationBytes, p.client.maxOperationComponents] = limits;
      p.client.disconnected();
    }
  }
  // Everyone comes back and the network settles.
  for (const p of peers) if (!p.online) reconnect(p);
  for (let round = 0; round < 10000; ++round) {
    let moved = false;
    for (const p of peers) {
      while (p.up.length) {
        moved = true;
        const m = p.up.shift();
        const reply = relay.receive(p.client.clientId, m);
        p.down.push({ kind: 'ack', revision: reply.ack, seq: reply.seq });
        if (reply.entry) for (const other of peers) if (other !== p) other.down.push({ kind: 'op', ...reply.entry });
      }
      while (p.down.length) { moved = true; deliverDown(p, p.down.shift()); }
    }
    if (!moved) break;
  }
  return { relay, peers };
}

test('random schedules converge, with drops, duplicates, reconnects and reloads', () => {
  for (let seed = 1; seed <= 300; ++seed) {
    const { relay, peers } = simulate(seed);
    for (const p of peers) {
      assert.equal(p.client.state, 'synchronized', `seed ${seed}: ${p.client.clientId} still has pending edits`);
      assert.equal(p.text, relay.server.document, `seed ${seed}: ${p.client.clientId} diverged`);
      assert.equal(p.client.revision, relay.log.length, `seed ${seed}`);
    }
    // Exactly once: the sequence numbers each client used are 1..n without a gap or a repeat.
    const seqs = new Map();
    for (const e of relay.log) seqs.set(e.author, [...(seqs.get(e.author) ?? []), e.seq]);
    for (const [author, list] of seqs)
      assert.deepEqual(list, list.map((_, i) => i + 1), `seed ${seed}: ${author} sequences ${list}`);
  }
});

test('split operations converge like whole ones', () => {
  for (let seed = 1; seed <= 150; ++seed) {
    const { relay, peers } = simulate(seed, { limits: [24, 3] });
    for (const p of peers) assert.equal(p.text, relay.server.document, `seed ${seed}: diverged`);
  }
});

test('splitToFit pieces compose to the operation and each fits', () => {
  const random = rng(7);
  for (let i = 0; i < 2000; ++i) {
    let text = '';
    const n = Math.floor(random() * 40);
    for (let k = 0; k < n; ++k) text += alphabet[Math.floor(random() * alphabet.length)];
    let op = new TextOperation().retain(text.length);
    for (let k = 0; k < 8; ++k) op = op.compose(randomEdit(random, op.apply(text)));
    const maxBytes = 32 + Math.floor(random() * 40);  // room for a retain and one escaped character
    const maxComponents = 3 + Math.floor(random() * 4);  // a retain, an edit, a retain: the least that progresses
    let rest = op;
    let composed = null;
    for (let pieces = 0; rest; ++pieces) {
      assert.ok(pieces < 1000, 'splitting makes progress');
      const [first, more] = splitToFit(rest, maxBytes, maxComponents);
      assert.ok(wireJson(first.toJSON()).length <= maxBytes || first.ops.length === 1,
                `piece ${JSON.stringify(first.toJSON())} over ${maxBytes} bytes`);
      assert.ok(first.ops.length <= maxComponents, `piece has ${first.ops.length} components`);
      for (const c of first.ops)
        if (typeof c === 'string') {
          const last = c.charCodeAt(c.length - 1);
          assert.ok(!(last >= 0xd800 && last <= 0xdbff), 'a piece ends inside a surrogate pair');
        }
      composed = composed ? composed.compose(first) : first;
      rest = more;
    }
    assert.equal(composed.apply(text), op.apply(text));
  }
});

test('the wire form is ASCII, reads back as the same value, and is counted exactly', () => {
  for (const s of ['', 'abc', 'é', '😀', '"\\', '\n\t', '\u0001', '日本語', '\u007f', 'a😀b\u2028'])  {
    const wire = wireJson(s);
    assert.ok(/^[\x20-\x7e]*$/.test(wire), `not ASCII: ${wire}`);
    assert.equal(JSON.parse(wire), s);
    assert.equal(jsonStringBytes(s), Buffer.byteLength(wire), s);
  }
  const message = { type: 'op', op: [3, 'ça 😀', -2], selection: { ranges: [{ anchor: 1, head: 1 }] } };
  assert.deepEqual(JSON.parse(wireJson(message)), message);
});

test('remote selections are shown through our pending edits, as the relay moves them', () => {
  const client = new OtClient('me');
  client.applyClient(new TextOperation().insert('ab'));           // outstanding
  client.applyClient(new TextOperation().retain(2).insert('c'));  // buffer
  // Our inserts at their caret leave it before them (collab/selection.cpp, isOwn false).
  assert.equal(client.transformSelection(Selection.createCursor(0)).ranges[0].head, 0);
});

// Cases worked through collab::Selection::transformIndex by hand, so both clients draw a caret in one place.
test('transformIndex follows collab::Selection::transformIndex', () => {
  const op = (...c) => { const o = new TextOperation(); for (const x of c) typeof x === 'string' ? o.insert(x) : x > 0 ? o.retain(x) : o['delete'](-x); return o; };
  const cases = [
    // [index, op, isOwn, expected]
    [2, op(2, 'xy', 3), false, 2],   // insert at the caret: others' leave it
    [2, op(2, 'xy', 3), true, 4],    // own typing pushes it
    [3, op(2, 'xy', 3), false, 5],   // insert before it
    [1, op(2, 'xy', 3), false, 1],   // insert after it
    [3, op(1, -3, 1), false, 1],     // inside a deletion: to its start
    [5, op(1, -3, 1), false, 2],     // after a deletion
    [1, op(1, -3, 1), false, 1],     // at a deletion's start
    [0, op('ab', -2), false, 0],
    [2, op('ab', -2), false, 2],     // the end of a replaced text
  ];
  for (const [index, o, own, expected] of cases)
    assert.equal(transformIndex(index, o, own), expected, `${index} through ${JSON.stringify(o.toJSON())} own=${own}`);
});
