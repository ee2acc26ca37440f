// SPDX-License-Identifier: MIT
// The page: `/` lists the documents the token may read, `/d/<doc>` edits one (docs/WEB.md).
// Identity (name, colour) is kept in localStorage; the token in sessionStorage (this tab only) unless the
// user ticks "Remember on this computer", then in localStorage.
import { RelayLink } from './relaylink.js';
import { LocalStore, claimSlot } from './store.js';
import { DocumentSession, newIdentity } from './session.js';
import { CollabView } from './editor.js';

const $ = (selector) => document.querySelector(selector);

function element(tag, attributes = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// --- identity and token --------------------------------------------------------------------------------

function defaultColor() {
  // A hue of our own, dark enough for white text on the label and a visible caret on white.
  const hue = Math.floor(Math.random() * 360);
  const f = (n) => {
    const k = (n + hue / 30) % 12;
    const a = 0.65 * 0.38;  // HSL with saturation 0.65 and lightness 0.38
    return Math.round(255 * (0.38 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

export const identity = {
  get name() {
    let name = localStorage.getItem('coscribe.name');
    if (!name) {
      name = `Guest ${Math.floor(10 + Math.random() * 90)}`;
      localStorage.setItem('coscribe.name', name);
    }
    return name;
  },
  set name(value) {
    localStorage.setItem('coscribe.name', value.slice(0, 128));
  },
  get color() {
    let color = localStorage.getItem('coscribe.color');
    if (!/^#[0-9a-f]{6}$/i.test(color ?? '')) {
      color = defaultColor();
      localStorage.setItem('coscribe.color', color);
    }
    return color;
  },
  set color(value) {
    localStorage.setItem('coscribe.color', value);
  },
  get token() {
    return sessionStorage.getItem('coscribe.token') ?? localStorage.getItem('coscribe.token') ?? '';
  },
  setToken(token, remember) {
    sessionStorage.removeItem('coscribe.token');
    localStorage.removeItem('coscribe.token');
    if (!token) return;
    (remember ? localStorage : sessionStorage).setItem('coscribe.token', token);
  },
  get tokenRemembered() {
    return localStorage.getItem('coscribe.token') !== null;
  },
};

function relayUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}

function makeLink(clientIdentity) {
  return new RelayLink(relayUrl(), () => {
    const fields = { clientId: clientIdentity().clientId, secret: clientIdentity().secret, name: identity.name,
                     color: identity.color };
    if (identity.token) fields.token = identity.token;
    return fields;
  });
}

// The token / name dialog. Resolves when the user saved (the caller reconnects).
function askIdentity(reason) {
  return new Promise((resolve) => {
    const dialog = $('#identity-dialog');
    $('#identity-reason').textContent = reason ?? '';
    $('#identity-name').value = identity.name;
    $('#identity-color').value = identity.color;
    $('#identity-token').value = identity.token;
    $('#identity-remember').checked = identity.tokenRemembered;
    dialog.onclose = () => {
      if (dialog.returnValue !== 'save') { resolve(false); return; }
      identity.name = $('#identity-name').value.trim() || identity.name;
      identity.color = $('#identity-color').value;
      identity.setToken($('#identity-token').value.trim(), $('#identity-remember').checked);
      resolve(true);
    };
    dialog.showModal();
  });
}

function renderStatus(link, session) {
  const status = $('#status');
  let state = link.state;
  let text;
  const pending = session?.pendingEdits ?? 0;
  const edits = (n) => `${n} unsent edit${n === 1 ? '' : 's'}`;
  if (state === 'connected') {
    if (session && !session.opened) { state = 'opening'; text = 'Opening…'; }
    else if (pending) text = `Sending ${edits(pending)}…`;
    else text = session?.role === 'read' ? 'Connected · read-only' : 'Connected';
  } else if (state === 'connecting') {
    text = pending ? `Connecting… ${edits(pending)} kept in this browser` : 'Connecting…';
  } else if (state === 'offline') {
    const seconds = Math.max(1, Math.round((link.retryAt - Date.now()) / 1000));
    text = `Offline: ${link.reason} ${pending ? edits(pending) + ' kept in this browser. ' : ''}Retrying in ${seconds} s.`;
  } else {
    text = link.reason;
  }
  status.textContent = text;
  status.dataset.state = state;
  status.dataset.pending = String(pending);
  status.dataset.saved = String(session ? session.saved : true);
  status.className = `status ${state}`;
}

function startStatusClock(link, session) {
  setInterval(() => renderStatus(link, session), 1000);
}

// --- the document list ---------------------------------------------------------------------------------

function listPage() {
  document.title = 'Coscribe';
  const main = $('#main');
  const search = element('input', { type: 'search', id: 'search', placeholder: 'Search documents', 'aria-label': 'Search documents' });
  const rows = element('tbody');
  const title = element('input', { id: 'new-title', placeholder: 'Title of a new document', 'aria-label': 'Title of a new document', maxlength: 256 });
  const create = element('button', { type: 'submit' }, 'Create');
  const message = element('p', { class: 'message', id: 'list-message', role: 'status' });
  main.replaceChildren(element('section', { class: 'documents' },
    element('div', { class: 'tools' }, search,
            element('form', { class: 'create', onsubmit: (e) => { e.preventDefault(); createDocument(); } }, title, create)),
    message,
    element('table', {}, element('thead', {}, element('tr', {}, element('th', {}, 'Document'), element('th', {}, 'Id'),
                                                        element('th', { class: 'n' }, 'Revision'),
                                                        element('th', { class: 'n' }, 'Size'),
                                                        element('th', { class: 'n' }, 'People'))), rows)));
  $('#title').textContent = 'Documents';

  const me = newIdentity();
  const link = makeLink(() => me);
  let documents = [];
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const shown = documents.filter((d) => !q || d.id.toLowerCase().includes(q) || (d.name ?? '').toLowerCase().includes(q));
    rows.replaceChildren(...shown.map((d) => element('tr', {},
      element('td', {}, element('a', { href: `/d/${encodeURIComponent(d.id)}` }, d.name || d.id)),
      element('td', { class: 'id' }, d.id),
      element('td', { class: 'n' }, String(d.revision)),
      element('td', { class: 'n' }, d.length === undefined ? '' : `${d.length.toLocaleString()} chars`),
      element('td', { class: 'n' }, String(d.participants)))));
    if (!documents.length) message.textContent = 'No documents yet: create one.';
    else if (!shown.length) message.textContent = 'No document matches.';
    else message.textContent = '';
  };
  search.addEventListener('input', render);
  const createDocument = () => {
    const name = title.value.trim();
    if (!name) return;
    link.send({ type: 'create', id: 'create', name });
  };
  link.addEventListener('welcome', () => link.send({ type: 'list', id: 'list' }));
  link.addEventListener('message', (e) => {
    const m = e.detail;
    if (m.type === 'documents') {
      documents = m.documents;
      render();
    } else if (m.type === 'created' && m.ref === 'create') {
      location.href = `/d/${encodeURIComponent(m.doc)}`;
    } else if (m.type === 'error' && m.ref) {
      message.textContent = m.code === 'forbidden' ? 'Your token may not create documents.' : m.message;
    }
  });
  link.addEventListener('state', async () => {
    renderStatus(link, null);
    if (link.state === 'refused' && link.refusalCode === 'forbidden') {
      if (await askIdentity(link.reason)) link.connect();
    }
  });
  window.addEventListener('focus', () => { if (link.isConnected) link.send({ type: 'list', id: 'list' }); });
  startStatusClock(link, null);
  link.connect();
  window.coscribe = { link };
}

// --- one document ----------------------------------------------------------------------------------------

async function documentPage(doc) {
  const main = $('#main');
  const banner = element('div', { class: 'banner', id: 'banner', hidden: true });
  const editorParent = element('div', { class: 'editor', id: 'editor' });
  main.replaceChildren(banner, editorParent);
  $('#title').textContent = doc;

  const store = await LocalStore.open();
  const slot = await claimSlot(doc);
  let session = null;
  const link = makeLink(() => session.identity);
  const view = new CollabView(editorParent, {
    maxDocumentBytes: () => link.welcome?.limits?.maxDocumentBytes ?? 0,
    onRefused: (max) => showBanner(`That edit would make the document larger than the relay allows `
                                    + `(${(max / 1048576).toFixed(0)} MiB of UTF-8); it was not made.`),
  });
  session = new DocumentSession({ link, store, doc, slot, editor: view });
  view.bind(session);

  function showBanner(text, actions = []) {
    banner.replaceChildren(element('span', {}, text), ...actions);
    banner.hidden = false;
  }

  const people = $('#people');
  function renderPeople() {
    const me = element('li', { class: 'me', title: 'You' },
                       element('span', { class: 'dot', style: `background:${identity.color}` }),
                       `${identity.name} (you)`);
    const others = [...session.participants.values()].map((p) =>
      element('li', { class: p.idle ? 'idle' : '', title: `${p.user ?? ''}${p.readOnly ? ' · read-only' : ''}${p.idle ? ' · idle' : ''}` },
              element('span', { class: 'dot', style: `background:${p.color}` }), p.name));
    people.replaceChildren(me, ...others);
  }

  let shownProblem = null;
  session.addEventListener('changed', () => {
    document.title = `${session.name} · Coscribe`;
    $('#title').textContent = session.name;
    renderStatus(link, session);
    renderPeople();
    const problem = session.problem;
    if (!problem) banner.hidden = true;
    if (problem && problem !== shownProblem) {
      const actions = [];
      if (problem.keptText !== undefined)
        actions.push(element('button', { onclick: () => download(`${doc}.txt`, problem.keptText) }, 'Download your text'));
      if (problem.code === 'no-such-document')
        actions.push(element('button', { onclick: () => { banner.hidden = true; session.createDocument(); } },
                             'Create it'));
      if (problem.code === 'forbidden')
        actions.push(element('button', { onclick: async () => { if (await askIdentity('')) location.reload(); } }, 'Enter a token'));
      actions.push(element('button', { onclick: () => { session.problem = null; banner.hidden = true; } }, 'Dismiss'));
      showBanner(problem.text, actions);
    }
    shownProblem = problem;
  });
  link.addEventListener('state', async () => {
    renderStatus(link, session);
    if (link.state === 'refused' && link.refusalCode === 'forbidden') {
      if (await askIdentity(link.reason)) link.connect();
    }
  });
  window.addEventListener('beforeunload', (event) => {
    // Unsent edits are in IndexedDB and go out on the next visit; only where the browser cannot keep them
    // is leaving worth a question.
    if (session.client.hasPending() && (!store.persistent || !session.saved)) event.preventDefault();
  });

  window.coscribe = { link, session, view, store };
  await session.start();
  startStatusClock(link, session);
  link.connect();
  window.coscribe.ready = true;
}

function download(name, text) {
  const a = element('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// --- start -----------------------------------------------------------------------------------------------

$('#identity-button').addEventListener('click', async () => {
  if (await askIdentity('Your name and colour are shown to the others; the token is the one your relay admin gave you.'))
    location.reload();
});

// An invite link (docs/WEB.md) brings its token in the fragment, which never reaches a server: kept for this
// tab only, and taken out of the address bar so it is not bookmarked or shown.
const invited = new URLSearchParams(location.hash.slice(1)).get('token');
if (invited) {
  identity.setToken(invited, false);
  history.replaceState(null, '', location.pathname + location.search);
}

const match = location.pathname.match(/^\/d\/([^/]+)\/?$/);
if (match) documentPage(decodeURIComponent(match[1]));
else listPage();
