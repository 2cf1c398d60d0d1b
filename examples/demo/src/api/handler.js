// The shop's API, a Lambda handler behind API Gateway (HTTP API, payload 2.0).
import { PRODUCTS } from './catalog.js';

/* global FEATURES, RELEASE -- set by the build step (examples/demo/build.mjs) */

/** What the API shows of a product in this release. */
function view(p) {
  const out = { id: p.id, name: p.name, price: p.price };
  if (p.listPrice !== undefined) out.listPrice = p.listPrice;
  if (FEATURES.rating) out.rating = p.rating;
  return out;
}

const json = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-api-release': RELEASE },
  body: JSON.stringify(body),
});

export async function handler(event) {
  const path = event.rawPath;
  if (event.requestContext.http.method !== 'GET') return json(405, { error: 'method not allowed' });
  if (path === '/api/products') return json(200, { products: PRODUCTS.map(view) });
  const m = /^\/api\/products\/(\d+)$/.exec(path);
  if (m) {
    const product = PRODUCTS.find((p) => p.id === Number(m[1]));
    return product ? json(200, view(product)) : json(404, { error: `no product ${m[1]}` });
  }
  if (path === '/api/health') return json(200, { ok: true, release: RELEASE });
  return json(404, { error: `no route ${path}` });
}
