// SPDX-License-Identifier: MIT
// The browser side of tests/web/tst_webeditor.cpp: Debian's headless Chromium (/usr/bin/chromium, never a
// downloaded browser) driven by playwright-core. Commands come as JSON lines on stdin, each answered by one
// JSON line on stdout with the same "id": {"id", "ok": true, ...} or {"id", "ok": false, "error"}.
//
//   open {page, url, name?, token?, color?, create?, blockable?}  a new browser context (own storage) on the page
//   reload {page}                               reload, keeping the context (its IndexedDB, its blocking)
//   block {page, blocked}                       the page's WebSockets fail (and open ones are cut) while set
//                                               (a page opened with blockable)
//   type {page, at, text}                       put the caret at `at` and type `text` with key events
//   random {page, seed, edits}                  that many random edits typed at random places
//   paste {page, at, lines}                     paste that many generated lines at `at`
//   select {page, anchor, head}                 move the selection
//   text {page} / status {page}                 the editor's text / the status element's data
//   carets {page}                               the remote carets drawn: [{name, pos}]
//   wait {page, state?, pending?, text?, timeoutMs}   until the status (and text) say so
//   crossOrigin {wsUrl}                         a page on another origin opens a WebSocket to wsUrl
//   shot {page, path}                           a screenshot
//   quit
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';

const executablePath = process.env.COSCRIBE_CHROMIUM ?? '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
const pages = new Map();  // name -> {context, page, blocked, sockets}

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

function entry(name) {
  const p = pages.get(name);
  if (!p) throw new Error(`no page ${name}`);
  return p;
}

async function waitForEditor(page) {
  // The session has restored what this tab kept and started connecting.
  await page.waitForFunction(() => window.coscribe?.ready === true, null, { timeout: 10000 });
}

async function open({ page: name, url, name: display = 'Web', token, color = '#b03a2e', create = false,
                      blockable = false }) {
  const context = await browser.newContext({ viewport: { width: 900, height: 600 } });
  await context.addInitScript(([display, token, color]) => {
    if (!localStorage.getItem('coscribe.name')) localStorage.setItem('coscribe.name', display);
    if (!localStorage.getItem('coscribe.color')) localStorage.setItem('coscribe.color', color);
    if (token && !sessionStorage.getItem('coscribe.token')) sessionStorage.setItem('coscribe.token', token);
  }, [display, token ?? '', color]);
  const entry = { context, page: null, blocked: false, sockets: new Set(), console: [] };
  // With `blockable`, every WebSocket of the page goes through here, so the test can cut it like a network
  // would (playwright relays the frames itself, and cuts messages of about a megabyte: not for large pastes).
  if (blockable) await context.routeWebSocket(/.*/, (ws) => {
    if (entry.blocked) { ws.close({ code: 1006, reason: 'blocked by the test' }); return; }
    const server = ws.connectToServer();
    entry.sockets.add(ws);
    ws.onClose(() => { entry.sockets.delete(ws); server.close(); });
    server.onClose(() => { entry.sockets.delete(ws); ws.close(); });
  });
  const page = await context.newPage();
  page.on('console', (m) => entry.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => entry.console.push(`pageerror: ${e.message}`));
  entry.page = page;
  pages.set(name, entry);
  await page.goto(url);
  if (new URL(url).pathname.startsWith('/d/')) await waitForEditor(page);
  if (create) {
    // As a user does on the page: "There is no document …" -> Create it.
    await page.waitForFunction(() => window.coscribe.session.opened
                                     || window.coscribe.session.problem?.code === 'no-such-document');
    await page.evaluate(() => { if (!window.coscribe.session.opened) window.coscribe.session.createDocument(); });
  }
  return {};
}

async function focusAt(page, at) {
  await page.evaluate((at) => {
    const view = window.coscribe.view.view;
    view.focus();
    view.dispatch({ selection: { anchor: Math.min(at, view.state.doc.length) } });
  }, at);
}

async function type({ page: name, at, text }) {
  const { page } = entry(name);
  await focusAt(page, at);
  await page.keyboard.type(text, { delay: 5 });
  return {};
}

async function random({ page: name, seed, edits }) {
  const { page } = entry(name);
  const random = rng(seed);
  const pieces = ['a', 'b', 'c', 'd', ' ', 'xy', 'é', '😀'];
  for (let i = 0; i < edits; ++i) {
    const length = await page.evaluate(() => window.coscribe.view.view.state.doc.length);
    await focusAt(page, Math.floor(random() * (length + 1)));
    if (random() < 0.25 && length > 0) await page.keyboard.press('Backspace');
    else await page.keyboard.type(pieces[Math.floor(random() * pieces.length)]);
    await page.waitForTimeout(5 + Math.floor(random() * 30));
  }
  return {};
}

async function status(name) {
  const { page } = entry(name);
  return page.evaluate(() => {
    const s = document.querySelector('#status');
    return { state: s.dataset.state, pending: Number(s.dataset.pending), saved: s.dataset.saved === 'true',
             text: s.textContent, connectionId: window.coscribe?.link?.welcome?.connectionId ?? '',
             readOnly: window.coscribe?.view ? window.coscribe.view.view.state.readOnly : null,
             dialog: document.querySelector('#identity-dialog').open
               ? document.querySelector('#identity-reason').textContent : null,
             banner: document.querySelector('#banner')?.hidden === false
               ? document.querySelector('#banner').textContent : '' };
  });
}

async function wait({ page: name, state, pending, text, timeoutMs = 15000 }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await status(name);
    const current = await entry(name).page.evaluate(() => window.coscribe?.view?.text());
    if ((state === undefined || last.state === state) && (pending === undefined || last.pending === pending)
        && (text === undefined || current === text))
      return { status: last, text: current };
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${JSON.stringify({ state, pending, text })}: `
                      + `${JSON.stringify(last)}, text ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function carets({ page: name }) {
  const { page } = entry(name);
  return {
    carets: await page.evaluate(() => {
      const view = window.coscribe.view.view;
      return [...document.querySelectorAll('.cm-remote-caret')].map((e) => ({ name: e.dataset.name, pos: view.posAtDOM(e) }));
    }),
  };
}

async function crossOrigin({ wsUrl }) {
  // A page of another site (another port is another origin) that tries to use the relay.
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!DOCTYPE html><script>
      window.result = new Promise((resolve) => {
        const ws = new WebSocket(${JSON.stringify(wsUrl)});
        ws.onopen = () => resolve({ opened: true });
        ws.onclose = (e) => resolve({ opened: false, code: e.code });
      });</script>`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const result = await page.evaluate(() => window.result);
    return { ...result, origin: `http://127.0.0.1:${server.address().port}` };
  } finally {
    await context.close();
    server.close();
  }
}

const commands = {
  open,
  reload: async ({ page: name }) => {
    const { page } = entry(name);
    await page.reload();
    await waitForEditor(page);
    return {};
  },
  block: async ({ page: name, blocked }) => {
    const e = entry(name);
    e.blocked = blocked;
    if (blocked) for (const ws of [...e.sockets]) ws.close({ code: 1006, reason: 'blocked by the test' });
    return {};
  },
  type,
  random,
  // A paste of `lines` generated lines at `at` (one transaction, as the clipboard gives it); answers its length.
  paste: async ({ page: name, at, lines }) => ({
    length: await entry(name).page.evaluate(([at, lines]) => {
      const parts = [];
      for (let i = 0; i < lines; ++i) parts.push(`line ${i} of a long paste: ça va, 日本語, 😀\n`);
      const text = parts.join('');
      const view = window.coscribe.view.view;
      view.dispatch({ changes: { from: at, insert: text }, userEvent: 'input.paste' });
      return text.length;
    }, [at, lines]),
  }),
  select: async ({ page: name, anchor, head }) => {
    await entry(name).page.evaluate(([anchor, head]) => {
      const view = window.coscribe.view.view;
      view.focus();
      view.dispatch({ selection: { anchor, head } });
    }, [anchor, head ?? anchor]);
    return {};
  },
  text: async ({ page: name }) => ({ text: await entry(name).page.evaluate(() => window.coscribe.view.text()) }),
  status: async ({ page: name }) => status(name),
  wait,
  carets,
  crossOrigin,
  console: async ({ page: name }) => ({ lines: entry(name).console }),
  shot: async ({ page: name, path }) => { await entry(name).page.screenshot({ path }); return {}; },
  quit: async () => { await browser.close(); process.exit(0); },
};

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
reply({ id: 0, ok: true, ready: true, browser: browser.version() });
// One command at a time, in order: the test waits for each answer (random runs while the desktop types).
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    let request;
    try {
      request = JSON.parse(line);
      const result = await commands[request.cmd](request);
      reply({ id: request.id, ok: true, ...result });
    } catch (error) {
      reply({ id: request?.id ?? -1, ok: false, error: String(error?.message ?? error) });
    }
  });
}).on('close', () => {
  // stdin closed (the test went away): finish what was asked, then leave.
  queue = queue.then(async () => { await browser.close(); process.exit(0); });
});
