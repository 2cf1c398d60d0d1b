import type { Dispatcher } from 'undici';
import { IDENTITY_COOKIE } from '../../core/index.js';

/** One page view as a browser experiences it. */
export interface PageView {
  readonly path: string;
  /** The frontend version that rendered the HTML (from x-onebox-version), if any answered. */
  readonly version: number | undefined;
  /** ok; error: the page itself failed (5xx); broken: it rendered but could not complete. */
  readonly outcome: 'ok' | 'error' | 'broken';
  /** Why, for error and broken pages, and for a reload. */
  readonly reason?: string;
  /** The page reloaded itself once because an asset was gone (its skew guard). */
  readonly reloaded?: boolean;
  readonly ms: number;
}

const ASSET_REF = /(?:src|href)="(\/assets\/[^"]+)"/g;
const API_REF = /data-api="([^"]+)"/;
const NEEDS_REF = /data-needs="([^"]*)"/;
const SKEW_GUARD = 'data-skew-guard="reload-once"';

/** The component:version pair the gateway reports, as a number for `component`. */
function versionOf(header: string | string[] | undefined, component: string): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  return v?.startsWith(`${component}:`) ? Number(v.slice(component.length + 1)) : undefined;
}

/**
 * A browser-like client: it keeps the gateway's identity cookie and an HTTP cache of
 * immutable assets, and loads a page as a browser does: the HTML, the assets it references
 * that are not cached yet, then the API call its script makes.
 */
export class BrowserUser {
  private cookie: string | undefined;
  private readonly cachedAssets = new Set<string>();

  constructor(
    private readonly gateway: Dispatcher,
    private readonly frontend: string,
  ) {}

  /** The identity the gateway gave this user (undefined before the first answer). */
  get id(): string | undefined {
    return this.cookie?.slice(IDENTITY_COOKIE.length + 1);
  }

  private async get(path: string, accept: string): Promise<{ status: number; body: string; version?: number }> {
    const headers: Record<string, string> = { accept, 'user-agent': 'onebox-demo-browser' };
    if (this.cookie) headers.cookie = this.cookie;
    const res = await this.gateway.request({ path, method: 'GET', headers });
    const body = await res.body.text();
    if (!this.cookie) {
      const set = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${IDENTITY_COOKIE}=`));
      if (set) this.cookie = set.slice(0, set.indexOf(';') === -1 ? undefined : set.indexOf(';'));
    }
    return { status: res.statusCode, body, version: versionOf(res.headers['x-onebox-version'], this.frontend) };
  }

  /**
   * Loads a page. When an asset is gone and the page has a skew guard (an inline script that
   * reloads once on an asset error), the page is loaded again, as the browser would.
   */
  async view(path: string): Promise<PageView> {
    const first = await this.load(path);
    if (first.view.outcome !== 'broken' || !first.guarded) return first.view;
    const again = await this.load(path);
    return { ...again.view, reloaded: true, reason: again.view.reason ?? `reloaded: ${first.view.reason}` };
  }

  private async load(path: string): Promise<{ view: PageView; guarded: boolean }> {
    const started = performance.now();
    let guarded = false;
    const done = (outcome: PageView['outcome'], version: number | undefined, reason?: string) => ({
      view: { path, version, outcome, ...(reason ? { reason } : {}), ms: performance.now() - started },
      guarded,
    });
    const page = await this.get(path, 'text/html');
    if (page.status >= 500) return done('error', page.version, `the page answered ${page.status}`);
    guarded = page.body.includes(SKEW_GUARD);
    const assets = [...page.body.matchAll(ASSET_REF)].map((m) => m[1]!).filter((a) => !this.cachedAssets.has(a));
    const fetched = await Promise.all(assets.map(async (a) => ({ a, r: await this.get(a, '*/*') })));
    for (const { a, r } of fetched) {
      if (r.status !== 200) return done('broken', page.version, `${a} answered ${r.status}`);
      this.cachedAssets.add(a);
    }
    const api = API_REF.exec(page.body)?.[1];
    if (!api) return done('ok', page.version);
    const answer = await this.get(api, 'application/json');
    if (answer.status >= 500) return done('error', page.version, `its API call answered ${answer.status}`);
    const needs = NEEDS_REF.exec(page.body)?.[1]?.split(' ').filter(Boolean) ?? [];
    if (needs.length) {
      const data = JSON.parse(answer.body) as Record<string, unknown> & { products?: Record<string, unknown>[] };
      const item = data.products ? data.products[0] : data;
      const missing = needs.filter((f) => item?.[f] === undefined);
      if (missing.length) return done('broken', page.version, `the API answer lacks ${missing.join(', ')}`);
    }
    return done('ok', page.version);
  }
}
