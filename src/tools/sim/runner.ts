import { createDeployment, isActive, reduce, type DeploymentState, type Observation } from '../../core/deployment.js';
import { latencyBucket } from '../../core/latency-buckets.js';
import { DistinctCounter } from '../../metrics/distinct-counter.js';
import { AlarmPeriods, gateVerdict, readsLatency, type GateReading } from './gate.js';
import { Population } from './population.js';
import { Rng, runSeed } from './random.js';
import { Router } from './router.js';
import type { Scenario } from './scenario.js';
import { RequestStream, versionModels, type VersionModel } from './traffic.js';
import { ArmWindow } from './window.js';

/** Reads the gate at a tick: the step's windows of both versions, the new version's weight, the alarm periods. */
export type GateFunction = (
  fresh: ArmWindow,
  stable: ArmWindow,
  weightBp: number,
  periods: AlarmPeriods | undefined,
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
      ((fresh, stable, weightBp, periods) => gateVerdict(scenario.gate, fresh, stable, weightBp, periods));
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
        const error = rng.next() < model.errorRate[r]! ? 1 : 0;
        window.requests++;
        window.errors += error;
        let bucket = -1;
        if (latency) {
          bucket = latencyBucket(Math.exp(model.mu[r]! + model.sigma[r]! * rng.normal()));
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
      const { verdict, failed } = this.gate(freshWindow, stableWindow, state.weightBp, periods);
      const step = state.step;
      apply({ kind: 'tick', gate: verdict, windowStartedAt: state.stepStartedAt }, nextTick);
      // An undecided gate can only end a step through the inconclusive policy.
      const undecided = verdict.result === 'inconclusive' && (state.step !== step || !isActive(state.status));
      if (undecided) inconclusive = true;
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
