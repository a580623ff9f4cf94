// Bundles the web dashboard (web-dashboard/src) into dist/web-dashboard, which the JobManager serves at the REST
// port's root: index.html, assets/app.js and assets/app.css, minified, with nothing fetched from the network at runtime.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..');
const source = join(import.meta.dirname, 'src');
const out = join(root, 'dist', 'web-dashboard');

try {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  await build({
    entryPoints: [join(source, 'main.tsx')],
    outfile: join(out, 'assets', 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(join(source, 'index.html'), join(out, 'index.html'));
} catch (error) {
  console.error(`web-dashboard: build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

let raw = 0;
let gzip = 0;
for (const file of ['assets/app.js', 'assets/app.css', 'index.html']) {
  const content = readFileSync(join(out, file));
  const zipped = gzipSync(content, { level: 9 }).length;
  raw += content.length;
  gzip += zipped;
  console.log(`  ${relative(root, join(out, file)).padEnd(36)} ${kb(content.length).padStart(9)}  gzip ${kb(zipped).padStart(8)}`);
}
console.log(`web-dashboard: ${kb(raw)} (gzip ${kb(gzip)}) in ${relative(root, out)}`);

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} kB`;
}
