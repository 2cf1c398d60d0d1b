import { describe, expect, it } from 'vitest';
import { parseFault, describeFault, isBad } from '../../../src/tools/sim/fault.js';
import { summarize } from '../../../src/tools/sim/report.js';
import { Simulator, type RunResult } from '../../../src/tools/sim/runner.js';
import { presetSpec, resolveScenario, type ScenarioSpec } from '../../../src/tools/sim/scenario.js';

const scenario = (name: string, over: Partial<ScenarioSpec> = {}) => resolveScenario({ ...presetSpec(name), ...over });
const runMany = (sim: Simulator, runs: number): RunResult[] => Array.from({ length: runs }, (_, i) => sim.run(i));

describe('a simulated release on the evidence of its steps', () => {
  it('linear A/A: evidence banked in the first steps passes every later step at the end of its hold', () => {
    const results = runMany(new Simulator(scenario('linear-aa', { gate: 'judge' }), 3), 8);
    for (const r of results) {
      expect(r).toMatchObject({ status: 'succeeded', stepsPassed: 9, stepsUndecided: 0, inconclusive: false });
      // Nine 1-minute holds; only the first steps may wait past their hold for evidence.
      expect(r.durationMs).toBeLessThan(9 * 60_000 + 5 * 60_000);
    }
    const report = summarize(scenario('linear-aa', { gate: 'judge' }), 3, results);
    expect(report).toMatchObject({ undecided: 0, undecidedSteps: 0, passedOnEvidence: 8 });
    expect(report.toPass!.newRequests.median).toBeGreaterThan(100);
  });

  it('a cold start is no regression: no latency rollback with the warm-up, rolled back on latency without it', () => {
    const cold = runMany(new Simulator(scenario('cold'), 5), 6);
    expect(cold.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));
    const judged = runMany(new Simulator(scenario('cold', { judge: { warmupRequests: 0 } }), 5), 6);
    expect(judged.every((r) => r.status === 'rolled-back' && r.cause.includes('latency'))).toBe(true);
  });

  it('says when the gate first passed, in time and new-version requests', () => {
    const r = new Simulator(scenario('aa', { gate: 'judge' }), 2).run(0);
    expect(r.passedAtMs).toBeGreaterThan(0);
    expect(r.passedAtMs).toBeLessThanOrEqual(r.durationMs);
    expect(r.passedAtRequests).toBeGreaterThan(100);
    const bad = new Simulator(scenario('errors', { gate: 'judge', fault: 'errors:1%->10%' }), 2).run(0);
    expect(bad.passedAtMs).toBeUndefined();
  });

  it('clusters errors on a share of the users without changing their overall rate', () => {
    const s = scenario('clustered-aa');
    expect(s.traffic.errorUsers).toBe(0.05);
    const results = runMany(new Simulator(s, 4), 3);
    const requests = results.reduce((n, r) => n + r.newRequests, 0);
    const errors = results.reduce((n, r) => n + r.newErrors, 0);
    // Heavy users weigh in (Zipf), so only the order of magnitude is certain.
    expect(errors / requests).toBeGreaterThan(0.001);
    expect(errors / requests).toBeLessThan(0.1);
  });
});

describe('the cold-start fault', () => {
  it('parses and reads as a good version', () => {
    const f = parseFault('cold:x5:100');
    expect(f).toEqual({ kind: 'cold', factor: 5, requests: 100 });
    expect(isBad(f)).toBe(false);
    expect(describeFault(f)).toBe(
      'a good version that starts cold: its first request x5 slower, fading over its first 100',
    );
    expect(() => parseFault('cold:x5:ten')).toThrow(/"ten" is not a number of requests/);
  });
});
