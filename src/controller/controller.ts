import { randomUUID } from 'node:crypto';
import {
  carryExposure,
  conflict,
  createDeployment,
  defaultMaxExtensionMs,
  deploymentSeed,
  InvalidCommand,
  isActive,
  isWatched,
  judgeApplies,
  NO_BROWSER_WINDOW,
  nextInRelease,
  notFound,
  OneboxError,
  planOf,
  reduce,
  stepGate,
  validateRelease,
  type AlarmThresholds,
  type BrowserGateSettings,
  type DeploymentCommand,
  type DeploymentConfig,
  type DeploymentEvent,
  type DeploymentHooks,
  type DeploymentRecord,
  type DeploymentSettings,
  type Exposure,
  type GateVerdict,
  type InconclusivePolicy,
  type JudgeSettings,
  type Observation,
  type StepGate,
} from '../core/index.js';
import type { AliasMove, ControllerPorts } from './ports.js';
import { WarmUps } from './warm-up.js';

/** Both versions' metrics when the current step began: the gate's window starts there. */
interface StepMark<Mark> {
  readonly step: number;
  readonly at: number;
  readonly fresh: Mark;
  readonly stable: Mark;
}

/** What one component's deployment needs, fully resolved (defaults applied). */
export interface DeploymentSpec {
  readonly component: string;
  readonly version: number;
  readonly config: DeploymentConfig;
  readonly alarms: AlarmThresholds;
  /** The comparative judge's settings; undefined turns it off. */
  readonly judge: JudgeSettings | undefined;
  /** The browser gate's settings, for a component that sends browser signals; undefined: none. */
  readonly browser?: BrowserGateSettings | undefined;
  readonly hooks: DeploymentHooks;
  readonly onInconclusive: InconclusivePolicy;
  /** Undefined: defaultMaxExtensionMs (30 minutes, or the plan's longest hold). */
  readonly maxExtensionMs?: number | undefined;
  /** Components of the same release that must succeed first. */
  readonly after: readonly string[];
}

export interface ControllerDeps<Mark> extends ControllerPorts<Mark> {
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
export class Controller<Mark = unknown> {
  /** Metrics at each deployment's step start, when this process saw the step begin. */
  private readonly marks = new Map<string, StepMark<Mark>>();
  private readonly warmups = new WarmUps<Mark>();
  /** Exposure stored before this process started, per deployment. */
  private readonly carried = new Map<string, Exposure>();
  /** When this process began collecting metrics. */
  private readonly startedAt: number;
  private readonly newId: () => string;
  private timer: NodeJS.Timeout | undefined;
  /** The message of the failure the last tick ended with, if it failed. */
  private failing: string | undefined;
  private readonly hooksInFlight = new Set<Promise<void>>();

  constructor(private readonly deps: ControllerDeps<Mark>) {
    this.newId = deps.newId ?? (() => randomUUID().slice(0, 8));
    this.startedAt = deps.clock.now();
  }

  /** Validates and records a release, then starts what can start. Nothing is written on error. */
  release(specs: readonly DeploymentSpec[], by: string): DeploymentRecord[] {
    const { versions } = this.deps;
    const issues = validateRelease(specs, {
      alias: (c) => versions.getAlias(c),
      version: (c, n) => versions.findVersion(c, n),
    });
    // Every problem at once; the request's own (invalid, not_found) rank before the state's.
    if (issues.length) {
      const code = issues.find((i) => i.code !== 'conflict')?.code ?? 'conflict';
      throw new OneboxError(code, issues.map((i) => i.message).join('; '));
    }
    const now = this.deps.clock.now();
    const releaseId = this.newId();
    const records = specs.map((s): DeploymentRecord => {
      const alias = versions.getAlias(s.component)!;
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
        gates: { alarms: s.alarms, judge: s.judge, ...(s.browser ? { browser: s.browser } : {}) },
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
      const alias = this.deps.versions.getAlias(component);
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
      const gate = this.stepGate(record);
      const windowStartedAt = this.currentMark(record)?.at ?? this.startedAt;
      const after = gate
        ? this.apply(record, { kind: 'tick', gate: gate.verdict, windowStartedAt, warmedUp: gate.warmedUp })
        : record;
      this.recordExposure(after);
    }
  }

  /** Blast radius of a deployment: live while it runs, stored every tick and at its end. */
  exposure(record: DeploymentRecord): Exposure | undefined {
    const counted = this.deps.exposure.counted(record.state.component, record.id);
    return counted ? carryExposure(counted, this.carried.get(record.id)) : record.exposure;
  }

  private recordExposure(record: DeploymentRecord): void {
    const s = record.state;
    const { exposure } = this.deps;
    let counted = exposure.counted(s.component, record.id);
    if (s.step >= 0 && isWatched(s.status) && !counted) {
      // Users seen before a restart are carried over (an upper bound: some may come again).
      if (record.exposure) this.carried.set(record.id, record.exposure);
      exposure.track(s.component, record.id, s.toVersion);
      counted = exposure.counted(s.component, record.id);
    }
    if (!counted) return;
    this.deps.deployments.saveExposure(record.id, carryExposure(counted, this.carried.get(record.id)));
    if (!isActive(s.status)) {
      exposure.stop(s.component, record.id);
      this.carried.delete(record.id);
    }
  }

  /**
   * The gate verdict on the current step's window, for deployments whose new version serves:
   * the alarms on the new version's own traffic, and, while both versions serve, the judge
   * comparing it with the stable version in the same window (core's stepGate).
   */
  gate(record: DeploymentRecord): GateVerdict | undefined {
    return this.stepGate(record)?.verdict;
  }

  /**
   * The gate's parts, each with its own verdict (`judge` absent while it does not apply), and
   * whether the new version's warm-up ended at this look (the reducer records when).
   */
  stepGate(record: DeploymentRecord): (StepGate & { readonly warmedUp: boolean }) | undefined {
    const s = record.state;
    if (!isWatched(s.status)) return undefined;
    const { metrics, clock } = this.deps;
    const mark = this.currentMark(record);
    const fresh = metrics.since(s.component, s.toVersion, mark?.fresh);
    const now = clock.now();
    const judged = record.gates.judge && judgeApplies(record.gates, s) ? record.gates.judge : undefined;
    const arms = judged && this.warmups.arms(s, metrics, mark, fresh, judged.warmupRequests, now);
    const windowMs = now - (mark?.at ?? this.startedAt);
    // The browser part reads both versions' users in the same window (the stable one's while both serve).
    const browser = record.gates.browser && {
      fresh: fresh.browser ?? NO_BROWSER_WINDOW,
      stable: metrics.since(s.component, s.fromVersion, mark?.stable).browser ?? NO_BROWSER_WINDOW,
    };
    const gate = stepGate({ gates: record.gates, state: s, fresh, arms, windowMs, browser });
    return { ...gate, warmedUp: arms?.warmedUp ?? false };
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

  /**
   * The mark of the current step: taken when this process saw the step begin, else placed at
   * the step's start where the metrics can (a time series), else none (counters kept since
   * this process started: the window then starts with it).
   */
  private currentMark(record: DeploymentRecord): StepMark<Mark> | undefined {
    const s = record.state;
    const m = this.marks.get(record.id);
    if (m && m.step === s.step) return m;
    const { metrics } = this.deps;
    const fresh = metrics.markAt(s.component, s.toVersion, s.stepStartedAt);
    const stable = metrics.markAt(s.component, s.fromVersion, s.stepStartedAt);
    return fresh === undefined || stable === undefined
      ? undefined
      : { step: s.step, at: s.stepStartedAt, fresh, stable };
  }

  private apply(record: DeploymentRecord, observation: Observation): DeploymentRecord {
    const now = this.deps.clock.now();
    const { state, effects } = reduce(record.state, observation, now);
    if (effects.length === 0 && state === record.state) return record;
    let alias: AliasMove | undefined;
    const events: DeploymentEvent[] = [];
    const hooks: ('before' | 'after')[] = [];
    for (const e of effects) {
      if (e.kind === 'set-alias') alias = { ...e.alias, seed: deploymentSeed(state) };
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
      const { metrics } = this.deps;
      this.marks.set(state.id, {
        step: state.step,
        at: now,
        fresh: metrics.mark(state.component, state.toVersion),
        stable: metrics.mark(state.component, state.fromVersion),
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
    const target = this.deps.versions.findVersion(s.component, s.toVersion);
    const run = this.deps
      .runHook(spec, {
        deploymentId: s.id,
        hook: hook === 'before' ? 'beforeAllowTraffic' : 'afterAllowTraffic',
        component: s.component,
        fromVersion: s.fromVersion,
        toVersion: s.toVersion,
        targetUrl: target?.target ?? '',
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

  /** Starts deployments whose predecessors succeeded; skips those whose predecessors failed (core's nextInRelease). */
  private advanceRelease(releaseId: string): void {
    const all = this.deps.deployments.ofRelease(releaseId);
    const byComponent = new Map(all.map((d) => [d.state.component, d]));
    const members = all.map((d) => ({ ...d.state, after: d.after }));
    for (const step of nextInRelease(members)) {
      // Read afresh: starting one may already have moved another (a chain of skips).
      const d = this.deps.deployments.get(byComponent.get(step.component)!.id);
      if (d.state.status !== 'created') continue;
      if (step.kind === 'skip') this.apply(d, { kind: 'command', command: 'skip', detail: step.reason });
      else this.apply(d, { kind: 'command', command: 'start', by: 'the release' });
    }
  }
}
