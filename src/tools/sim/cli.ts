import { invalid } from '../../core/errors.js';
import { DEFAULT_JUDGE, type JudgeSettings } from '../../core/judge.js';
import { parseDuration } from '../../core/duration.js';
import type { AlarmThresholds } from '../../core/alarms.js';
import type { RoutingMode } from '../../core/routing.js';
import { defaultWorkers } from './pool.js';
import { formatScenario, type ScenarioReport } from './report.js';
import { Simulator, type RunResult } from './runner.js';
import { describeGate, describeScenario, PRESETS, presetSpec, resolveScenario, type ScenarioSpec } from './scenario.js';
import { runJobs, throughput } from './simulate.js';

/** `onebox simulate` options, as commander hands them over (strings unless parsed there). */
export interface SimulateOptions {
  readonly scenario?: string;
  readonly gate?: string;
  readonly routing?: string;
  readonly runs?: string;
  readonly seed?: string;
  readonly firstRun?: string;
  readonly config?: string;
  readonly fault?: string;
  readonly users?: string;
  readonly rps?: string;
  readonly errorRate?: string;
  readonly tick?: string;
  readonly onInconclusive?: string;
  readonly judge?: readonly string[];
  readonly alarm?: readonly string[];
  readonly replay?: string;
  readonly workers?: string;
  readonly json?: boolean;
  readonly list?: boolean;
}

export const DEFAULT_SCENARIOS = 'aa,errors,p99,exposure';
export const DEFAULT_GATES = 'judge,judge-only,alarm';

const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function whole(text: string | undefined, name: string, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw invalid(`${name} must be a whole number of at least ${min}, got "${text}"`);
  return Number(text);
}

function percent(text: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (!m || Number(m[1]) > 100) throw invalid(`${name} must be a percentage such as 1%, got "${text}"`);
  return Number(m[1]) / 100;
}

function judgeOverrides(pairs: readonly string[] | undefined): Partial<JudgeSettings> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, number> = {};
  for (const pair of pairs.flatMap(list)) {
    const m = /^([A-Za-z]+)=(\d*\.?\d+(?:e-?\d+)?)$/.exec(pair);
    if (!m || !(m[1]! in DEFAULT_JUDGE))
      throw invalid(
        `--judge expects KEY=NUMBER with KEY one of ${Object.keys(DEFAULT_JUDGE).join(', ')}; got "${pair}"`,
      );
    out[m[1]!] = Number(m[2]);
  }
  return out as Partial<JudgeSettings>;
}

const ALARM_KEYS: Record<string, keyof AlarmThresholds> = {
  'error-rate': 'maxErrorRate',
  p50: 'maxP50Ms',
  p90: 'maxP90Ms',
  p99: 'maxP99Ms',
  'min-requests': 'minRequests',
};

function alarmOverrides(pairs: readonly string[] | undefined): Partial<AlarmThresholds> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, number> = {};
  for (const pair of pairs.flatMap(list)) {
    const m = /^([a-z0-9-]+)=(.+)$/.exec(pair);
    const key = m && ALARM_KEYS[m[1]!];
    if (!m || !key) throw invalid(`--alarm expects one of ${Object.keys(ALARM_KEYS).join(', ')}=VALUE, got "${pair}"`);
    const raw = m[2]!;
    const n =
      key === 'maxErrorRate'
        ? percent(raw, `--alarm ${m[1]}`)
        : key === 'minRequests'
          ? whole(raw, '--alarm min-requests', 1)
          : parseDuration(/[a-z]$/.test(raw) ? raw : `${raw}ms`);
    if (n === undefined || !Number.isFinite(n)) throw invalid(`--alarm ${m[1]} needs a number, got "${raw}"`);
    out[key] = n;
  }
  return out as Partial<AlarmThresholds>;
}

/** The scenario specs the options select: each scenario x gate x routing mode. */
export function selectSpecs(o: SimulateOptions): ScenarioSpec[][] {
  const names = o.scenario === 'all' ? PRESETS.map((p) => p.name) : list(o.scenario ?? DEFAULT_SCENARIOS);
  const gates = list(o.gate ?? DEFAULT_GATES);
  const routings = list(o.routing ?? 'sticky,request');
  for (const r of routings)
    if (r !== 'sticky' && r !== 'request')
      throw invalid(`--routing takes sticky, request or both (sticky,request), got "${r}"`);
  const policy = o.onInconclusive;
  if (policy !== undefined && policy !== 'rollback' && policy !== 'proceed')
    throw invalid(`--on-inconclusive takes rollback or proceed, got "${policy}"`);
  const tickMs = o.tick === undefined ? undefined : parseDuration(o.tick);
  if (tickMs === undefined && o.tick !== undefined)
    throw invalid(`--tick must be a duration such as 5s, got "${o.tick}"`);
  const population = o.users === undefined ? undefined : { users: whole(o.users, '--users', 1_000) };
  const traffic = {
    ...(population ? { population } : {}),
    ...(o.rps === undefined ? {} : { requestsPerSecond: whole(o.rps, '--rps', 1) }),
    ...(o.errorRate === undefined ? {} : { errorRate: percent(o.errorRate, '--error-rate') }),
  };
  const judge = judgeOverrides(o.judge);
  const alarms = alarmOverrides(o.alarm);
  return names.map((name) => {
    const preset = presetSpec(name);
    return gates.flatMap((gate) =>
      routings.map((routing): ScenarioSpec => ({
        ...preset,
        ...(o.config ? { config: o.config, summary: `${preset.summary ?? name} (config ${o.config})` } : {}),
        ...(o.fault ? { fault: o.fault, summary: `fault ${o.fault}` } : {}),
        gate,
        routing: routing as RoutingMode,
        traffic: {
          ...preset.traffic,
          ...traffic,
          population: { ...preset.traffic?.population, ...traffic.population },
        },
        ...(judge ? { judge } : {}),
        ...(alarms ? { alarms } : {}),
        ...(policy ? { onInconclusive: policy } : {}),
        ...(tickMs ? { tickMs } : {}),
      })),
    );
  });
}

/** The command line that selects one spec, for replaying one of its runs. */
function replayCommand(o: SimulateOptions, spec: ScenarioSpec, seed: number, run: number): string {
  const extra = [
    o.config && `--config ${o.config}`,
    o.fault && `--fault '${o.fault}'`,
    o.users && `--users ${o.users}`,
    o.rps && `--rps ${o.rps}`,
    o.errorRate && `--error-rate ${o.errorRate}`,
    o.tick && `--tick ${o.tick}`,
    o.onInconclusive && `--on-inconclusive ${o.onInconclusive}`,
    ...(o.judge ?? []).map((j) => `--judge ${j}`),
    ...(o.alarm ?? []).map((a) => `--alarm ${a}`),
  ].filter(Boolean);
  return [
    'onebox simulate',
    `--scenario ${spec.name}`,
    `--gate ${spec.gate}`,
    `--routing ${spec.routing}`,
    `--seed ${seed}`,
    ...extra,
    `--replay ${run}`,
  ].join(' ');
}

export interface SimulationOutput {
  readonly seed: number;
  readonly reports: readonly ScenarioReport[];
  readonly releases: number;
  readonly requests: number;
  readonly seconds: number;
}

/** Runs every selected spec; the figures, and the human report. */
export async function simulateAll(o: SimulateOptions): Promise<{ output: SimulationOutput; text: string }> {
  const runs = whole(o.runs, '--runs', 200);
  const seed = whole(o.seed, '--seed', 1, 0);
  const firstRun = whole(o.firstRun, '--first-run', 0, 0);
  const workers = whole(o.workers, '--workers', defaultWorkers());
  const groups = selectSpecs(o);
  const run = await runJobs(
    groups.flat().map((spec) => ({ spec, seed, runs, firstRun })),
    workers,
  );
  const blocks: string[] = [];
  let k = 0;
  for (const group of groups) {
    const done = run.results.slice(k, k + group.length);
    const reports = done.map((d) => d.report);
    blocks.push(
      formatScenario(
        done.map((d) => d.scenario),
        reports,
        (r, i) => replayCommand(o, group[reports.indexOf(r)]!, seed, i),
      ),
    );
    k += group.length;
  }
  const output: SimulationOutput = {
    seed,
    reports: run.results.map((r) => r.report),
    releases: run.releases,
    requests: run.requests,
    seconds: run.seconds,
  };
  return { output, text: [...blocks, throughput(run, Math.min(workers, run.releases))].join('\n\n') };
}

/** One replayed release: what it was, the reducer's events, and how it ended. */
export interface ReplayedRelease extends Omit<RunResult, 'events'> {
  readonly scenario: string;
  readonly gate: string;
  readonly routing: string;
  readonly seed: number;
  readonly events: readonly string[];
}

/** `onebox simulate --replay RUN`: one release per selected spec, with the reducer's events. */
export function replayReleases(o: SimulateOptions): ReplayedRelease[] {
  const run = whole(o.replay, '--replay', 0, 0);
  const seed = whole(o.seed, '--seed', 1, 0);
  const specs = selectSpecs({ ...o, gate: o.gate ?? 'judge', routing: o.routing ?? 'sticky' }).flat();
  return specs.map((spec) => {
    const s = resolveScenario(spec);
    const r = new Simulator(s, seed).run(run, { events: true });
    return {
      ...r,
      scenario: describeScenario(s),
      gate: describeGate(s),
      routing: s.routing,
      seed,
      events: r.events ?? [],
    };
  });
}

export function replayText(releases: readonly ReplayedRelease[]): string {
  return releases
    .map((r) => {
      const head = `${r.scenario}\ngate ${r.gate}\nrouting ${r.routing}; seed ${r.seed}, run ${r.run} (run seed ${r.runSeed})`;
      const tail = `${r.status}${r.cause ? ` (${r.cause})` : ''} after ${(r.durationMs / 1000).toFixed(0)}s: ${r.requests.toLocaleString('en-US')} requests, ${r.newRequests.toLocaleString('en-US')} on the new version (${r.newErrors} errors); ${r.exposedUsers.toLocaleString('en-US')} of ${r.activeUsers.toLocaleString('en-US')} active users exposed`;
      return [head, '', ...r.events, '', tail].join('\n');
    })
    .join('\n\n');
}

/** Every mode prints text, or with --json one JSON document. */
export async function simulate(o: SimulateOptions): Promise<void> {
  const out = (json: unknown, text: () => string): void => console.log(o.json ? JSON.stringify(json, null, 2) : text());
  if (o.list) {
    const scenarios = PRESETS.map((p) => ({
      name: p.name,
      config: p.config,
      fault: p.fault,
      summary: p.summary ?? '',
    }));
    return out({ scenarios }, () =>
      scenarios.map((p) => `${p.name.padEnd(16)} ${p.config.padEnd(34)} ${p.fault.padEnd(24)} ${p.summary}`).join('\n'),
    );
  }
  if (o.replay !== undefined) {
    const releases = replayReleases(o);
    return out({ releases }, () => replayText(releases));
  }
  const { output, text } = await simulateAll(o);
  out(output, () => text);
}
