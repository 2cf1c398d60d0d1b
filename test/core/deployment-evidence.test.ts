import { describe, expect, it } from 'vitest';
import {
  createDeployment,
  defaultMaxExtensionMs,
  parseDeploymentSpec,
  planOf,
  reduce,
  type DeploymentState,
  type Evidence,
  type GateVerdict,
  type InconclusivePolicy,
} from '../../src/core/index.js';

const MIN = 60_000;
const rate = (newRequests: number, accepted: boolean) => ({
  llr: -1,
  newEvents: 1,
  newRequests,
  stableEvents: 9,
  stableRequests: newRequests * 9,
  accepted,
});

function started(spec: string, onInconclusive: InconclusivePolicy = 'pause', maxExtensionMs = 30 * MIN) {
  const d = createDeployment(
    {
      id: 'rel-web',
      component: 'web',
      fromVersion: 1,
      toVersion: 2,
      plan: planOf(parseDeploymentSpec(spec)),
      settings: { beforeHook: false, afterHook: false, maxExtensionMs, onInconclusive },
    },
    0,
  );
  return reduce(d, { kind: 'command', command: 'start' }, 0).state;
}

const tick = (s: DeploymentState, gate: GateVerdict, at: number) => reduce(s, { kind: 'tick', gate }, at);
const eventsOf = (t: ReturnType<typeof reduce>) => t.effects.flatMap((e) => (e.kind === 'event' ? [e.event] : []));

describe('evidence across a deployment’s steps', () => {
  it('banks the gate’s evidence when a step ends on a pass', () => {
    const s = started('steps:10%@1m,50%@1m,100%');
    const evidence: Evidence = { errors: rate(600, true), alarms: true };
    const t = tick(s, { result: 'pass', sentence: 'ok', evidence }, MIN);
    expect(t.state.step).toBe(1);
    expect(t.state.evidence).toEqual(evidence);
  });

  it('banks an undecided step’s evidence too when it proceeds', () => {
    const s = started('steps:10%@1m,50%@1m,100%', 'proceed', 0);
    const evidence: Evidence = { errors: rate(300, false) };
    const t = tick(s, { result: 'inconclusive', sentence: 'collecting', evidence }, MIN);
    expect(t.state.step).toBe(1);
    expect(t.state.evidence).toEqual(evidence);
  });

  it('records an acceptance at once, mid-hold, without banking the window’s counts', () => {
    const s = { ...started('steps:10%@5m,100%'), evidence: { errors: rate(1000, false) } };
    const t = tick(
      s,
      { result: 'inconclusive', sentence: 'tail collecting', evidence: { errors: rate(1400, true), rank: true } },
      MIN,
    );
    expect(t.state.step).toBe(0);
    expect(t.effects).toEqual([]);
    expect(t.state.evidence).toEqual({ errors: { ...rate(1000, false), accepted: true }, rank: true });
  });

  it('leaves the state itself alone when nothing new was accepted (nothing to write)', () => {
    const s = { ...started('steps:10%@5m,100%'), evidence: { errors: rate(1000, true) } };
    const t = tick(s, { result: 'inconclusive', sentence: 'x', evidence: { errors: rate(1500, true) } }, MIN);
    expect(t.state).toBe(s);
  });

  it('resumes a state written before evidence existed (no `evidence` field): none yet', () => {
    const before = started('steps:10%@1m,100%');
    const resumed = JSON.parse(JSON.stringify(before)) as DeploymentState;
    expect('evidence' in resumed).toBe(false);
    const gate: GateVerdict = { result: 'pass', sentence: 'ok', evidence: { errors: rate(700, true) } };
    const t = tick(resumed, gate, MIN);
    expect(t.state.status).toBe('succeeded');
    expect(JSON.parse(JSON.stringify(t.state)).evidence).toEqual({ errors: rate(700, true) });
    const waiting = tick(resumed, { result: 'inconclusive', sentence: 'x' }, 30_000);
    expect(waiting.state).toBe(resumed);
  });
});

describe('the extension, sized from what the gate needs', () => {
  const need = (requests: number, perSecond: number) => ({
    requests,
    perSecond,
    ms: (requests / perSecond) * 1000,
  });

  it('says what the gate needs when it extends', () => {
    const s = started('onebox:20%:10m');
    const t = tick(s, { result: 'inconclusive', sentence: 'collecting', need: need(420, 1) }, 10 * MIN);
    expect(eventsOf(t).map((e) => e.sentence)).toEqual([
      'web v2: hold over but the gate is inconclusive (collecting); it needs ~420 more requests on v2, ~7 min at 1.0 req/s; waiting up to 30m more',
    ]);
    expect(t.state).toMatchObject({ status: 'baking', extended: true });
  });

  it('stops waiting at once when the evidence cannot come in time at the current pace', () => {
    // 9,000 more requests at 1 req/s is 2.5 hours: more than three times the 30 minutes.
    const s = started('onebox:20%:10m', 'pause');
    const t = tick(s, { result: 'inconclusive', sentence: 'collecting', need: need(9000, 1) }, 10 * MIN);
    expect(t.state.status).toBe('paused');
    expect(eventsOf(t)[0]!.sentence).toBe(
      'web v2: gate still inconclusive after 10m (collecting); it needs ~9,000 more requests on v2, ~2.5 h at 1.0 req/s, more than the 30m of extension left; paused for a person to decide (promote or rollback)',
    );
  });

  it('does not give up on a window too new to pace (no time in the need): it waits', () => {
    const s = started('onebox:20%:10m', 'rollback');
    const t = tick(s, { result: 'inconclusive', sentence: 'x', need: { requests: 50 } }, 10 * MIN);
    expect(t.state).toMatchObject({ status: 'baking', extended: true });
  });

  it('keeps waiting while the estimate fits, up to the whole extension', () => {
    const s = started('onebox:20%:10m', 'proceed');
    const extended = tick(s, { result: 'inconclusive', sentence: 'x', need: need(600, 1) }, 10 * MIN).state;
    const still = tick(extended, { result: 'inconclusive', sentence: 'x', need: need(600, 1) }, 35 * MIN);
    expect(still.state).toMatchObject({ status: 'baking', step: 0 });
    const done = tick(still.state, { result: 'inconclusive', sentence: 'x', need: need(60, 1) }, 40 * MIN);
    expect(done.state.status).toBe('succeeded');
    expect(eventsOf(done)[0]!.type).toBe('proceeded');
  });

  it('defaults to 30 minutes, or the plan’s longest hold when longer', () => {
    expect(defaultMaxExtensionMs(planOf(parseDeploymentSpec('LambdaLinear10PercentEvery1Minute')))).toBe(30 * MIN);
    expect(defaultMaxExtensionMs(planOf(parseDeploymentSpec('onebox:20%:1h')))).toBe(60 * MIN);
  });
});
