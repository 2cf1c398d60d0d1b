/**
 * What a deployment has shown so far, carried from step to step in its state (stored as
 * JSON: every field is optional, and a state written before evidence existed reads as none).
 *
 * Each step's window starts from zero, but the evidence does not: the per-step likelihoods
 * of the judge's sequential tests multiply (each step's data are independent of the others'),
 * so a step's log-likelihood ratio is the banked sum plus its own window's, even though the
 * share of traffic (and so each step's hypotheses) changes from step to step.
 */
export interface RateEvidence {
  /** The two-sample (conditional) log-likelihood ratio of "worse" over "alike", banked. */
  readonly llr: number;
  /** Events (errors, slow requests) and requests of each version in the finished steps. */
  readonly newEvents: number;
  readonly newRequests: number;
  readonly stableEvents: number;
  readonly stableRequests: number;
  /**
   * Set once the check accepted "not worse": it stays passed for the rest of the deployment
   * while its fail boundary stays armed (Wald's test stops at acceptance; onebox keeps
   * watching for "worse", which then needs the whole span from the accept boundary).
   */
  readonly accepted: boolean;
}

export interface Evidence {
  readonly errors?: RateEvidence | undefined;
  readonly tail?: RateEvidence | undefined;
  /** The rank test has passed on its minimum sample: a later step's first requests do not block. */
  readonly rank?: boolean | undefined;
  /** The alarms have passed on their minimum of requests (same reason). */
  readonly alarms?: boolean | undefined;
  /** The judge's browser check: users with a browser error, new against stable (users count as requests). */
  readonly browser?: RateEvidence | undefined;
  /** The browser alarm has passed on its minimum of users. */
  readonly browserAlarm?: boolean | undefined;
}

export const NO_RATE_EVIDENCE: RateEvidence = {
  llr: 0,
  newEvents: 0,
  newRequests: 0,
  stableEvents: 0,
  stableRequests: 0,
  accepted: false,
};

export type EvidenceCheck = keyof Evidence;

const CHECKS: readonly EvidenceCheck[] = ['errors', 'tail', 'rank', 'alarms', 'browser', 'browserAlarm'];

function isAccepted(e: Evidence, check: EvidenceCheck): boolean {
  const v = e[check];
  return typeof v === 'boolean' ? v : (v?.accepted ?? false);
}

/**
 * The state's evidence once a step ends on `gate` (its banked evidence plus the window's):
 * what the gate reported replaces what it covers, the rest is kept (e.g. a final bake at 100%
 * reads the alarms alone and keeps the judge's evidence).
 */
export function bankEvidence(state: Evidence | undefined, gate: Evidence | undefined): Evidence {
  return { ...state, ...gate };
}

/**
 * The state's evidence after a tick that did not end the step: only acceptances are taken
 * (the window's counts are banked when the step ends, not before, so they count once).
 * Returns `state` itself when nothing new was accepted.
 */
export function recordAcceptance(state: Evidence | undefined, gate: Evidence | undefined): Evidence | undefined {
  if (!gate) return state;
  let next = state;
  for (const check of CHECKS) {
    if (!isAccepted(gate, check) || isAccepted(next ?? {}, check)) continue;
    const current = next?.[check];
    const accepted =
      check === 'rank' || check === 'alarms' || check === 'browserAlarm'
        ? true
        : { ...((current as RateEvidence | undefined) ?? NO_RATE_EVIDENCE), accepted: true };
    next = { ...next, [check]: accepted };
  }
  return next;
}
