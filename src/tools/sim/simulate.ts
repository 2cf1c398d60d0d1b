import { runBatches, split } from './pool.js';
import { summarize, type ScenarioReport } from './report.js';
import type { RunResult } from './runner.js';
import { resolveScenario, type Scenario, type ScenarioSpec } from './scenario.js';

/** Runs `runs` releases of a scenario, from run `firstRun`, under `seed`. */
export interface Job {
  readonly spec: ScenarioSpec;
  readonly seed: number;
  readonly runs: number;
  readonly firstRun?: number;
}

export interface JobResult {
  readonly job: Job;
  readonly scenario: Scenario;
  readonly report: ScenarioReport;
  readonly results: readonly RunResult[];
}

/**
 * Runs every job, sharing `workers` threads among them (each job cut in batches so both
 * cores stay busy), and summarises each. The figures do not depend on `workers`.
 */
export async function runJobs(
  jobs: readonly Job[],
  workers: number,
): Promise<{ results: JobResult[]; seconds: number; releases: number; requests: number }> {
  const started = performance.now();
  const total = jobs.reduce((n, j) => n + j.runs, 0);
  // About eight batches per thread overall: enough to balance, few enough to stay cheap.
  const size = Math.max(10, Math.ceil(total / Math.max(1, workers * 8)));
  const batches = jobs.flatMap((j, i) => split(j.spec, j.seed, j.firstRun ?? 0, j.runs, size).map((b) => ({ b, i })));
  const done = await runBatches(
    batches.map((x) => x.b),
    workers,
  );
  const seconds = (performance.now() - started) / 1000;
  const results = jobs.map((job, i) => {
    const runs = batches.flatMap((x, k) => (x.i === i ? done[k]! : []));
    const scenario = resolveScenario(job.spec);
    return { job, scenario, report: summarize(scenario, job.seed, runs), results: runs };
  });
  const requests = results.reduce((n, r) => n + r.results.reduce((m, x) => m + x.requests, 0), 0);
  return { results, seconds, releases: total, requests };
}

export function throughput(r: { seconds: number; releases: number; requests: number }, workers: number): string {
  return `${r.releases.toLocaleString('en-US')} releases (${(r.requests / 1e6).toFixed(1)} M requests of virtual traffic) in ${r.seconds.toFixed(1)} s on ${workers} thread(s): ${Math.round((r.releases / r.seconds) * 60).toLocaleString('en-US')} releases per minute, ${(r.requests / r.seconds / 1e6).toFixed(2)} M requests/s`;
}
