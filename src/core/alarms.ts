import type { GateVerdict, WindowStats } from './gate.js';
import { binomialLowerBound, binomialUpperTail } from './stats/binomial.js';

/** Absolute thresholds on the new version's own metrics (CodeDeploy-style alarms). */
export interface AlarmThresholds {
  /** Highest acceptable share of 5xx answers. Default 0.02 (2%). */
  readonly maxErrorRate: number;
  /** Latency ceilings in ms; unset means not watched. Default: none. */
  readonly maxP50Ms?: number | undefined;
  readonly maxP90Ms?: number | undefined;
  readonly maxP99Ms?: number | undefined;
  /** Requests needed before the window can pass (and latency is judged). Default 100. */
  readonly minRequests: number;
  /**
   * How the error rate fires. `confident` (default): only when the rate is above the
   * threshold with 99.9% confidence (an exact binomial test), so a 1% version does not trip a 2%
   * alarm by luck early in a step, while a clearly bad one fires within a few dozen
   * requests. `observed`: the observed rate, as a CloudWatch alarm on one period does.
   */
  readonly errorRule?: 'confident' | 'observed' | undefined;
}

export const DEFAULT_ALARMS: AlarmThresholds = { maxErrorRate: 0.02, minRequests: 100 };

/** The alarm's confidence: it fires when errors this many or more had 0.1% chance at the threshold. */
const ALPHA = 0.001;

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;

/**
 * The alarm verdict for one window of the new version's own traffic (the current step's:
 * a version that turns bad at a higher share is not diluted by its quiet earlier steps).
 * `shown`: the alarms already passed on their minimum of requests earlier in the
 * deployment, so a new step's first requests do not make them wait again; they still fire.
 */
export function evaluateAlarms(t: AlarmThresholds, s: WindowStats, label = 'new version', shown = false): GateVerdict {
  const rate = s.requests ? s.errors / s.requests : 0;
  const over = `over ${s.requests.toLocaleString('en-US')} requests`;
  if (t.errorRule === 'observed') {
    if (s.requests < t.minRequests && s.errors / t.minRequests > t.maxErrorRate) {
      return {
        result: 'fail',
        sentence: `${label}: ${s.errors} errors in its first ${s.requests} requests, already over ${pct(t.maxErrorRate)} of the ${t.minRequests}-request minimum`,
      };
    }
  } else {
    if (binomialUpperTail(s.errors, s.requests, t.maxErrorRate) < ALPHA) {
      const lower = binomialLowerBound(s.errors, s.requests, ALPHA);
      return {
        result: 'fail',
        sentence: `${label}: error rate ${pct(rate)} ${over}, above ${pct(t.maxErrorRate)} with 99.9% confidence (at least ${pct(lower)})`,
      };
    }
  }
  if (s.requests < t.minRequests) {
    if (shown)
      return {
        result: 'pass',
        sentence: `${label}: ${s.requests} requests in this step, none over the alarms (their minimum was met earlier)`,
        evidence: { alarms: true },
      };
    return {
      result: 'inconclusive',
      sentence: `${label}: ${s.requests} of ${t.minRequests} requests needed to judge`,
      need: { requests: t.minRequests - s.requests },
    };
  }
  const problems: string[] = [];
  if (rate > t.maxErrorRate) {
    if (t.errorRule === 'observed') problems.push(`error rate ${pct(rate)} > ${pct(t.maxErrorRate)}`);
    // Above the line but not surely: no pass yet; more traffic decides either way.
    else
      return {
        result: 'inconclusive',
        sentence: `${label}: error rate ${pct(rate)} ${over}, above ${pct(t.maxErrorRate)} but not yet with 99.9% confidence`,
      };
  }
  const ceilings: [string, number, number | undefined][] = [
    ['p50', s.p50Ms, t.maxP50Ms],
    ['p90', s.p90Ms, t.maxP90Ms],
    ['p99', s.p99Ms, t.maxP99Ms],
  ];
  for (const [name, value, max] of ceilings) {
    if (max !== undefined && value > max) problems.push(`${name} ${value.toFixed(1)} ms > ${max} ms`);
  }
  if (problems.length) return { result: 'fail', sentence: `${label}: ${problems.join(', ')} ${over}` };
  return {
    result: 'pass',
    sentence: `${label}: error rate ${pct(rate)} ${over}, within alarms`,
    evidence: { alarms: true },
  };
}
