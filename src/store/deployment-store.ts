import { ACTIVE_STATUSES, conflict, notFound } from '../core/index.js';
import type {
  DeploymentEvent,
  DeploymentRecord,
  DeploymentState,
  Exposure,
  ReleaseRecord,
  StoredEvent,
} from '../core/index.js';
import type { AliasMove, DeploymentRepository } from '../controller/ports.js';
import { prepare, type Db } from './database.js';
import { readExposure, readGates, readHooks, readState, STATE_SCHEMA } from './stored-state.js';
import type { StateStore } from './state-store.js';

interface DeploymentRow {
  exposure: string | null;
  state_version: number;
  id: string;
  release_id: string;
  after: string;
  state: string;
  gates: string;
  hooks: string;
}

const toRecord = (r: DeploymentRow): DeploymentRecord => ({
  exposure: r.exposure ? readExposure(r.id, r.exposure) : undefined,
  id: r.id,
  releaseId: r.release_id,
  after: JSON.parse(r.after) as string[],
  state: readState(r.id, r.state, r.state_version),
  gates: readGates(r.id, r.gates),
  hooks: readHooks(r.id, r.hooks),
});

/** The active statuses as an SQL list (core's set; the unique index of migration 1 holds the same). */
const ACTIVE = `(${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * Releases, deployments and their event history. A transition (state, events and the
 * alias it sets) is written in one transaction, so a crash leaves either all or none.
 */
export class DeploymentStore implements DeploymentRepository {
  constructor(
    private readonly db: Db,
    private readonly state: StateStore,
  ) {}

  createRelease(release: ReleaseRecord, deployments: readonly DeploymentRecord[]): void {
    this.db.transaction(() => {
      prepare(this.db, 'INSERT INTO releases (id, created_at, spec) VALUES (?, ?, ?)').run(
        release.id,
        release.createdAt,
        JSON.stringify(release.spec),
      );
      const insert = prepare(
        this.db,
        `INSERT INTO deployments (id, release_id, component, after, status, state, state_version, gates, hooks, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of deployments) {
        const busy = this.activeFor(d.state.component);
        if (busy) {
          throw conflict(
            `${d.state.component} already has an active deployment (${busy.id}: v${busy.state.fromVersion} -> v${busy.state.toVersion}, ${busy.state.status}); finish, stop or roll it back first`,
          );
        }
        insert.run(
          d.id,
          d.releaseId,
          d.state.component,
          JSON.stringify(d.after),
          d.state.status,
          JSON.stringify(d.state),
          STATE_SCHEMA,
          JSON.stringify(d.gates),
          JSON.stringify(d.hooks),
          d.state.createdAt,
          d.state.createdAt,
        );
      }
    })();
  }

  /** Writes a transition: new state, its events and (if any) the alias it moves. */
  saveTransition(
    state: DeploymentState,
    events: readonly DeploymentEvent[],
    alias: AliasMove | undefined,
    now: number,
  ): void {
    this.db.transaction(() => {
      prepare(
        this.db,
        'UPDATE deployments SET status = ?, state = ?, state_version = ?, updated_at = ? WHERE id = ?',
      ).run(state.status, JSON.stringify(state), STATE_SCHEMA, now, state.id);
      const insert = prepare(
        this.db,
        'INSERT INTO deployment_events (deployment_id, at, type, sentence, status, weight_bp) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const e of events) insert.run(state.id, e.at, e.type, e.sentence, e.status, e.weightBp);
      if (alias) {
        const current = this.state.getAlias(state.component);
        this.state.setAlias(state.component, {
          version: alias.version,
          additional: alias.additional,
          // The mode stays the alias's own (sticky unless set to request by hand).
          mode: current?.mode ?? 'sticky',
          seed: alias.seed,
        });
      }
    })();
  }

  saveExposure(id: string, exposure: Exposure): void {
    prepare(this.db, 'UPDATE deployments SET exposure = ? WHERE id = ?').run(JSON.stringify(exposure), id);
  }

  activeFor(component: string): DeploymentRecord | undefined {
    const row = prepare(this.db, `SELECT * FROM deployments WHERE component = ? AND status IN ${ACTIVE}`).get(
      component,
    ) as DeploymentRow | undefined;
    return row && toRecord(row);
  }

  active(): DeploymentRecord[] {
    return (
      prepare(
        this.db,
        `SELECT * FROM deployments WHERE status IN ${ACTIVE} ORDER BY created_at, id`,
      ).all() as DeploymentRow[]
    ).map(toRecord);
  }

  get(id: string): DeploymentRecord {
    const row = prepare(this.db, 'SELECT * FROM deployments WHERE id = ?').get(id) as DeploymentRow | undefined;
    if (!row) throw notFound(`no deployment ${id}`);
    return toRecord(row);
  }

  /** The component's newest deployment, active or not. */
  latestFor(component: string): DeploymentRecord | undefined {
    const row = prepare(
      this.db,
      'SELECT * FROM deployments WHERE component = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
    ).get(component) as DeploymentRow | undefined;
    return row && toRecord(row);
  }

  ofRelease(releaseId: string): DeploymentRecord[] {
    return (
      prepare(this.db, 'SELECT * FROM deployments WHERE release_id = ? ORDER BY rowid').all(
        releaseId,
      ) as DeploymentRow[]
    ).map(toRecord);
  }

  releases(limit: number): ReleaseRecord[] {
    const rows = prepare(this.db, 'SELECT * FROM releases ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as {
      id: string;
      created_at: number;
      spec: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      spec: JSON.parse(r.spec) as Record<string, unknown>,
    }));
  }

  events(deploymentId: string): StoredEvent[] {
    const rows = prepare(this.db, 'SELECT * FROM deployment_events WHERE deployment_id = ? ORDER BY seq').all(
      deploymentId,
    ) as {
      seq: number;
      deployment_id: string;
      at: number;
      type: string;
      sentence: string;
      status: string;
      weight_bp: number;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      deploymentId: r.deployment_id,
      at: r.at,
      type: r.type,
      sentence: r.sentence,
      status: r.status as DeploymentEvent['status'],
      weightBp: r.weight_bp,
    }));
  }
}
