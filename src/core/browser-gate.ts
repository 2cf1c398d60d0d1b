import type { RateEvidence } from './evidence.js';
import type { GateVerdict } from './gate.js';
import { rateTest } from './rate-test.js';
import { binomialLowerBound, binomialUpperTail } from './stats/binomial.js';

/**
 * The browser's part of a gate. Its unit is the user, not the beacon: a version's window
 * counts the distinct users whose pages reported from the browser, and of those the users
 * with at least one browser error. A client can send as many beacons as it likes; it is one
 * user either way, so it can neither roll back a good version nor hide a bad one.
 */
export interface BrowserWindow {
  /** Distinct users whose pages of this version reported in the window. */
  readonly users: number;
  /** Of those, the users with at least one browser error in the window. */
  readonly errorUsers: number;
}

export const NO_BROWSER_WINDOW: BrowserWindow = { users: 0, errorUsers: 0 };

/** The browser gate's settings (a component with browser signals gets it by default). */
export interface BrowserGateSettings {
  /**
   * Highest acceptable share of a step's users with a browser error (confident test, as the
   * 5xx alarm). Default 0.2: a user's chance of one error grows with their page views, so a
   * good version whose pages fail 0.5% of the time in the browser (extensions, networks)
   * already has 5-10% of a 10-minute step's users with one (the simulator's browser-aa:
   * 62% false rollbacks at 0.05, none at 0.2). The comparison with stable is the fine test.
   */
  readonly maxErrorShare: number;
  /** Users a step needs before the browser alarm can pass. Default 20. */
  readonly minUsers: number;
  /** The judge: "worse" is stable's share of users with an error times this ... Default 2. */
  readonly errorRatio: number;
  /** ... and at least this far above it. Default 0.02 (two points). */
  readonly errorFloor: number;
  /** Chance of a false "worse" over the deployment. Default 0.001. */
  readonly alpha: number;
  /** Chance of passing a version exactly at the margin. Default 0.05. */
  readonly beta: number;
}

export const DEFAULT_BROWSER_GATE: BrowserGateSettings = {
  maxErrorShare: 0.2,
  minUsers: 20,
  errorRatio: 2,
  errorFloor: 0.02,
  alpha: 0.001,
  beta: 0.05,
};

/** As the 5xx alarm: it fires when this many users with errors had 0.1% chance at the threshold. */
const ALPHA = 0.001;

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
const users = (n: number): string => `${n.toLocaleString('en-US')} user${n === 1 ? '' : 's'}`;

/** Users with an error cannot outnumber the users seen: a window is clamped so that no count can break the test. */
function clamp(w: BrowserWindow): BrowserWindow {
  const n = Math.max(0, Math.floor(w.users));
  return { users: n, errorUsers: Math.min(n, Math.max(0, Math.floor(w.errorUsers))) };
}

/**
 * The browser alarm on the new version's own window: fails when the share of its users with
 * a browser error is above maxErrorShare with 99.9% confidence (an exact binomial test, the
 * 5xx alarm's), passes at minUsers when within it. `shown`: it passed on its minimum earlier
 * in the deployment.
 */
export function evaluateBrowserAlarm(
  s: BrowserGateSettings,
  window: BrowserWindow,
  label = 'new version',
  shown = false,
): GateVerdict {
  const w = clamp(window);
  const share = w.users ? w.errorUsers / w.users : 0;
  const head = `${label} browser: ${users(w.errorUsers)} with an error of ${users(w.users)} (${pct(share)})`;
  if (binomialUpperTail(w.errorUsers, w.users, s.maxErrorShare) < ALPHA) {
    const lower = binomialLowerBound(w.errorUsers, w.users, ALPHA);
    return {
      result: 'fail',
      sentence: `${head}, above ${pct(s.maxErrorShare)} with 99.9% confidence (at least ${pct(lower)})`,
    };
  }
  if (w.users < s.minUsers) {
    if (shown)
      return {
        result: 'pass',
        sentence: `${head} in this step, within the alarm (its minimum was met earlier)`,
        evidence: { browserAlarm: true },
      };
    return {
      result: 'inconclusive',
      sentence: `${label} browser: ${w.users} of ${s.minUsers} users needed to judge`,
      // Users, not requests: a page view brings a handful of requests; this asks for at least one each.
      need: { requests: s.minUsers - w.users },
    };
  }
  if (share > s.maxErrorShare)
    return {
      result: 'inconclusive',
      sentence: `${head}, above ${pct(s.maxErrorShare)} but not yet with 99.9% confidence`,
    };
  return { result: 'pass', sentence: `${head}, within ${pct(s.maxErrorShare)}`, evidence: { browserAlarm: true } };
}

/**
 * The judge's browser check: is the new version's share of users with a browser error worse
 * than the stable one's in the same window (the judge's sequential test, on users)?
 */
export function judgeBrowser(
  fresh: BrowserWindow,
  stable: BrowserWindow,
  s: BrowserGateSettings,
  label: string,
  banked: RateEvidence | undefined,
): GateVerdict & { evidence: RateEvidence | undefined } {
  const f = clamp(fresh);
  const st = clamp(stable);
  const share = (w: BrowserWindow): string => pct(w.users ? w.errorUsers / w.users : 0);
  const head = `${label} browser errors in ${share(f)} of ${users(f.users)} vs stable ${share(st)} of ${users(st.users)}`;
  const nNew = f.users + (banked?.newRequests ?? 0);
  const nStable = st.users + (banked?.stableRequests ?? 0);
  if (nNew < s.minUsers || nStable < s.minUsers) {
    return {
      result: banked?.accepted ? 'pass' : 'inconclusive',
      sentence: `${head}; ${s.minUsers} users each needed to compare`,
      need: { requests: Math.max(0, s.minUsers - nNew) },
      evidence: banked,
    };
  }
  const t = rateTest(
    { newEvents: f.errorUsers, newRequests: f.users, stableEvents: st.errorUsers, stableRequests: st.users },
    banked,
    { ratio: s.errorRatio, floor: s.errorFloor },
    s,
  );
  const why =
    t.result === 'fail'
      ? `worse (sequential test, alpha ${pct(s.alpha)})`
      : t.by === 'earlier'
        ? 'shown not worse earlier in the deployment'
        : t.result === 'pass'
          ? `not worse than ${pct(t.worseRate)} of users (sequential test, beta ${pct(s.beta)})`
          : 'sequential test still collecting';
  return {
    result: t.result,
    sentence: `${head}; ${why}`,
    need: t.need === undefined ? undefined : { requests: t.need },
    evidence: t.evidence,
  };
}
