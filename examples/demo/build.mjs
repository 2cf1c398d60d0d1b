#!/usr/bin/env node
// The demo app's build step: for each release, esbuild compiles the browser code and CSS to
// content-hashed assets and bundles the two Lambda handlers (api, web) with the asset names.
//   node examples/demo/build.mjs [outDir]     (default: examples/demo/dist)
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { RELEASES } from './releases.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const src = (...p) => join(here, 'src', ...p);

/** The assets one release's pages reference, by kind. */
async function buildAssets(release, outDir) {
  const result = await build({
    entryPoints: { app: src('web', 'browser.js'), style: src('web', 'style.css') },
    outdir: outDir,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    define: { RELEASE: JSON.stringify(release.name), FEATURES: JSON.stringify(release.features) },
    banner: { css: `/* Trailhead shop ${release.name} */` },
    metafile: true,
    logLevel: 'warning',
  });
  const names = Object.keys(result.metafile.outputs).map((p) => basename(p));
  return { js: names.find((n) => n.endsWith('.js')), css: names.find((n) => n.endsWith('.css')) };
}

async function buildHandler(entry, outFile, define) {
  await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    define: Object.fromEntries(Object.entries(define).map(([k, v]) => [k, JSON.stringify(v)])),
    logLevel: 'warning',
  });
}

/**
 * Builds every release into `outDir/<release>/{api,web}`: each a folder that
 * `onebox publish --handler` takes. Returns what was built.
 */
export async function buildDemo(outDir = join(here, 'dist'), releases = RELEASES) {
  rmSync(outDir, { recursive: true, force: true });
  const built = [];
  let previousAssets;
  for (const release of releases) {
    const dir = join(outDir, release.name);
    const assetDir = join(dir, 'web', 'assets');
    const assets = await buildAssets(release, assetDir);
    const define = { RELEASE: release.name, FEATURES: release.features, ASSETS: assets };
    await buildHandler(src('api', 'handler.js'), join(dir, 'api', 'index.mjs'), define);
    await buildHandler(src('web', 'handler.js'), join(dir, 'web', 'index.mjs'), define);
    // As a CDN bucket would, a release also carries the previous release's assets, so a page
    // loaded just before everyone switches still gets its files.
    if (previousAssets) cpSync(previousAssets, assetDir, { recursive: true, force: false });
    previousAssets = assetDir;
    built.push({
      release: release.name,
      summary: release.summary,
      api: join(dir, 'api'),
      web: join(dir, 'web'),
      assets: readdirSync(assetDir).sort(),
      own: assets,
    });
  }
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(built, null, 2));
  return built;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const built = await buildDemo(process.argv[2]);
  for (const b of built) console.log(`${b.release}: ${b.own.js}, ${b.own.css}  (${b.summary})`);
  console.log(`built ${built.length} releases in ${Math.round(performance.now() - started)} ms`);
}
