import type { Dispatcher } from 'undici';
import { BEACON_PATH, IDENTITY_COOKIE } from '../../core/index.js';

/** One page view as a browser experiences it. */
export interface PageView {
  readonly path: string;
  /** The frontend version that rendered the HTML (from x-onebox-version), if any answered. */
  readonly version: number | undefined;
  /**
   * ok; error: the page failed (a 5xx, or its script failed in the browser); broken: it
   * rendered but could not complete (an asset missing, HTML of another version than the tab's,
   * an API answer it cannot use).
   */
  readonly outcome: 'ok' | 'error' | 'broken';
  /** Why, for error and broken pages, and for a reload. */
  readonly reason?: string;
  /** The gateway said the tab's version is gone (x-onebox-reload) and the page reloaded. */
  readonly reloaded?: boolean;
  /** A client-side navigation in a tab kept open: the tab's own version served it (its pin). */
  readonly navigated?: boolean;
  readonly ms: number;
}

const ASSET_REF = /(?:src|href)="(\/assets\/[^"]+)"/g;
const API_REF = /data-api="([^"]+)"/;
const NEEDS_REF = /data-needs="([^"]*)"/;
const READS_REF = /data-reads="([^"]*)"/;
const TOKEN_REF = /data-onebox="([^"]+)"/;

/** The component:version pair the gateway reports, as a number for `component`. */
function versionOf(header: string | string[] | undefined, component: string): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  return v?.startsWith(`${component}:`) ? Number(v.slice(component.length + 1)) : undefined;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly version?: number | undefined;
  readonly reload: boolean;
}

/** A tab left open on a page: its version, and the page token the gateway's script read from it. */
interface OpenTab {
  readonly version: number;
  readonly token: string;
}

export interface BrowserUserOptions {
  /** Chance that a page stays open and the next view is a client-side navigation in it. Default 0.5. */
  readonly keepOpen?: number;
  readonly random?: () => number;
}

/**
 * A browser-like client: it keeps the gateway's identity cookie and an HTTP cache of
 * immutable assets, and loads a page as a browser does: the HTML, the assets it references
 * that are not cached yet, then the API call its script makes, then what the gateway's
 * script does (the page's pin on its own calls, a beacon with the load and any error).
 * Some tabs stay open: the next view is then a client-side navigation in that tab, which
 * fetches the route's HTML with the tab's pin, as a client-side router would.
 */
export class BrowserUser {
  private cookie: string | undefined;
  private readonly cachedAssets = new Set<string>();
  private tab: OpenTab | undefined;
  private readonly keepOpen: number;
  private readonly random: () => number;

  constructor(
    private readonly gateway: Dispatcher,
    private readonly frontend: string,
    options: BrowserUserOptions = {},
  ) {
    this.keepOpen = options.keepOpen ?? 0.5;
    this.random = options.random ?? Math.random;
  }

  /** The identity the gateway gave this user (undefined before the first answer). */
  get id(): string | undefined {
    return this.cookie?.slice(IDENTITY_COOKIE.length + 1);
  }

  private async get(path: string, accept: string, pin?: string): Promise<Answer> {
    const headers: Record<string, string> = { accept, 'user-agent': 'onebox-demo-browser' };
    if (this.cookie) headers.cookie = this.cookie;
    if (pin) headers['x-onebox-pin'] = pin;
    const res = await this.gateway.request({ path, method: 'GET', headers });
    const body = await res.body.text();
    if (!this.cookie) {
      const set = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${IDENTITY_COOKIE}=`));
      if (set) this.cookie = set.slice(0, set.indexOf(';') === -1 ? undefined : set.indexOf(';'));
    }
    return {
      status: res.statusCode,
      body,
      version: versionOf(res.headers['x-onebox-version'], this.frontend),
      reload: res.headers['x-onebox-reload'] !== undefined,
    };
  }

  private async beacon(token: string, load: boolean, errors: readonly string[]): Promise<void> {
    if (!load && errors.length === 0) return;
    const res = await this.gateway.request({
      path: BEACON_PATH,
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ t: token, l: load, e: errors.map((k) => ({ k })) }),
    });
    await res.body.dump();
  }

  /** Views a page: in the open tab (a client-side navigation) if there is one, else a fresh load. */
  async view(path: string): Promise<PageView> {
    const tab = this.tab;
    this.tab = undefined;
    const view = await this.load(path, tab);
    if (!view.reload) return view.view;
    // The tab's version is gone: the page reloads, fresh from the user's version.
    const again = await this.load(path, undefined);
    return { ...again.view, reloaded: true, reason: again.view.reason ?? 'the tab’s version was retired' };
  }

  private async load(path: string, tab: OpenTab | undefined): Promise<{ view: PageView; reload: boolean }> {
    const started = performance.now();
    let reload = false;
    const done = (outcome: PageView['outcome'], version: number | undefined, reason?: string) => ({
      view: {
        path,
        version,
        outcome,
        ...(reason ? { reason } : {}),
        ...(tab ? { navigated: true } : {}),
        ms: performance.now() - started,
      },
      reload,
    });
    const page = await this.get(path, 'text/html', tab?.token);
    if (page.reload) {
      reload = true;
      return done('ok', tab?.version, 'its version is gone');
    }
    if (page.status >= 500) return done('error', page.version, `the page answered ${page.status}`);
    if (tab && page.version !== tab.version)
      return done('broken', page.version, `a v${tab.version} tab got v${page.version} HTML`);
    // A fresh document has its own token; a client-side navigation keeps the tab's.
    const token = tab?.token ?? TOKEN_REF.exec(page.body)?.[1];
    const assets = [...page.body.matchAll(ASSET_REF)].map((m) => m[1]!).filter((a) => !this.cachedAssets.has(a));
    // Script and link tags carry no pin (the gateway finds a hashed file in the release that has it).
    const fetched = await Promise.all(assets.map(async (a) => ({ a, r: await this.get(a, '*/*') })));
    for (const { a, r } of fetched) {
      if (r.status !== 200) return done('broken', page.version, `${a} answered ${r.status}`);
      this.cachedAssets.add(a);
    }
    const view = await this.runScript(page, token);
    if (token) await this.beacon(token, !tab, view.outcome === 'error' ? ['app'] : []);
    if (view.outcome === 'ok' && page.version !== undefined && token && this.random() < this.keepOpen)
      this.tab = { version: page.version, token };
    return done(view.outcome, page.version, view.reason);
  }

  /** What the page's script does: its API call (with the page's pin, as the gateway's script adds), and its checks. */
  private async runScript(
    page: Answer,
    token: string | undefined,
  ): Promise<{ outcome: PageView['outcome']; reason?: string }> {
    const api = API_REF.exec(page.body)?.[1];
    if (!api) return { outcome: 'ok' };
    const answer = await this.get(api, 'application/json', token);
    if (answer.reload) return { outcome: 'ok' };
    if (answer.status >= 500) return { outcome: 'error', reason: `its API call answered ${answer.status}` };
    const data = JSON.parse(answer.body) as Record<string, unknown> & { products?: Record<string, unknown>[] };
    const item = data.products ? data.products[0] : data;
    const fields = (ref: RegExp): string[] => ref.exec(page.body)?.[1]?.split(' ').filter(Boolean) ?? [];
    const missing = fields(NEEDS_REF).filter((f) => item?.[f] === undefined);
    if (missing.length) return { outcome: 'broken', reason: `the API answer lacks ${missing.join(', ')}` };
    // A field the script reads without checking: where the answer lacks it, the script throws.
    const unread = fields(READS_REF).filter((f) => item?.[f] === undefined);
    if (unread.length) return { outcome: 'error', reason: `its script failed: it reads ${unread.join(', ')}` };
    return { outcome: 'ok' };
  }
}
