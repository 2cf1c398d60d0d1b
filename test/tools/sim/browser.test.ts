import { describe, expect, it } from 'vitest';
import { describeFault, isBad, parseFault } from '../../../src/tools/sim/fault.js';
import { Simulator, type RunResult } from '../../../src/tools/sim/runner.js';
import { presetSpec, resolveScenario } from '../../../src/tools/sim/scenario.js';

const runMany = (sim: Simulator, runs: number): RunResult[] => Array.from({ length: runs }, (_, i) => sim.run(i));

describe('a browser-only regression in the simulator', () => {
  it('reads the fault', () => {
    const f = parseFault('browser:0.5%->5%');
    expect(f).toEqual({ kind: 'browser', from: 0.005, to: 0.05 });
    expect(isBad(f)).toBe(true);
    expect(describeFault(f)).toBe('page views failing in the browser 0.5% -> 5%, every answer a 200');
  });

  it('catches it on the browser gate alone (every answer a 200), inside the one-box', () => {
    const results = runMany(new Simulator(resolveScenario(presetSpec('browser-errors')), 1), 20);
    expect(results.every((r) => r.status === 'rolled-back')).toBe(true);
    expect(results.every((r) => /browser/.test(r.cause))).toBe(true);
    expect(results.every((r) => r.newErrors === 0 || r.cause.includes('browser'))).toBe(true);
  });

  it('does not roll back an identical version whose pages fail as often in the browser', () => {
    const results = runMany(new Simulator(resolveScenario(presetSpec('browser-aa')), 1), 20);
    expect(results.filter((r) => r.cause.includes('browser'))).toEqual([]);
  });
});
