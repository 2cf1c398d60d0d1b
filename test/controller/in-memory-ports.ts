import {
  bucketUpperUs,
  conflict,
  isActive,
  LATENCY_BUCKETS,
  latencyBucket,
  notFound,
  quantileBucket,
  type Alias,
  type DeploymentEvent,
  type DeploymentRecord,
  type DeploymentState,
  type Exposure,
  type ReleaseRecord,
  type Version,
} from '../../src/core/index.js';
import type {
  AliasMove,
  DeploymentRepository,
  ExposureSink,
  MetricWindows,
  VersionCatalog,
  VersionWindow,
} from '../../src/controller/ports.js';
import type { FakeClock } from '../helpers/fake-clock.js';

/**
 * The controller's ports in memory: what an engine must provide, with no SQLite and no
 * gateway. Metrics are a time series here (a mark is a timestamp and can be placed in the
 * past), as on AWS; the local recorder's counters cannot, and both paths are the controller's.
 */
export class InMemoryPorts implements DeploymentRepository, VersionCatalog, MetricWindows<number>, ExposureSink {
  readonly deploymentsById = new Map<string, DeploymentRecord>();
  readonly releases: ReleaseRecord[] = [];
  readonly events: (DeploymentEvent & { deploymentId: string })[] = [];
  readonly aliases = new Map<string, Alias>();
  readonly versionsOf = new Map<string, Version[]>();
  /** Every call that writes or moves traffic, in order. */
  readonly log: string[] = [];
  private readonly traffic = new Map<string, { at: number; error: boolean; latencyUs: number; user: string }[]>();
  private readonly tracked = new Map<string, { version: number; since: number }>();

  constructor(private readonly clock: FakeClock) {}

  // VersionCatalog
  getAlias(component: string): Alias | undefined {
    return this.aliases.get(component);
  }
  findVersion(component: string, number: number): Version | undefined {
    return this.versionsOf.get(component)?.find((v) => v.number === number);
  }

  publish(component: string, number: number, retired = false): void {
    const list = this.versionsOf.get(component) ?? [];
    list.push({
      component,
      number,
      target: `http://127.0.0.1:9/${component}/v${number}`,
      createdAt: '2026-01-01T00:00:00.000Z',
      retiredAt: retired ? '2026-01-01T00:00:00.000Z' : undefined,
    });
    this.versionsOf.set(component, list);
  }

  setLive(component: string, version: number): void {
    this.aliases.set(component, {
      component,
      name: 'live',
      version,
      mode: 'sticky',
      seed: `${component}@${version}`,
      updatedAt: '',
    });
  }

  // DeploymentReader
  get(id: string): DeploymentRecord {
    const d = this.deploymentsById.get(id);
    if (!d) throw notFound(`no deployment ${id}`);
    return d;
  }
  active(): DeploymentRecord[] {
    return [...this.deploymentsById.values()].filter((d) => isActive(d.state.status));
  }
  activeFor(component: string): DeploymentRecord | undefined {
    return this.active().find((d) => d.state.component === component);
  }
  latestFor(component: string): DeploymentRecord | undefined {
    return [...this.deploymentsById.values()].filter((d) => d.state.component === component).at(-1);
  }
  ofRelease(releaseId: string): DeploymentRecord[] {
    return [...this.deploymentsById.values()].filter((d) => d.releaseId === releaseId);
  }

  // DeploymentWriter
  createRelease(release: ReleaseRecord, deployments: readonly DeploymentRecord[]): void {
    for (const d of deployments)
      if (this.activeFor(d.state.component)) throw conflict(`${d.state.component} already has an active deployment`);
    this.releases.push(release);
    for (const d of deployments) this.deploymentsById.set(d.id, d);
    this.log.push(`create-release ${release.id}`);
  }
  saveTransition(state: DeploymentState, events: readonly DeploymentEvent[], alias: AliasMove | undefined): void {
    const d = this.get(state.id);
    this.deploymentsById.set(state.id, { ...d, state });
    for (const e of events) this.events.push({ ...e, deploymentId: state.id });
    if (alias) {
      const current = this.aliases.get(state.component)!;
      this.aliases.set(state.component, {
        ...current,
        version: alias.version,
        additional: alias.additional,
        seed: alias.seed,
      });
    }
    this.log.push(`save ${state.component} ${state.status} ${state.weightBp}${alias ? ' +alias' : ''}`);
  }
  saveExposure(id: string, exposure: Exposure): void {
    this.deploymentsById.set(id, { ...this.get(id), exposure });
  }

  // MetricWindows: a time series of answers
  serve(component: string, version: number, n: number, o: { errorEvery?: number; latencyUs?: number } = {}): void {
    const key = `${component}:${version}`;
    const list = this.traffic.get(key) ?? [];
    for (let i = 0; i < n; i++) {
      list.push({
        at: this.clock.now(),
        error: o.errorEvery !== undefined && list.length % o.errorEvery === 0,
        latencyUs: o.latencyUs ?? 2000 + ((list.length * 7919) % 8000),
        user: `u${list.length}`,
      });
    }
    this.traffic.set(key, list);
  }
  mark(): number {
    return this.clock.now();
  }
  markAt(_component: string, _version: number, at: number): number {
    return at;
  }
  since(component: string, version: number, mark: number | undefined): VersionWindow {
    const rows = (this.traffic.get(`${component}:${version}`) ?? []).filter((r) => r.at >= (mark ?? -Infinity));
    const latency = this.latency(component, version, mark);
    const ms = (q: number): number => (rows.length ? bucketUpperUs(quantileBucket(latency, q)) / 1000 : 0);
    return {
      requests: rows.length,
      errors: rows.filter((r) => r.error).length,
      latency,
      p50Ms: ms(0.5),
      p90Ms: ms(0.9),
      p99Ms: ms(0.99),
    };
  }
  latency(component: string, version: number, mark: number | undefined): Float64Array {
    const buckets = new Float64Array(LATENCY_BUCKETS);
    for (const r of this.traffic.get(`${component}:${version}`) ?? [])
      if (r.at >= (mark ?? -Infinity)) buckets[latencyBucket(r.latencyUs)]!++;
    return buckets;
  }

  // ExposureSink
  track(component: string, deploymentId: string, version: number): void {
    if (!this.tracked.has(deploymentId)) this.tracked.set(deploymentId, { version, since: this.clock.now() });
    void component;
  }
  counted(component: string, deploymentId: string): Exposure | undefined {
    const t = this.tracked.get(deploymentId);
    if (!t) return undefined;
    let onNew = 0;
    let all = 0;
    for (const [key, rows] of this.traffic) {
      if (!key.startsWith(`${component}:`)) continue;
      const n = new Set(rows.filter((r) => r.at >= t.since).map((r) => r.user)).size;
      all += n;
      if (key === `${component}:${t.version}`) onNew += n;
    }
    return { usersOnNew: onNew, activeUsers: all, share: all ? onNew / all : 0, exact: true };
  }
  stop(_component: string, deploymentId: string): void {
    this.tracked.delete(deploymentId);
  }
}
