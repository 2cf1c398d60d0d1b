import type { GateVerdict, WindowStats } from './gate.js';

/** Absolute thresholds on the new version's own metrics (CodeDeploy-style alarms). */
export interface AlarmThresholds {
  /** Highest acceptable share of 5xx answers. Default 0.02 (2%). */
  readonly maxErrorRate: number;
  /** Latency ceilings in ms; unset means not watched. Default: none. */
  readonly maxP50Ms?: number | undefined;
  readonly maxP90Ms?: number | undefined;
  readonly maxP99Ms?: number | undefined;
  /** Requests needed before a rate or percentile is judged. Default 100. */
  readonly minRequests: number;
}

export const DEFAULT_ALARMS: AlarmThresholds = { maxErrorRate: 0.02, minRequests: 100 };

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;

/**
 * The alarm verdict for one window. Below the minimum sample it is inconclusive, except
 * when the errors already seen exceed the threshold even if every request still needed
 * to reach the minimum succeeded: then it fails at once.
 */
export function evaluateAlarms(t: AlarmThresholds, s: WindowStats, label = 'new version'): GateVerdict {
  if (s.requests < t.minRequests) {
    // Compared as a rate, like the full-sample rule, so float rounding cannot split them.
    if (s.errors / t.minRequests > t.maxErrorRate) {
      return {
        result: 'fail',
        sentence: `${label}: ${s.errors} errors in its first ${s.requests} requests, already over ${pct(t.maxErrorRate)} of the ${t.minRequests}-request minimum`,
      };
    }
    return { result: 'inconclusive', sentence: `${label}: ${s.requests} of ${t.minRequests} requests needed to judge` };
  }
  const problems: string[] = [];
  const rate = s.errors / s.requests;
  if (rate > t.maxErrorRate) problems.push(`error rate ${pct(rate)} > ${pct(t.maxErrorRate)}`);
  const ceilings: [string, number, number | undefined][] = [
    ['p50', s.p50Ms, t.maxP50Ms],
    ['p90', s.p90Ms, t.maxP90Ms],
    ['p99', s.p99Ms, t.maxP99Ms],
  ];
  for (const [name, value, max] of ceilings) {
    if (max !== undefined && value > max) problems.push(`${name} ${value.toFixed(1)} ms > ${max} ms`);
  }
  const over = `over ${s.requests.toLocaleString('en-US')} requests`;
  if (problems.length) return { result: 'fail', sentence: `${label}: ${problems.join(', ')} ${over}` };
  return { result: 'pass', sentence: `${label}: error rate ${pct(rate)} ${over}, within alarms` };
}
