import {
  conflict,
  isActive,
  notFound,
  type Alias,
  type DeploymentEvent,
  type DeploymentRecord,
  type DeploymentState,
  type Exposure,
  type ReleaseRecord,
  type Version,
} from '../../core/index.js';
import type { AliasMove, DeploymentRepository, ExposureSink, VersionCatalog } from '../../controller/ports.js';
import type { ControlState, StoredDeployment } from './state.js';

/**
 * The controller's state ports over one read of the control plane's state: the unit of
 * work of one tick. The controller runs against it synchronously; its writes change only
 * this copy, and the engine commits the result with one conditional write (or drops it
 * when another tick won). `moved` names the components whose alias changed: traffic moves
 * only after the commit.
 */
export class TickPorts implements DeploymentRepository, VersionCatalog, ExposureSink {
  private readonly aliases: Map<string, Alias>;
  private readonly deployments: Map<string, StoredDeployment>;
  private readonly releases: ReleaseRecord[];
  private seq: number;
  private readonly configured: ControlState['configured'];
  /** Components whose alias this tick moved, in order. */
  readonly moved: string[] = [];
  /** Events this tick added, in order. */
  readonly added: (DeploymentEvent & { deploymentId: string })[] = [];

  constructor(
    state: ControlState,
    private readonly versionsOf: ReadonlyMap<string, readonly Version[]>,
    /** Each watched deployment's exposure, counted from the log lines before the tick (readExposures). */
    private readonly exposures: ReadonlyMap<string, Exposure> = new Map(),
  ) {
    this.aliases = new Map(Object.entries(state.aliases));
    this.deployments = new Map(state.deployments.map((d) => [d.record.id, d]));
    this.releases = [...state.releases];
    this.seq = state.seq;
    this.configured = state.configured;
  }

  /** True once the controller wrote anything. */
  changed = false;

  /**
   * The state to commit, and the ended deployments it no longer holds (each component keeps
   * its latest: `rollback` after success needs it).
   */
  result(): { state: ControlState; archived: StoredDeployment[] } {
    const all = [...this.deployments.values()];
    const latest = new Map<string, string>();
    for (const d of all) latest.set(d.record.state.component, d.record.id);
    const kept = all.filter(
      (d) => isActive(d.record.state.status) || latest.get(d.record.state.component) === d.record.id,
    );
    const archived = all
      .filter((d) => !kept.includes(d))
      .map((d) => ({ ...d, release: this.releases.find((r) => r.id === d.record.releaseId) }));
    const releaseIds = new Set(kept.map((d) => d.record.releaseId));
    return {
      state: {
        aliases: Object.fromEntries(this.aliases),
        deployments: kept,
        releases: this.releases.filter((r) => releaseIds.has(r.id)),
        seq: this.seq,
        ...(this.configured ? { configured: this.configured } : {}),
      },
      archived,
    };
  }

  // VersionCatalog
  getAlias(component: string): Alias | undefined {
    return this.aliases.get(component);
  }
  versionsFor(component: string): Version[] {
    return [...(this.versionsOf.get(component) ?? [])];
  }
  findVersion(component: string, number: number): Version | undefined {
    return this.versionsOf.get(component)?.find((v) => v.number === number);
  }

  // DeploymentReader
  get(id: string): DeploymentRecord {
    const d = this.deployments.get(id);
    if (!d) throw notFound(`no deployment ${id}`);
    return d.record;
  }
  active(): DeploymentRecord[] {
    return this.records().filter((r) => isActive(r.state.status));
  }
  activeFor(component: string): DeploymentRecord | undefined {
    return this.active().find((r) => r.state.component === component);
  }
  latestFor(component: string): DeploymentRecord | undefined {
    return this.records()
      .filter((r) => r.state.component === component)
      .at(-1);
  }
  ofRelease(releaseId: string): DeploymentRecord[] {
    return this.records().filter((r) => r.releaseId === releaseId);
  }
  private records(): DeploymentRecord[] {
    return [...this.deployments.values()].map((d) => d.record);
  }

  // DeploymentWriter
  createRelease(release: ReleaseRecord, records: readonly DeploymentRecord[]): void {
    for (const r of records)
      if (this.activeFor(r.state.component)) throw conflict(`${r.state.component} already has an active deployment`);
    this.releases.push(release);
    for (const r of records) this.deployments.set(r.id, { record: r, events: [] });
    this.changed = true;
  }
  saveTransition(
    state: DeploymentState,
    events: readonly DeploymentEvent[],
    alias: AliasMove | undefined,
    now: number,
  ): void {
    const d = this.deployments.get(state.id);
    if (!d) throw notFound(`no deployment ${state.id}`);
    const numbered = events.map((e) => ({ ...e, seq: ++this.seq }));
    this.deployments.set(state.id, { record: { ...d.record, state }, events: [...d.events, ...numbered] });
    for (const e of events) this.added.push({ ...e, deploymentId: state.id });
    if (alias) {
      const current = this.aliases.get(state.component);
      if (!current) throw notFound(`component "${state.component}" has no alias`);
      this.aliases.set(state.component, {
        ...current,
        version: alias.version,
        additional: alias.additional,
        seed: alias.seed,
        updatedAt: new Date(now).toISOString(),
      });
      this.moved.push(state.component);
    }
    this.changed = true;
  }
  saveExposure(id: string, exposure: Exposure): void {
    const d = this.deployments.get(id);
    if (d) this.deployments.set(id, { ...d, record: { ...d.record, exposure } });
  }

  // ExposureSink: the counts were read for the whole window before the tick, so nothing is
  // carried and nothing to start or stop (a deployment not read in time keeps its stored one).
  track(): void {}
  counted(_component: string, deploymentId: string): Exposure | undefined {
    return this.exposures.get(deploymentId);
  }
  stop(): void {}
}
