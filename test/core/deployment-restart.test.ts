import { describe, expect, it } from 'vitest';
import { createDeployment, planOf, reduce, type DeploymentState, type GateVerdict } from '../../src/core/index.js';

const waiting: GateVerdict = { result: 'inconclusive', sentence: 'v2: 0 of 5 requests needed to judge' };
const MIN = 60_000;

function running(): DeploymentState {
  const d = createDeployment(
    {
      id: 'd',
      component: 'api',
      fromVersion: 1,
      toVersion: 2,
      plan: planOf({ kind: 'canary', percent: 10, intervalMs: MIN }),
      settings: { beforeHook: false, afterHook: false, maxExtensionMs: MIN, onInconclusive: 'pause' },
    },
    0,
  );
  return reduce(d, { kind: 'command', command: 'start' }, 0).state;
}

describe('an inconclusive gate after a restart', () => {
  it('gets its whole extension counted from when the new window began', () => {
    // The process was down from 30 s to 5 min: hold and extension are both over.
    const restartedAt = 5 * MIN;
    const t = reduce(running(), { kind: 'tick', gate: waiting, windowStartedAt: restartedAt }, restartedAt + 1000);
    expect(t.state.status).toBe('in-progress');
    expect(t.effects.map((e) => (e.kind === 'event' ? e.event.type : e.kind))).toEqual(['extended']);
    const later = reduce(t.state, { kind: 'tick', gate: waiting, windowStartedAt: restartedAt }, restartedAt + MIN);
    expect(later.state.status).toBe('paused');
  });

  it('without a restart, the extension counts from the end of the hold', () => {
    const t = reduce(running(), { kind: 'tick', gate: waiting, windowStartedAt: 0 }, 2 * MIN);
    expect(t.state.status).toBe('paused');
  });
});
