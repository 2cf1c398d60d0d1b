import { BUCKETS } from './bucket.js';
import { formatDuration, parseDuration } from './duration.js';
import { invalid } from './errors.js';

/**
 * How a deployment moves an alias to a new version. A discriminated union on `kind`;
 * every config compiles to a plan of steps (weight + hold).
 */
export type DeploymentConfig =
  | { readonly kind: 'all-at-once'; readonly finalBakeMs?: number }
  /** `percent` for `intervalMs`, then everyone. */
  | { readonly kind: 'canary'; readonly percent: number; readonly intervalMs: number; readonly finalBakeMs?: number }
  /** `percent` more every `intervalMs`, starting at `percent`, until everyone. */
  | { readonly kind: 'linear'; readonly percent: number; readonly intervalMs: number; readonly finalBakeMs?: number }
  /** A sticky share of users on the one-box for a bake, then everyone. */
  | { readonly kind: 'one-box'; readonly percent: number; readonly bakeMs: number; readonly finalBakeMs?: number }
  | {
      readonly kind: 'steps';
      readonly steps: readonly { readonly percent: number; readonly holdMs: number }[];
      readonly finalBakeMs?: number;
    };

export interface PlanStep {
  /** Weight of the new version in basis points (0..10000). */
  readonly weightBp: number;
  /** How long this step holds before it may advance (gates permitting). */
  readonly holdMs: number;
  /** The one-box bake and the final bake are bakes; the rest are traffic steps. */
  readonly bake: boolean;
}

const MINUTE = 60_000;

/** CodeDeploy's predefined Lambda configs, by name. */
export const PRESETS: Readonly<Record<string, DeploymentConfig>> = {
  LambdaAllAtOnce: { kind: 'all-at-once' },
  LambdaCanary10Percent5Minutes: { kind: 'canary', percent: 10, intervalMs: 5 * MINUTE },
  LambdaCanary10Percent10Minutes: { kind: 'canary', percent: 10, intervalMs: 10 * MINUTE },
  LambdaCanary10Percent15Minutes: { kind: 'canary', percent: 10, intervalMs: 15 * MINUTE },
  LambdaCanary10Percent30Minutes: { kind: 'canary', percent: 10, intervalMs: 30 * MINUTE },
  LambdaLinear10PercentEvery1Minute: { kind: 'linear', percent: 10, intervalMs: 1 * MINUTE },
  LambdaLinear10PercentEvery2Minutes: { kind: 'linear', percent: 10, intervalMs: 2 * MINUTE },
  LambdaLinear10PercentEvery3Minutes: { kind: 'linear', percent: 10, intervalMs: 3 * MINUTE },
  LambdaLinear10PercentEvery10Minutes: { kind: 'linear', percent: 10, intervalMs: 10 * MINUTE },
};

const toBp = (percent: number): number => Math.round(percent * 100);

function checkPercent(percent: number, field: string): void {
  if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw invalid(`${field} must be a percentage above 0 and at most 100, got ${String(percent)}`);
  }
  // Weights are basis points: a share that rounds to none would never move traffic.
  if (toBp(percent) <= 0) throw invalid(`${field} must be at least 0.01%, got ${String(percent)}`);
}

function checkDuration(ms: number, field: string): void {
  if (!Number.isFinite(ms) || ms < 0) throw invalid(`${field} must be a duration of 0 or more, got ${String(ms)}`);
}

/** Validates a config and compiles it to steps; the last step is always 100%. */
export function planOf(config: DeploymentConfig): PlanStep[] {
  const finalBake = config.finalBakeMs ?? 0;
  checkDuration(finalBake, 'final bake');
  const last: PlanStep = { weightBp: BUCKETS, holdMs: finalBake, bake: finalBake > 0 };
  switch (config.kind) {
    case 'all-at-once':
      return [last];
    case 'canary':
    case 'one-box': {
      const hold = config.kind === 'canary' ? config.intervalMs : config.bakeMs;
      checkPercent(config.percent, `${config.kind} percent`);
      checkDuration(hold, config.kind === 'canary' ? 'canary interval' : 'one-box bake');
      if (toBp(config.percent) >= BUCKETS) return [last];
      return [{ weightBp: toBp(config.percent), holdMs: hold, bake: config.kind === 'one-box' }, last];
    }
    case 'linear': {
      checkPercent(config.percent, 'linear percent');
      checkDuration(config.intervalMs, 'linear interval');
      const steps: PlanStep[] = [];
      for (let bp = toBp(config.percent); bp < BUCKETS; bp += toBp(config.percent)) {
        steps.push({ weightBp: bp, holdMs: config.intervalMs, bake: false });
      }
      return [...steps, last];
    }
    case 'steps': {
      if (config.steps.length === 0) throw invalid('steps must list at least one step');
      const steps: PlanStep[] = [];
      let previous = 0;
      config.steps.forEach((s, i) => {
        checkPercent(s.percent, `steps[${i}] percent`);
        checkDuration(s.holdMs, `steps[${i}] hold`);
        const bp = toBp(s.percent);
        if (bp <= previous)
          throw invalid(`steps[${i}] is ${s.percent}%: each step must raise the weight above the one before`);
        previous = bp;
        if (bp < BUCKETS) steps.push({ weightBp: bp, holdMs: s.holdMs, bake: false });
      });
      // A final 100% step with a hold is the final bake, whichever way it was written.
      const lastGiven = config.steps[config.steps.length - 1]!;
      const bake = toBp(lastGiven.percent) === BUCKETS ? Math.max(lastGiven.holdMs, finalBake) : finalBake;
      return [...steps, { weightBp: BUCKETS, holdMs: bake, bake: bake > 0 }];
    }
    default:
      throw invalid(`unknown deployment config kind ${JSON.stringify((config as { kind: unknown }).kind)}`);
  }
}

function percentOf(text: string, what: string, spec: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  if (!m) throw invalid(`deployment config "${spec}": ${what} "${text}" is not a percentage (e.g. 10%)`);
  return Number(m[1]);
}

function durationOf(text: string, what: string, spec: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw invalid(`deployment config "${spec}": ${what} "${text}" is not a duration (e.g. 90s, 5m, 1h)`);
  return ms;
}

const SPEC_HELP =
  'expected a CodeDeploy preset (e.g. LambdaCanary10Percent5Minutes), all-at-once, canary:10%:5m, linear:10%:1m, onebox:20%:10m or steps:1%@5m,20%@10m,100%, optionally followed by +bake:10m';

/**
 * Parses a config written on one line: a CodeDeploy preset name (the `CodeDeployDefault.`
 * prefix is optional) or `kind:args`, with an optional `+bake:DURATION` final bake.
 */
export function parseDeploymentSpec(spec: string): DeploymentConfig {
  const [main, ...extras] = spec.trim().split('+');
  let finalBakeMs: number | undefined;
  for (const extra of extras) {
    const m = /^bake:(.+)$/.exec(extra.trim());
    if (!m) throw invalid(`deployment config "${spec}": unknown suffix "+${extra}"; ${SPEC_HELP}`);
    finalBakeMs = durationOf(m[1]!, 'final bake', spec);
  }
  const withBake = (c: DeploymentConfig): DeploymentConfig => {
    const config = finalBakeMs === undefined ? c : { ...c, finalBakeMs };
    planOf(config);
    return config;
  };
  const name = main!.trim().replace(/^CodeDeployDefault\./, '');
  const preset = PRESETS[name];
  if (preset) return withBake(preset);
  const [kind, ...args] = name.split(':');
  switch (kind?.toLowerCase()) {
    case 'all-at-once':
    case 'allatonce':
      if (args.length) break;
      return withBake({ kind: 'all-at-once' });
    case 'canary':
    case 'linear':
      if (args.length !== 2) break;
      return withBake({
        kind: kind.toLowerCase() as 'canary' | 'linear',
        percent: percentOf(args[0]!, 'percent', spec),
        intervalMs: durationOf(args[1]!, 'interval', spec),
      });
    case 'onebox':
    case 'one-box':
      if (args.length !== 2) break;
      return withBake({
        kind: 'one-box',
        percent: percentOf(args[0]!, 'percent', spec),
        bakeMs: durationOf(args[1]!, 'bake', spec),
      });
    case 'steps':
      if (args.length !== 1) break;
      return withBake({
        kind: 'steps',
        steps: args[0]!.split(',').map((step) => {
          const [percent, hold, ...rest] = step.split('@');
          if (rest.length) throw invalid(`deployment config "${spec}": step "${step}" has more than one hold`);
          return {
            percent: percentOf(percent!, 'step', spec),
            holdMs: hold === undefined ? 0 : durationOf(hold, 'hold', spec),
          };
        }),
      });
  }
  throw invalid(`deployment config "${spec}" is not one onebox knows; ${SPEC_HELP}`);
}

/** One line a person reads: "10% for 5m -> 100%". */
export function describePlan(plan: readonly PlanStep[]): string {
  return plan
    .map((s) => `${s.weightBp / 100}%${s.holdMs ? ` ${s.bake ? 'bake' : 'for'} ${formatDuration(s.holdMs)}` : ''}`)
    .join(' -> ');
}
