import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard's own files: beside this module (src/admin/dashboard, copied to dist by the build). */
const OWN = fileURLToPath(new URL('./dashboard/', import.meta.url));

const packageDir = (name: string): string => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));

/** Browser modules served straight from node_modules, under names the dashboard imports. */
const VENDOR: Record<string, () => string> = {
  'vendor/uplot.js': () => join(packageDir('uplot'), 'dist/uPlot.esm.js'),
  'vendor/uplot.css': () => join(packageDir('uplot'), 'dist/uPlot.min.css'),
  'vendor/eventsource-parser.js': () => join(packageDir('eventsource-parser'), 'dist/index.js'),
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * Only our own files and the vendored modules load, nothing runs inline, and the page
 * talks to this server alone: a token typed into it can go nowhere else.
 */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface Asset {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/** The file behind a dashboard path (`/`, `/assets/...`), else undefined. No token needed: the files hold no data. */
export async function dashboardAsset(path: string): Promise<Asset | undefined> {
  let file: string | undefined;
  if (path === '/' || path === '/index.html') file = join(OWN, 'index.html');
  else if (path.startsWith('/assets/')) {
    const name = path.slice('/assets/'.length);
    if (VENDOR[name]) file = VENDOR[name]();
    else if (/^[a-z][a-z0-9-]*\.(js|css)$/.test(name)) file = join(OWN, name);
  }
  if (!file) return undefined;
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return undefined;
  }
  return { body, headers: { 'content-type': TYPES[file.slice(file.lastIndexOf('.') + 1)]!, ...HEADERS } };
}
