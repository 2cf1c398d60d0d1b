// The shop's server-rendered frontend, a Lambda handler behind API Gateway (HTTP API,
// payload 2.0). It renders pages from the API and serves its own hashed assets.
import { readFile } from 'node:fs/promises';
import { errorPage, homePage, productPage } from './render.js';

/** Where the API is: set per version at publish time (`onebox publish --env`). */
const API_ORIGIN = process.env.DEMO_API_ORIGIN ?? 'http://127.0.0.1:8080';
const ASSET_DIR = new URL('./assets/', import.meta.url);
const ASSET_TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

const html = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
  body,
});

/**
 * Calls the API as the user: the gateway's identity travels in W3C baggage, so the API
 * answers from the version this user is on.
 */
async function api(path, event) {
  const headers = { accept: 'application/json' };
  if (event.headers.baggage) headers.baggage = event.headers.baggage;
  const res = await fetch(`${API_ORIGIN}${path}`, { headers });
  if (!res.ok) throw Object.assign(new Error(`the API answered ${res.status} for ${path}`), { status: res.status });
  return res.json();
}

async function asset(name) {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  if (!/^[\w-]+\.(js|css)$/.test(name)) return undefined;
  try {
    const body = await readFile(new URL(name, ASSET_DIR), 'utf8');
    return {
      statusCode: 200,
      // Hashed names never change content: cache them for a year.
      headers: { 'content-type': ASSET_TYPES[ext], 'cache-control': 'public, max-age=31536000, immutable' },
      body,
    };
  } catch {
    return undefined;
  }
}

export async function handler(event) {
  const path = event.rawPath;
  if (path.startsWith('/assets/')) {
    return (await asset(path.slice('/assets/'.length))) ?? { statusCode: 404, body: 'no such asset' };
  }
  try {
    if (path === '/') return html(200, homePage((await api('/api/products', event)).products));
    const m = /^\/products\/(\d+)$/.exec(path);
    if (m) return html(200, productPage(await api(`/api/products/${m[1]}`, event)));
    return html(404, errorPage(404, `There is no page at ${path}.`));
  } catch (err) {
    if (err.status === 404) return html(404, errorPage(404, 'That product does not exist.'));
    // Lambda would log this to CloudWatch; the answer is a plain error page.
    console.error(`render ${path}: ${err.message}`);
    return html(500, errorPage(500, 'Something went wrong on our side.'));
  }
}
