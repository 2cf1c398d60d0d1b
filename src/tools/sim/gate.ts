import { DEFAULT_ALARMS, evaluateAlarms, type AlarmThresholds } from '../../core/alarms.js';
import type { BrowserGateSettings } from '../../core/browser-gate.js';
import type { Evidence } from '../../core/evidence.js';
import type { GateVerdict } from '../../core/gate.js';
import { stepGate } from '../../core/step-gate.js';
import { DEFAULT_JUDGE, type JudgeSettings } from '../../core/judge.js';
import type { ArmWindow } from './window.js';

/**
 * The gate a simulated release is watched by, built from the product's own pieces:
 * - `alarm`: absolute thresholds on the new version alone (evaluateAlarms), CodeDeploy-style;
 * - `judge`: those alarms combined with the comparative judge (new vs stable in the
 *   current step's window, on the evidence of the earlier steps), as onebox's controller
 *   does while both versions serve.
 */
export interface GateSpec {
  readonly kind: 'alarm' | 'judge';
  /** Short name for tables: alarm, alarm+p99, judge. */
  readonly label: string;
  readonly alarms: AlarmThresholds;
  /**
   * The alarms' window. 'step': everything since the step began (onebox's controller).
   * A number: CloudWatch-style periods of that many ms from the release's start, each
   * judged once when it ends; the alarm keeps that state until the next period ends.
   */
  readonly alarmWindow: 'step' | number;
  readonly judge: JudgeSettings;
  /** The browser gate, for a component that sends browser signals (its pages' beacons). Absent: none. */
  readonly browser?: BrowserGateSettings | undefined;
}

/** A CodeDeploy-style alarm: 2% errors (onebox's default) over one-minute periods. */
export const FIXED_ALARM_GATE: GateSpec = {
  kind: 'alarm',
  label: 'alarm',
  // A CloudWatch alarm compares each period's observed rate with its threshold.
  alarms: { ...DEFAULT_ALARMS, errorRule: 'observed' },
  alarmWindow: 60_000,
  judge: DEFAULT_JUDGE,
};

/** onebox's controller defaults: alarms on the step's window, plus the judge. */
export const JUDGE_GATE: GateSpec = {
  kind: 'judge',
  label: 'judge',
  alarms: DEFAULT_ALARMS,
  alarmWindow: 'step',
  judge: DEFAULT_JUDGE,
};

/** The judge alone: no absolute alarm (a 100% error-rate ceiling never fires). */
export const JUDGE_ONLY_GATE: GateSpec = {
  ...JUDGE_GATE,
  label: 'judge-only',
  alarms: { maxErrorRate: 1, minRequests: 1 },
};

/** True when the gate reads latency (so the simulator must sample it). */
export function readsLatency(g: GateSpec): boolean {
  return (
    g.kind === 'judge' ||
    g.alarms.maxP50Ms !== undefined ||
    g.alarms.maxP90Ms !== undefined ||
    g.alarms.maxP99Ms !== undefined
  );
}

const LABEL = 'v2';

/** The alarms' state over fixed periods: the verdict of the last period that ended. */
export class AlarmPeriods {
  readonly window: ArmWindow;
  private endsAt: number;
  state: GateVerdict = { result: 'inconclusive', sentence: `${LABEL}: no alarm period has ended yet` };

  constructor(
    private readonly thresholds: AlarmThresholds,
    private readonly periodMs: number,
    window: ArmWindow,
  ) {
    this.window = window;
    this.endsAt = periodMs;
  }

  reset(): void {
    this.window.reset();
    this.endsAt = this.periodMs;
    this.state = { result: 'inconclusive', sentence: `${LABEL}: no alarm period has ended yet` };
  }

  /** Closes the periods that ended by `now` (call with `now` on a period boundary or later). */
  roll(now: number): void {
    while (now >= this.endsAt) {
      this.state = evaluateAlarms(this.thresholds, this.window.stats(), LABEL);
      this.window.reset();
      this.endsAt += this.periodMs;
    }
  }
}

/** A gate's verdict, and which of its checks failed: 'alarm' or the judge's own checks. */
export interface GateReading {
  readonly verdict: GateVerdict;
  readonly failed: readonly string[];
}

/** The gate's verdict at a tick (on the deployment's evidence so far): what the reducer is fed. */
export function gateVerdict(
  g: GateSpec,
  fresh: ArmWindow,
  stable: ArmWindow,
  weightBp: number,
  periods: AlarmPeriods | undefined,
  evidence: Evidence | undefined,
): GateReading {
  // The controller's own composition (core's stepGate); the fixed alarm has no judge.
  const gates = { alarms: g.alarms, judge: g.kind === 'judge' ? g.judge : undefined, browser: g.browser };
  const gate = stepGate({
    gates,
    state: { toVersion: 2, weightBp, evidence },
    fresh: fresh.stats(),
    arms: { fresh, stable },
    alarms: periods?.state,
    browser: g.browser ? { fresh: fresh.browser(), stable: stable.browser() } : undefined,
  });
  const failed =
    gate.alarms.result === 'fail' ? [gate.alarms.sentence.includes(' browser: ') ? 'browser-alarm' : 'alarm'] : [];
  for (const f of gate.judge?.findings ?? []) if (f.result === 'fail') failed.push(f.check);
  return { verdict: gate.verdict, failed };
}
