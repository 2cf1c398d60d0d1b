import { invalid } from '../../core/errors.js';
import { normalCdf } from '../../core/stats/normal.js';
import type { Fault } from './fault.js';
import type { Population, PopulationSpec } from './population.js';
import type { Rng } from './random.js';

/** One route of the app: its share of requests and its latency (lognormal). */
export interface RouteSpec {
  readonly name: string;
  /** Share of requests (normalised over all routes). */
  readonly share: number;
  /** Median latency, ms. */
  readonly medianMs: number;
  /** Spread of ln(latency); p99 = median * exp(2.326 sigma). */
  readonly sigma: number;
}

export interface TrafficSpec {
  readonly population: PopulationSpec;
  /** Requests per second of virtual time, both versions together. */
  readonly requestsPerSecond: number;
  readonly routes: readonly RouteSpec[];
  /** Share of requests answered 5xx by either version when no fault says otherwise. */
  readonly errorRate: number;
  /**
   * Share of users who ever see an error (errors clustered by user: data only some users
   * have). They get errors at the rate divided by this share, the others none. Default 1.
   */
  readonly errorUsers?: number | undefined;
  /** Share of page views failing in the browser, both versions (a browser fault sets its own). Default 0. */
  readonly browserErrorRate?: number | undefined;
}

/** A small shop: pages, search, item and cart APIs, and a slow checkout. */
export const DEFAULT_ROUTES: readonly RouteSpec[] = [
  { name: 'home', share: 0.3, medianMs: 40, sigma: 0.5 },
  { name: 'search', share: 0.25, medianMs: 80, sigma: 0.6 },
  { name: 'item', share: 0.25, medianMs: 30, sigma: 0.45 },
  { name: 'cart', share: 0.12, medianMs: 60, sigma: 0.5 },
  { name: 'checkout', share: 0.08, medianMs: 150, sigma: 0.55 },
];

/** One version's behaviour per route: ln-latency mean (µs) and spread, and error rate. */
export interface VersionModel {
  readonly mu: Float64Array;
  readonly sigma: Float64Array;
  readonly errorRate: Float64Array;
}

/**
 * The stable and the new version's models: the same, except where the fault applies.
 * A tail fault (`p99:xK`) widens the spread of the faulty routes by one common amount,
 * found by bisection so that the p99 over those routes' mix is K times the stable one
 * (each route's median stays): over all routes, the new version's p99 is K times higher.
 */
export function versionModels(traffic: TrafficSpec, fault: Fault): { stable: VersionModel; fresh: VersionModel } {
  const routes = traffic.routes;
  const names = new Set(routes.map((r) => r.name));
  if (fault.kind === 'errors' || fault.kind === 'latency') {
    for (const r of fault.routes ?? []) {
      if (!names.has(r)) throw invalid(`fault names route "${r}", which is not one of ${[...names].join(', ')}`);
    }
  }
  const hit = routes.map(
    (r) => (fault.kind === 'errors' || fault.kind === 'latency') && (!fault.routes || fault.routes.includes(r.name)),
  );
  const base = fault.kind === 'errors' ? fault.from : traffic.errorRate;
  const model = (faulty: boolean, widen: number): VersionModel => {
    const m: VersionModel = {
      mu: new Float64Array(routes.length),
      sigma: new Float64Array(routes.length),
      errorRate: new Float64Array(routes.length),
    };
    routes.forEach((r, i) => {
      const on = faulty && hit[i]!;
      m.mu[i] =
        Math.log(r.medianMs * 1000) + (on && fault.kind === 'latency' && !fault.tail ? Math.log(fault.factor) : 0);
      m.sigma[i] = r.sigma + (on ? widen : 0);
      m.errorRate[i] = on && fault.kind === 'errors' ? fault.to : base;
    });
    return m;
  };
  const stable = model(false, 0);
  if (fault.kind !== 'latency' || !fault.tail) return { stable, fresh: model(true, 0) };
  const faulty = routes.filter((_, i) => hit[i]);
  const pick = (m: VersionModel): VersionModel => ({
    mu: m.mu.filter((_, i) => hit[i]),
    sigma: m.sigma.filter((_, i) => hit[i]),
    errorRate: m.errorRate.filter((_, i) => hit[i]),
  });
  const target = fault.factor * latencyQuantileMs(pick(stable), faulty, 0.99);
  let lo = fault.factor >= 1 ? 0 : -Math.min(...faulty.map((r) => r.sigma)) * 0.999;
  let hi = fault.factor >= 1 ? 5 : 0;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (latencyQuantileMs(pick(model(true, mid)), faulty, 0.99) < target) lo = mid;
    else hi = mid;
  }
  return { stable, fresh: model(true, (lo + hi) / 2) };
}

/** Quantile q of a version's latency over the route mix, ms (bisection on the mixture CDF). */
export function latencyQuantileMs(model: VersionModel, routes: readonly RouteSpec[], q: number): number {
  const total = routes.reduce((s, r) => s + r.share, 0);
  const cdf = (us: number): number => {
    let p = 0;
    routes.forEach((r, i) => (p += (r.share / total) * normalCdf((Math.log(us) - model.mu[i]!) / model.sigma[i]!)));
    return p;
  };
  let lo = 1;
  let hi = 1e10;
  for (let i = 0; i < 100; i++) {
    const mid = Math.sqrt(lo * hi);
    if (cdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return hi / 1000;
}

/**
 * The requests of a population in virtual time. Sessions start as a Poisson process;
 * each goes on after a request with probability 1 - 1/sessionRequests, after an
 * exponential think time. Sessions wait in a binary heap kept in typed arrays, so the
 * stream allocates nothing per request. `next()` moves `time`, `user` and `route` to the
 * next request.
 */
export class RequestStream {
  time = 0;
  user = 0;
  route = 0;
  private heapTime = new Float64Array(1024);
  private heapUser = new Int32Array(1024);
  private size = 0;
  private nextArrival = 0;
  private readonly arrivalMeanMs: number;
  private readonly goOn: number;
  private readonly thinkMs: number;
  private readonly routeCumulative: Float64Array;

  constructor(
    private readonly population: Population,
    traffic: TrafficSpec,
  ) {
    if (!(traffic.requestsPerSecond > 0))
      throw invalid(`requests per second must be positive, got ${traffic.requestsPerSecond}`);
    if (traffic.routes.length === 0) throw invalid('traffic needs at least one route');
    const p = population.spec;
    this.arrivalMeanMs = (1000 * p.sessionRequests) / traffic.requestsPerSecond;
    this.goOn = 1 - 1 / p.sessionRequests;
    this.thinkMs = p.thinkTimeMs;
    const total = traffic.routes.reduce((s, r) => s + r.share, 0);
    let acc = 0;
    this.routeCumulative = Float64Array.from(traffic.routes, (r) => (acc += r.share / total));
  }

  /**
   * Starts at `t0` in the steady state: as many sessions waiting for their next request
   * as a long run would have (arrival rate x mean waits per session x think time), each
   * due after an exponential wait (memoryless, so this is exact in distribution).
   */
  start(rng: Rng, t0: number): void {
    this.size = 0;
    this.time = t0;
    const waiting = Math.round((this.thinkMs * this.goOn) / (1 - this.goOn) / this.arrivalMeanMs);
    for (let i = 0; i < waiting; i++) this.push(t0 + rng.exponential(this.thinkMs), this.population.sessionUser(rng));
    this.nextArrival = t0 + rng.exponential(this.arrivalMeanMs);
  }

  next(rng: Rng): void {
    if (this.size > 0 && this.heapTime[0]! < this.nextArrival) {
      this.time = this.heapTime[0]!;
      this.user = this.heapUser[0]!;
      if (rng.next() < this.goOn) this.replaceTop(this.time + rng.exponential(this.thinkMs));
      else this.popTop();
    } else {
      this.time = this.nextArrival;
      this.user = this.population.sessionUser(rng);
      this.nextArrival = this.time + rng.exponential(this.arrivalMeanMs);
      if (rng.next() < this.goOn) this.push(this.time + rng.exponential(this.thinkMs), this.user);
    }
    const x = rng.next();
    const c = this.routeCumulative;
    let r = 0;
    while (r < c.length - 1 && x >= c[r]!) r++;
    this.route = r;
  }

  private push(time: number, user: number): void {
    if (this.size === this.heapTime.length) {
      const t = new Float64Array(this.size * 2);
      t.set(this.heapTime);
      this.heapTime = t;
      const u = new Int32Array(this.size * 2);
      u.set(this.heapUser);
      this.heapUser = u;
    }
    const ht = this.heapTime;
    const hu = this.heapUser;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ht[parent]! <= time) break;
      ht[i] = ht[parent]!;
      hu[i] = hu[parent]!;
      i = parent;
    }
    ht[i] = time;
    hu[i] = user;
  }

  private popTop(): void {
    const last = --this.size;
    if (last > 0) this.siftDown(this.heapTime[last]!, this.heapUser[last]!);
  }

  private replaceTop(time: number): void {
    this.siftDown(time, this.heapUser[0]!);
  }

  /** Puts (time, user) at the root and sinks it to its place. */
  private siftDown(time: number, user: number): void {
    const ht = this.heapTime;
    const hu = this.heapUser;
    const n = this.size;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && ht[child + 1]! < ht[child]!) child++;
      if (ht[child]! >= time) break;
      ht[i] = ht[child]!;
      hu[i] = hu[child]!;
      i = child;
    }
    ht[i] = time;
    hu[i] = user;
  }
}
