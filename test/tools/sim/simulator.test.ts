import { describe, expect, it } from 'vitest';
import { Simulator, type RunResult } from '../../../src/tools/sim/runner.js';
import { presetSpec, resolveScenario, type ScenarioSpec } from '../../../src/tools/sim/scenario.js';
import { quantiles, summarize } from '../../../src/tools/sim/report.js';
import { replayReleases, replayText, simulateAll } from '../../../src/tools/sim/cli.js';

const scenario = (name: string, over: Partial<ScenarioSpec> = {}) => resolveScenario({ ...presetSpec(name), ...over });

function runMany(sim: Simulator, runs: number, first = 0): RunResult[] {
  return Array.from({ length: runs }, (_, i) => sim.run(first + i));
}

describe('a simulated release', () => {
  it('is the same for the same seed and run, alone or in a sequence, in any simulator', () => {
    const s = scenario('errors', { gate: 'judge' });
    const a = new Simulator(s, 7);
    const sequence = runMany(a, 6);
    const alone = new Simulator(s, 7).run(4);
    expect(alone).toEqual(sequence[4]);
    expect(a.run(2)).toEqual(sequence[2]);
    // Another seed is another release.
    expect(new Simulator(s, 8).run(4)).not.toEqual(alone);
  });

  it('is the same with the events recorded (replay changes nothing)', () => {
    const sim = new Simulator(scenario('aa', { gate: 'alarm' }), 3);
    const plain = sim.run(1);
    const replayed = sim.run(1, { events: true });
    expect({ ...replayed, events: undefined }).toEqual({ ...plain, events: undefined });
    expect(replayed.events!.join('\n')).toMatch(/10% of users on v2; baking for 10m/);
  });

  it('A/A: the judge lets identical versions through (at most 2 false rollbacks in 40)', () => {
    const sim = new Simulator(scenario('aa', { gate: 'judge-only' }), 11);
    const results = runMany(sim, 40);
    const rolledBack = results.filter((r) => r.status === 'rolled-back');
    expect(rolledBack.length).toBeLessThanOrEqual(2);
    // A good release runs its full 10-minute bake, then succeeds.
    const ok = results.find((r) => r.status === 'succeeded')!;
    expect(ok.durationMs).toBeGreaterThanOrEqual(600_000);
    expect(ok.requests).toBeGreaterThan(50_000); // 100 req/s for 10 minutes
  });

  it('a gross fault (errors 1% -> 10%) is rolled back by the judge and by the fixed alarm, fast', () => {
    for (const gate of ['judge-only', 'judge', 'alarm']) {
      const sim = new Simulator(scenario('errors', { gate, fault: 'errors:1%->10%' }), 5);
      const results = runMany(sim, 20);
      expect(
        results.every((r) => r.status === 'rolled-back'),
        gate,
      ).toBe(true);
      expect(quantiles(results.map((r) => r.durationMs)).median, gate).toBeLessThanOrEqual(60_000);
      expect(
        results.every((r) => r.cause !== '' && r.cause !== 'inconclusive'),
        gate,
      ).toBe(true);
    }
  });

  it('the fixed alarm cannot see latency: a slower version fares exactly as an identical one', () => {
    const aa = runMany(new Simulator(scenario('aa', { gate: 'alarm' }), 2), 5);
    const slow = runMany(new Simulator(scenario('latency', { gate: 'alarm' }), 2), 5);
    expect(slow).toEqual(aa);
    const judged = runMany(new Simulator(scenario('latency', { gate: 'judge-only' }), 2), 5);
    expect(judged.every((r) => r.status === 'rolled-back' && r.cause.includes('latency'))).toBe(true);
  });

  it('sticky routing exposes the weight: 20% of active users at a 20% step', () => {
    const results = runMany(new Simulator(scenario('exposure', { gate: 'judge-only', routing: 'sticky' }), 4), 25);
    const share = quantiles(results.map((r) => r.exposedUsers / r.activeUsers)).median;
    expect(share).toBeGreaterThan(0.19);
    expect(share).toBeLessThan(0.21);
  });

  it('per-request routing exposes far more users than the weight', () => {
    const results = runMany(new Simulator(scenario('exposure', { gate: 'judge-only', routing: 'request' }), 4), 10);
    const share = quantiles(results.map((r) => r.exposedUsers / r.activeUsers)).median;
    expect(share).toBeGreaterThan(0.5);
    // ... while the new version still gets about its 20% of requests.
    const requestShare = results.reduce((n, r) => n + r.newRequests, 0) / results.reduce((n, r) => n + r.requests, 0);
    expect(requestShare).toBeCloseTo(0.2, 1);
  });

  it('an undecided gate follows the scenario policy: too little traffic rolls a good release back', () => {
    // 2 req/s at 1%: the judge cannot decide within the bake plus extension.
    const s = scenario('aa', { gate: 'judge-only', config: 'onebox:10%:1m', traffic: { requestsPerSecond: 2 } });
    expect(s.onInconclusive).toBe('rollback');
    const r = new Simulator(s, 1).run(0);
    expect(r).toMatchObject({ status: 'rolled-back', cause: 'inconclusive', inconclusive: true });
    const proceed = new Simulator({ ...s, onInconclusive: 'proceed' }, 1).run(0);
    expect(proceed).toMatchObject({ status: 'succeeded', inconclusive: true });
  });

  it('summarises runs: false rollbacks vs detections, exposure quantiles, runs to replay', () => {
    const s = scenario('errors', { gate: 'alarm' });
    const report = summarize(s, 9, runMany(new Simulator(s, 9), 10));
    expect(report).toMatchObject({
      scenario: 'errors',
      gate: 'alarm',
      routing: 'sticky',
      bad: true,
      runs: 10,
      rollbacks: 10,
      wrongRuns: [],
    });
    expect(report.detection!.newRequests.median).toBeGreaterThan(0);
    expect(report.causes).toEqual({ alarm: 10 });
  });
});

describe('onebox simulate', () => {
  it('prints each scenario with both gates and routing modes side by side, and the throughput', async () => {
    const { output, text } = await simulateAll({
      scenario: 'errors',
      gate: 'judge,alarm',
      runs: '4',
      seed: '3',
      workers: '1',
    });
    expect(output.reports.map((r) => `${r.gate}/${r.routing}`)).toEqual([
      'judge/sticky',
      'judge/request',
      'alarm/sticky',
      'alarm/request',
    ]);
    expect(text).toMatch(/users exposed \(judge\): sticky .* vs per-request/);
    expect(text).toMatch(/releases per minute/);
  });

  it('replays one run with the reducer events', () => {
    const releases = replayReleases({ scenario: 'errors', gate: 'alarm', seed: '3', replay: '2' });
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ seed: 3, run: 2, status: 'rolled-back', routing: 'sticky' });
    expect(releases[0]!.events.some((e) => /rolled back: v2: error rate/.test(e))).toBe(true);
    const text = replayText(releases);
    expect(text).toMatch(/rolled back: v2: error rate/);
    expect(text).toMatch(/seed 3, run 2/);
  });

  it('rejects what it does not know, naming the bad value', async () => {
    await expect(simulateAll({ scenario: 'nope', runs: '1', workers: '1' })).rejects.toThrow(/no scenario "nope"/);
    await expect(simulateAll({ scenario: 'aa', fault: 'errors:1%', runs: '1', workers: '1' })).rejects.toThrow(
      /fault "errors:1%"/,
    );
    await expect(simulateAll({ scenario: 'aa', judge: ['tailRatoi=2'], runs: '1', workers: '1' })).rejects.toThrow(
      /tailRatoi=2/,
    );
  });
});
