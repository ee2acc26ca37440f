#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# docs/web-and-desktop.png from real windows: Xvfb, a relay of the release build, the Qt editor on the left
# (it types its part with --type) and Debian's Chromium on the right (a window, not headless, driven by
# playwright-core from tests/web) on one document; then `import -window root`.
# Usage: scripts/screenshot-web-and-desktop.sh [output.png]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${COSCRIBE_BUILD:-$repo/build/release}"
out="${1:-$repo/docs/web-and-desktop.png}"
work="$(mktemp -d)"
display=":${SHOT_DISPLAY:-97}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
doc="release-notes"  # fresh relay and editor state each run: no earlier document of that name
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

Xvfb "$display" -screen 0 1600x900x24 -nolisten tcp >/dev/null 2>&1 & pids+=($!)
"$build/server/coscribe-relay" --port "$port" --data-dir "$work/relay" >/dev/null 2>&1 & pids+=($!)
sleep 1
export DISPLAY="$display" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
"$build/app/coscribe" --create -geometry 800x900+0+0 --name "Ada (desktop)" --color "#2255aa" \
  --type $'# Release notes\n\nOwners: Ada (desktop), Bea (browser)\n\n## Before Friday\n- Freeze the release branch\n- Write the announcement' \
  "ws://127.0.0.1:$port/$doc" >/dev/null 2>&1 & pids+=($!)
sleep 5.5  # the editor types for about 4 s
cat > "$work/page.mjs" <<JS
import { createRequire } from 'node:module';
const { chromium } = createRequire('$repo/tests/web/package.json')('playwright-core');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: false,
  args: ['--no-sandbox', '--window-position=800,0', '--window-size=800,900'] });
const context = await browser.newContext({ viewport: null });
await context.addInitScript(() => { localStorage.setItem('coscribe.name', 'Bea (browser)');
                                    localStorage.setItem('coscribe.color', '#b03a2e'); });
const page = await context.newPage();
await page.goto('http://127.0.0.1:$port/d/$doc');
await page.waitForFunction(() => window.coscribe?.ready && window.coscribe.session.opened, null, { timeout: 20000 });
const end = await page.evaluate(() => window.coscribe.view.view.state.doc.length);
await page.evaluate((end) => { const v = window.coscribe.view.view; v.focus(); v.dispatch({ selection: { anchor: end } }); }, end);
await page.keyboard.type('\n\n## From the browser\n- Bea joined from Chromium, nothing installed\n- Typing here shows up in the desktop editor at once', { delay: 15 });
await page.evaluate(() => { const v = window.coscribe.view.view; const i = v.state.doc.toString().indexOf('desktop editor');
                            v.dispatch({ selection: { anchor: i, head: i + 14 } }); });
await page.waitForTimeout(400);
console.log('ready');
await new Promise((r) => setTimeout(r, 5000));
await browser.close();
JS
node "$work/page.mjs" > "$work/page.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q ready "$work/page.log" 2>/dev/null && break; sleep 0.2; done
import -window root "$work/shot.png"
convert "$work/shot.png" -strip "$out"
echo "wrote $out"
