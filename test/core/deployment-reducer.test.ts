import { describe, expect, it } from 'vitest';
import {
  ACTIVE_STATUSES,
  createDeployment,
  holdRemainingMs,
  InvalidCommand,
  isActive,
  nextWakeAt,
  reduce,
  type AliasTarget,
  type DeploymentCommand,
  type DeploymentSettings,
  type DeploymentState,
  type DeploymentStatus,
  type Effect,
  type Observation,
  type Transition,
} from '../../src/core/deployment.js';
import { parseDeploymentSpec, planOf, type DeploymentConfig, type PlanStep } from '../../src/core/deployment-config.js';
import type { GateVerdict } from '../../src/core/gate.js';
import { prng } from '../helpers/random.js';

const T0 = Date.UTC(2026, 0, 1);
const SEC = 1000;
const MIN = 60_000;

const PASS: GateVerdict = { result: 'pass', sentence: 'v2: error rate 0.00% over 500 requests, within alarms' };
const WAIT: GateVerdict = { result: 'inconclusive', sentence: 'v2: 12 of 100 requests needed to judge' };
const FAIL: GateVerdict = { result: 'fail', sentence: 'v2: error rate 9.00% > 2.00% over 500 requests' };

const tick = (gate: GateVerdict): Observation => ({ kind: 'tick', gate });
const cmd = (command: DeploymentCommand, by?: string, detail?: string): Observation => ({
  kind: 'command',
  command,
  by,
  detail,
});
const hookDone = (hook: 'before' | 'after', ok: boolean, detail = ''): Observation => ({
  kind: 'hook-done',
  hook,
  ok,
  detail,
});
const START = cmd('start');

const SETTINGS: DeploymentSettings = {
  beforeHook: false,
  afterHook: false,
  maxExtensionMs: 3 * MIN,
  onInconclusive: 'pause',
};

const planFor = (spec: string): PlanStep[] => planOf(parseDeploymentSpec(spec));

function deployment(spec: string, settings: Partial<DeploymentSettings> = {}, at = T0): DeploymentState {
  return createDeployment(
    {
      id: 'rel1-api',
      component: 'api',
      fromVersion: 1,
      toVersion: 2,
      plan: planFor(spec),
      settings: { ...SETTINGS, ...settings },
    },
    at,
  );
}

/** Effects as the reducer writes them, for exact comparisons. */
const shifted = (weightBp: number): Effect => ({
  kind: 'set-alias',
  alias: { version: 1, additional: { version: 2, weightBp } },
});
const ALL_OLD: Effect = { kind: 'set-alias', alias: { version: 1 } };
const ALL_NEW: Effect = { kind: 'set-alias', alias: { version: 2 } };
const runHook = (hook: 'before' | 'after'): Effect => ({ kind: 'run-hook', hook });
const ev = (at: number, type: string, sentence: string, status: DeploymentStatus, weightBp: number): Effect => ({
  kind: 'event',
  event: { at, type, sentence: `api v2: ${sentence}`, status, weightBp },
});

const eventsOf = (effects: readonly Effect[]) => effects.flatMap((e) => (e.kind === 'event' ? [e.event] : []));
const aliasesOf = (effects: readonly Effect[]): AliasTarget[] =>
  effects.flatMap((e) => (e.kind === 'set-alias' ? [e.alias] : []));
const aliasText = (a: AliasTarget): string =>
  a.additional ? `v${a.version}+v${a.additional.version}@${a.additional.weightBp}` : `v${a.version}`;

/** A deployment driven through the reducer with fake time (ms since T0). */
class Drive {
  effects: Effect[] = [];
  constructor(public state: DeploymentState) {}

  /** Reduces `observation` at T0 + `atMs`; returns that one transition. */
  at(atMs: number, observation: Observation): Transition {
    const t = reduce(this.state, observation, T0 + atMs);
    this.state = t.state;
    this.effects.push(...t.effects);
    return t;
  }
}

const drive = (spec: string, settings: Partial<DeploymentSettings> = {}): Drive =>
  new Drive(deployment(spec, settings));

/** Expects the observation to change nothing at all: the same state object back and no effects. */
function expectNoChange(d: Drive, atMs: number, observation: Observation): void {
  const before = d.state;
  const t = d.at(atMs, observation);
  expect(t.effects).toEqual([]);
  expect(t.state).toBe(before);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('createDeployment', () => {
  it('records a deployment that has not started: no traffic, no step, nothing to wake for', () => {
    const d = deployment('canary:10%:5m');
    expect(d).toEqual({
      id: 'rel1-api',
      component: 'api',
      fromVersion: 1,
      toVersion: 2,
      plan: [
        { weightBp: 1000, holdMs: 5 * MIN, bake: false },
        { weightBp: 10_000, holdMs: 0, bake: false },
      ],
      settings: SETTINGS,
      status: 'created',
      step: -1,
      weightBp: 0,
      stepStartedAt: T0,
      extended: false,
      createdAt: T0,
    });
    expect(isActive(d.status)).toBe(true);
    expect(nextWakeAt(d)).toBeUndefined();
    expect(holdRemainingMs(d, T0 + 10 * MIN)).toBe(0);
  });

  it('active statuses are the six non-terminal ones', () => {
    expect([...ACTIVE_STATUSES].sort()).toEqual([
      'after-hook',
      'baking',
      'before-hook',
      'created',
      'in-progress',
      'paused',
    ]);
    for (const s of ['succeeded', 'rolled-back', 'stopped', 'skipped'] as const) expect(isActive(s)).toBe(false);
  });
});

describe('start', () => {
  it('without a beforeAllowTraffic hook shifts the first step at once', () => {
    const d = drive('steps:10%@5m,50%@5m,100%');
    const t = d.at(SEC, START);
    expect(t.effects).toEqual([
      ev(T0 + SEC, 'started', 'deployment from v1 started: 10% -> 50% -> 100%', 'in-progress', 0),
      shifted(1000),
      ev(T0 + SEC, 'step', '10% of users on v2 for 5m (step 1 of 3)', 'in-progress', 1000),
    ]);
    expect(t.state).toMatchObject({
      status: 'in-progress',
      step: 0,
      weightBp: 1000,
      stepStartedAt: T0 + SEC,
      extended: false,
      createdAt: T0,
    });
    expect(t.state.endedAt).toBeUndefined();
    expect(nextWakeAt(t.state)).toBe(T0 + SEC + 5 * MIN);
    expect(holdRemainingMs(t.state, T0 + SEC)).toBe(5 * MIN);
    expect(holdRemainingMs(t.state, T0 + SEC + 2 * MIN)).toBe(3 * MIN);
  });

  it('with a beforeAllowTraffic hook runs the hook first and shifts nothing', () => {
    const d = drive('canary:10%:5m', { beforeHook: true });
    const t = d.at(0, START);
    expect(t.effects).toEqual([
      ev(T0, 'started', 'deployment from v1 started: 10% -> 100%', 'before-hook', 0),
      ev(T0, 'before-hook', 'running the beforeAllowTraffic hook', 'before-hook', 0),
      runHook('before'),
    ]);
    expect(t.state).toMatchObject({ status: 'before-hook', step: -1, weightBp: 0 });
    expect(nextWakeAt(t.state)).toBeUndefined();
    expect(holdRemainingMs(t.state, T0 + MIN)).toBe(0);
    // Time and gates do nothing while the hook runs.
    expectNoChange(d, 10 * MIN, tick(PASS));
    expectNoChange(d, 10 * MIN, tick(FAIL));
  });

  it('a passing beforeAllowTraffic hook shifts the first step', () => {
    const d = drive('canary:10%:5m', { beforeHook: true });
    d.at(0, START);
    const t = d.at(30 * SEC, hookDone('before', true, 'HTTP 200 in 84 ms'));
    expect(t.effects).toEqual([
      ev(T0 + 30 * SEC, 'before-hook-passed', 'beforeAllowTraffic hook passed (HTTP 200 in 84 ms)', 'before-hook', 0),
      shifted(1000),
      ev(T0 + 30 * SEC, 'step', '10% of users on v2 for 5m (step 1 of 2)', 'in-progress', 1000),
    ]);
    // The hold counts from when traffic moved, not from the start.
    expect(t.state).toMatchObject({ status: 'in-progress', step: 0, weightBp: 1000, stepStartedAt: T0 + 30 * SEC });
    expect(nextWakeAt(t.state)).toBe(T0 + 30 * SEC + 5 * MIN);
  });

  it('a passing hook without detail says so without parentheses', () => {
    const d = drive('canary:10%:5m', { beforeHook: true });
    d.at(0, START);
    expect(eventsOf(d.at(1, hookDone('before', true)).effects)[0]!.sentence).toBe(
      'api v2: beforeAllowTraffic hook passed',
    );
  });

  it('a failing beforeAllowTraffic hook rolls back with the hook detail', () => {
    const d = drive('canary:10%:5m', { beforeHook: true });
    d.at(0, START);
    const t = d.at(MIN, hookDone('before', false, 'HTTP 500 from https://hooks.example/smoke'));
    expect(t.effects).toEqual([
      ALL_OLD,
      ev(
        T0 + MIN,
        'rolled-back',
        'rolled back: beforeAllowTraffic hook failed: HTTP 500 from https://hooks.example/smoke; all traffic on v1',
        'rolled-back',
        0,
      ),
    ]);
    expect(t.state).toMatchObject({
      status: 'rolled-back',
      weightBp: 0,
      reason: 'beforeAllowTraffic hook failed: HTTP 500 from https://hooks.example/smoke',
      endedAt: T0 + MIN,
    });
    expect(isActive(t.state.status)).toBe(false);
  });

  it('all-at-once without hooks succeeds in one reduce call', () => {
    const d = drive('all-at-once');
    const t = d.at(0, START);
    expect(t.effects).toEqual([
      ev(T0, 'started', 'deployment from v1 started: 100%', 'in-progress', 0),
      shifted(10_000),
      ev(T0, 'step', '100% of users on v2 (step 1 of 1)', 'in-progress', 10_000),
      ALL_NEW,
      ev(T0, 'succeeded', 'succeeded; live now points to v2', 'succeeded', 10_000),
    ]);
    expect(t.state).toMatchObject({ status: 'succeeded', weightBp: 10_000, step: 0, endedAt: T0 });
  });
});

describe('steps and holds', () => {
  it('does nothing while the hold is not over, whatever the (non-failing) gate says', () => {
    const d = drive('steps:10%@5m,50%@5m,100%');
    d.at(0, START);
    expectNoChange(d, SEC, tick(PASS));
    expectNoChange(d, 4 * MIN, tick(WAIT));
    expectNoChange(d, 5 * MIN - 1, tick(PASS));
    expect(holdRemainingMs(d.state, T0 + 5 * MIN - 1)).toBe(1);
  });

  it('advances when the hold is over and the gate passes: new weight, then the event', () => {
    const d = drive('steps:10%@5m,50%@5m,100%');
    d.at(0, START);
    const t = d.at(5 * MIN, tick(PASS));
    expect(t.effects).toEqual([
      shifted(5000),
      ev(T0 + 5 * MIN, 'step', '50% of users on v2 for 5m (step 2 of 3)', 'in-progress', 5000),
    ]);
    expect(t.state).toMatchObject({
      status: 'in-progress',
      step: 1,
      weightBp: 5000,
      stepStartedAt: T0 + 5 * MIN,
      extended: false,
    });
    expect(nextWakeAt(t.state)).toBe(T0 + 10 * MIN);
  });

  it('the last step at 100% with no bake ends in success, moving the alias to the new version', () => {
    const d = drive('steps:10%@5m,50%@5m,100%');
    d.at(0, START);
    d.at(5 * MIN, tick(PASS));
    expectNoChange(d, 10 * MIN - 1, tick(PASS));
    const t = d.at(10 * MIN, tick(PASS));
    expect(t.effects).toEqual([
      shifted(10_000),
      ev(T0 + 10 * MIN, 'step', '100% of users on v2 (step 3 of 3)', 'in-progress', 10_000),
      ALL_NEW,
      ev(T0 + 10 * MIN, 'succeeded', 'succeeded; live now points to v2', 'succeeded', 10_000),
    ]);
    expect(t.state).toMatchObject({ status: 'succeeded', step: 2, weightBp: 10_000, endedAt: T0 + 10 * MIN });
    expect(nextWakeAt(t.state)).toBeUndefined();
    expect(holdRemainingMs(t.state, T0 + 10 * MIN)).toBe(0);
  });

  it('a late tick advances one step only, and the next hold counts from that tick', () => {
    const d = drive('linear:25%:1m');
    d.at(0, START);
    const t = d.at(30 * MIN, tick(PASS));
    expect(aliasesOf(t.effects).map(aliasText)).toEqual(['v1+v2@5000']);
    expect(t.state).toMatchObject({ step: 1, stepStartedAt: T0 + 30 * MIN });
    expect(nextWakeAt(t.state)).toBe(T0 + 31 * MIN);
  });

  it('steps with no hold pass through within one reduce call', () => {
    const d = drive('steps:1%,5%,20%@1m,100%');
    const t = d.at(0, START);
    expect(t.effects).toEqual([
      ev(T0, 'started', 'deployment from v1 started: 1% -> 5% -> 20% -> 100%', 'in-progress', 0),
      shifted(100),
      ev(T0, 'step', '1% of users on v2 (step 1 of 4)', 'in-progress', 100),
      shifted(500),
      ev(T0, 'step', '5% of users on v2 (step 2 of 4)', 'in-progress', 500),
      shifted(2000),
      ev(T0, 'step', '20% of users on v2 for 1m (step 3 of 4)', 'in-progress', 2000),
    ]);
    expect(t.state).toMatchObject({ status: 'in-progress', step: 2, weightBp: 2000, stepStartedAt: T0 });
  });

  it('zero-hold steps after a hold pass through on the tick that ends the hold', () => {
    const d = drive('steps:10%@1m,20%,30%,40%@1m');
    d.at(0, START);
    const t = d.at(MIN, tick(PASS));
    expect(aliasesOf(t.effects).map(aliasText)).toEqual(['v1+v2@2000', 'v1+v2@3000', 'v1+v2@4000']);
    expect(eventsOf(t.effects).map((e) => e.sentence)).toEqual([
      'api v2: 20% of users on v2 (step 2 of 5)',
      'api v2: 30% of users on v2 (step 3 of 5)',
      'api v2: 40% of users on v2 for 1m (step 4 of 5)',
    ]);
    expect(t.state).toMatchObject({ step: 3, weightBp: 4000 });
  });

  it('one-box bakes: status baking, a bake event, then everyone', () => {
    const d = drive('onebox:20%:10m');
    const t = d.at(0, START);
    expect(t.effects.slice(1)).toEqual([
      shifted(2000),
      ev(T0, 'bake', '20% of users on v2; baking for 10m while gates watch (step 1 of 2)', 'baking', 2000),
    ]);
    expect(t.state).toMatchObject({ status: 'baking', step: 0, weightBp: 2000 });
    expect(nextWakeAt(t.state)).toBe(T0 + 10 * MIN);
    expectNoChange(d, 10 * MIN - 1, tick(PASS));
    const done = d.at(10 * MIN, tick(PASS));
    expect(done.state.status).toBe('succeeded');
    expect(aliasesOf(done.effects).map(aliasText)).toEqual(['v1+v2@10000', 'v2']);
  });

  it('a final bake after 100% holds at 100% before success', () => {
    const d = drive('canary:10%:5m+bake:10m');
    d.at(0, START);
    const t = d.at(5 * MIN, tick(PASS));
    expect(t.effects).toEqual([
      shifted(10_000),
      ev(T0 + 5 * MIN, 'bake', '100% of users on v2; baking for 10m while gates watch (step 2 of 2)', 'baking', 10_000),
    ]);
    expect(t.state).toMatchObject({ status: 'baking', step: 1, weightBp: 10_000 });
    expect(nextWakeAt(t.state)).toBe(T0 + 15 * MIN);
    expectNoChange(d, 15 * MIN - 1, tick(PASS));
    const done = d.at(15 * MIN, tick(PASS));
    expect(done.effects).toEqual([
      ALL_NEW,
      ev(T0 + 15 * MIN, 'succeeded', 'succeeded; live now points to v2', 'succeeded', 10_000),
    ]);
  });
});

describe('inconclusive gates', () => {
  const spec = 'steps:10%@5m,50%@5m,100%';
  const extendedEvent = ev(
    T0 + 5 * MIN,
    'extended',
    `hold over but the gate is inconclusive (${WAIT.sentence}); waiting up to 3m more`,
    'in-progress',
    1000,
  );

  it('extend the hold once, with one event, up to maxExtensionMs', () => {
    const d = drive(spec);
    d.at(0, START);
    const t = d.at(5 * MIN, tick(WAIT));
    expect(t.effects).toEqual([extendedEvent]);
    expect(t.state).toMatchObject({
      status: 'in-progress',
      step: 0,
      weightBp: 1000,
      extended: true,
      stepStartedAt: T0,
    });
    expect(nextWakeAt(t.state)).toBe(T0 + 8 * MIN);
    expect(holdRemainingMs(t.state, T0 + 6 * MIN)).toBe(0);
    // Not repeated while waiting.
    expectNoChange(d, 5 * MIN + 1, tick(WAIT));
    expectNoChange(d, 6 * MIN, tick(WAIT));
    expectNoChange(d, 8 * MIN - 1, tick(WAIT));
    expect(eventsOf(d.effects).filter((e) => e.type === 'extended')).toHaveLength(1);
  });

  it('a pass during the extension advances and clears the extension', () => {
    const d = drive(spec);
    d.at(0, START);
    d.at(5 * MIN, tick(WAIT));
    const t = d.at(7 * MIN, tick(PASS));
    expect(t.effects).toEqual([
      shifted(5000),
      ev(T0 + 7 * MIN, 'step', '50% of users on v2 for 5m (step 2 of 3)', 'in-progress', 5000),
    ]);
    expect(t.state).toMatchObject({ step: 1, extended: false, stepStartedAt: T0 + 7 * MIN });
    expect(nextWakeAt(t.state)).toBe(T0 + 12 * MIN);
  });

  it('the next step may extend again (once)', () => {
    const d = drive(spec);
    d.at(0, START);
    d.at(5 * MIN, tick(WAIT));
    d.at(7 * MIN, tick(PASS));
    const t = d.at(12 * MIN, tick(WAIT));
    expect(eventsOf(t.effects).map((e) => e.type)).toEqual(['extended']);
    expect(nextWakeAt(t.state)).toBe(T0 + 15 * MIN);
  });

  const waited = `gate still inconclusive after 8m (${WAIT.sentence})`;

  it("policy 'pause': pauses at the end of the extension, keeping traffic where it is", () => {
    const d = drive(spec, { onInconclusive: 'pause' });
    d.at(0, START);
    d.at(5 * MIN, tick(WAIT));
    const t = d.at(8 * MIN, tick(WAIT));
    expect(t.effects).toEqual([
      ev(T0 + 8 * MIN, 'paused', `${waited}; paused for a person to decide (promote or rollback)`, 'paused', 1000),
    ]);
    expect(t.state).toMatchObject({
      status: 'paused',
      step: 0,
      weightBp: 1000,
      paused: { from: 'in-progress', heldMs: 8 * MIN },
    });
    expect(nextWakeAt(t.state)).toBeUndefined();
    expect(holdRemainingMs(t.state, T0 + 60 * MIN)).toBe(0);
    // Paused: passing gates and time do not move it.
    expectNoChange(d, 60 * MIN, tick(PASS));
    expectNoChange(d, 61 * MIN, tick(WAIT));
  });

  it("policy 'pause' from a bake returns to baking on resume; a later inconclusive tick pauses again without a new extension", () => {
    const d = drive('onebox:20%:10m', { onInconclusive: 'pause', maxExtensionMs: 5 * MIN });
    d.at(0, START);
    d.at(10 * MIN, tick(WAIT));
    d.at(15 * MIN, tick(WAIT));
    expect(d.state).toMatchObject({ status: 'paused', paused: { from: 'baking', heldMs: 15 * MIN } });
    const resumed = d.at(20 * MIN, cmd('resume', 'bob'));
    expect(resumed.effects).toEqual([
      ev(T0 + 20 * MIN, 'resumed', 'resumed by bob with 0ms of the hold left', 'baking', 2000),
    ]);
    expect(resumed.state).toMatchObject({ status: 'baking', stepStartedAt: T0 + 5 * MIN, paused: undefined });
    const again = d.at(20 * MIN + SEC, tick(WAIT));
    expect(eventsOf(again.effects).map((e) => e.type)).toEqual(['paused']);
    expect(again.state.status).toBe('paused');
    d.at(21 * MIN, cmd('resume'));
    expect(d.at(21 * MIN + SEC, tick(PASS)).state.status).toBe('succeeded');
  });

  it("policy 'rollback': rolls back at the end of the extension", () => {
    const d = drive(spec, { onInconclusive: 'rollback' });
    d.at(0, START);
    d.at(5 * MIN, tick(WAIT));
    const t = d.at(8 * MIN, tick(WAIT));
    expect(t.effects).toEqual([
      ALL_OLD,
      ev(T0 + 8 * MIN, 'rolled-back', `rolled back: ${waited}; all traffic on v1`, 'rolled-back', 0),
    ]);
    expect(t.state).toMatchObject({ status: 'rolled-back', weightBp: 0, reason: waited, endedAt: T0 + 8 * MIN });
  });

  it("policy 'proceed': moves on at the end of the extension, saying so first", () => {
    const d = drive(spec, { onInconclusive: 'proceed' });
    d.at(0, START);
    d.at(5 * MIN, tick(WAIT));
    const t = d.at(8 * MIN, tick(WAIT));
    expect(t.effects).toEqual([
      ev(T0 + 8 * MIN, 'proceeded', `${waited}; proceeding as configured`, 'in-progress', 1000),
      shifted(5000),
      ev(T0 + 8 * MIN, 'step', '50% of users on v2 for 5m (step 2 of 3)', 'in-progress', 5000),
    ]);
    expect(t.state).toMatchObject({ step: 1, extended: false, stepStartedAt: T0 + 8 * MIN });
  });

  it('a first look after the extension deadline applies the policy at once, with no extension event', () => {
    const d = drive(spec, { onInconclusive: 'proceed' });
    d.at(0, START);
    const t = d.at(20 * MIN, tick(WAIT));
    expect(eventsOf(t.effects).map((e) => [e.type, e.sentence])).toEqual([
      ['proceeded', `api v2: gate still inconclusive after 20m (${WAIT.sentence}); proceeding as configured`],
      ['step', 'api v2: 50% of users on v2 for 5m (step 2 of 3)'],
    ]);
  });

  it('with maxExtensionMs 0 the policy applies as soon as the hold is over', () => {
    const d = drive(spec, { onInconclusive: 'rollback', maxExtensionMs: 0 });
    d.at(0, START);
    expectNoChange(d, 5 * MIN - 1, tick(WAIT));
    const t = d.at(5 * MIN, tick(WAIT));
    expect(eventsOf(t.effects).map((e) => e.type)).toEqual(['rolled-back']);
    expect(t.state.reason).toBe(`gate still inconclusive after 5m (${WAIT.sentence})`);
  });

  it('the final bake extends and applies the policy like any step', () => {
    const d = drive('canary:10%:1m+bake:10m', { onInconclusive: 'proceed', maxExtensionMs: MIN });
    d.at(0, START);
    d.at(MIN, tick(PASS));
    expect(eventsOf(d.at(11 * MIN, tick(WAIT)).effects).map((e) => e.type)).toEqual(['extended']);
    const t = d.at(12 * MIN, tick(WAIT));
    expect(eventsOf(t.effects).map((e) => e.type)).toEqual(['proceeded', 'succeeded']);
    expect(t.state.status).toBe('succeeded');
  });

  // BUG: resume resets `extended`, so a step paused by hand during its extension announces
  // a second extension ("waiting up to 5m more") although only the rest of the first one
  // remains (the deadline is measured from the hold served, which resume keeps).
  it('a pause and resume during the extension does not announce a second extension', () => {
    const d = drive(spec, { maxExtensionMs: 5 * MIN, onInconclusive: 'rollback' });
    d.at(0, START);
    d.at(6 * MIN, tick(WAIT)); // extended: deadline at 10m of hold
    d.at(7 * MIN, cmd('pause', 'alice'));
    d.at(30 * MIN, cmd('resume', 'alice')); // 7m served, 3m of extension left
    const t = d.at(30 * MIN + SEC, tick(WAIT));
    expect(eventsOf(d.effects).filter((e) => e.type === 'extended')).toHaveLength(1);
    expect(t.effects).toEqual([]);
    expect(nextWakeAt(d.state)).toBe(T0 + 33 * MIN);
  });

  it('the extension deadline survives a pause: rollback comes after hold + maxExtension of served time', () => {
    const d = drive(spec, { maxExtensionMs: 5 * MIN, onInconclusive: 'rollback' });
    d.at(0, START);
    d.at(6 * MIN, tick(WAIT));
    d.at(7 * MIN, cmd('pause'));
    d.at(30 * MIN, cmd('resume'));
    expect(d.at(33 * MIN - 1, tick(WAIT)).state.status).toBe('in-progress');
    expect(d.at(33 * MIN, tick(WAIT)).state).toMatchObject({
      status: 'rolled-back',
      reason: `gate still inconclusive after 10m (${WAIT.sentence})`,
    });
  });
});

describe('failing gates roll back at once', () => {
  const rolledBack = (at: number): Effect[] => [
    ALL_OLD,
    ev(at, 'rolled-back', `rolled back: ${FAIL.sentence}; all traffic on v1`, 'rolled-back', 0),
  ];

  it('mid-hold', () => {
    const d = drive('steps:10%@5m,50%@5m,100%');
    d.at(0, START);
    const t = d.at(SEC, tick(FAIL));
    expect(t.effects).toEqual(rolledBack(T0 + SEC));
    expect(t.state).toMatchObject({
      status: 'rolled-back',
      weightBp: 0,
      step: 0,
      reason: FAIL.sentence,
      endedAt: T0 + SEC,
    });
    expect(nextWakeAt(t.state)).toBeUndefined();
  });

  it('in a later step, during an extension', () => {
    const d = drive('steps:10%@5m,50%@5m,100%');
    d.at(0, START);
    d.at(5 * MIN, tick(PASS));
    d.at(10 * MIN, tick(WAIT));
    expect(d.at(11 * MIN, tick(FAIL)).effects).toEqual(rolledBack(T0 + 11 * MIN));
  });

  it('while paused by a person', () => {
    const d = drive('canary:10%:5m');
    d.at(0, START);
    d.at(MIN, cmd('pause', 'alice'));
    const t = d.at(2 * MIN, tick(FAIL));
    expect(t.effects).toEqual(rolledBack(T0 + 2 * MIN));
    expect(t.state).toMatchObject({ status: 'rolled-back', paused: undefined });
  });

  it('while paused for an inconclusive gate', () => {
    const d = drive('canary:10%:5m', { maxExtensionMs: 0 });
    d.at(0, START);
    d.at(5 * MIN, tick(WAIT));
    expect(d.state.status).toBe('paused');
    expect(d.at(6 * MIN, tick(FAIL)).effects).toEqual(rolledBack(T0 + 6 * MIN));
  });

  it('while baking on the one-box', () => {
    const d = drive('onebox:20%:10m');
    d.at(0, START);
    expect(d.at(3 * MIN, tick(FAIL)).effects).toEqual(rolledBack(T0 + 3 * MIN));
  });

  it('during the final bake at 100%', () => {
    const d = drive('canary:10%:5m+bake:10m');
    d.at(0, START);
    d.at(5 * MIN, tick(PASS));
    const t = d.at(14 * MIN, tick(FAIL));
    expect(t.effects).toEqual(rolledBack(T0 + 14 * MIN));
    expect(t.state.weightBp).toBe(0);
  });

  // BUG (spec gap): during the afterAllowTraffic hook every user is on the new version, yet a
  // failing gate is ignored until the hook answers (up to its timeout, 5m by default). The
  // controller's gate() also skips 'after-hook', so both would need to change.
  it('while the afterAllowTraffic hook runs with all traffic on the new version', () => {
    const d = drive('canary:10%:5m', { afterHook: true });
    d.at(0, START);
    d.at(5 * MIN, tick(PASS));
    expect(d.state.status).toBe('after-hook');
    const t = d.at(6 * MIN, tick(FAIL));
    expect(t.effects).toEqual(rolledBack(T0 + 6 * MIN));
  });
});

describe('afterAllowTraffic hook', () => {
  it('runs once all traffic is on the new version', () => {
    const d = drive('canary:10%:5m', { afterHook: true });
    d.at(0, START);
    const t = d.at(5 * MIN, tick(PASS));
    expect(t.effects).toEqual([
      shifted(10_000),
      ev(T0 + 5 * MIN, 'step', '100% of users on v2 (step 2 of 2)', 'in-progress', 10_000),
      ev(
        T0 + 5 * MIN,
        'after-hook',
        'all traffic on the new version; running the afterAllowTraffic hook',
        'after-hook',
        10_000,
      ),
      runHook('after'),
    ]);
    expect(t.state).toMatchObject({ status: 'after-hook', weightBp: 10_000, step: 1 });
    expect(t.state.endedAt).toBeUndefined();
    expect(nextWakeAt(t.state)).toBeUndefined();
    expectNoChange(d, 30 * MIN, tick(PASS));
    expectNoChange(d, 30 * MIN, tick(WAIT));
  });

  it('passing: succeeds and points the alias at the new version alone', () => {
    const d = drive('canary:10%:5m', { afterHook: true });
    d.at(0, START);
    d.at(5 * MIN, tick(PASS));
    const t = d.at(6 * MIN, hookDone('after', true, 'exit 0'));
    expect(t.effects).toEqual([
      ev(T0 + 6 * MIN, 'after-hook-passed', 'afterAllowTraffic hook passed (exit 0)', 'after-hook', 10_000),
      ALL_NEW,
      ev(T0 + 6 * MIN, 'succeeded', 'succeeded; live now points to v2', 'succeeded', 10_000),
    ]);
    expect(t.state).toMatchObject({ status: 'succeeded', weightBp: 10_000, endedAt: T0 + 6 * MIN });
  });

  it('failing: rolls back with the hook detail in the reason', () => {
    const d = drive('canary:10%:5m', { afterHook: true });
    d.at(0, START);
    d.at(5 * MIN, tick(PASS));
    const t = d.at(10 * MIN, hookDone('after', false, 'timed out after 5m'));
    expect(t.effects).toEqual([
      ALL_OLD,
      ev(
        T0 + 10 * MIN,
        'rolled-back',
        'rolled back: afterAllowTraffic hook failed: timed out after 5m; all traffic on v1',
        'rolled-back',
        0,
      ),
    ]);
    expect(t.state).toMatchObject({
      status: 'rolled-back',
      weightBp: 0,
      reason: 'afterAllowTraffic hook failed: timed out after 5m',
    });
  });

  it('runs after the final bake, not before', () => {
    const d = drive('canary:10%:5m+bake:10m', { afterHook: true });
    d.at(0, START);
    d.at(5 * MIN, tick(PASS));
    expect(d.state.status).toBe('baking');
    const t = d.at(15 * MIN, tick(PASS));
    expect(t.effects).toEqual([
      ev(
        T0 + 15 * MIN,
        'after-hook',
        'all traffic on the new version; running the afterAllowTraffic hook',
        'after-hook',
        10_000,
      ),
      runHook('after'),
    ]);
  });

  it('both hooks in one deployment', () => {
    const d = drive('all-at-once', { beforeHook: true, afterHook: true });
    expect(d.at(0, START).effects.at(-1)).toEqual(runHook('before'));
    expect(d.at(SEC, hookDone('before', true)).effects.at(-1)).toEqual(runHook('after'));
    expect(d.state.status).toBe('after-hook');
    expect(d.at(2 * SEC, hookDone('after', true)).state.status).toBe('succeeded');
  });
});

describe('stale hook results are ignored', () => {
  it.each<[string, () => Drive, Observation]>([
    [
      'before result while in progress',
      () => startedDrive('canary:10%:5m', { beforeHook: true }, true),
      hookDone('before', false, 'late'),
    ],
    ['after result while in progress', () => startedDrive('canary:10%:5m'), hookDone('after', false, 'late')],
    [
      'after result while the before hook runs',
      () => startedDrive('canary:10%:5m', { beforeHook: true, afterHook: true }),
      hookDone('after', true),
    ],
    ['before result while the after hook runs', () => inStatus('after-hook'), hookDone('before', false, 'late')],
    ['before result before start', () => inStatus('created'), hookDone('before', true)],
    ['after result after success', () => inStatus('succeeded'), hookDone('after', false, 'late')],
    ['before result after a rollback', () => inStatus('rolled-back'), hookDone('before', true)],
    ['after result after a stop', () => inStatus('stopped'), hookDone('after', true)],
    ['before result while paused', () => inStatus('paused'), hookDone('before', false, 'late')],
  ])('%s', (_name, make, observation) => {
    expectNoChange(make(), 99 * MIN, observation);
  });
});

/** A started deployment; with `passBefore`, its beforeAllowTraffic hook has passed. */
function startedDrive(spec: string, settings: Partial<DeploymentSettings> = {}, passBefore = false): Drive {
  const d = drive(spec, settings);
  d.at(0, START);
  if (passBefore) d.at(SEC, hookDone('before', true));
  return d;
}

/** A deployment brought into `status` through the reducer. */
function inStatus(status: DeploymentStatus): Drive {
  switch (status) {
    case 'created':
      return drive('canary:10%:5m');
    case 'before-hook':
      return startedDrive('canary:10%:5m', { beforeHook: true });
    case 'in-progress':
      return startedDrive('canary:10%:5m');
    case 'baking':
      return startedDrive('onebox:20%:10m');
    case 'paused': {
      const d = startedDrive('canary:10%:5m');
      d.at(MIN, cmd('pause'));
      return d;
    }
    case 'after-hook':
      return startedDrive('all-at-once', { afterHook: true });
    case 'succeeded':
      return startedDrive('all-at-once');
    case 'rolled-back': {
      const d = startedDrive('canary:10%:5m');
      d.at(MIN, cmd('rollback'));
      return d;
    }
    case 'stopped': {
      const d = startedDrive('canary:10%:5m');
      d.at(MIN, cmd('stop'));
      return d;
    }
    case 'skipped': {
      const d = drive('canary:10%:5m');
      d.at(0, cmd('skip'));
      return d;
    }
  }
}

describe('pause and resume', () => {
  it('pause keeps traffic and the hold served so far', () => {
    const d = startedDrive('canary:10%:5m');
    const t = d.at(2 * MIN, cmd('pause', 'alice'));
    expect(t.effects).toEqual([ev(T0 + 2 * MIN, 'paused', 'paused by alice at 10%', 'paused', 1000)]);
    expect(t.state).toMatchObject({
      status: 'paused',
      weightBp: 1000,
      step: 0,
      paused: { from: 'in-progress', heldMs: 2 * MIN },
    });
    expect(nextWakeAt(t.state)).toBeUndefined();
    // The remaining hold is frozen while paused.
    expect(holdRemainingMs(t.state, T0 + 2 * MIN)).toBe(3 * MIN);
    expect(holdRemainingMs(t.state, T0 + 60 * MIN)).toBe(3 * MIN);
    expectNoChange(d, 60 * MIN, tick(PASS));
  });

  it('resume restores the remaining hold', () => {
    const d = startedDrive('canary:10%:5m');
    d.at(2 * MIN, cmd('pause', 'alice'));
    const t = d.at(60 * MIN, cmd('resume', 'bob'));
    expect(t.effects).toEqual([
      ev(T0 + 60 * MIN, 'resumed', 'resumed by bob with 3m of the hold left', 'in-progress', 1000),
    ]);
    expect(t.state).toMatchObject({
      status: 'in-progress',
      stepStartedAt: T0 + 58 * MIN,
      paused: undefined,
      extended: false,
      weightBp: 1000,
    });
    expect(holdRemainingMs(t.state, T0 + 60 * MIN)).toBe(3 * MIN);
    expect(nextWakeAt(t.state)).toBe(T0 + 63 * MIN);
    expectNoChange(d, 63 * MIN - 1, tick(PASS));
    expect(d.at(63 * MIN, tick(PASS)).state.status).toBe('succeeded');
  });

  it('several pauses add up the hold served', () => {
    const d = startedDrive('canary:10%:5m');
    d.at(MIN, cmd('pause'));
    d.at(10 * MIN, cmd('resume'));
    d.at(11 * MIN, cmd('pause'));
    expect(d.state.paused).toEqual({ from: 'in-progress', heldMs: 2 * MIN });
    d.at(20 * MIN, cmd('resume'));
    expect(holdRemainingMs(d.state, T0 + 20 * MIN)).toBe(3 * MIN);
    expect(nextWakeAt(d.state)).toBe(T0 + 23 * MIN);
  });

  it('a bake paused and resumed keeps baking', () => {
    const d = startedDrive('onebox:20%:10m');
    const p = d.at(4 * MIN, cmd('pause'));
    expect(p.effects).toEqual([ev(T0 + 4 * MIN, 'paused', 'paused by a user at 20%', 'paused', 2000)]);
    expect(p.state.paused).toEqual({ from: 'baking', heldMs: 4 * MIN });
    const r = d.at(30 * MIN, cmd('resume'));
    expect(r.effects).toEqual([
      ev(T0 + 30 * MIN, 'resumed', 'resumed by a user with 6m of the hold left', 'baking', 2000),
    ]);
    expect(nextWakeAt(r.state)).toBe(T0 + 36 * MIN);
  });
});

describe('promote', () => {
  it('moves to the next step at once', () => {
    const d = startedDrive('steps:10%@5m,50%@5m,100%');
    const t = d.at(MIN, cmd('promote', 'carol'));
    expect(t.effects).toEqual([
      ev(T0 + MIN, 'promoted', 'promoted by carol past step 1', 'in-progress', 1000),
      shifted(5000),
      ev(T0 + MIN, 'step', '50% of users on v2 for 5m (step 2 of 3)', 'in-progress', 5000),
    ]);
    expect(t.state).toMatchObject({ step: 1, weightBp: 5000, stepStartedAt: T0 + MIN });
  });

  it('from a pause, clearing it', () => {
    const d = startedDrive('steps:10%@5m,50%@5m,100%');
    d.at(MIN, cmd('pause'));
    const t = d.at(2 * MIN, cmd('promote'));
    expect(t.state).toMatchObject({ status: 'in-progress', step: 1, paused: undefined, stepStartedAt: T0 + 2 * MIN });
  });

  it('past the last step succeeds', () => {
    const d = startedDrive('canary:10%:5m+bake:1h');
    d.at(5 * MIN, tick(PASS));
    const t = d.at(6 * MIN, cmd('promote', 'carol'));
    expect(t.effects).toEqual([
      ev(T0 + 6 * MIN, 'promoted', 'promoted by carol past step 2', 'baking', 10_000),
      ALL_NEW,
      ev(T0 + 6 * MIN, 'succeeded', 'succeeded; live now points to v2', 'succeeded', 10_000),
    ]);
  });

  it('promote-all goes straight to 100%, then succeeds', () => {
    const d = startedDrive('linear:10%:1m+bake:10m');
    const t = d.at(MIN / 2, cmd('promote-all', 'carol'));
    expect(t.effects).toEqual([
      shifted(10_000),
      ev(T0 + MIN / 2, 'promoted', 'promoted by carol straight to 100%', 'in-progress', 10_000),
      ALL_NEW,
      ev(T0 + MIN / 2, 'succeeded', 'succeeded; live now points to v2', 'succeeded', 10_000),
    ]);
    expect(t.state).toMatchObject({ status: 'succeeded', weightBp: 10_000, endedAt: T0 + MIN / 2 });
  });

  it('promote-all with an afterAllowTraffic hook runs the hook', () => {
    const d = startedDrive('linear:10%:1m', { afterHook: true });
    d.at(MIN, cmd('pause'));
    const t = d.at(2 * MIN, cmd('promote-all'));
    expect(t.effects).toEqual([
      shifted(10_000),
      ev(T0 + 2 * MIN, 'promoted', 'promoted by a user straight to 100%', 'paused', 10_000),
      ev(
        T0 + 2 * MIN,
        'after-hook',
        'all traffic on the new version; running the afterAllowTraffic hook',
        'after-hook',
        10_000,
      ),
      runHook('after'),
    ]);
    expect(t.state).toMatchObject({ status: 'after-hook', weightBp: 10_000 });
    expect(d.at(3 * MIN, hookDone('after', true)).state.status).toBe('succeeded');
  });
});

describe('rollback, stop and skip', () => {
  it('a manual rollback names who and why, traffic first', () => {
    const d = startedDrive('steps:10%@5m,50%@5m,100%');
    d.at(5 * MIN, tick(PASS));
    const t = d.at(6 * MIN, cmd('rollback', 'dave', 'checkout errors'));
    expect(t.effects).toEqual([
      ALL_OLD,
      ev(
        T0 + 6 * MIN,
        'rolled-back',
        'rolled back by dave (checkout errors); all traffic on v1',
        'rolled-back',
        0,
      ),
    ]);
    expect(t.state).toMatchObject({
      status: 'rolled-back',
      weightBp: 0,
      step: 1,
      reason: 'rolled back by dave (checkout errors)',
      endedAt: T0 + 6 * MIN,
    });
  });

  it('without a name or detail', () => {
    const t = inStatus('in-progress').at(MIN, cmd('rollback'));
    expect(t.state.reason).toBe('rolled back by a user');
  });

  it.each<DeploymentStatus>(['before-hook', 'in-progress', 'baking', 'paused', 'after-hook'])('from %s', (status) => {
    const t = inStatus(status).at(2 * MIN, cmd('rollback', 'dave'));
    expect(t.effects[0]).toEqual(ALL_OLD);
    expect(t.effects.slice(1).map((e) => e.kind)).toEqual(['event']);
    expect(t.state).toMatchObject({
      status: 'rolled-back',
      weightBp: 0,
      reason: 'rolled back by dave',
      paused: undefined,
      endedAt: T0 + 2 * MIN,
    });
  });

  it('after success, moves the alias back to the old version', () => {
    const d = startedDrive('canary:10%:5m');
    d.at(5 * MIN, tick(PASS));
    expect(d.state.status).toBe('succeeded');
    const t = d.at(90 * MIN, cmd('rollback', 'erin'));
    expect(t.effects).toEqual([
      ALL_OLD,
      ev(T0 + 90 * MIN, 'rolled-back', 'rolled back by erin after success; all traffic on v1', 'rolled-back', 0),
    ]);
    expect(t.state).toMatchObject({
      status: 'rolled-back',
      weightBp: 0,
      reason: 'rolled back by erin after success',
      endedAt: T0 + 90 * MIN,
    });
    // Only once.
    expect(() => d.at(91 * MIN, cmd('rollback', 'erin'))).toThrow(
      new InvalidCommand('cannot rollback api v2: it is rolled-back'),
    );
  });

  it('stop puts traffic back and ends the deployment as stopped', () => {
    const d = startedDrive('onebox:20%:10m');
    const t = d.at(3 * MIN, cmd('stop', 'frank'));
    expect(t.effects).toEqual([
      ALL_OLD,
      ev(T0 + 3 * MIN, 'stopped', 'stopped by frank; all traffic on v1', 'stopped', 0),
    ]);
    expect(t.state).toMatchObject({
      status: 'stopped',
      weightBp: 0,
      reason: 'stopped by frank',
      endedAt: T0 + 3 * MIN,
    });
    expect(isActive(t.state.status)).toBe(false);
  });

  it('skip ends a deployment that never started, touching no traffic', () => {
    const d = drive('canary:10%:5m');
    const t = d.at(MIN, cmd('skip', 'controller', 'web v7 rolled back'));
    expect(t.effects).toEqual([ev(T0 + MIN, 'skipped', 'never started: web v7 rolled back', 'skipped', 0)]);
    expect(t.state).toMatchObject({
      status: 'skipped',
      weightBp: 0,
      step: -1,
      reason: 'web v7 rolled back',
      endedAt: T0 + MIN,
    });
    const plain = drive('canary:10%:5m').at(0, cmd('skip'));
    expect(plain.state.reason).toBe('skipped');
    expect(eventsOf(plain.effects)[0]!.sentence).toBe('api v2: never started: skipped');
  });
});

describe('commands in the wrong state throw InvalidCommand', () => {
  const COMMANDS: DeploymentCommand[] = [
    'start',
    'pause',
    'resume',
    'promote',
    'promote-all',
    'rollback',
    'stop',
    'skip',
  ];
  const ALLOWED: Record<DeploymentStatus, DeploymentCommand[]> = {
    created: ['start', 'skip'],
    'before-hook': ['rollback', 'stop'],
    'in-progress': ['pause', 'promote', 'promote-all', 'rollback', 'stop'],
    baking: ['pause', 'promote', 'promote-all', 'rollback', 'stop'],
    paused: ['resume', 'promote', 'promote-all', 'rollback', 'stop'],
    'after-hook': ['rollback', 'stop'],
    succeeded: ['rollback'],
    'rolled-back': [],
    stopped: [],
    skipped: [],
  };
  const cases = (Object.keys(ALLOWED) as DeploymentStatus[]).flatMap((status) =>
    COMMANDS.map((command) => [status, command, ALLOWED[status].includes(command)] as const),
  );

  it.each(cases)('%s + %s (allowed: %s)', (status, command, allowed) => {
    const d = inStatus(status);
    expect(d.state.status).toBe(status);
    const before = d.state;
    if (allowed) {
      const t = reduce(before, cmd(command, 'gina'), T0 + 2 * MIN);
      expect(t.state).not.toBe(before);
      expect(eventsOf(t.effects).length).toBeGreaterThan(0);
    } else {
      expect(() => reduce(before, cmd(command, 'gina'), T0 + 2 * MIN)).toThrow(InvalidCommand);
      expect(() => reduce(before, cmd(command, 'gina'), T0 + 2 * MIN)).toThrow(
        `cannot ${command} api v2: it is ${status}`,
      );
    }
  });

  it('start twice', () => {
    const d = startedDrive('canary:10%:5m');
    expect(() => d.at(SEC, START)).toThrow(new InvalidCommand('cannot start api v2: it is in-progress'));
  });
});

describe('nextWakeAt', () => {
  it('is the end of the hold, or of the extension, only while holding', () => {
    const d = drive('steps:10%@5m,50%@5m,100%', { beforeHook: true, afterHook: true, maxExtensionMs: 2 * MIN });
    expect(nextWakeAt(d.state)).toBeUndefined();
    d.at(0, START);
    expect(nextWakeAt(d.state)).toBeUndefined();
    d.at(SEC, hookDone('before', true));
    expect(nextWakeAt(d.state)).toBe(T0 + SEC + 5 * MIN);
    d.at(SEC + 5 * MIN, tick(WAIT));
    expect(nextWakeAt(d.state)).toBe(T0 + SEC + 7 * MIN);
    d.at(6 * MIN, cmd('pause'));
    expect(nextWakeAt(d.state)).toBeUndefined();
    d.at(7 * MIN, cmd('promote'));
    expect(nextWakeAt(d.state)).toBe(T0 + 12 * MIN);
    d.at(8 * MIN, cmd('promote'));
    expect(d.state.status).toBe('after-hook');
    expect(nextWakeAt(d.state)).toBeUndefined();
    d.at(9 * MIN, hookDone('after', true));
    expect(nextWakeAt(d.state)).toBeUndefined();
  });
});

describe('purity', () => {
  it('never mutates the state it is given', () => {
    const d = drive('steps:10%@5m,50%@5m,100%+bake:10m', { afterHook: true });
    const script: [number, Observation][] = [
      [0, START],
      [MIN, tick(PASS)],
      [5 * MIN, tick(WAIT)],
      [6 * MIN, cmd('pause')],
      [7 * MIN, cmd('resume')],
      [9 * MIN, tick(PASS)],
      [14 * MIN, tick(PASS)],
      [24 * MIN, tick(PASS)],
      [25 * MIN, hookDone('after', true)],
      [26 * MIN, cmd('rollback')],
    ];
    for (const [at, o] of script) {
      const frozen = deepFreeze(d.state);
      const copy = structuredClone(frozen);
      d.at(at, o);
      expect(frozen).toEqual(copy);
    }
    expect(d.state.status).toBe('rolled-back');
  });
});

describe('a 10-minute one-box bake runs in milliseconds of real time', () => {
  it('drives OneBox(20%, 10m) to success with a tick every 10 s of fake time', () => {
    const wallStart = performance.now();
    const d = drive('onebox:20%:10m');
    d.at(0, START);
    const weights: number[] = [d.state.weightBp];
    let now = 0;
    let ticks = 0;
    while (d.state.status !== 'succeeded') {
      now += 10 * SEC;
      ticks++;
      d.at(now, tick(PASS));
      if (weights.at(-1) !== d.state.weightBp) weights.push(d.state.weightBp);
      if (d.state.status === 'baking') expect(now).toBeLessThan(10 * MIN);
      expect(ticks).toBeLessThan(1000);
    }
    expect(now).toBeGreaterThanOrEqual(10 * MIN);
    expect(now).toBe(10 * MIN); // the first tick at or after the bake's end
    expect(ticks).toBe(60);
    expect(weights).toEqual([2000, 10_000]);
    expect(aliasesOf(d.effects).map(aliasText)).toEqual(['v1+v2@2000', 'v1+v2@10000', 'v2']);
    expect(eventsOf(d.effects).map((e) => e.type)).toEqual(['started', 'bake', 'step', 'succeeded']);
    expect(d.state.endedAt! - d.state.createdAt).toBe(10 * MIN);
    expect(performance.now() - wallStart).toBeLessThan(1000);
  });

  it('any plan, ticked exactly at nextWakeAt with passing gates, takes the sum of its holds', () => {
    const rand = prng(20260101);
    for (let i = 0; i < 300; i++) {
      const config = randomConfig(rand);
      const d = new Drive(
        createDeployment(
          { id: `d${i}`, component: 'api', fromVersion: 1, toVersion: 2, plan: planOf(config), settings: SETTINGS },
          T0,
        ),
      );
      d.at(0, START);
      let ticks = 0;
      while (d.state.status !== 'succeeded') {
        const wake = nextWakeAt(d.state);
        expect(wake, JSON.stringify(config)).toBeDefined();
        expectNoChange(d, wake! - T0 - 1, tick(PASS)); // one ms early: nothing
        const before = d.state;
        d.at(wake! - T0, tick(PASS));
        expect(d.state).not.toBe(before);
        ticks++;
      }
      const plan = d.state.plan;
      expect(d.state.endedAt! - T0, JSON.stringify(config)).toBe(plan.reduce((sum, s) => sum + s.holdMs, 0));
      expect(ticks).toBe(plan.filter((s) => s.holdMs > 0).length);
      expect(aliasesOf(d.effects).map(aliasText)).toEqual([...plan.map((s) => `v1+v2@${s.weightBp}`), 'v2']);
    }
  });
});

const HOLDS = [0, 30 * SEC, MIN, 5 * MIN, 10 * MIN];
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

function randomConfig(rand: () => number): DeploymentConfig {
  const finalBakeMs = rand() < 0.3 ? pick(rand, HOLDS) : undefined;
  const percent = pick(rand, [1, 5, 10, 20, 25, 30, 33, 50, 75, 100]);
  switch (pick(rand, ['all-at-once', 'canary', 'linear', 'one-box', 'steps'] as const)) {
    case 'all-at-once':
      return { kind: 'all-at-once', finalBakeMs };
    case 'canary':
      return { kind: 'canary', percent, intervalMs: pick(rand, HOLDS), finalBakeMs };
    case 'linear':
      return { kind: 'linear', percent: Math.max(percent, 10), intervalMs: pick(rand, HOLDS), finalBakeMs };
    case 'one-box':
      return { kind: 'one-box', percent, bakeMs: pick(rand, HOLDS), finalBakeMs };
    case 'steps': {
      const n = 1 + Math.floor(rand() * 4);
      const points = [...new Set(Array.from({ length: n }, () => 1 + Math.floor(rand() * 100)))].sort((a, b) => a - b);
      return { kind: 'steps', steps: points.map((p) => ({ percent: p, holdMs: pick(rand, HOLDS) })), finalBakeMs };
    }
  }
}

const TERMINAL: readonly DeploymentStatus[] = ['succeeded', 'rolled-back', 'stopped', 'skipped'];
const HOLDING: readonly DeploymentStatus[] = ['in-progress', 'baking', 'paused'];

/** The routing the alias should have for a deployment in this state. */
function expectedAlias(s: DeploymentState): AliasTarget {
  if (s.status === 'succeeded') return { version: s.toVersion };
  if (s.weightBp === 0) return { version: s.fromVersion };
  return { version: s.fromVersion, additional: { version: s.toVersion, weightBp: s.weightBp } };
}

function randomObservation(rand: () => number, s: DeploymentState): Observation {
  const r = rand();
  if (s.status === 'created' && r < 0.8) return rand() < 0.9 ? START : cmd('skip', 'release', 'a predecessor failed');
  if ((s.status === 'before-hook' || s.status === 'after-hook') && r < 0.6) {
    return hookDone(
      s.status === 'before-hook' ? 'before' : 'after',
      rand() < 0.8,
      pick(rand, ['', 'HTTP 200', 'HTTP 503', 'timed out']),
    );
  }
  if (r < 0.75) {
    const g = rand();
    return tick(g < 0.03 ? FAIL : g < 0.5 ? PASS : WAIT);
  }
  if (r < 0.82) return hookDone(pick(rand, ['before', 'after'] as const), rand() < 0.5, 'stale');
  const commands: DeploymentCommand[] = [
    'start',
    'pause',
    'resume',
    'resume',
    'promote',
    'promote-all',
    'rollback',
    'stop',
    'skip',
    'pause',
  ];
  return cmd(pick(rand, commands), pick(rand, ['alice', 'bob', undefined]), rand() < 0.3 ? 'because' : undefined);
}

describe('property: random observation sequences keep the invariants', () => {
  it.each([1, 2, 3, 42, 20260101])('seed %i, 4000 observations', (seed) => {
    const rand = prng(seed);
    let now = T0;
    let n = 0;
    const newDeployment = (): DeploymentState =>
      deepFreeze(
        createDeployment(
          {
            id: `d${n++}`,
            component: 'api',
            fromVersion: 1,
            toVersion: 2,
            plan: planOf(randomConfig(rand)),
            settings: {
              beforeHook: rand() < 0.3,
              afterHook: rand() < 0.3,
              maxExtensionMs: pick(rand, [0, MIN, 5 * MIN, 15 * MIN]),
              onInconclusive: pick(rand, ['pause', 'rollback', 'proceed'] as const),
            },
          },
          now,
        ),
      );
    let state = newDeployment();
    /** What a controller would have applied to the alias so far. */
    let applied: AliasTarget = { version: 1 };
    let idleInTerminal = 0;
    const statuses = new Set<DeploymentStatus>();
    const eventTypes = new Set<string>();
    let refused = 0;

    for (let i = 0; i < 4000; i++) {
      if (TERMINAL.includes(state.status) && ++idleInTerminal > 4) {
        state = newDeployment();
        applied = { version: 1 };
        idleInTerminal = 0;
      }
      now += pick(rand, [0, SEC, 10 * SEC, 30 * SEC, MIN, 3 * MIN, 7 * MIN, Math.floor(rand() * 20 * MIN)]);
      const prev = state;
      const o = randomObservation(rand, prev);
      const where = `seed ${seed} #${i}: ${prev.status} step ${prev.step} + ${JSON.stringify(o)}`;
      let t: Transition;
      try {
        t = reduce(prev, o, now);
      } catch (err) {
        expect(err, where).toBeInstanceOf(InvalidCommand);
        expect(o.kind, where).toBe('command');
        refused++;
        continue;
      }
      const next = deepFreeze(t.state);
      const events = eventsOf(t.effects);
      statuses.add(next.status);
      for (const e of events) eventTypes.add(e.type);

      // Nothing changes without saying so, and nothing is said without a change.
      expect(next === prev, where).toBe(t.effects.length === 0);
      if (next.status !== prev.status) expect(events.length, where).toBeGreaterThan(0);
      for (const e of events) expect(e.at, where).toBe(now);
      if (events.length)
        expect([events.at(-1)!.status, events.at(-1)!.weightBp], where).toEqual([next.status, next.weightBp]);

      // Weight: within bounds; only rises, except to 0 when rolled back or stopped.
      expect(next.weightBp, where).toBeGreaterThanOrEqual(0);
      expect(next.weightBp, where).toBeLessThanOrEqual(10_000);
      if (next.status === 'rolled-back' || next.status === 'stopped') expect(next.weightBp, where).toBe(0);
      else expect(next.weightBp, where).toBeGreaterThanOrEqual(prev.weightBp);
      if (HOLDING.includes(next.status)) expect(next.weightBp, where).toBe(next.plan[next.step]!.weightBp);
      if (next.status === 'after-hook' || next.status === 'succeeded') expect(next.weightBp, where).toBe(10_000);
      if (next.status === 'created' || next.status === 'before-hook' || next.status === 'skipped')
        expect(next.weightBp, where).toBe(0);

      // Terminal states stay terminal; only a succeeded deployment may still be rolled back.
      if (TERMINAL.includes(prev.status)) {
        if (prev.status === 'succeeded' && o.kind === 'command' && o.command === 'rollback')
          expect(next.status, where).toBe('rolled-back');
        else expect(next, where).toBe(prev);
      }

      // The steps only go forward, within the plan.
      expect(next.step, where).toBeGreaterThanOrEqual(prev.step);
      expect(next.step, where).toBeLessThan(next.plan.length);
      if (next.step !== prev.step) expect(next.extended, where).toBe(false);

      // Traffic the controller applies always matches the state.
      const aliases = aliasesOf(t.effects);
      if (aliases.length) applied = aliases.at(-1)!;
      expect(applied, where).toEqual(expectedAlias(next));
      if (next.weightBp !== prev.weightBp) expect(aliases.length, where).toBeGreaterThan(0);

      // Hooks run exactly when their status is entered.
      const hooks = t.effects.flatMap((e) => (e.kind === 'run-hook' ? [e.hook] : []));
      const enteredHook =
        next.status !== prev.status && (next.status === 'before-hook' || next.status === 'after-hook');
      expect(hooks, where).toEqual(enteredHook ? [next.status === 'before-hook' ? 'before' : 'after'] : []);

      // Bookkeeping agrees with the status.
      expect(next.endedAt !== undefined, where).toBe(TERMINAL.includes(next.status));
      if (next.status === 'paused') expect(next.paused, where).toBeDefined();
      if (HOLDING.includes(next.status))
        expect(
          next.status === 'paused' || next.status === (next.plan[next.step]!.bake ? 'baking' : 'in-progress'),
          where,
        ).toBe(true);
      const wake = nextWakeAt(next);
      if (next.status === 'in-progress' || next.status === 'baking') {
        expect(wake, where).toBe(
          next.stepStartedAt + next.plan[next.step]!.holdMs + (next.extended ? next.settings.maxExtensionMs : 0),
        );
      } else {
        expect(wake, where).toBeUndefined();
      }
      const remaining = holdRemainingMs(next, now);
      expect(remaining, where).toBeGreaterThanOrEqual(0);
      if (HOLDING.includes(next.status)) expect(remaining, where).toBeLessThanOrEqual(next.plan[next.step]!.holdMs);
      else expect(remaining, where).toBe(0);

      idleInTerminal = TERMINAL.includes(next.status) ? idleInTerminal : 0;
      state = next;
    }

    // The walk visited every status and every kind of event, so the checks above meant something.
    expect([...statuses].sort()).toEqual([
      'after-hook',
      'baking',
      'before-hook',
      'created',
      'in-progress',
      'paused',
      'rolled-back',
      'skipped',
      'stopped',
      'succeeded',
    ]);
    for (const type of [
      'started',
      'before-hook',
      'before-hook-passed',
      'step',
      'bake',
      'extended',
      'proceeded',
      'paused',
      'resumed',
      'promoted',
      'after-hook',
      'after-hook-passed',
      'succeeded',
      'rolled-back',
      'stopped',
      'skipped',
    ]) {
      expect(eventTypes, `event type ${type} never seen`).toContain(type);
    }
    expect(refused).toBeGreaterThan(0);
  });
});
