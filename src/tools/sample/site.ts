import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { close, listen } from '../../gateway/listen.js';

/**
 * A tiny versioned web site: one HTML page that references hashed assets only this
 * version has, as a real build would emit. Used by `onebox serve --sample`, the tests and
 * the benchmarks to show what a split does to pages.
 */
export interface SampleSite {
  readonly label: string;
  readonly assets: readonly string[];
  readonly server: Server;
  url: string;
  close(): Promise<void>;
}

export function assetPaths(label: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const hash = createHash('sha256').update(`${label}/${i}`).digest('hex').slice(0, 10);
    return `/assets/chunk-${i}.${hash}.${i % 3 === 0 ? 'css' : 'js'}`;
  });
}

export function pageHtml(label: string, assets: readonly string[]): string {
  const tags = assets.map((a) =>
    a.endsWith('.css') ? `<link rel="stylesheet" href="${a}">` : `<script type="module" src="${a}"></script>`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>sample ${label}</title>${tags.join('')}</head><body><h1>Hello from ${label}</h1></body></html>`;
}

export async function startSampleSite(label: string, assetCount = 12, host = '127.0.0.1'): Promise<SampleSite> {
  const assets = assetPaths(label, assetCount);
  const known = new Set(assets);
  const html = pageHtml(label, assets);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=60' });
      res.end(html);
    } else if (known.has(path)) {
      res.writeHead(200, {
        'content-type': path.endsWith('.css') ? 'text/css' : 'text/javascript',
        'cache-control': 'public, max-age=31536000, immutable',
      });
      res.end(`/* ${label} ${path} */`);
    } else if (path === '/whoami') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version: label, baggage: req.headers.baggage ?? null }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  const { port } = await listen(server, 0, host);
  return {
    label,
    assets,
    server,
    url: `http://${host}:${port}`,
    close: () => close(server),
  };
}
