import { evaluateAlarms } from './alarms.js';
import { BUCKETS } from './bucket.js';
import { evaluateBrowserAlarm, judgeBrowser, NO_BROWSER_WINDOW, type BrowserWindow } from './browser-gate.js';
import type { DeploymentGates } from './deployment-record.js';
import type { DeploymentState } from './deployment.js';
import { combineVerdicts, type GateResult, type GateVerdict, type WindowStats } from './gate.js';
import { judge, type Arm, type JudgeFinding } from './judge.js';
import { paced } from './need.js';

/**
 * The gate of one deployment step, composed the same way wherever it is read: the
 * controller of either engine, the status view and the simulator. The alarms read the new
 * version's own window; the judge, while both versions serve, compares it with the stable
 * one; both start from the evidence the deployment banked in its earlier steps.
 */

/** The judge compares only while both versions serve (at 0% or 100% there is nothing to compare). */
export function judgeApplies(gates: DeploymentGates, state: Pick<DeploymentState, 'weightBp'>): boolean {
  return gates.judge !== undefined && state.weightBp > 0 && state.weightBp < BUCKETS;
}

export interface StepGateInput {
  readonly gates: DeploymentGates;
  readonly state: Pick<DeploymentState, 'toVersion' | 'weightBp' | 'evidence'>;
  /** The new version's traffic in the step's window, as the alarms read it. */
  readonly fresh: WindowStats;
  /** Both arms as the judge compares them (e.g. latency after the new version's warm-up); needed when judgeApplies. */
  readonly arms?: { readonly fresh: Arm; readonly stable: Arm } | undefined;
  /** Alarms judged elsewhere (CloudWatch-style fixed periods): this verdict instead of one on `fresh`. */
  readonly alarms?: GateVerdict | undefined;
  /** How long the window has run, ms: what a part still needs is timed at its pace. Absent: not timed. */
  readonly windowMs?: number | undefined;
  /**
   * Both versions' browser windows, read when the gates have a browser part (`stable` while
   * both versions serve). Absent: no browser reported (the browser alarm waits for users).
   */
  readonly browser?: { readonly fresh: BrowserWindow; readonly stable?: BrowserWindow | undefined } | undefined;
}

export interface StepGate {
  /** The alarms: on 5xx and latency, and on browser errors when the gates have a browser part. */
  readonly alarms: GateVerdict;
  /** Absent while the judge does not apply (off, or one version serves everyone). */
  readonly judge: (GateVerdict & { readonly findings: readonly JudgeFinding[] }) | undefined;
  /** Both parts together: what the reducer is fed. */
  readonly verdict: GateVerdict;
}

export function stepGate(input: StepGateInput): StepGate {
  const { gates, state, fresh, windowMs } = input;
  const label = `v${state.toVersion}`;
  const pace = <V extends GateVerdict>(v: V): V =>
    v.need && windowMs !== undefined ? { ...v, need: paced(v.need, fresh.requests, windowMs) } : v;
  const serverAlarms = pace(input.alarms ?? evaluateAlarms(gates.alarms, fresh, label, state.evidence?.alarms));
  const browserFresh = input.browser?.fresh ?? NO_BROWSER_WINDOW;
  const alarms = gates.browser
    ? combineVerdicts([
        serverAlarms,
        evaluateBrowserAlarm(gates.browser, browserFresh, label, state.evidence?.browserAlarm),
      ])
    : serverAlarms;
  // The browser comparison runs while both versions serve, with or without the request judge.
  const browserJudge =
    gates.browser && state.weightBp > 0 && state.weightBp < BUCKETS
      ? judgeBrowser(
          browserFresh,
          input.browser?.stable ?? NO_BROWSER_WINDOW,
          gates.browser,
          label,
          state.evidence?.browser,
        )
      : undefined;
  // Users come far slower than requests: a comparison that had to show "not worse" would hold
  // a one-box of a few dozen users for good (~150 users on the new version at the default
  // margin). So the comparison only fails a version; the browser alarm is what waits for users.
  const browserResult: GateResult = browserJudge?.result === 'fail' ? 'fail' : 'pass';
  const browserPart = browserJudge && {
    verdict: { result: browserResult, sentence: browserJudge.sentence, evidence: { browser: browserJudge.evidence } },
    finding: { check: 'browser-errors' as const, result: browserResult, sentence: browserJudge.sentence },
  };
  if (!gates.judge || !judgeApplies(gates, state)) {
    if (!browserPart) return { alarms, judge: undefined, verdict: alarms };
    const j = { ...browserPart.verdict, findings: [browserPart.finding] };
    return { alarms, judge: j, verdict: combineVerdicts([alarms, j]) };
  }
  const arms = input.arms;
  if (!arms) throw new Error('stepGate: the judge applies to this step; pass both arms');
  const requests = judge(arms.fresh, arms.stable, gates.judge, label, state.evidence);
  const j = pace(
    browserPart
      ? {
          ...combineVerdicts([requests, browserPart.verdict]),
          findings: [...requests.findings, browserPart.finding],
        }
      : requests,
  );
  return { alarms, judge: j, verdict: combineVerdicts([alarms, j]) };
}
