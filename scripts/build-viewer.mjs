// Builds the viewer (ui/) into dist/ui/assets with esbuild: one script, one stylesheet, no source
// maps shipped. Prints the gzipped size of each and fails when the script is over its budget.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The JavaScript budget of docs/viewer.md, gzipped. */
const SCRIPT_BUDGET_BYTES = 150 * 1024;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui', 'assets');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { app: join(root, 'ui', 'main.tsx'), 'app-style': join(root, 'ui', 'styles.css') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
  tsconfig: join(root, 'ui', 'tsconfig.json'),
});
// esbuild names a CSS entry's output after the entry: give it the name the page asks for.
renameSync(join(out, 'app-style.css'), join(out, 'app.css'));

const sizes = ['app.js', 'app.css'].map((name) => {
  const body = readFileSync(join(out, name));
  return { name, bytes: body.length, gzipped: gzipSync(body).length };
});
for (const { name, bytes, gzipped } of sizes) {
  console.log(`viewer: dist/ui/assets/${name} ${(bytes / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
}
const script = sizes[0];
if (script.gzipped > SCRIPT_BUDGET_BYTES) {
  console.error(`viewer: app.js is ${script.gzipped} bytes gzipped, over the budget of ${SCRIPT_BUDGET_BYTES}`);
  process.exit(1);
}
