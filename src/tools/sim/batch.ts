import type { RunResult } from './runner.js';
import { Simulator } from './runner.js';
import { resolveScenario, type ScenarioSpec } from './scenario.js';

/** A slice of a scenario's runs: plain data, so a worker thread can take it. */
export interface Batch {
  readonly spec: ScenarioSpec;
  readonly seed: number;
  readonly firstRun: number;
  readonly runs: number;
}

/** Runs a slice in this thread. Run i depends only on (spec, seed, i), wherever it runs. */
export function runBatch(b: Batch): RunResult[] {
  const sim = new Simulator(resolveScenario(b.spec), b.seed);
  const out: RunResult[] = [];
  for (let i = b.firstRun; i < b.firstRun + b.runs; i++) out.push(sim.run(i));
  return out;
}
