import { randomUUID } from 'node:crypto';
import {
  isActive,
  BUCKETS,
  combineVerdicts,
  createDeployment,
  defaultMaxExtensionMs,
  judge,
  paced,
  evaluateAlarms,
  InvalidCommand,
  invalid,
  conflict,
  notFound,
  planOf,
  reduce,
  type AlarmThresholds,
  type AliasTarget,
  type Clock,
  type DeploymentCommand,
  type DeploymentConfig,
  type DeploymentEvent,
  type DeploymentHooks,
  type DeploymentSettings,
  type GateVerdict,
  type InconclusivePolicy,
  type JudgeSettings,
  type Observation,
  type DeploymentRecord,
  type Exposure,
} from '../core/index.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { MetricsMark } from '../metrics/version-metrics.js';
import { exposureOf } from '../metrics/exposure.js';
import type { DeploymentStore } from '../store/deployment-store.js';
import type { StateStore } from '../store/state-store.js';
import type { HookRunner } from './hook-runner.js';
import { WarmUps } from './warm-up.js';

/** Both versions' metrics when the current step began: the gate's window starts there. */
interface StepMark {
  readonly step: number;
  readonly at: number;
  readonly fresh: MetricsMark;
  readonly stable: MetricsMark;
}

/** What one component's deployment needs, fully resolved (defaults applied). */
export interface DeploymentSpec {
  readonly component: string;
  readonly version: number;
  readonly config: DeploymentConfig;
  readonly alarms: AlarmThresholds;
  /** The comparative judge's settings; undefined turns it off. */
  readonly judge: JudgeSettings | undefined;
  readonly hooks: DeploymentHooks;
  readonly onInconclusive: InconclusivePolicy;
  /** Undefined: defaultMaxExtensionMs (30 minutes, or the plan's longest hold). */
  readonly maxExtensionMs?: number | undefined;
  /** Components of the same release that must succeed first. */
  readonly after: readonly string[];
}

export interface ControllerDeps {
  readonly deployments: DeploymentStore;
  readonly state: StateStore;
  readonly metrics: MetricsRecorder;
  readonly clock: Clock;
  /** Called after `component`'s alias changed in the store, so traffic follows at once. */
  readonly onAliasChange: (component: string) => void;
  readonly runHook: HookRunner;
  /** Every event, after it is stored (logs, streams). */
  readonly onEvent?: (event: DeploymentEvent & { deploymentId: string }) => void;
  /**
   * A tick failed (e.g. the state file cannot be written): nothing moved, the next tick tries
   * again. Called once per distinct cause while it lasts, not on every tick.
   */
  readonly onError?: (err: Error) => void;
  /** Ticks succeed again after `onError`: deployments carry on from where they were. */
  readonly onRecover?: () => void;
  readonly newId?: () => string;
}

/**
 * Runs deployments and releases: feeds the reducer with time, gate verdicts, hook results
 * and commands, stores each transition (with the alias it moves) in one transaction, then
 * moves traffic, then notifies. Stateless apart from metrics marks: a restarted controller
 * picks every deployment up from the store.
 */
export class Controller {
  /** Metrics at each deployment's step start; lost on restart (metrics start again then). */
  private readonly marks = new Map<string, StepMark>();
  private readonly warmups = new WarmUps();
  /** Exposure stored before this process started, per deployment. */
  private readonly carried = new Map<string, Exposure>();
  /** When this process began collecting metrics. */
  private readonly startedAt: number;
  private readonly newId: () => string;
  private timer: NodeJS.Timeout | undefined;
  /** The message of the failure the last tick ended with, if it failed. */
  private failing: string | undefined;
  private readonly hooksInFlight = new Set<Promise<void>>();

  constructor(private readonly deps: ControllerDeps) {
    this.newId = deps.newId ?? (() => randomUUID().slice(0, 8));
    this.startedAt = deps.clock.now();
  }

  /** Validates and records a release, then starts what can start. Nothing is written on error. */
  release(specs: readonly DeploymentSpec[], by: string): DeploymentRecord[] {
    if (specs.length === 0) throw invalid('a release needs at least one component');
    const names = new Set<string>();
    for (const s of specs) {
      if (names.has(s.component)) throw invalid(`${s.component} appears twice in the release`);
      names.add(s.component);
    }
    for (const s of specs) {
      for (const a of s.after) {
        if (!names.has(a)) throw invalid(`${s.component} is to go after ${a}, which is not in this release`);
      }
    }
    assertAcyclic(specs);
    const now = this.deps.clock.now();
    const releaseId = this.newId();
    const records = specs.map((s): DeploymentRecord => {
      const alias = this.deps.state.getAlias(s.component);
      const target = this.deps.state.getVersion(s.component, s.version);
      if (target.retiredAt)
        throw conflict(`${s.component} version ${s.version} is retired and can never serve traffic again`);
      if (!alias)
        throw conflict(
          `${s.component} has no live version yet; point its alias at a first version with \`onebox alias\``,
        );
      if (alias.version === s.version && !alias.additional)
        throw conflict(`${s.component} v${s.version} is already live`);
      const plan = planOf(s.config);
      const settings: DeploymentSettings = {
        beforeHook: !!s.hooks.beforeAllowTraffic,
        afterHook: !!s.hooks.afterAllowTraffic,
        maxExtensionMs: s.maxExtensionMs ?? defaultMaxExtensionMs(plan),
        onInconclusive: s.onInconclusive,
      };
      const id = `${releaseId}-${s.component}`;
      return {
        id,
        releaseId,
        after: s.after,
        state: createDeployment(
          { id, component: s.component, fromVersion: alias.version, toVersion: s.version, plan, settings },
          now,
        ),
        gates: { alarms: s.alarms, judge: s.judge },
        hooks: s.hooks,
      };
    });
    this.deps.deployments.createRelease(
      {
        id: releaseId,
        createdAt: now,
        spec: { by, components: specs.map((s) => ({ component: s.component, version: s.version, after: s.after })) },
      },
      records,
    );
    this.advanceRelease(releaseId);
    return this.deps.deployments.ofRelease(releaseId);
  }

  /** A manual control on the component's active deployment (rollback also after success). */
  command(component: string, command: DeploymentCommand, by: string): DeploymentRecord {
    const record =
      this.deps.deployments.activeFor(component) ??
      (command === 'rollback' ? this.deps.deployments.latestFor(component) : undefined);
    if (!record) throw notFound(`${component} has no active deployment to ${command}`);
    if (command === 'rollback' && record.state.status === 'succeeded') {
      const alias = this.deps.state.getAlias(component);
      if (alias?.version !== record.state.toVersion || alias.additional) {
        throw conflict(
          `${component} has moved on since deployment ${record.id}; roll back with a new deployment or \`onebox alias\``,
        );
      }
    }
    try {
      return this.apply(record, { kind: 'command', command, by });
    } catch (err) {
      if (err instanceof InvalidCommand) throw conflict(err.message);
      throw err;
    }
  }

  /** One evaluation of every active deployment against its gates and clock. */
  tick(): void {
    for (const { id } of this.deps.deployments.active()) {
      // Read afresh: an earlier deployment of this tick may have started this one (`after`).
      const record = this.deps.deployments.get(id);
      const gate = this.gate(record);
      const windowStartedAt = this.currentMark(record)?.at ?? this.startedAt;
      const after = gate ? this.apply(record, { kind: 'tick', gate, windowStartedAt }) : record;
      this.recordExposure(after);
    }
  }

  /** Blast radius of a deployment: live while it runs, stored every tick and at its end. */
  exposure(record: DeploymentRecord): Exposure | undefined {
    const tracker = this.deps.metrics.findExposure(record.state.component, record.id);
    return tracker ? exposureOf(tracker, this.carried.get(record.id)) : record.exposure;
  }

  private recordExposure(record: DeploymentRecord): void {
    const s = record.state;
    const flowing = s.step >= 0 && ['in-progress', 'baking', 'paused', 'after-hook'].includes(s.status);
    let tracker = this.deps.metrics.findExposure(s.component, record.id);
    if (flowing && !tracker) {
      // Users seen before a restart are carried over (an upper bound: some may come again).
      if (record.exposure) this.carried.set(record.id, record.exposure);
      tracker = this.deps.metrics.trackExposure(s.component, record.id, s.toVersion);
    }
    if (!tracker) return;
    this.deps.deployments.saveExposure(record.id, exposureOf(tracker, this.carried.get(record.id)));
    if (!isActive(s.status)) {
      this.deps.metrics.stopExposure(s.component, record.id);
      this.carried.delete(record.id);
    }
  }

  /**
   * The gate verdict on the current step's window, for deployments that are holding:
   * the alarms on the new version's own traffic, and, while both versions serve, the
   * judge comparing it with the stable version in the same window.
   */
  gate(record: DeploymentRecord): GateVerdict | undefined {
    const parts = this.gateParts(record);
    if (!parts) return undefined;
    return parts.judge ? combineVerdicts([parts.alarms, parts.judge]) : parts.alarms;
  }

  /** The gate's two parts, each with its own verdict (`judge` absent while it does not apply). */
  gateParts(record: DeploymentRecord): { alarms: GateVerdict; judge: GateVerdict | undefined } | undefined {
    const s = record.state;
    if (!['in-progress', 'baking', 'paused', 'after-hook'].includes(s.status)) return undefined;
    const mark = this.currentMark(record);
    const fresh = this.deps.metrics.forVersion(s.component, s.toVersion).since(mark?.fresh);
    const label = `v${s.toVersion}`;
    // What the gate still needs, at the new version's pace in this window.
    const windowMs = this.deps.clock.now() - (mark?.at ?? this.startedAt);
    const pace = (v: GateVerdict): GateVerdict =>
      v.need ? { ...v, need: paced(v.need, fresh.requests, windowMs) } : v;
    const alarms = pace(evaluateAlarms(record.gates.alarms, fresh, label, s.evidence?.alarms));
    const settings = record.gates.judge;
    if (!settings || s.weightBp <= 0 || s.weightBp >= BUCKETS) return { alarms, judge: undefined };
    const arms = this.warmups.arms(s, this.deps.metrics, mark, fresh, settings.warmupRequests, this.deps.clock.now());
    const { result, sentence, need, evidence } = judge(arms.fresh, arms.stable, settings, label, s.evidence);
    return { alarms, judge: pace({ result, sentence, need, evidence }) };
  }

  /**
   * After a restart: re-applies each active deployment's traffic (the stored state is the
   * truth) and re-runs a hook that was running when the process died.
   */
  resume(): void {
    for (const record of this.deps.deployments.active()) {
      const s = record.state;
      if (s.status === 'before-hook' || s.status === 'after-hook')
        this.startHook(record, s.status === 'before-hook' ? 'before' : 'after');
    }
    for (const releaseId of new Set(this.deps.deployments.active().map((r) => r.releaseId)))
      this.advanceRelease(releaseId);
  }

  start(intervalMs: number): void {
    this.resume();
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        // A failed tick (e.g. the disk is full) moves no traffic: every transition is written
        // before its alias moves. The next tick tries again; the cause is said once.
        const message = (err as Error).message;
        if (message !== this.failing) this.deps.onError?.(err as Error);
        this.failing = message;
        return;
      }
      if (this.failing !== undefined) {
        this.failing = undefined;
        this.deps.onRecover?.();
      }
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.hooksInFlight]);
  }

  /** Waits for hooks started so far (tests). */
  async settled(): Promise<void> {
    while (this.hooksInFlight.size) await Promise.all([...this.hooksInFlight]);
  }

  /** The mark of the current step, if this process saw the step begin. */
  private currentMark(record: DeploymentRecord): StepMark | undefined {
    const m = this.marks.get(record.id);
    return m && m.step === record.state.step ? m : undefined;
  }

  private apply(record: DeploymentRecord, observation: Observation): DeploymentRecord {
    const now = this.deps.clock.now();
    const { state, effects } = reduce(record.state, observation, now);
    if (effects.length === 0 && state === record.state) return record;
    let alias: AliasTarget | undefined;
    const events: DeploymentEvent[] = [];
    const hooks: ('before' | 'after')[] = [];
    for (const e of effects) {
      if (e.kind === 'set-alias') alias = e.alias;
      else if (e.kind === 'event') events.push(e.event);
      else hooks.push(e.hook);
    }
    // Durable first: state, events and alias in one transaction.
    this.deps.deployments.saveTransition(state, events, alias, now);
    const updated = { ...record, state };
    // Then traffic.
    if (alias) this.deps.onAliasChange(state.component);
    // A step mark holds copies of two histograms: an ended deployment's are let go.
    if (!isActive(state.status)) this.marks.delete(state.id);
    this.warmups.follow(state, record.state, this.deps.metrics);
    if (isActive(state.status) && state.step !== record.state.step) {
      const metrics = this.deps.metrics;
      this.marks.set(state.id, {
        step: state.step,
        at: now,
        fresh: metrics.forVersion(state.component, state.toVersion).mark(),
        stable: metrics.forVersion(state.component, state.fromVersion).mark(),
      });
    }
    // Then notifications.
    for (const e of events) this.deps.onEvent?.({ ...e, deploymentId: state.id });
    for (const hook of hooks) this.startHook(updated, hook);
    this.recordExposure(updated);
    if (state.status !== record.state.status) this.advanceRelease(record.releaseId);
    return updated;
  }

  private startHook(record: DeploymentRecord, hook: 'before' | 'after'): void {
    const spec = hook === 'before' ? record.hooks.beforeAllowTraffic : record.hooks.afterAllowTraffic;
    const s = record.state;
    if (!spec) return;
    const target = this.deps.state.getVersion(s.component, s.toVersion);
    const run = this.deps
      .runHook(spec, {
        deploymentId: s.id,
        hook: hook === 'before' ? 'beforeAllowTraffic' : 'afterAllowTraffic',
        component: s.component,
        fromVersion: s.fromVersion,
        toVersion: s.toVersion,
        targetUrl: target.target,
      })
      .then((result) => {
        const fresh = this.deps.deployments.get(s.id);
        this.apply(fresh, { kind: 'hook-done', hook, ok: result.ok, detail: result.detail });
      })
      .catch(() => {
        /* the store refused the write; the hook re-runs on resume */
      })
      .finally(() => this.hooksInFlight.delete(run));
    this.hooksInFlight.add(run);
  }

  /** Starts deployments whose predecessors succeeded; skips those whose predecessors failed. */
  private advanceRelease(releaseId: string): void {
    const all = this.deps.deployments.ofRelease(releaseId);
    const byComponent = new Map(all.map((d) => [d.state.component, d]));
    for (const d of all) {
      if (d.state.status !== 'created') continue;
      const before = d.after.map((c) => byComponent.get(c)!);
      const failed = before.find((b) => ['rolled-back', 'stopped', 'skipped'].includes(b.state.status));
      if (failed) {
        this.apply(d, {
          kind: 'command',
          command: 'skip',
          detail: `${failed.state.component} v${failed.state.toVersion} ${failed.state.status === 'skipped' ? 'never started' : failed.state.status}`,
        });
      } else if (before.every((b) => b.state.status === 'succeeded')) {
        this.apply(d, { kind: 'command', command: 'start', by: 'the release' });
      }
    }
  }
}

function assertAcyclic(specs: readonly DeploymentSpec[]): void {
  const after = new Map(specs.map((s) => [s.component, s.after]));
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (c: string, path: string[]): void => {
    if (done.has(c)) return;
    if (visiting.has(c)) throw invalid(`release order has a cycle: ${[...path, c].join(' -> ')}`);
    visiting.add(c);
    for (const a of after.get(c) ?? []) visit(a, [...path, c]);
    visiting.delete(c);
    done.add(c);
  };
  for (const s of specs) visit(s.component, []);
}
