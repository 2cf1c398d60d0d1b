import { createDeployment, isActive, reduce, type DeploymentState, type Observation } from '../../core/deployment.js';
import type { Evidence } from '../../core/evidence.js';
import { latencyBucket } from '../../core/latency-buckets.js';
import { paced } from '../../core/need.js';
import { coldFactor } from './fault.js';
import { DistinctCounter } from '../../metrics/distinct-counter.js';
import { AlarmPeriods, gateVerdict, readsLatency, type GateReading } from './gate.js';
import { Population } from './population.js';
import { Rng, runSeed } from './random.js';
import { Router } from './router.js';
import type { Scenario } from './scenario.js';
import { RequestStream, versionModels, type VersionModel } from './traffic.js';
import { ArmWindow } from './window.js';

/**
 * Reads the gate at a tick: the step's windows of both versions, the new version's weight,
 * the alarm periods, the deployment's evidence so far.
 */
export type GateFunction = (
  fresh: ArmWindow,
  stable: ArmWindow,
  weightBp: number,
  periods: AlarmPeriods | undefined,
  evidence: Evidence | undefined,
) => GateReading;

/** What one simulated release did. */
export interface RunResult {
  readonly run: number;
  /** The run's own seed: `runSeed(seed, run)`. */
  readonly runSeed: number;
  readonly status: 'succeeded' | 'rolled-back';
  /** Why it rolled back (the reducer's reason), or empty. */
  readonly reason: string;
  /** True when a step ended on the inconclusive policy (rolled back, or proceeded undecided). */
  readonly inconclusive: boolean;
  /** Steps that ended on a passing gate, and steps that ended undecided (by the policy). */
  readonly stepsPassed: number;
  readonly stepsUndecided: number;
  /** Virtual ms and new-version requests until the gate first read pass (undefined: never). */
  readonly passedAtMs: number | undefined;
  readonly passedAtRequests: number | undefined;
  /** What rolled it back: the failed checks ('alarm', 'errors', 'latency-tail', 'latency-rank') or 'inconclusive'. */
  readonly cause: string;
  /** Virtual ms from the start to the end (success or rollback). */
  readonly durationMs: number;
  readonly requests: number;
  /** Requests the new version served. */
  readonly newRequests: number;
  readonly newErrors: number;
  /** Distinct users who sent a request while the release ran (onebox's DistinctCounter). */
  readonly activeUsers: number;
  /** Distinct users the new version served. */
  readonly exposedUsers: number;
  /** The reducer's events, as sentences (only when asked for). */
  readonly events?: readonly string[];
}

const FROM = 1;
const TO = 2;

/**
 * Runs releases of one scenario against one population. The deployment is the product's
 * reducer, the gate its alarms and judge, routing its chooseVersion; the simulator only
 * supplies requests and virtual time. Buffers are reused from run to run.
 */
export class Simulator {
  readonly population: Population;
  private readonly stream: RequestStream;
  private readonly router: Router;
  private readonly models: { stable: VersionModel; fresh: VersionModel };
  private readonly freshWindow = new ArmWindow();
  private readonly stableWindow = new ArmWindow();
  private readonly periods: AlarmPeriods | undefined;
  private readonly latency: boolean;
  /** Per user: the token of the last run that counted them active / exposed. */
  private readonly activeIn: Int32Array;
  private readonly exposedIn: Int32Array;
  private token = 0;

  private readonly gate: GateFunction;
  /** Per user, the multiple of a route's error rate they see (errors clustered by user); undefined: 1 for all. */
  private readonly errorFactor: Float64Array | undefined;

  constructor(
    readonly scenario: Scenario,
    readonly seed: number,
    options: {
      /** A population built before (the same spec), to share among simulators. */
      readonly population?: Population;
      /** Another gate than the scenario's, e.g. a candidate judge to measure (default: gateVerdict). */
      readonly gate?: GateFunction;
    } = {},
  ) {
    this.population = options.population ?? new Population(scenario.traffic.population, seed);
    this.gate =
      options.gate ??
      ((fresh, stable, weightBp, periods, evidence) =>
        gateVerdict(scenario.gate, fresh, stable, weightBp, periods, evidence));
    this.stream = new RequestStream(this.population, scenario.traffic);
    this.router = new Router(
      this.population.ids,
      scenario.routing,
      scenario.plan.map((s) => s.weightBp),
    );
    this.models = versionModels(scenario.traffic, scenario.fault);
    const g = scenario.gate;
    this.periods =
      typeof g.alarmWindow === 'number' ? new AlarmPeriods(g.alarms, g.alarmWindow, new ArmWindow()) : undefined;
    this.latency = readsLatency(g);
    this.activeIn = new Int32Array(this.population.size);
    this.exposedIn = new Int32Array(this.population.size);
    this.errorFactor = userErrorFactors(this.population, scenario.traffic.errorUsers ?? 1, seed);
  }

  run(index: number, options: { events?: boolean } = {}): RunResult {
    const sc = this.scenario;
    const seed = runSeed(this.seed, index);
    const rng = new Rng(seed);
    const token = ++this.token;
    const events: string[] | undefined = options.events ? [] : undefined;
    const ids = this.population.ids;
    const { stream, router, freshWindow, stableWindow, periods, activeIn, exposedIn } = this;
    const { stable, fresh } = this.models;
    const active = new DistinctCounter();
    const exposed = new DistinctCounter();
    freshWindow.reset();
    stableWindow.reset();
    periods?.reset();
    // Each release has its own alias seed, so its own users come first.
    router.reset(`web@${this.seed}-${index}`, rng, FROM, TO);

    let state: DeploymentState = createDeployment(
      {
        id: `sim-${index}`,
        component: 'web',
        fromVersion: FROM,
        toVersion: TO,
        plan: sc.plan,
        settings: {
          beforeHook: false,
          afterHook: false,
          maxExtensionMs: sc.maxExtensionMs,
          onInconclusive: sc.onInconclusive,
        },
      },
      0,
    );
    let inconclusive = false;
    let stepsPassed = 0;
    let stepsUndecided = 0;
    let passedAtMs: number | undefined;
    let passedAtRequests: number | undefined;
    let cause = '';
    const apply = (observation: Observation, now: number): void => {
      const before = state;
      const t = reduce(state, observation, now);
      state = t.state;
      for (const e of t.effects) {
        if (e.kind === 'set-alias') router.apply(e.alias);
        else if (e.kind === 'event')
          events?.push(`${(e.event.at / 1000).toFixed(0).padStart(5)}s  ${e.event.sentence}`);
      }
      // As the controller: the gate's window starts again at each step.
      if (state.step !== before.step) {
        freshWindow.reset();
        stableWindow.reset();
      }
    };
    apply({ kind: 'command', command: 'start', by: 'the simulator' }, 0);

    const latency = this.latency;
    const errorFactor = this.errorFactor;
    const fault = sc.fault;
    const cold = fault.kind === 'cold';
    const browserRates = sc.gate.browser ? browserRatesOf(sc) : undefined;
    // As the controller: latency is judged from the end of the new version's warm-up.
    const warmup = sc.gate.kind === 'judge' ? sc.gate.judge.warmupRequests : 0;
    let warm = warmup === 0;
    freshWindow.warmingUp = warm ? undefined : warmup;
    const periodWindow = periods?.window;
    const limit = sc.plan.reduce((s, p) => s + p.holdMs + sc.maxExtensionMs, 0) + 2 * sc.tickMs;
    let requests = 0;
    let newRequests = 0;
    let newErrors = 0;
    let nextTick = sc.tickMs;
    stream.start(rng, 0);
    stream.next(rng);
    while (isActive(state.status)) {
      while (stream.time < nextTick) {
        const u = stream.user;
        const r = stream.route;
        if (activeIn[u] !== token) {
          activeIn[u] = token;
          active.add(ids[u]!);
        }
        const toNew = router.toNew(u);
        const model = toNew ? fresh : stable;
        const window = toNew ? freshWindow : stableWindow;
        const rate = errorFactor ? model.errorRate[r]! * errorFactor[u]! : model.errorRate[r]!;
        const error = rng.next() < rate ? 1 : 0;
        window.requests++;
        window.errors += error;
        // Each request is a page view whose beacon the browser gate reads (when the scenario has one).
        if (browserRates) window.page(u, ids.length, rng.next() < (toNew ? browserRates.fresh : browserRates.stable));
        let bucket = -1;
        if (latency) {
          const us = Math.exp(model.mu[r]! + model.sigma[r]! * rng.normal());
          bucket = latencyBucket(cold && toNew ? us * coldFactor(fault, newRequests) : us);
          window.latency[bucket]!++;
        }
        if (toNew) {
          newRequests++;
          newErrors += error;
          if (exposedIn[u] !== token) {
            exposedIn[u] = token;
            exposed.add(ids[u]!);
          }
          if (periodWindow) {
            periodWindow.requests++;
            periodWindow.errors += error;
            if (bucket >= 0) periodWindow.latency[bucket]!++;
          }
        }
        requests++;
        stream.next(rng);
      }
      periods?.roll(nextTick);
      if (!warm) {
        // The warm-up ends at a tick, as in the controller: latency counts from there, for both.
        warm = newRequests >= warmup;
        freshWindow.warmingUp = warm ? undefined : warmup - newRequests;
        if (warm) {
          freshWindow.latency.fill(0);
          stableWindow.latency.fill(0);
        }
      }
      const reading = this.gate(freshWindow, stableWindow, state.weightBp, periods, state.evidence);
      const { failed } = reading;
      const need = reading.verdict.need;
      const verdict = need
        ? { ...reading.verdict, need: paced(need, freshWindow.requests, nextTick - state.stepStartedAt) }
        : reading.verdict;
      if (verdict.result === 'pass' && passedAtMs === undefined) {
        passedAtMs = nextTick;
        passedAtRequests = newRequests;
      }
      const step = state.step;
      apply({ kind: 'tick', gate: verdict, windowStartedAt: state.stepStartedAt }, nextTick);
      // An undecided gate can only end a step through the inconclusive policy.
      const ended = state.step !== step || !isActive(state.status);
      const undecided = verdict.result === 'inconclusive' && ended;
      if (undecided) {
        inconclusive = true;
        stepsUndecided++;
      } else if (ended && verdict.result === 'pass') stepsPassed++;
      if (state.status === 'rolled-back') cause = undecided ? 'inconclusive' : failed.join('+');
      if (nextTick > limit)
        throw new Error(
          `release ${index} still ${state.status} after ${nextTick / 1000}s of virtual time (seed ${this.seed})`,
        );
      nextTick += sc.tickMs;
    }
    return {
      run: index,
      runSeed: seed,
      status: state.status === 'succeeded' ? 'succeeded' : 'rolled-back',
      reason: state.reason ?? '',
      inconclusive,
      stepsPassed,
      stepsUndecided,
      passedAtMs,
      passedAtRequests,
      cause,
      durationMs: state.endedAt ?? nextTick,
      requests,
      newRequests,
      newErrors,
      activeUsers: active.count,
      exposedUsers: exposed.count,
      events,
    };
  }
}

/**
 * Errors clustered by user: a share `share` of the users (picked by the population's seed)
 * see every error, at the rate divided by `share`; the others see none. Undefined for 1.
 */
function userErrorFactors(population: Population, share: number, seed: number): Float64Array | undefined {
  if (share >= 1) return undefined;
  if (!(share > 0)) throw new RangeError(`the share of users who see errors must be above 0, got ${share}`);
  const rng = new Rng(seed ^ 0x2f6b1a3d);
  return Float64Array.from({ length: population.size }, () => (rng.next() < share ? 1 / share : 0));
}

/** The shares of page views that fail in the browser: the fault's, else the traffic's for both. */
function browserRatesOf(sc: Scenario): { stable: number; fresh: number } {
  if (sc.fault.kind === 'browser') return { stable: sc.fault.from, fresh: sc.fault.to };
  const base = sc.traffic.browserErrorRate ?? 0;
  return { stable: base, fresh: base };
}
