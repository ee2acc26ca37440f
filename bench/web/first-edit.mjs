// SPDX-License-Identifier: MIT
// How soon a person can type on the web editor: Debian's headless Chromium opens /d/<doc> on a relay on
// 127.0.0.1, N times with a cold cache (a new browser context) and N times warm (the same context, reloaded:
// the relay answers 304), and times navigation start -> the page's script ready -> connected with the text ->
// first keystroke acknowledged by the relay. Prints a Markdown table and `ratio` lines (warm / cold first edit).
// Usage: node first-edit.mjs <relay port> [runs]   (bench/run-web-first-edit starts the relay)
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../tests/web/package.json'));
const { chromium } = require('playwright-core');

const port = Number(process.argv[2]);
const runs = Number(process.argv[3] ?? 10);
const url = `http://127.0.0.1:${port}/d/first-edit`;
const browser = await chromium.launch({ executablePath: process.env.COSCRIBE_CHROMIUM ?? '/usr/bin/chromium',
                                        headless: true, args: ['--no-sandbox'] });

async function timeOne(page, reload) {
  const start = Date.now();
  if (reload) await page.reload(); else await page.goto(url);
  await page.waitForFunction(() => window.coscribe?.ready === true);
  const ready = Date.now();
  await page.waitForFunction(() => document.querySelector('#status').dataset.state === 'connected'
                                   && !window.coscribe.view.view.state.readOnly);
  const connected = Date.now();
  await page.evaluate(() => { const v = window.coscribe.view.view; v.focus(); v.dispatch({ selection: { anchor: 0 } }); });
  await page.keyboard.type('x');
  await page.waitForFunction(() => window.coscribe.session.pendingEdits === 0
                                   && window.coscribe.session.client.revision > 0);
  return { ready: ready - start, connected: connected - start, acked: Date.now() - start };
}

// The document exists before the first timed run (the first page creates it).
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.coscribe?.session?.problem?.code === 'no-such-document'
                                   || window.coscribe?.session?.opened);
  await page.evaluate(() => { if (!window.coscribe.session.opened) window.coscribe.session.createDocument(); });
  await page.waitForFunction(() => window.coscribe.session.opened);
  await context.close();
}

const cold = [];
for (let i = 0; i < runs; ++i) {
  const context = await browser.newContext();
  cold.push(await timeOne(await context.newPage(), false));
  await context.close();
}
const warm = [];
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await timeOne(page, false);
  for (let i = 0; i < runs; ++i) warm.push(await timeOne(page, true));
  await context.close();
}
await browser.close();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const worst = (xs) => Math.max(...xs);
console.log(`| ${runs} runs, ms | script ready (median / worst) | connected, text shown | first edit acknowledged |`);
console.log('|---|---|---|---|');
for (const [name, rows] of [['cold cache', cold], ['warm (304s)', warm]])
  console.log(`| ${name} | ${median(rows.map((r) => r.ready))} / ${worst(rows.map((r) => r.ready))} | `
              + `${median(rows.map((r) => r.connected))} / ${worst(rows.map((r) => r.connected))} | `
              + `${median(rows.map((r) => r.acked))} / ${worst(rows.map((r) => r.acked))} |`);
console.log(`goal: first edit within 1000 ms: cold worst ${worst(cold.map((r) => r.acked))} ms`);
console.log(`ratio first-edit-warm-vs-cold: ${(median(cold.map((r) => r.acked)) / median(warm.map((r) => r.acked))).toFixed(2)}`);
