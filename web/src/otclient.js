// SPDX-License-Identifier: MIT
// OtClient: the three-state OT client of collab/client.h, written again for the browser on ot.js's own
// TextOperation (so transform, compose and apply are ot.js's, the relay's semantics). Pure: no socket, no
// editor. Each call returns the effects the caller carries out: `send` (an operation for the relay) and
// `apply` (an operation for the local editor).
//
//   Synchronized --local edit--> AwaitingAck --local edit--> AwaitingAckWithBuffer
//        ^                         |    ^                          |
//        +-------- ack ------------+    +---------- ack -----------+ (the buffer is sent)
//
// Invariants (as collab/client.h states them):
//   - `outstanding` = {revision, seq, op}: the operation in flight, always transformed to apply to the relay's
//     `revision`, so a resend is the stored object as it is;
//   - `buffer` exists only beside an outstanding operation (edits typed while one is in flight);
//   - a sequence number is handed out when an edit becomes the outstanding operation, never to the buffer,
//     so they reach the relay without gaps, and one seq always names the same operation (the relay
//     deduplicates by clientId and seq: a changed operation under an old seq would be dropped as a resend);
//   - an edit too large for one message is split when it becomes outstanding: the first piece goes, the rest
//     waits at the front of the buffer; together they compose to the edit;
//   - offline, nothing is sent: the first edit becomes an unsent outstanding operation, the rest the buffer.
import TextOperation from 'ot/lib/text-operation.js';
import Selection from 'ot/lib/selection.js';

export { TextOperation, Selection };

export class OtError extends Error {}

export class OtClient {
  constructor(clientId, revision = 0, lastSequence = 0) {
    this.clientId = clientId;
    this.revision = revision;
    this.lastSequence = lastSequence;
    this.online = true;
    this.outstanding = null;
    this.buffer = null;
    this.maxOperationBytes = 0;       // 0: no limit
    this.maxOperationComponents = 0;  // 0: no limit
  }

  get state() {
    if (!this.outstanding) return 'synchronized';
    return this.buffer ? 'awaiting-with-buffer' : 'awaiting-ack';
  }

  hasPending() {
    return this.outstanding !== null || this.buffer !== null;
  }

  // The user edited the local document.
  applyClient(op) {
    if (op.isNoop()) return {};
    if (this.outstanding) {
      this.buffer = this.buffer ? this.buffer.compose(op) : op;
      return {};
    }
    this.buffer = op;
    this.#promoteBuffer();
    return this.online ? { send: this.outstanding } : {};
  }

  // The relay broadcast `op`, which produced `revision`. An operation already seen is ignored; our own
  // outstanding one (author and seq) is its acknowledgement.
  applyServer(revision, op, author, seq) {
    if (revision <= this.revision) return {};
    if (revision !== this.revision + 1)
      throw new OtError(`operation at revision ${revision} while the client is at ${this.revision}: a gap`);
    if (this.outstanding && author === this.clientId && seq === this.outstanding.seq)
      return this.#acknowledge(revision);
    let toApply = op;
    let outstanding = this.outstanding;
    let buffer = this.buffer;
    if (outstanding) {
      const [a, b] = TextOperation.transform(outstanding.op, toApply);
      outstanding = { revision, seq: outstanding.seq, op: a };
      toApply = b;
    }
    if (buffer) {
      const [a, b] = TextOperation.transform(buffer, toApply);
      buffer = a;
      toApply = b;
    }
    this.revision = revision;
    this.outstanding = outstanding;
    this.buffer = buffer;
    return { apply: toApply };
  }

  // The relay acknowledged operation `seq` as `revision`. Stale or duplicate acknowledgements are ignored.
  serverAck(revision, seq) {
    if (!this.outstanding || seq !== this.outstanding.seq || revision <= this.revision) return {};
    if (revision !== this.revision + 1)
      throw new OtError(`acknowledgement at revision ${revision} while the client is at ${this.revision}`);
    return this.#acknowledge(revision);
  }

  disconnected() {
    this.online = false;
  }

  // Back online after the missed operations were applied: what to resend (the same seq, rebased).
  resumed() {
    this.online = true;
    if (!this.outstanding && this.buffer) this.#promoteBuffer();
    if (!this.outstanding) return {};
    this.outstanding = { ...this.outstanding, revision: this.revision };
    return { send: this.outstanding };
  }

  // The outstanding operation was refused for good (the relay will never apply it): drop it and what was
  // typed after it. `serverText` is the text at revision(). Returns the operation that takes the local
  // document back to it (null when nothing was pending).
  discardPending(serverText) {
    const pending = [this.outstanding?.op, this.buffer].filter(Boolean);
    this.outstanding = null;
    this.buffer = null;
    if (!pending.length) return null;
    return pending.reduce((a, b) => a.compose(b)).invert(serverText);
  }

  // A selection another participant has at the relay's revision, in our local coordinates (our pending
  // edits are not theirs: an insert at their caret leaves it before the insert).
  transformSelection(selection) {
    let result = selection;
    if (this.outstanding) result = transformSelection(result, this.outstanding.op, false);
    if (this.buffer) result = transformSelection(result, this.buffer, false);
    return result;
  }

  // For the local store: everything needed to carry on after a reload.
  snapshot() {
    return {
      clientId: this.clientId,
      revision: this.revision,
      lastSequence: this.lastSequence,
      outstanding: this.outstanding
        ? { revision: this.outstanding.revision, seq: this.outstanding.seq, op: this.outstanding.op.toJSON() }
        : null,
      buffer: this.buffer ? this.buffer.toJSON() : null,
    };
  }

  static restore(saved) {
    const client = new OtClient(saved.clientId, saved.revision, saved.lastSequence);
    if (saved.outstanding)
      client.outstanding = {
        revision: saved.outstanding.revision,
        seq: saved.outstanding.seq,
        op: TextOperation.fromJSON(saved.outstanding.op),
      };
    if (saved.buffer) client.buffer = TextOperation.fromJSON(saved.buffer);
    return client;
  }

  #acknowledge(revision) {
    this.revision = revision;
    this.outstanding = null;
    if (!this.buffer) return {};
    this.#promoteBuffer();
    return this.online ? { send: this.outstanding } : {};
  }

  #promoteBuffer() {
    let op = this.buffer;
    this.buffer = null;
    const [first, rest] = splitToFit(op, this.maxOperationBytes, this.maxOperationComponents);
    if (rest) this.buffer = rest;
    this.outstanding = { revision: this.revision, seq: ++this.lastSequence, op: first };
  }
}

// A position moved through `op` as the relay moves stored selections (collab/selection.cpp): at an insert
// exactly at the position it moves after the insert only for the author's own edit (own typing pushes
// one's caret along); other people's inserts there leave it before. (ot.js's Selection.transform always
// moves it after, which would draw carets elsewhere than the relay and the desktop editor keep them.)
export function transformIndex(index, op, isOwn) {
  index = Math.max(0, Math.min(index, op.baseLength));
  let position = 0;
  let shift = 0;
  for (const c of op.ops) {
    if (position > index) break;
    if (TextOperation.isRetain(c)) position += c;
    else if (TextOperation.isInsert(c)) { if (position < index || isOwn) shift += c.length; }
    else { if (position < index) shift -= Math.min(-c, index - position); position -= c; }
  }
  return Math.max(0, Math.min(index + shift, op.targetLength));
}

export function transformSelection(selection, op, isOwn) {
  return new Selection(selection.ranges.map((r) => {
    const anchor = transformIndex(r.anchor, op, isOwn);
    const head = r.anchor === r.head ? anchor : transformIndex(r.head, op, isOwn);
    return new Selection.Range(anchor, head);
  }));
}

// A message as the page sends it: JSON with every character outside ASCII escaped (\uXXXX), so the frame is
// pure ASCII. Browsers cut a large message into several frames wherever they like, and Qt 6.4's receiver (the
// relay's) rejects a frame that ends inside a UTF-8 sequence with close 1007 (docs/PROTOCOL.md, Transport):
// an ASCII message can be cut anywhere.
export function wireJson(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g,
                                       (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// The bytes of `s` as wireJson() writes it as a JSON string (quotes included): what the relay counts.
export function jsonStringBytes(s) {
  let bytes = 2;
  for (let i = 0; i < s.length; ++i) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09) bytes += 2;
    else if (c < 0x20 || c >= 0x7f) bytes += 6;
    else bytes += 1;
  }
  return bytes;
}

// Splits `op` into [first, rest] with first.compose(rest) equal to op, first within `maxBytes` of encoded
// JSON and `maxComponents` components (0: no limit); rest is null when op fits. Only inserts are cut (at a
// code point boundary); retains and deletes are a few bytes each.
export function splitToFit(op, maxBytes, maxComponents) {
  const ops = op.ops;
  // Room for the closing retain, which is at most the base length.
  const byteBudget = maxBytes > 0 ? maxBytes - String(op.baseLength).length - 1 : Infinity;
  // Room for the closing retain; at least two components (a retain and an edit) so every piece progresses.
  const componentBudget = maxComponents > 0 ? Math.max(2, maxComponents - 1) : Infinity;
  let bytes = 2;
  let consumed = 0;  // base length covered by the first piece
  let produced = 0;  // its target length up to the cut
  const first = new TextOperation();
  for (let i = 0; i < ops.length; ++i) {
    const c = ops[i];
    const cost = typeof c === 'string' ? jsonStringBytes(c) + 1 : String(c).length + 1;
    // A leading retain or delete always goes in (a few bytes), so every piece makes progress.
    const fits = bytes + cost <= byteBudget || (first.ops.length === 0 && typeof c !== 'string');
    if (fits && first.ops.length < componentBudget) {
      bytes += cost;
      if (TextOperation.isRetain(c)) { first.retain(c); consumed += c; produced += c; }
      else if (TextOperation.isInsert(c)) { first.insert(c); produced += c.length; }
      else { first['delete'](c); consumed -= c; }
      continue;
    }
    // The cut falls at component i. An insert is cut so its head fills what the budget leaves.
    let head = '';
    if (TextOperation.isInsert(c) && first.ops.length < componentBudget) {
      let room = byteBudget - bytes - 3;
      let end = 0;
      while (end < c.length) {
        const step = c.charCodeAt(end) >= 0xd800 && c.charCodeAt(end) <= 0xdbff && end + 1 < c.length ? 2 : 1;
        const need = jsonStringBytes(c.slice(end, end + step)) - 2;
        if (need > room) break;
        room -= need;
        end += step;
      }
      // A piece must change something: with a budget smaller than one character (never the relay's, which
      // is about a megabyte) take one character anyway.
      if (end === 0 && !first.ops.some((x) => !TextOperation.isRetain(x)))
        end = (c.charCodeAt(0) & 0xfc00) === 0xd800 && c.length > 1 ? 2 : 1;
      head = c.slice(0, end);
    }
    if (head === '' && first.ops.length === 0 && !TextOperation.isRetain(c))
      throw new OtError('an operation cannot be split to fit the relay\'s message limit');
    if (head) { first.insert(head); produced += head.length; }
    const base = op.baseLength;
    if (base - consumed > 0) first.retain(base - consumed);
    const rest = new TextOperation();
    if (produced > 0) rest.retain(produced);
    if (head) rest.insert(c.slice(head.length));
    else if (TextOperation.isRetain(c)) rest.retain(c);
    else if (TextOperation.isInsert(c)) rest.insert(c);
    else rest['delete'](c);
    for (let j = i + 1; j < ops.length; ++j) {
      const d = ops[j];
      if (TextOperation.isRetain(d)) rest.retain(d);
      else if (TextOperation.isInsert(d)) rest.insert(d);
      else rest['delete'](d);
    }
    return [first, rest];
  }
  return [op, null];
}
