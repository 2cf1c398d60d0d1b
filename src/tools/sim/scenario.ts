import { DEFAULT_ALARMS, type AlarmThresholds } from '../../core/alarms.js';
import { DEFAULT_BROWSER_GATE } from '../../core/browser-gate.js';
import { describePlan, planOf, parseDeploymentSpec, type PlanStep } from '../../core/deployment-config.js';
import { defaultMaxExtensionMs } from '../../core/deployment.js';
import { parseDuration } from '../../core/duration.js';
import { invalid } from '../../core/errors.js';
import { DEMO_DEPLOYMENT } from '../demo/demo-config.js';
import type { JudgeSettings } from '../../core/judge.js';
import type { RoutingMode } from '../../core/routing.js';
import { describeFault, isBad, parseFault, type Fault } from './fault.js';
import { FIXED_ALARM_GATE, JUDGE_GATE, JUDGE_ONLY_GATE, type GateSpec } from './gate.js';
import { DEFAULT_POPULATION } from './population.js';
import { DEFAULT_ROUTES, latencyQuantileMs, versionModels, type TrafficSpec } from './traffic.js';

/**
 * A scenario: a strategy (deployment config and routing mode), a fault, a gate and the
 * traffic it runs against. Everything a release needs, resolved; runs differ only by seed.
 */
export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** The deployment config as written (CodeDeploy preset or onebox spec). */
  readonly config: string;
  readonly plan: readonly PlanStep[];
  readonly routing: RoutingMode;
  readonly fault: Fault;
  readonly gate: GateSpec;
  /**
   * At the end of a step's hold plus extension, with the gate still inconclusive. The
   * simulator never pauses (nobody is there to decide): a good release is judged with
   * 'rollback' (an undecided gate counts against it), a bad one with 'proceed' (an
   * undecided gate lets it through); the fixed alarm always proceeds, as CodeDeploy does.
   */
  readonly onInconclusive: 'rollback' | 'proceed';
  readonly maxExtensionMs: number;
  readonly traffic: TrafficSpec;
  /** How often the reducer is ticked with the gate's verdict, virtual ms. */
  readonly tickMs: number;
}

export const DEFAULT_TRAFFIC: TrafficSpec = {
  population: DEFAULT_POPULATION,
  requestsPerSecond: 100,
  routes: DEFAULT_ROUTES,
  errorRate: 0.01,
};
export const DEFAULT_TICK_MS = 5_000;

/**
 * A scenario as people write it (plain data, so it can cross to a worker thread);
 * `resolveScenario` turns it into a Scenario.
 */
export interface ScenarioSpec {
  readonly name: string;
  readonly summary?: string;
  readonly config: string;
  readonly fault: string;
  readonly routing?: RoutingMode;
  /**
   * `judge` (onebox's controller: alarms on the step's window plus the judge; default),
   * `judge-only` (no alarm), `alarm` (fixed, one-minute periods, CodeDeploy-style) or
   * `alarm+p99` (the same with a p99 ceiling).
   */
  readonly gate?: string;
  /** Overrides of the gate's alarm thresholds (DEFAULT_ALARMS otherwise). */
  readonly alarms?: Partial<AlarmThresholds>;
  /** Overrides of the judge's settings (DEFAULT_JUDGE otherwise). */
  readonly judge?: Partial<JudgeSettings>;
  /** The p99 ceiling of `alarm+p99`, as a multiple of the stable version's p99. Default 1.5. */
  readonly p99Factor?: number;
  readonly onInconclusive?: 'rollback' | 'proceed';
  /** How long past its hold a step may wait for its gate. Default: the controller's default. */
  readonly maxExtensionMs?: number;
  readonly traffic?: Omit<Partial<TrafficSpec>, 'population'> & {
    readonly population?: Partial<TrafficSpec['population']>;
  };
  readonly tickMs?: number;
  /** The component sends browser signals: the browser gate (DEFAULT_BROWSER_GATE) joins the gate. Default false. */
  readonly browser?: boolean;
}

export const PRESETS: readonly ScenarioSpec[] = [
  {
    name: 'aa',
    config: 'onebox:10%:10m',
    fault: 'none',
    summary: 'A/A: the new version is identical (false rollbacks)',
  },
  { name: 'errors', config: 'onebox:10%:10m', fault: 'errors:1%->3%', summary: 'error rate 1% -> 3% on a 10% one-box' },
  {
    name: 'p99',
    config: 'onebox:10%:10m',
    fault: 'p99:x1.5',
    summary: 'p99 latency +50%, median and error rate unchanged',
  },
  { name: 'latency', config: 'onebox:10%:10m', fault: 'latency:x1.5', summary: 'every request 50% slower' },
  {
    name: 'checkout-errors',
    config: 'onebox:10%:10m',
    fault: 'errors:1%->10%@checkout',
    summary: 'errors 1% -> 10% on checkout only (8% of requests)',
  },
  { name: 'exposure', config: 'onebox:20%:10m', fault: 'none', summary: 'users exposed at a 20% step' },
  {
    name: 'canary-aa',
    config: 'LambdaCanary10Percent5Minutes',
    fault: 'none',
    summary: 'A/A on CodeDeploy canary 10% for 5 minutes',
  },
  {
    name: 'canary-errors',
    config: 'LambdaCanary10Percent5Minutes',
    fault: 'errors:1%->3%',
    summary: 'errors 1% -> 3% on canary 10% for 5 minutes',
  },
  {
    name: 'linear-aa',
    config: 'LambdaLinear10PercentEvery1Minute',
    fault: 'none',
    summary: 'A/A on CodeDeploy linear 10% every minute',
  },
  {
    name: 'linear-errors',
    config: 'LambdaLinear10PercentEvery1Minute',
    fault: 'errors:1%->3%',
    summary: 'errors 1% -> 3% on linear 10% every minute',
  },
  {
    name: 'margin',
    config: 'onebox:10%:1m',
    fault: 'errors:1%->2%',
    summary: 'exactly at the margin (errors 1% -> 2%) on one 1-minute step: a linear step with nothing banked',
  },
  {
    name: 'linear-margin',
    config: 'LambdaLinear10PercentEvery1Minute',
    fault: 'errors:1%->2%',
    summary: 'exactly at the margin (errors 1% -> 2%) on linear 10% every minute',
  },
  {
    name: 'cold',
    config: 'onebox:10%:10m',
    fault: 'cold:x5:100',
    summary: 'a good version that starts cold (first request 5x slower, fading over 100)',
  },
  {
    name: 'clustered-aa',
    config: 'onebox:10%:10m',
    fault: 'none',
    traffic: { errorUsers: 0.05 },
    summary: 'A/A, errors clustered on 5% of the users',
  },
  {
    name: 'clustered-errors',
    config: 'onebox:10%:10m',
    fault: 'errors:1%->3%',
    traffic: { errorUsers: 0.05 },
    summary: 'errors 1% -> 3%, clustered on 5% of the users',
  },
  {
    name: 'browser-aa',
    config: 'onebox:10%:10m',
    fault: 'none',
    browser: true,
    traffic: { browserErrorRate: 0.005 },
    summary: 'A/A with browser signals: 0.5% of page views fail in the browser on both versions',
  },
  {
    name: 'browser-errors',
    config: 'onebox:10%:10m',
    fault: 'browser:0.5%->5%',
    browser: true,
    summary: 'a bug only the browser sees: 5% of page views fail there (0.5% on stable), every answer a 200',
  },
  {
    // `onebox demo` at its default speed, in release time: ~6 web requests a second from 300
    // users (a page every 3 s of real time is one a minute of release time), no errors, and
    // the gate src/demo/demo-config.ts gives it.
    name: 'demo-web',
    config: 'onebox:20%:10m',
    fault: 'none',
    traffic: {
      requestsPerSecond: 6,
      errorRate: 0,
      population: { users: 300, zipf: 0, sessionRequests: 100, thinkTimeMs: 60_000 },
    },
    alarms: DEMO_DEPLOYMENT.alarms,
    judge: DEMO_DEPLOYMENT.judge,
    maxExtensionMs: parseDuration(DEMO_DEPLOYMENT.maxExtension),
    summary: "the demo's web one-box at its traffic (6 req/s from 300 users, no errors), with the demo's gate",
  },
];

export function presetSpec(name: string): ScenarioSpec {
  const p = PRESETS.find((s) => s.name === name);
  if (!p) throw invalid(`no scenario "${name}"; known: ${PRESETS.map((s) => s.name).join(', ')}`);
  return p;
}

function gateOf(text: string, p99Factor: number, stableP99Ms: number): GateSpec {
  switch (text) {
    case 'judge':
      return JUDGE_GATE;
    case 'judge-only':
      return JUDGE_ONLY_GATE;
    case 'alarm':
      return FIXED_ALARM_GATE;
    case 'alarm+p99':
      return {
        ...FIXED_ALARM_GATE,
        label: `alarm+p99`,
        alarms: { ...DEFAULT_ALARMS, errorRule: 'observed', maxP99Ms: +(stableP99Ms * p99Factor).toFixed(1) },
      };
    default:
      throw invalid(`gate "${text}": expected judge, judge-only, alarm or alarm+p99`);
  }
}

export function resolveScenario(spec: ScenarioSpec): Scenario {
  const config = parseDeploymentSpec(spec.config);
  const plan = planOf(config);
  const fault = parseFault(spec.fault);
  const t = spec.traffic ?? {};
  const traffic: TrafficSpec = {
    ...DEFAULT_TRAFFIC,
    ...t,
    population: { ...DEFAULT_TRAFFIC.population, ...t.population },
  };
  const tickMs = spec.tickMs ?? DEFAULT_TICK_MS;
  if (!(tickMs > 0)) throw invalid(`tick must be a positive duration, got ${tickMs}`);
  const stableP99 = latencyQuantileMs(versionModels(traffic, fault).stable, traffic.routes, 0.99);
  const base = gateOf(spec.gate ?? 'judge', spec.p99Factor ?? 1.5, stableP99);
  const gate: GateSpec = {
    ...base,
    alarms: { ...base.alarms, ...spec.alarms },
    judge: { ...base.judge, ...spec.judge },
    ...(spec.browser ? { browser: DEFAULT_BROWSER_GATE, label: `${base.label}+browser` } : {}),
  };
  if (typeof gate.alarmWindow === 'number' && gate.alarmWindow % tickMs !== 0) {
    throw invalid(`the alarm period (${gate.alarmWindow} ms) must be a multiple of the tick (${tickMs} ms)`);
  }
  const codeDeploy = gate.kind === 'alarm';
  return {
    name: spec.name,
    summary: spec.summary ?? describeFault(fault),
    config: spec.config,
    plan,
    routing: spec.routing ?? 'sticky',
    fault,
    gate,
    onInconclusive: codeDeploy ? 'proceed' : (spec.onInconclusive ?? (isBad(fault) ? 'proceed' : 'rollback')),
    // The controller's default extension; CodeDeploy has none.
    maxExtensionMs: codeDeploy ? 0 : (spec.maxExtensionMs ?? defaultMaxExtensionMs(plan)),
    traffic,
    tickMs,
  };
}

export function describeScenario(s: Scenario): string {
  const p = s.traffic.population;
  return [
    `${s.name}: ${s.summary}`,
    `fault: ${describeFault(s.fault)}; config ${s.config} (${describePlan(s.plan)})`,
    `traffic: ${s.traffic.requestsPerSecond} req/s of virtual time from ${p.users.toLocaleString('en-US')} users (Zipf ${p.zipf}; sessions of ${p.sessionRequests} requests, ${p.thinkTimeMs / 1000}s apart); ${s.traffic.routes.length} routes; base error rate ${+(baseErrorRate(s) * 100).toFixed(2)}%`,
  ].join('\n');
}

/** The stable version's error rate. */
export function baseErrorRate(s: Scenario): number {
  return s.fault.kind === 'errors' ? s.fault.from : s.traffic.errorRate;
}

/** How the gate and the inconclusive policy read, in one line. */
export function describeGate(s: Scenario): string {
  const g = s.gate;
  const a = g.alarms;
  const ceilings = [
    a.maxP50Ms && `p50 > ${a.maxP50Ms} ms`,
    a.maxP90Ms && `p90 > ${a.maxP90Ms} ms`,
    a.maxP99Ms && `p99 > ${a.maxP99Ms} ms`,
  ].filter(Boolean);
  const alarm =
    a.maxErrorRate >= 1 && !ceilings.length
      ? 'no alarm'
      : `alarm on errors > ${+(a.maxErrorRate * 100).toFixed(2)}%${ceilings.length ? `, ${ceilings.join(', ')}` : ''} (min ${a.minRequests} requests) ${
          typeof g.alarmWindow === 'number' ? `per ${g.alarmWindow / 1000}s period` : "over the step's window"
        }`;
  const judge =
    (g.kind === 'judge' ? " + judge (new vs stable in the step's window)" : '') +
    (g.browser ? ' + browser gate (users with a browser error: alarm and comparison)' : '');
  const undecided =
    s.maxExtensionMs === 0
      ? `undecided: ${s.onInconclusive} at once`
      : `undecided: wait up to ${s.maxExtensionMs / 1000}s more, then ${s.onInconclusive}`;
  return `${g.label}: ${alarm}${judge}; ticks every ${s.tickMs / 1000}s; ${undecided}`;
}
