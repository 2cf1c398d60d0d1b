/* global FEATURES, ASSETS, RELEASE -- set by the build step (examples/demo/build.mjs) */

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const money = (n) => `$${n.toFixed(2)}`;

/** The fields this release's browser code needs from the API: a page breaks without them. */
export const NEEDS = FEATURES.rating ? ['rating'] : [];

function layout(title, main, attrs) {
  const data = Object.entries(attrs)
    .map(([k, v]) => ` data-${k}="${escape(v)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="release" content="${RELEASE}">
<title>${escape(title)} · Trailhead shop</title>
<link rel="stylesheet" href="/assets/${ASSETS.css}">
<script type="module" src="/assets/${ASSETS.js}"></script>
</head>
<body>
<header><a href="/">Trailhead shop</a> <small>release ${RELEASE}</small>
<small data-canary-note hidden>· you are trying our newest shop</small></header>
<main${data} data-needs="${NEEDS.join(' ')}">
${main}
</main>
</body>
</html>
`;
}

const stars = (rating) => `<span class="rating" aria-label="rated ${rating} of 5">★ ${rating.toFixed(1)}</span>`;

export function homePage(products) {
  const items = products
    .map(
      (p) =>
        `<li><a href="/products/${p.id}">${escape(p.name)}</a> <span class="price">${money(p.price)}</span>` +
        (FEATURES.rating ? ` ${stars(p.rating)}` : '') +
        '</li>',
    )
    .join('\n');
  return layout('Products', `<h1>Products</h1>\n<ul class="products">\n${items}\n</ul>`, {
    page: 'home',
    api: '/api/products',
  });
}

export function productPage(p) {
  let body = `<h1>${escape(p.name)}</h1>\n<p class="price" data-live-price>${money(p.price)}</p>`;
  if (FEATURES.rating) body += `\n<p>${stars(p.rating)}</p>`;
  // v3's badge: it assumes every product has a list price (most do not).
  if (FEATURES.savingsBadge) body += `\n<p class="badge">Was ${money(p.listPrice)}</p>`;
  // v4 draws it in the browser, with the same assumption: the page's script reads listPrice.
  if (FEATURES.clientBadge) body += '\n<p class="badge" data-client-badge></p>';
  const reads = FEATURES.clientBadge ? { reads: 'listPrice' } : {};
  return layout(p.name, body, { page: 'product', api: `/api/products/${p.id}`, ...reads });
}

export function errorPage(status, message) {
  return layout('Error', `<h1>Sorry</h1>\n<p>${escape(message)}</p>`, { page: 'error', status: String(status) });
}
