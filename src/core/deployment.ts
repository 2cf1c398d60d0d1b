import { BUCKETS } from './bucket.js';
import { formatDuration } from './duration.js';
import type { PlanStep } from './deployment-config.js';
import { bankEvidence, recordAcceptance, type Evidence } from './evidence.js';
import type { GateVerdict } from './gate.js';
import { isActive, isHolding, isWatched, type DeploymentStatus } from './deployment-status.js';

export { ACTIVE_STATUSES, isActive, type DeploymentStatus } from './deployment-status.js';
import { describeNeed } from './need.js';

/**
 * A deployment moves one component's live alias from `fromVersion` to `toVersion` along a
 * plan. It is a pure reducer: (state, observation, now) -> (state, effects). The
 * controller persists the new state, then applies the effects.
 */
/** What to do when a step's hold is over but its gate still lacks data. */
export type InconclusivePolicy = 'pause' | 'rollback' | 'proceed';

export interface DeploymentSettings {
  readonly beforeHook: boolean;
  readonly afterHook: boolean;
  /**
   * How long past its hold a step may wait for a conclusive gate, at most: it stops waiting
   * sooner when the gate expects to need more time than is left (see onTick).
   */
  readonly maxExtensionMs: number;
  readonly onInconclusive: InconclusivePolicy;
}

/** What a deployment is, fixed at creation. */
export interface NewDeployment {
  readonly id: string;
  readonly component: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly plan: readonly PlanStep[];
  readonly settings: DeploymentSettings;
}

export interface DeploymentState extends NewDeployment {
  readonly status: DeploymentStatus;
  /** Index of the current step in `plan` (-1 before traffic). */
  readonly step: number;
  /** Weight of the new version now applied, in basis points. */
  readonly weightBp: number;
  /** When the current step's hold started counting (moved forward on resume). */
  readonly stepStartedAt: number;
  /** Status to return to on resume, and the hold already served when paused. */
  readonly paused?: { readonly from: 'in-progress' | 'baking'; readonly heldMs: number } | undefined;
  /** Set once the current step has been extended for an inconclusive gate. */
  readonly extended: boolean;
  /**
   * What the judge and alarms have shown in the finished steps (and acceptances in this
   * one). Absent in states written before it existed: no evidence yet.
   */
  readonly evidence?: Evidence | undefined;
  /** When the new version first served users (its warm-up began). */
  readonly trafficStartedAt?: number | undefined;
  /** When the new version's warm-up ended: the judge reads latency from then on. */
  readonly warmedUpAt?: number | undefined;
  readonly reason?: string | undefined;
  readonly createdAt: number;
  readonly endedAt?: number | undefined;
}

export type DeploymentCommand = 'start' | 'pause' | 'resume' | 'promote' | 'promote-all' | 'rollback' | 'stop' | 'skip';

export type Observation =
  | {
      readonly kind: 'tick';
      readonly gate: GateVerdict;
      /**
       * When the gate's data window began: the step's start, or later when the process
       * restarted and its metrics began again. An inconclusive gate gets its full
       * extension counted from then, so a restart cannot run out the clock on it.
       */
      readonly windowStartedAt?: number;
      /** The new version's warm-up is over (its cold requests are behind it): recorded once, as `warmedUpAt`. */
      readonly warmedUp?: boolean;
    }
  | { readonly kind: 'hook-done'; readonly hook: 'before' | 'after'; readonly ok: boolean; readonly detail: string }
  | { readonly kind: 'command'; readonly command: DeploymentCommand; readonly by?: string; readonly detail?: string };

export interface DeploymentEvent {
  readonly at: number;
  readonly type: string;
  readonly sentence: string;
  readonly status: DeploymentStatus;
  readonly weightBp: number;
}

/** Alias routing to apply: `additional` absent means everyone on `version`. */
export interface AliasTarget {
  readonly version: number;
  readonly additional?: { readonly version: number; readonly weightBp: number } | undefined;
}

export type Effect =
  | { readonly kind: 'set-alias'; readonly alias: AliasTarget }
  | { readonly kind: 'run-hook'; readonly hook: 'before' | 'after' }
  | { readonly kind: 'event'; readonly event: DeploymentEvent };

export interface Transition {
  readonly state: DeploymentState;
  readonly effects: readonly Effect[];
}

/**
 * The extension when none is configured: long enough for a low-traffic step to gather its
 * evidence (a clean version needs ~600 requests, one at 1% errors ~1,000: 17 minutes at
 * 1 req/s), and no shorter than the plan's longest hold. The gate's own estimate ends the
 * wait sooner when the evidence cannot come in time.
 */
export const DEFAULT_MIN_EXTENSION_MS = 30 * 60_000;

/** A step stops waiting when its gate expects to need more than this many times the extension left. */
const TOO_SLOW = 3;

export function defaultMaxExtensionMs(plan: readonly PlanStep[]): number {
  return Math.max(DEFAULT_MIN_EXTENSION_MS, ...plan.map((p) => p.holdMs));
}

export function createDeployment(d: NewDeployment, now: number): DeploymentState {
  return { ...d, status: 'created', step: -1, weightBp: 0, stepStartedAt: now, extended: false, createdAt: now };
}

const pct = (bp: number): string => `${bp / 100}%`;

/** Accumulates a state and its effects while one observation is reduced. */
class Step {
  readonly effects: Effect[] = [];
  constructor(
    public state: DeploymentState,
    readonly now: number,
  ) {}

  private get name(): string {
    return `${this.state.component} v${this.state.toVersion}`;
  }

  set(patch: Partial<DeploymentState>): void {
    this.state = { ...this.state, ...patch };
  }

  event(type: string, sentence: string): void {
    this.effects.push({
      kind: 'event',
      event: {
        at: this.now,
        type,
        sentence: `${this.name}: ${sentence}`,
        status: this.state.status,
        weightBp: this.state.weightBp,
      },
    });
  }

  route(weightBp: number): void {
    const s = this.state;
    const alias: AliasTarget =
      weightBp <= 0
        ? { version: s.fromVersion }
        : { version: s.fromVersion, additional: { version: s.toVersion, weightBp } };
    this.set({ weightBp });
    this.effects.push({ kind: 'set-alias', alias });
  }

  /** Enters plan step `index`; steps without a hold pass straight through. */
  enter(index: number): void {
    const s = this.state;
    if (index >= s.plan.length) return this.finishTraffic();
    const step = s.plan[index]!;
    if (s.trafficStartedAt === undefined) this.set({ trafficStartedAt: this.now });
    this.set({
      step: index,
      stepStartedAt: this.now,
      extended: false,
      paused: undefined,
      status: step.bake ? 'baking' : 'in-progress',
    });
    this.route(step.weightBp);
    const where = `step ${index + 1} of ${s.plan.length}`;
    if (step.holdMs === 0) {
      this.event('step', `${pct(step.weightBp)} of users on v${s.toVersion} (${where})`);
      return this.enter(index + 1);
    }
    this.event(
      step.bake ? 'bake' : 'step',
      step.bake
        ? `${pct(step.weightBp)} of users on v${s.toVersion}; baking for ${formatDuration(step.holdMs)} while gates watch (${where})`
        : `${pct(step.weightBp)} of users on v${s.toVersion} for ${formatDuration(step.holdMs)} (${where})`,
    );
  }

  finishTraffic(): void {
    if (this.state.settings.afterHook) {
      this.set({ status: 'after-hook' });
      this.event('after-hook', 'all traffic on the new version; running the afterAllowTraffic hook');
      this.effects.push({ kind: 'run-hook', hook: 'after' });
      return;
    }
    this.succeed();
  }

  succeed(): void {
    const s = this.state;
    this.set({ status: 'succeeded', weightBp: BUCKETS, endedAt: this.now, paused: undefined });
    this.effects.push({ kind: 'set-alias', alias: { version: s.toVersion } });
    this.event('succeeded', `succeeded; live now points to v${s.toVersion}`);
  }

  /** Traffic goes back first (the effect order is the order the controller applies). */
  rollBack(status: 'rolled-back' | 'stopped', reason: string): void {
    this.route(0);
    this.set({ status, reason, endedAt: this.now, paused: undefined });
    // A person's "rolled back by alice" says it already; a gate's reason gets the verb first.
    const verb = status === 'stopped' ? 'stopped' : 'rolled back';
    const said = reason.startsWith(`${verb} by `) ? reason : `${verb}: ${reason}`;
    this.event(status, `${said}; all traffic on v${this.state.fromVersion}`);
  }
}

function heldMs(s: DeploymentState, now: number): number {
  return s.paused ? s.paused.heldMs : now - s.stepStartedAt;
}

/** Milliseconds left in the current step's hold (0 when over or not holding). */
export function holdRemainingMs(s: DeploymentState, now: number): number {
  const step = s.plan[s.step];
  if (!step || !isHolding(s.status)) return 0;
  return Math.max(0, step.holdMs - heldMs(s, now));
}

/** When the reducer next needs a tick without new input (undefined: only on input). */
export function nextWakeAt(s: DeploymentState): number | undefined {
  const step = s.plan[s.step];
  if (!step || (s.status !== 'in-progress' && s.status !== 'baking')) return undefined;
  return s.stepStartedAt + step.holdMs + (s.extended ? s.settings.maxExtensionMs : 0);
}

function onTick(t: Step, gate: GateVerdict, windowStartedAt: number | undefined, warmedUp: boolean): void {
  const s = t.state;
  if (!isWatched(s.status)) return;
  if (warmedUp && s.warmedUpAt === undefined) t.set({ warmedUpAt: t.now });
  // Alarms protect users while a human has paused the deployment and while the
  // afterAllowTraffic hook runs with everyone on the new version.
  if (gate.result === 'fail') return t.rollBack('rolled-back', gate.sentence);
  // A check that accepted "not worse" stays accepted for the deployment (its fail side
  // stays armed): recorded now, so a later tick of this step cannot read it inconclusive.
  const accepted = recordAcceptance(s.evidence, gate.evidence);
  if (accepted !== s.evidence) t.set({ evidence: accepted });
  if (s.status === 'paused' || s.status === 'after-hook') return;
  const step = s.plan[s.step]!;
  const held = heldMs(s, t.now);
  if (held < step.holdMs) return;
  // The step's window (its counts and likelihoods) is banked as it ends, on evidence or not.
  const next = (): void => {
    t.set({ evidence: bankEvidence(t.state.evidence, gate.evidence) });
    t.enter(s.step + 1);
  };
  if (gate.result === 'pass') return next();
  const observedFrom = windowStartedAt === undefined ? 0 : windowStartedAt - s.stepStartedAt;
  const left = Math.max(step.holdMs, observedFrom) + s.settings.maxExtensionMs - held;
  const need = gate.need && describeNeed(gate.need, `v${s.toVersion}`);
  // The gate's estimate sizes the wait: it stops once the evidence, at the current pace,
  // is not to be expected within what is left of the extension. The time a sequential test
  // takes varies widely (it is the mean that is estimated), so only beyond three times what
  // is left, where at most about one in twenty would still have decided in time.
  const tooSlow = gate.need?.ms !== undefined && gate.need.ms > TOO_SLOW * left;
  if (left > 0 && !tooSlow) {
    if (!s.extended) {
      t.set({ extended: true });
      t.event(
        'extended',
        `hold over but the gate is inconclusive (${gate.sentence}); ${need ? `it ${need}; ` : ''}waiting up to ${formatDuration(s.settings.maxExtensionMs)} more`,
      );
    }
    return;
  }
  const short = tooSlow && left > 0 ? `; it ${need}, more than the ${formatDuration(left)} of extension left` : '';
  const waited = `gate still inconclusive after ${formatDuration(held)} (${gate.sentence})${short}`;
  switch (s.settings.onInconclusive) {
    case 'rollback':
      return t.rollBack('rolled-back', waited);
    case 'proceed':
      t.event('proceeded', `${waited}; proceeding as configured`);
      return next();
    case 'pause':
      t.set({ status: 'paused', paused: { from: s.status as 'in-progress' | 'baking', heldMs: held } });
      t.event('paused', `${waited}; paused for a person to decide (promote or rollback)`);
  }
}

function onHook(t: Step, hook: 'before' | 'after', ok: boolean, detail: string): void {
  const s = t.state;
  if (hook === 'before' && s.status === 'before-hook') {
    if (!ok) return t.rollBack('rolled-back', `beforeAllowTraffic hook failed: ${detail}`);
    t.event('before-hook-passed', `beforeAllowTraffic hook passed${detail ? ` (${detail})` : ''}`);
    return t.enter(0);
  }
  if (hook === 'after' && s.status === 'after-hook') {
    if (!ok) return t.rollBack('rolled-back', `afterAllowTraffic hook failed: ${detail}`);
    t.event('after-hook-passed', `afterAllowTraffic hook passed${detail ? ` (${detail})` : ''}`);
    return t.succeed();
  }
}

export class InvalidCommand extends Error {}

function onCommand(t: Step, command: DeploymentCommand, by: string, detail: string | undefined): void {
  const s = t.state;
  const refuse = (why: string): never => {
    throw new InvalidCommand(`cannot ${command} ${s.component} v${s.toVersion}: ${why}`);
  };
  const holding = isHolding(s.status);
  switch (command) {
    case 'start':
      if (s.status !== 'created') refuse(`it is ${s.status}`);
      if (s.settings.beforeHook) {
        t.set({ status: 'before-hook' });
        t.event(
          'started',
          `deployment from v${s.fromVersion} started: ${s.plan.map((p) => pct(p.weightBp)).join(' -> ')}`,
        );
        t.event('before-hook', 'running the beforeAllowTraffic hook');
        t.effects.push({ kind: 'run-hook', hook: 'before' });
        return;
      }
      t.set({ status: 'in-progress' });
      t.event(
        'started',
        `deployment from v${s.fromVersion} started: ${s.plan.map((p) => pct(p.weightBp)).join(' -> ')}`,
      );
      return t.enter(0);
    case 'skip':
      if (s.status !== 'created') refuse(`it is ${s.status}`);
      t.set({ status: 'skipped', reason: detail ?? 'skipped', endedAt: t.now });
      return t.event('skipped', `never started: ${detail ?? 'skipped'}`);
    case 'pause':
      if (s.status !== 'in-progress' && s.status !== 'baking') refuse(`it is ${s.status}`);
      t.set({ status: 'paused', paused: { from: s.status as 'in-progress' | 'baking', heldMs: heldMs(s, t.now) } });
      return t.event('paused', `paused by ${by} at ${pct(s.weightBp)}`);
    case 'resume': {
      if (s.status !== 'paused' || !s.paused) refuse(`it is ${s.status}`);
      const p = s.paused!;
      // `extended` stays: an extension already announced is not announced again.
      t.set({ status: p.from, stepStartedAt: t.now - p.heldMs, paused: undefined });
      return t.event(
        'resumed',
        `resumed by ${by} with ${formatDuration(holdRemainingMs(t.state, t.now))} of the hold left`,
      );
    }
    case 'promote':
      if (!holding) refuse(`it is ${s.status}`);
      t.event('promoted', `promoted by ${by} past step ${s.step + 1}`);
      return t.enter(s.step + 1);
    case 'promote-all':
      if (!holding) refuse(`it is ${s.status}`);
      t.set({ paused: undefined });
      t.route(BUCKETS);
      t.event('promoted', `promoted by ${by} straight to 100%`);
      return t.finishTraffic();
    case 'rollback':
      if (s.status === 'succeeded') {
        t.route(0);
        t.set({ status: 'rolled-back', reason: `rolled back by ${by} after success`, endedAt: t.now });
        return t.event('rolled-back', `rolled back by ${by} after success; all traffic on v${s.fromVersion}`);
      }
      if (!isActive(s.status) || s.status === 'created') refuse(`it is ${s.status}`);
      return t.rollBack('rolled-back', `rolled back by ${by}${detail ? ` (${detail})` : ''}`);
    case 'stop':
      if (!isActive(s.status) || s.status === 'created') refuse(`it is ${s.status}`);
      return t.rollBack('stopped', `stopped by ${by}`);
  }
}

/** The reducer. Throws InvalidCommand for a command the current status does not allow. */
export function reduce(state: DeploymentState, observation: Observation, now: number): Transition {
  const t = new Step(state, now);
  switch (observation.kind) {
    case 'tick':
      onTick(t, observation.gate, observation.windowStartedAt, observation.warmedUp ?? false);
      break;
    case 'hook-done':
      onHook(t, observation.hook, observation.ok, observation.detail);
      break;
    case 'command':
      onCommand(t, observation.command, observation.by ?? 'a user', observation.detail);
      break;
  }
  return { state: t.state, effects: t.effects };
}
