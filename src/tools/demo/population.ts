import { Pool } from 'undici';
import { BrowserUser, type PageView } from './browser-user.js';

export interface PopulationOptions {
  readonly gatewayUrl: string;
  /** The frontend component (its versions are what pages are counted by). */
  readonly frontend: string;
  /** Simulated browsers. Default 300. */
  readonly users?: number;
  /** Mean pause between one user's page views, ms (exponential). Default 3000. */
  readonly thinkMs?: number;
  /** Pages to visit; a product page is picked 70% of the time. */
  readonly paths: { readonly home: string; readonly products: readonly string[] };
}

export interface VersionPages {
  ok: number;
  error: number;
  broken: number;
}

/** What the population lived through, by frontend version. */
export interface PopulationReport {
  readonly users: number;
  readonly pages: number;
  readonly byVersion: ReadonlyMap<number, VersionPages>;
  readonly broken: number;
  readonly errors: number;
  /** Pages the gateway told to reload (their tab's version was retired), with why. */
  readonly reloads: readonly PageView[];
  /** Client-side navigations in tabs kept open (across releases too): each served by its tab's version or broken. */
  readonly navigations: number;
  /** A few broken pages, with why. */
  readonly brokenSamples: readonly PageView[];
  /** Identities of the users who got at least one page from each version. */
  readonly usersByVersion: ReadonlyMap<number, ReadonlySet<string>>;
  /** Every user's identity (assigned by the gateway on their first visit). */
  readonly identities: readonly string[];
}

const exponential = (mean: number): number => -Math.log(1 - Math.random()) * mean;

/** A population of browser-like users visiting the site in real time until stopped. */
export class Population {
  private readonly pool: Pool;
  private readonly users: BrowserUser[];
  private readonly byVersion = new Map<number, VersionPages>();
  private readonly usersByVersion = new Map<number, Set<string>>();
  private readonly brokenSamples: PageView[] = [];
  private readonly reloads: PageView[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private pages = 0;
  private navigations = 0;
  private broken = 0;
  private errors = 0;
  private stopped = false;

  constructor(private readonly options: PopulationOptions) {
    this.pool = new Pool(options.gatewayUrl, { connections: 64, pipelining: 1 });
    this.users = Array.from({ length: options.users ?? 300 }, () => new BrowserUser(this.pool, options.frontend));
  }

  get thinkMs(): number {
    return this.options.thinkMs ?? 3000;
  }

  start(): void {
    // Arrivals are spread over one think time, so the site does not see a burst.
    for (const user of this.users) this.schedule(user, Math.random() * this.thinkMs);
  }

  private schedule(user: BrowserUser, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const visit = this.visit(user).finally(() => {
        this.inFlight.delete(visit);
        this.schedule(user, exponential(this.thinkMs));
      });
      this.inFlight.add(visit);
    }, delayMs);
    this.timers.add(timer);
  }

  private pickPath(): string {
    const { home, products } = this.options.paths;
    return Math.random() < 0.3 ? home : products[Math.floor(Math.random() * products.length)]!;
  }

  private async visit(user: BrowserUser): Promise<void> {
    const path = this.pickPath();
    let view: PageView;
    try {
      view = await user.view(path);
    } catch (err) {
      view = { path, version: undefined, outcome: 'error', reason: (err as Error).message, ms: 0 };
    }
    this.record(user, view);
  }

  private record(user: BrowserUser, view: PageView): void {
    this.pages++;
    if (view.navigated) this.navigations++;
    if (view.outcome === 'error') this.errors++;
    if (view.reloaded) this.reloads.push(view);
    if (view.outcome === 'broken') {
      this.broken++;
      if (this.brokenSamples.length < 5) this.brokenSamples.push(view);
    }
    if (view.version === undefined) return;
    let counts = this.byVersion.get(view.version);
    if (!counts) this.byVersion.set(view.version, (counts = { ok: 0, error: 0, broken: 0 }));
    counts[view.outcome]++;
    if (user.id) {
      let ids = this.usersByVersion.get(view.version);
      if (!ids) this.usersByVersion.set(view.version, (ids = new Set()));
      ids.add(user.id);
    }
  }

  report(): PopulationReport {
    return {
      users: this.users.length,
      pages: this.pages,
      byVersion: this.byVersion,
      broken: this.broken,
      errors: this.errors,
      reloads: this.reloads,
      navigations: this.navigations,
      brokenSamples: this.brokenSamples,
      usersByVersion: this.usersByVersion,
      identities: this.users.flatMap((u) => (u.id ? [u.id] : [])),
    };
  }

  /** Stops new visits, lets the ones under way finish, and closes the connections. */
  async stop(): Promise<PopulationReport> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.inFlight]);
    await this.pool.close();
    return this.report();
  }
}
