// SPDX-License-Identifier: MIT
// DocumentSession: one open document, as sync/documentsession.h is for the desktop. It joins the OT client
// (otclient.js), the relay link (relaylink.js), the local store (store.js) and an editor that implements
//   text() -> string, applyRemote(op), replaceAll(text), setReadOnly(bool), presenceChanged().
// The editor calls localEdit(op, textBefore) for every change the user makes and localSelection(selection)
// when the caret moves.
//
// Rules it keeps (docs/PROTOCOL.md, "Editing", "Reconnecting", "Presence"):
//   - one operation in flight; it leaves only after the state naming its seq is in the local store;
//   - after a reconnect, `open` with our revision and `pending: true` while edits are unacknowledged, so the
//     catch-up comes as operations and our own landed operation is recognised by author and seq, then the
//     outstanding operation is resent with its seq (the relay re-acknowledges a duplicate, never applies it);
//   - the relay's text at our revision (`base`) is kept while edits are pending, so a refused edit can be
//     undone exactly and a reload can rebuild the local text from base + pending;
//   - other participants' selections are kept at the relay's revision and shown through our pending edits.
import { OtClient, TextOperation, Selection, transformSelection } from './otclient.js';

const TerminalRefusals = new Set(['document-too-large', 'invalid-operation', 'base-length-mismatch',
                                  'splits-surrogate-pair', 'out-of-order-sequence', 'read-only']);
const AckTimeoutMs = 20000;
const IdleAfterMs = 120000;

function randomHex(bytes) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function newIdentity() {
  return { clientId: `web-${randomHex(12)}`, secret: randomHex(32) };
}

// The smallest replace turning `from` into `to` (common ends kept; cut on code point boundaries).
export function replaceBetween(from, to) {
  let start = 0;
  const max = Math.min(from.length, to.length);
  while (start < max && from.charCodeAt(start) === to.charCodeAt(start)) ++start;
  if (start > 0 && start < max && (from.charCodeAt(start) & 0xfc00) === 0xdc00) --start;
  let end = 0;
  while (end < max - start && from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end)) ++end;
  if (end > 0 && (from.charCodeAt(from.length - end) & 0xfc00) === 0xdc00) --end;
  const op = new TextOperation();
  op.retain(start);
  if (from.length - start - end > 0) op['delete'](from.length - start - end);
  if (to.length - start - end > 0) op.insert(to.slice(start, to.length - end));
  op.retain(end);
  return op;
}

export class DocumentSession extends EventTarget {
  constructor({ link, store, doc, slot, editor, create = false }) {
    super();
    this.link = link;
    this.store = store;
    this.doc = doc;
    this.key = `${doc}#${slot}`;
    this.editor = editor;
    this.create = create;
    this.client = null;
    this.identity = null;
    this.base = null;            // the relay's text at client.revision, while edits are pending
    this.pendingEdits = 0;       // edits typed and not yet acknowledged (shown in the status)
    this.role = null;            // 'read' | 'write' | 'admin' once opened
    this.name = doc;
    this.opened = false;
    this.restored = false;       // start() found unsent edits of an earlier life of this tab
    this.participants = new Map();  // connectionId -> {name, color, user, clientId, selection, rev, idle, readOnly}
    this.problem = null;         // {code, text, keptText?}: something the user should know and act on
    this.saved = true;           // the store holds the current pending state
    this.#onWelcome = () => this.#open();
    this.#onMessage = (e) => this.#receive(e.detail);
    this.#onState = () => this.#linkState();
  }

  #onWelcome;
  #onMessage;
  #onState;
  #ackTimer = null;
  #selection = null;
  #selectionSent = null;
  #selectionTimer = null;
  #idle = false;
  #idleTimer = null;
  #resendTimer = null;

  // Restore what an earlier life of this tab left unsent, then connect.
  async start() {
    const record = await this.store.load(this.key);
    if (record && (record.outstanding || record.buffer)) {
      this.client = OtClient.restore(record);
      this.identity = { clientId: record.clientId, secret: record.secret };
      this.base = record.base;
      this.pendingEdits = record.pendingEdits ?? 1;
      this.name = record.name ?? this.doc;
      let text = this.base;
      if (this.client.outstanding) text = this.client.outstanding.op.apply(text);
      if (this.client.buffer) text = this.client.buffer.apply(text);
      this.editor.replaceAll(text);
      this.restored = true;
      this.editor.setReadOnly(false);  // offline work goes on where it stopped
    } else {
      this.identity = newIdentity();
      this.client = new OtClient(this.identity.clientId);
    }
    this.client.disconnected();
    this.link.addEventListener('welcome', this.#onWelcome);
    this.link.addEventListener('message', this.#onMessage);
    this.link.addEventListener('state', this.#onState);
    this.#trackIdle();
    if (this.link.isConnected) this.#open();
    this.#changed();
  }

  // The document did not exist (problem 'no-such-document') and the user asked to create it.
  createDocument() {
    this.problem = null;
    this.create = true;
    if (this.link.isConnected) this.#open();
    this.#changed();
  }

  stop() {
    this.link.removeEventListener('welcome', this.#onWelcome);
    this.link.removeEventListener('message', this.#onMessage);
    this.link.removeEventListener('state', this.#onState);
    clearTimeout(this.#ackTimer);
    clearTimeout(this.#selectionTimer);
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#resendTimer);
  }

  // Editing is possible with the write role, and offline in a tab that came back with unsent edits (it
  // had the write role then); a tab that never opened the document shows it read-only until it is opened.
  get canEdit() {
    return this.role === 'write' || this.role === 'admin' || (!this.opened && !!this.restored);
  }

  // --- from the editor -----------------------------------------------------------------------------------

  // `textBefore`: the text before the edit, or a function giving it (read only when nothing was pending).
  localEdit(op, textBefore) {
    if (op.isNoop()) return;
    if (!this.client.hasPending()) this.base = typeof textBefore === 'function' ? textBefore() : textBefore;
    ++this.pendingEdits;
    const effects = this.client.applyClient(op);
    this.#persistThenSend(effects.send);
    this.#activity();
    this.#changed();
  }

  localSelection(selection) {
    this.#selection = selection;
    this.#activity();
    if (this.#selectionTimer) return;
    this.#selectionTimer = setTimeout(() => {
      this.#selectionTimer = null;
      this.#sendSelection();
    }, 50);
  }

  // Other participants' selections in local coordinates, for drawing.
  remoteSelections() {
    const out = [];
    for (const [id, p] of this.participants) {
      if (!p.selection) continue;
      let selection = p.selection;
      if (p.rev === this.client.revision) selection = this.client.transformSelection(selection);
      out.push({ id, name: p.name, color: p.color, idle: p.idle, moves: p.moves, ranges: selection.ranges });
    }
    return out;
  }

  // --- relay traffic -------------------------------------------------------------------------------------

  // Every operation fits the relay's message limit with its envelope (doc, numbers, up to 64 selection
  // ranges) and its component limit (welcome.limits, docs/PROTOCOL.md): a larger edit goes in pieces.
  #applyLimits() {
    const limits = this.link.welcome?.limits ?? {};
    if (limits.maxMessageBytes) this.client.maxOperationBytes = Math.max(256, limits.maxMessageBytes - 8192);
    if (limits.maxOperationComponents) this.client.maxOperationComponents = limits.maxOperationComponents;
  }

  #open() {
    this.#applyLimits();
    this.participants.clear();
    const message = { type: 'open', id: `open-${this.doc}`, doc: this.doc };
    if (this.opened || this.restored) {
      message.revision = this.client.revision;
      if (this.client.hasPending()) message.pending = true;
    } else if (this.create) {
      message.create = true;
    }
    this.link.send(message);
  }

  #linkState() {
    if (!this.link.isConnected) {
      this.client.disconnected();
      clearTimeout(this.#ackTimer);
      for (const p of this.participants.values()) p.selection = null;
      this.participants.clear();
      this.editor.presenceChanged();
    }
    this.#changed();
  }

  #receive(m) {
    if (m.doc !== undefined && m.doc !== this.doc) return;
    switch (m.type) {
    case 'opened': return this.#onOpened(m);
    case 'ack': return this.#onAck(m);
    case 'op': return this.#onOp(m);
    case 'selection': return this.#onSelection(m);
    case 'join': return this.#onJoin(m.participant);
    case 'leave':
      this.participants.delete(m.connectionId);
      this.editor.presenceChanged();
      return this.#changed();
    case 'idle': {
      const p = this.participants.get(m.connectionId);
      if (p) p.idle = m.idle;
      this.editor.presenceChanged();
      return this.#changed();
    }
    case 'renamed':
      this.name = m.name;
      return this.#changed();
    case 'deleted':
      this.problem = { code: 'deleted', text: 'This document was deleted on the relay.',
                       keptText: this.editor.text() };
      this.role = 'read';
      this.editor.setReadOnly(true);
      return this.#changed();
    case 'closed':
      return undefined;
    case 'error': return this.#onError(m);
    default: return undefined;
    }
  }

  #onOpened(m) {
    const fresh = !this.opened && !this.restored;
    this.role = m.role;
    this.name = m.name ?? this.doc;
    this.editor.setReadOnly(!this.canEdit);
    if (m.snapshot !== undefined && !fresh && m.revision < this.client.revision) {
      // The relay is behind what this page saw: it lost history (its database replaced by an older backup, or
      // lost) and no longer knows our sequence numbers; it would refuse the next one for good. Go on as a new
      // client numbered from 1 (nothing of ours can be in its log past its revision), the edits not yet
      // acknowledged rebased on its text, after a new hello. What it lost is not pushed back: every editor
      // that kept a copy would push its own.
      const seen = this.client.revision;
      const hadPending = this.client.hasPending();
      this.identity = newIdentity();
      this.#startOver(m.snapshot, m.revision, 0, hadPending);
      this.problem = { code: 'relay-went-back', text: `The relay's copy of this document went back to an older `
                       + `state (revision ${m.revision}; this page had seen ${seen}): edits it lost are gone from `
                       + 'it. Your unsent edits are kept and sent again.' };
      this.#persistThenSend(null);
      this.link.reconnectNow('Reconnecting as a new client.');
      return;
    }
    if (m.snapshot !== undefined) {
      // The whole text: a first open, or the relay could not give operations (edits typed here stay).
      this.#startOver(m.snapshot, m.revision, this.client.lastSequence, this.client.hasPending() && !fresh);
    } else {
      for (const entry of m.ops) {
        const op = TextOperation.fromJSON(entry.op);
        if (entry.rev <= this.client.revision) continue;
        if (this.client.hasPending()) this.base = op.apply(this.base);
        const effects = this.client.applyServer(entry.rev, op, entry.author, entry.seq);
        if (effects.apply) this.editor.applyRemote(effects.apply);
        if (!this.client.hasPending()) this.#synchronized();
      }
    }
    if (m.more) {
      this.link.send({ type: 'open', doc: this.doc, revision: this.client.revision, pending: true });
      return;
    }
    this.opened = true;
    this.participants.clear();
    for (const p of m.participants ?? []) this.#onJoin(p, false);
    const effects = this.client.resumed();
    this.#persistThenSend(effects.send);
    this.#sendIdle(this.#idle, true);
    this.#selectionSent = null;
    this.#sendSelection();
    this.editor.presenceChanged();
    this.#changed();
  }

  // The relay's whole text at `revision` replaces ours: a new client (this.identity's id, numbered after
  // `lastSequence`); with `keepPending` the text as typed stays, as one edit on top of it.
  #startOver(snapshot, revision, lastSequence, keepPending) {
    const local = this.editor.text();
    const pendingEdits = this.pendingEdits;
    this.client = new OtClient(this.identity.clientId, revision, lastSequence);
    this.client.disconnected();
    this.#applyLimits();
    this.editor.replaceAll(snapshot);
    this.base = null;
    this.pendingEdits = 0;
    if (keepPending && local !== snapshot) {
      const keep = replaceBetween(snapshot, local);
      this.base = snapshot;
      this.client.applyClient(keep);
      this.editor.applyRemote(keep);
      this.pendingEdits = Math.max(1, pendingEdits);
    }
  }

  #onAck(m) {
    const outstanding = this.client.outstanding;
    if (!outstanding || outstanding.seq !== m.seq || m.rev !== this.client.revision + 1) return;
    clearTimeout(this.#ackTimer);
    this.base = outstanding.op.apply(this.base);
    this.#moveSelections(outstanding.op, m.rev);
    const effects = this.client.serverAck(m.rev, m.seq);
    if (!this.client.hasPending()) this.#synchronized();
    this.#persistThenSend(effects.send);
    if (!this.client.hasPending()) this.#sendSelection();
    this.#changed();
  }

  #onOp(m) {
    const op = TextOperation.fromJSON(m.op);
    if (m.rev <= this.client.revision) return;
    if (this.client.hasPending()) this.base = op.apply(this.base);
    const effects = this.client.applyServer(m.rev, op, m.author, m.seq);
    if (effects.apply) this.editor.applyRemote(effects.apply);
    this.#moveSelections(op, m.rev, m.connectionId || null);
    const author = m.connectionId ? this.participants.get(m.connectionId) : null;
    if (author && m.selection) {
      author.selection = Selection.fromJSON(m.selection);
      author.rev = m.rev;
      ++author.moves;
    }
    if (!this.client.hasPending()) this.#synchronized();
    this.#persistLater();
    this.editor.presenceChanged();
    this.#changed();
  }

  #onSelection(m) {
    const p = this.participants.get(m.connectionId);
    if (!p) return;
    p.selection = Selection.fromJSON(m.selection);
    p.rev = m.rev;
    ++p.moves;
    this.editor.presenceChanged();
  }

  #onJoin(p, notify = true) {
    this.participants.set(p.connectionId, {
      name: p.name || p.user || 'Anonymous', color: p.color || '#808080', user: p.user, clientId: p.clientId,
      selection: p.selection ? Selection.fromJSON(p.selection) : null, rev: this.client.revision,
      idle: !!p.idle, readOnly: !!p.readOnly, moves: 0,
    });
    if (notify) {
      this.editor.presenceChanged();
      this.#changed();
    }
  }

  // Stored selections follow an operation the relay committed as `revision`, as the relay moves them: the
  // author's own caret is pushed along by its insert, everyone else's stays before it.
  #moveSelections(op, revision, authorConnectionId = null) {
    for (const [id, p] of this.participants)
      if (p.selection && p.rev < revision) {
        p.selection = transformSelection(p.selection, op, id === authorConnectionId);
        p.rev = revision;
      }
  }

  #onError(m) {
    // Errors about the connection itself (a refused hello) are the link's to report.
    if (m.doc === undefined && !m.ref?.startsWith('op-') && !m.ref?.startsWith('open-')) return undefined;
    const ours = this.client.outstanding;
    if (m.code === 'rate-limited' || m.code === 'conflict-retry') {
      if (m.ref?.startsWith('open-') || (ours && m.ref === `op-${ours.seq}`)) {
        clearTimeout(this.#resendTimer);
        this.#resendTimer = setTimeout(() => (m.ref.startsWith('open-') ? this.#open() : this.#send(ours)),
                                       m.retryAfterMs ?? 1000);
      }
      return;
    }
    if (m.code === 'no-such-document' && !this.opened) {
      this.problem = { code: m.code, text: `There is no document “${this.doc}” on this relay.` };
      return this.#changed();
    }
    if (m.code === 'forbidden' && !this.opened) {
      this.problem = { code: m.code, text: 'Your token does not give access to this document.' };
      return this.#changed();
    }
    if (m.code === 'revision-too-old' || m.code === 'not-open' || (m.code === 'server-error' && m.doc)) {
      clearTimeout(this.#resendTimer);
      this.#resendTimer = setTimeout(() => this.#open(), 1000);
      return;
    }
    if (ours && m.ref === `op-${ours.seq}` && TerminalRefusals.has(m.code)) {
      // Refused for good: the relay will never apply it. Keep the text as typed for the user to save, and
      // go back to the relay's text so the document stays the one everybody has.
      const kept = this.editor.text();
      const undo = this.client.discardPending(this.base);
      if (undo) this.editor.applyRemote(undo);
      this.base = null;
      this.pendingEdits = 0;
      this.#persistThenSend(null);
      this.problem = { code: m.code, keptText: kept,
                       text: m.code === 'read-only' ? 'You can only read this document: your edit was not sent.'
                           : m.code === 'document-too-large' ? 'The relay refused the edit: the document would be larger than it allows.'
                           : `The relay refused the edit (${m.code}): ${m.message}` };
      if (m.code === 'read-only') { this.role = 'read'; this.editor.setReadOnly(true); }
      return this.#changed();
    }
    return undefined;
  }

  #synchronized() {
    this.pendingEdits = 0;
    this.base = null;
  }

  // --- sending -------------------------------------------------------------------------------------------

  #record() {
    if (!this.client.hasPending()) return null;
    return { ...this.client.snapshot(), secret: this.identity.secret, base: this.base,
             pendingEdits: this.pendingEdits, name: this.name, doc: this.doc };
  }

  #persistThenSend(outgoing) {
    this.saved = false;
    const record = this.#record();
    // The outstanding operation may have been rebased meanwhile (a remote operation arrived): what leaves is
    // the current one under the same seq, which the saved state already names.
    const sendIfStill = () => {
      if (outgoing && this.client.outstanding?.seq === outgoing.seq) this.#send(this.client.outstanding);
    };
    this.store.save(this.key, record).then(() => {
      if (record === this.#lastRecordAsked) this.saved = true;
      this.#changed();
      sendIfStill();
    }, (error) => {
      this.problem = { code: 'store', text: `This browser could not keep your unsent edits (${error.message}).` };
      sendIfStill();
      this.#changed();
    });
    this.#lastRecordAsked = record;
  }

  #lastRecordAsked = null;
  #persistTimer = null;

  #persistLater() {
    if (this.#persistTimer) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = null;
      this.#persistThenSend(null);
    }, 250);
  }

  #send(outgoing) {
    if (!this.link.isConnected || !this.opened || !outgoing) return;
    const message = { type: 'op', id: `op-${outgoing.seq}`, doc: this.doc, rev: outgoing.revision,
                      seq: outgoing.seq, op: outgoing.op.toJSON() };
    // The selection after this op, when nothing else is pending (then local coordinates are the op's).
    if (this.#selection && !this.client.buffer) message.selection = this.#selectionJson(this.#selection);
    this.link.send(message);
    clearTimeout(this.#ackTimer);
    this.#ackTimer = setTimeout(() => this.link.reconnectNow('No answer from the relay: reconnecting.'),
                                AckTimeoutMs);
  }

  #selectionJson(selection) {
    return { ranges: selection.ranges.slice(0, 64).map((r) => ({ anchor: r.anchor, head: r.head })) };
  }

  #sendSelection() {
    if (!this.#selection || !this.opened || !this.link.isConnected || this.client.hasPending()) return;
    const json = JSON.stringify(this.#selectionJson(this.#selection));
    if (json === this.#selectionSent) return;
    this.#selectionSent = json;
    this.link.send({ type: 'selection', doc: this.doc, rev: this.client.revision, selection: JSON.parse(json) });
  }

  // The relay assumes a new participant active: after opening only `idle: true` needs saying (force).
  #sendIdle(idle, force = false) {
    if (idle === this.#idle && !(force && idle)) return;
    this.#idle = idle;
    if (this.opened && this.link.isConnected) this.link.send({ type: 'idle', doc: this.doc, idle });
  }

  #trackIdle() {
    document.addEventListener('visibilitychange', () => this.#sendIdle(document.hidden));
    this.#activity();
  }

  #activity() {
    if (this.#idle && !document.hidden) this.#sendIdle(false);
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#sendIdle(true), IdleAfterMs);
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('changed'));
  }
}
