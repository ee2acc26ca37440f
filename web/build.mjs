// SPDX-License-Identifier: MIT
// Builds the web editor into <outdir>: index.html, assets/app.js, assets/app.css, each also gzipped (the
// relay serves the .gz to browsers that accept it). Usage: node build.mjs <outdir>
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) { console.error('usage: node build.mjs <outdir>'); process.exit(2); }
mkdirSync(join(out, 'assets'), { recursive: true });
await esbuild.build({
  entryPoints: { app: join(here, 'src/app.js') },
  bundle: true, minify: true, format: 'esm', target: 'es2022', legalComments: 'eof',
  outdir: join(out, 'assets'), logLevel: 'warning',
});
copyFileSync(join(here, 'src/app.css'), join(out, 'assets/app.css'));
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
for (const file of ['index.html', 'assets/app.js', 'assets/app.css']) {
  const bytes = readFileSync(join(out, file));
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(join(out, file + '.gz'), gz);
  console.log(`web: ${file} ${bytes.length} bytes, ${gz.length} gzipped`);
}
