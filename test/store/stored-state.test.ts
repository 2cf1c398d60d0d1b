import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/store/database.js';
import { DeploymentStore } from '../../src/store/deployment-store.js';
import { StateStore } from '../../src/store/state-store.js';
import { STATE_SCHEMA } from '../../src/store/stored-state.js';
import { Controller } from '../../src/controller/controller.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { RecorderPorts } from '../../src/metrics/windows.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * A deployment as onebox wrote it before the judge banked evidence (state schema 1: no
 * `evidence`, judge settings without `tailFloor` and `warmupRequests`), exactly as that
 * version's JSON looked, resumed by today's controller.
 */
const SCHEMA_1_STATE = {
  id: 'old1-web',
  component: 'web',
  fromVersion: 1,
  toVersion: 2,
  plan: [
    { weightBp: 2000, holdMs: 600_000, bake: true },
    { weightBp: 10_000, holdMs: 0, bake: false },
  ],
  settings: { beforeHook: false, afterHook: false, maxExtensionMs: 600_000, onInconclusive: 'pause' },
  status: 'baking',
  step: 0,
  weightBp: 2000,
  stepStartedAt: Date.UTC(2026, 0, 1),
  extended: false,
  createdAt: Date.UTC(2026, 0, 1),
};
const SCHEMA_1_GATES = {
  alarms: { maxErrorRate: 0.02, minRequests: 100, errorRule: 'confident' },
  judge: {
    alpha: 0.001,
    beta: 0.05,
    errorRatio: 2,
    errorFloor: 0.005,
    minRequests: 100,
    minTailSample: 500,
    tailQuantile: 0.99,
    tailRatio: 3,
    minTailMs: 10,
    rankAlpha: 0.0001,
    minSuperiority: 0.6,
    minMedianRatio: 1.1,
    minMedianShiftMs: 1,
  },
};

describe('stored reducer state', () => {
  let dir: string;
  let db: Db;
  let deployments: DeploymentStore;
  let state: StateStore;
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 5));

  const insert = (json: object, version: number, gates: object = SCHEMA_1_GATES): void => {
    db.prepare(`INSERT INTO releases (id, created_at, spec) VALUES ('old1', 0, '{}');`).run();
    db.prepare(
      `INSERT INTO deployments (id, release_id, component, after, status, state, state_version, gates, hooks, created_at, updated_at)
       VALUES ('old1-web', 'old1', 'web', '[]', 'baking', ?, ?, ?, '{}', 0, 0)`,
    ).run(JSON.stringify(json), version, JSON.stringify(gates));
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-stored-'));
    db = openDatabase(join(dir, 'state.db'));
    state = new StateStore(db, clock);
    state.ensureComponents(['web']);
    state.publish('web', 'http://127.0.0.1:9/v1');
    state.publish('web', 'http://127.0.0.1:9/v2');
    state.setAlias('web', { version: 1, additional: { version: 2, weightBp: 2000 }, mode: 'sticky', seed: 's' });
    deployments = new DeploymentStore(db, state);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a schema-1 deployment, resumes it, and writes it back in the current schema', () => {
    insert(SCHEMA_1_STATE, 1);
    const record = deployments.get('old1-web');
    expect(record.state).toMatchObject({ status: 'baking', evidence: {} });
    expect(record.gates.judge).toMatchObject({ tailFloor: 0.01, warmupRequests: 100 });
    const ports = new RecorderPorts(new MetricsRecorder());
    const controller = new Controller({
      deployments,
      versions: state,
      metrics: ports,
      exposure: ports,
      clock,
      runHook: () => Promise.reject(new Error('none')),
      onAliasChange: () => {},
    });
    expect(controller.command('web', 'pause', 'alice').state.status).toBe('paused');
    const row = db.prepare('SELECT state_version FROM deployments WHERE id = ?').get('old1-web') as {
      state_version: number;
    };
    expect(row.state_version).toBe(STATE_SCHEMA);
  });

  it('refuses a state written by a newer onebox, saying which deployment and what to do', () => {
    insert(SCHEMA_1_STATE, STATE_SCHEMA + 1);
    expect(() => deployments.get('old1-web')).toThrow(
      `deployment old1-web's stored state (schema ${STATE_SCHEMA + 1}) was written by a newer onebox (this one reads schemas up to ${STATE_SCHEMA}); upgrade onebox to resume it`,
    );
  });

  it('names the field of a state that does not read', () => {
    insert({ ...SCHEMA_1_STATE, weightBp: 'half' }, 1);
    expect(() => deployments.get('old1-web')).toThrow(
      /deployment old1-web's stored state \(schema 1\) does not read: weightBp: /,
    );
  });
});
