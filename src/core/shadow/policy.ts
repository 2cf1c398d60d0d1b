import { DEFAULT_DROPPED_HEADERS, DEFAULT_SHADOW_BODY_CAP_BYTES, SAFE_METHODS } from './defaults.js';

/** Which version gets a copy of which requests, how many, and how their answers are compared. */
export interface ShadowPolicy {
  /** The shadow version: published, not retired, not in the live alias. */
  readonly version: number;
  /** Share of users whose requests are mirrored (sticky per user), above 0 and at most 1. Default 1 (everyone). */
  readonly share: number;
  /** Methods mirrored. Default GET, HEAD, OPTIONS; others are mirrored only when listed here. */
  readonly methods: readonly string[];
  /** Request headers removed before mirroring, lowercase. Default: authorization, cookie, proxy-authorization. */
  readonly dropHeaders: readonly string[];
  /** Largest request or response body copied; a larger one skips the comparison (counted). Default 1 MiB. */
  readonly bodyCapBytes: number;
  /** Copies in flight at most; more are dropped and counted. Default 64. */
  readonly maxInFlight: number;
  /** Longest wait for the shadow's answer, ms. Default 5000. */
  readonly timeoutMs: number;
  /** Also ask a second copy of the live version and report only differences above that noise. Default true. */
  readonly noise: boolean;
  /** JSON paths not compared, e.g. "$.meta.generatedAt", "$.items[*].id". Default none. */
  readonly ignorePaths: readonly string[];
  /** Response headers not compared, lowercase, on top of DEFAULT_IGNORED_HEADERS. Default none. */
  readonly ignoreHeaders: readonly string[];
}

/** Every default of a shadow policy (all but the version). */
export const SHADOW_POLICY_DEFAULTS: Omit<ShadowPolicy, 'version'> = {
  share: 1,
  methods: SAFE_METHODS,
  dropHeaders: DEFAULT_DROPPED_HEADERS,
  bodyCapBytes: DEFAULT_SHADOW_BODY_CAP_BYTES,
  maxInFlight: 64,
  timeoutMs: 5000,
  noise: true,
  ignorePaths: [],
  ignoreHeaders: [],
};

/** The bounds a policy is held to; the engines differ in what a copy may carry. */
export interface ShadowPolicyLimits {
  /** Largest bodyCapBytes. Default 64 MiB (the local engine's). */
  readonly maxBodyCapBytes: number;
}

export const LOCAL_SHADOW_LIMITS: ShadowPolicyLimits = { maxBodyCapBytes: 64 * 1024 * 1024 };

const MAX_IN_FLIGHT = 10_000;
const MAX_TIMEOUT_MS = 600_000;
const METHOD = /^[A-Z]+$/;

/** One problem of a policy: the field, and what is wrong with its value (quoted). */
export interface ShadowPolicyIssue {
  readonly field: keyof ShadowPolicy;
  /** e.g. `must be above 0 and at most 1, got 2`: read after the field's name. */
  readonly message: string;
}

/** `share must be above 0 and at most 1, got 2` */
export const describeShadowIssue = (issue: ShadowPolicyIssue): string => `${issue.field} ${issue.message}`;

const wholeIn = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max;

/**
 * Every problem of a shadow policy's values (empty when it is valid), not only the first.
 * Only the fields present are checked: the AWS engine's ShadowMirror has some of them.
 * Types are the caller's to check (zod for the admin API, TypeScript for CDK props).
 */
export function validateShadowPolicy(
  policy: Partial<ShadowPolicy>,
  limits: ShadowPolicyLimits = LOCAL_SHADOW_LIMITS,
): ShadowPolicyIssue[] {
  const issues: ShadowPolicyIssue[] = [];
  const problem = (field: keyof ShadowPolicy, message: string): number => issues.push({ field, message });
  const { version, share, methods, dropHeaders, bodyCapBytes, maxInFlight, timeoutMs, ignorePaths } = policy;
  if (version !== undefined && !wholeIn(version, 1, Number.MAX_SAFE_INTEGER)) {
    problem('version', `must be a positive whole number, got ${version}`);
  }
  if (share !== undefined && !(share > 0 && share <= 1)) {
    problem('share', `must be above 0 and at most 1, got ${share}`);
  }
  if (methods !== undefined) {
    if (methods.length === 0) problem('methods', 'must name at least one method, got []');
    else if (!methods.every((m) => METHOD.test(m))) {
      problem('methods', `must be uppercase method names, got ${JSON.stringify(methods)}`);
    }
  }
  if (dropHeaders !== undefined && dropHeaders.some((h) => h === '')) {
    problem('dropHeaders', `must be header names, got ${JSON.stringify(dropHeaders)}`);
  }
  if (bodyCapBytes !== undefined && !wholeIn(bodyCapBytes, 0, limits.maxBodyCapBytes)) {
    problem('bodyCapBytes', `must be a whole number from 0 to ${limits.maxBodyCapBytes}, got ${bodyCapBytes}`);
  }
  if (maxInFlight !== undefined && !wholeIn(maxInFlight, 1, MAX_IN_FLIGHT)) {
    problem('maxInFlight', `must be a whole number from 1 to ${MAX_IN_FLIGHT}, got ${maxInFlight}`);
  }
  if (timeoutMs !== undefined && !wholeIn(timeoutMs, 1, MAX_TIMEOUT_MS)) {
    problem('timeoutMs', `must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${timeoutMs}`);
  }
  const badPaths = ignorePaths?.filter((p) => !p.startsWith('$'));
  if (badPaths?.length) {
    problem('ignorePaths', `must be JSON paths starting with "$", got ${JSON.stringify(badPaths)}`);
  }
  return issues;
}

/** Methods mirrored that are not side-effect free: said in status as a warning. */
export function unsafeMethods(policy: Pick<ShadowPolicy, 'methods'>): string[] {
  return policy.methods.filter((m) => !SAFE_METHODS.includes(m));
}
