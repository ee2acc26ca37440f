// SPDX-License-Identifier: MIT
// The CodeMirror binding: CodeMirror transactions <-> ot.js operations, the one place that knows both, as
// ui/ does for QTextDocument on the desktop (and ot.js's codemirror-adapter.js for CodeMirror 5). It also
// draws the other participants' carets, selections and name labels.
//
// Positions are UTF-16 code units on both sides (JavaScript strings). The line separator is fixed to "\n"
// so CodeMirror keeps a "\r" as a character instead of turning "\r\n" into one break: lengths must match
// the relay's text exactly.
import { EditorState, EditorSelection, Compartment, StateEffect, StateField, Annotation, Transaction } from '@codemirror/state';
import { EditorView, Decoration, WidgetType, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { TextOperation, Selection } from './otclient.js';

const Remote = Annotation.define();
const SetPresence = StateEffect.define();

// A remote caret with its name above it. The label fades out a few seconds after the caret last moved (the
// text under it stays readable) and comes back when it moves again or the pointer rests on the caret: a new
// `moves` count makes a new widget, which restarts the fade.
class CaretWidget extends WidgetType {
  constructor(name, color, idle, moves) {
    super();
    this.name = name;
    this.color = color;
    this.idle = idle;
    this.moves = moves;
  }
  eq(other) {
    return other.name === this.name && other.color === this.color && other.idle === this.idle
           && other.moves === this.moves;
  }
  toDOM() {
    const caret = document.createElement('span');
    caret.className = 'cm-remote-caret' + (this.idle ? ' idle' : '');
    caret.style.borderLeftColor = this.color;
    caret.dataset.name = this.name;
    const label = document.createElement('span');
    label.className = 'cm-remote-label';
    label.style.backgroundColor = this.color;
    label.textContent = this.name;
    caret.appendChild(label);
    return caret;
  }
  ignoreEvent() {
    return true;
  }
}

const presenceField = StateField.define({
  create: () => Decoration.none,
  update(decorations, tr) {
    decorations = decorations.map(tr.changes);
    for (const effect of tr.effects) if (effect.is(SetPresence)) decorations = effect.value;
    return decorations;
  },
  provide: (field) => EditorView.decorations.from(field),
});

function presenceDecorations(remote, length) {
  const ranges = [];
  const clamp = (n) => Math.max(0, Math.min(length, n));
  for (const p of remote) {
    for (const r of p.ranges) {
      const from = clamp(Math.min(r.anchor, r.head));
      const to = clamp(Math.max(r.anchor, r.head));
      if (from < to)
        ranges.push(Decoration.mark({ class: 'cm-remote-selection',
                                      attributes: { style: `background-color: ${p.color}40` } }).range(from, to));
      ranges.push(Decoration.widget({ widget: new CaretWidget(p.name, p.color, p.idle, p.moves), side: 1 })
                    .range(clamp(r.head)));
    }
  }
  return Decoration.set(ranges, true);
}

// A CodeMirror change set as an ot.js operation on a document of `length` code units.
export function changesToOperation(changes, length) {
  const op = new TextOperation();
  let at = 0;
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    if (fromA > at) op.retain(fromA - at);
    if (toA > fromA) op['delete'](toA - fromA);
    if (inserted.length) op.insert(inserted.toString());
    at = toA;
  });
  if (length > at) op.retain(length - at);
  return op;
}

// An ot.js operation as CodeMirror change specs (positions in the document before it).
export function operationToChanges(op) {
  const changes = [];
  let at = 0;
  for (const c of op.ops) {
    if (TextOperation.isRetain(c)) at += c;
    else if (TextOperation.isInsert(c)) changes.push({ from: at, insert: c });
    else { changes.push({ from: at, to: at - c }); at -= c; }
  }
  return changes;
}

// UTF-8 bytes of a CodeMirror text (its iterator yields the line breaks as "\n" chunks).
function utf8Length(text) {
  let bytes = 0;
  for (const iter = text.iter(); !iter.next().done;) {
    const chunk = iter.value;
    for (let i = 0; i < chunk.length; ++i) {
      const c = chunk.charCodeAt(i);
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : (c & 0xfc00) === 0xd800 ? 2 : (c & 0xfc00) === 0xdc00 ? 2 : 3;
    }
  }
  return bytes;
}

// The editor: a CodeMirror view in `parent`, driving and driven by a DocumentSession (set with bind()).
export class CollabView {
  #readOnly = new Compartment();
  #session = null;
  #presenceQueued = false;

  constructor(parent, { maxDocumentBytes = () => 0, onRefused = () => {} } = {}) {
    const tooLarge = EditorState.transactionFilter.of((tr) => {
      const max = maxDocumentBytes();
      if (!tr.docChanged || !max || tr.annotation(Remote) || tr.newDoc.length <= max / 3) return tr;
      if (utf8Length(tr.newDoc) <= max) return tr;
      onRefused(max);
      return [];
    });
    // A selection never rests between the two halves of a surrogate pair (a script or an input method can put
    // it there; the keyboard and the mouse cannot): an edit there would split a character, which the relay
    // refuses (splits-surrogate-pair).
    const wholeCharacters = EditorState.transactionFilter.of((tr) => {
      if (!tr.selection) return tr;
      const doc = tr.newDoc;
      const inside = (pos) => pos > 0 && pos < doc.length
        && (doc.sliceString(pos - 1, pos).charCodeAt(0) & 0xfc00) === 0xd800
        && (doc.sliceString(pos, pos + 1).charCodeAt(0) & 0xfc00) === 0xdc00;
      const ranges = tr.selection.ranges;
      if (!ranges.some((r) => inside(r.anchor) || inside(r.head))) return tr;
      const snapped = EditorSelection.create(
        ranges.map((r) => EditorSelection.range(inside(r.anchor) ? r.anchor - 1 : r.anchor,
                                                inside(r.head) ? r.head - 1 : r.head)),
        tr.selection.mainIndex);
      return [tr, { selection: snapped, sequential: true }];
    });
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: '',
        extensions: [
          basicSetup,
          keymap.of([indentWithTab]),
          EditorState.lineSeparator.of('\n'),
          EditorView.lineWrapping,
          this.#readOnly.of([EditorState.readOnly.of(true), EditorView.editable.of(false)]),
          presenceField,
          tooLarge,
          wholeCharacters,
          EditorView.updateListener.of((update) => this.#onUpdate(update)),
        ],
      }),
    });
  }

  bind(session) {
    this.#session = session;
  }

  // --- the editor interface of DocumentSession -------------------------------------------------------------

  text() {
    return this.view.state.doc.toString();
  }

  applyRemote(op) {
    this.view.dispatch({
      changes: operationToChanges(op),
      annotations: [Remote.of(true), Transaction.addToHistory.of(false)],
    });
  }

  replaceAll(text) {
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: text },
      annotations: [Remote.of(true), Transaction.addToHistory.of(false)],
    });
  }

  setReadOnly(readOnly) {
    this.view.dispatch({
      effects: this.#readOnly.reconfigure(readOnly ? [EditorState.readOnly.of(true), EditorView.editable.of(false)]
                                                   : []),
    });
  }

  presenceChanged() {
    if (this.#presenceQueued) return;
    this.#presenceQueued = true;
    queueMicrotask(() => {
      this.#presenceQueued = false;
      if (!this.#session) return;
      const decorations = presenceDecorations(this.#session.remoteSelections(), this.view.state.doc.length);
      this.view.dispatch({ effects: SetPresence.of(decorations) });
    });
  }

  // --- the user's own changes ------------------------------------------------------------------------------

  #onUpdate(update) {
    if (!this.#session) return;
    let edited = false;
    for (const tr of update.transactions) {
      if (!tr.docChanged || tr.annotation(Remote)) continue;
      const before = tr.startState.doc;
      this.#session.localEdit(changesToOperation(tr.changes, before.length), () => before.toString());
      edited = true;
    }
    const local = update.transactions.some((tr) => !tr.annotation(Remote));
    if (local && (update.selectionSet || edited)) {
      const ranges = update.state.selection.ranges.map((r) => new Selection.Range(r.anchor, r.head));
      this.#session.localSelection(new Selection(ranges));
    }
    // Carets drawn from the session's model after our own edit (the relay's rules, not CodeMirror's mapping).
    if (edited) this.presenceChanged();
  }
}
