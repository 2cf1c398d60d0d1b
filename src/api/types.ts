import type {
  Alias,
  AllowedActions,
  BrowserErrorKind,
  DeploymentRecord,
  Exposure,
  GateVerdict,
  StoredEvent,
  Version,
} from '../core/index.js';

/** The response types of the admin API (src/api/answers.ts holds their schemas). */

export interface VersionCounters {
  readonly component: string;
  readonly version: number;
  readonly requests: number;
  /** Responses with status >= 500, including onebox's own 502/504. */
  readonly errors5xx: number;
  /** Upstream could not be reached or failed mid-response. */
  readonly upstreamErrors: number;
  /** Upstream did not answer in time. */
  readonly upstreamTimeouts: number;
  /** HTTP Upgrades (WebSocket) switched to the version: connections tunnelled to it. */
  readonly upgrades: number;
  /** Upgrades that did not switch: refused, failed to connect, or answered without 101. */
  readonly upgradeFailures: number;
}

/**
 * An answer the gateway gave or replaced for a version, and why: a handler that threw, did
 * not load, timed out or returned a result that cannot be sent; a payload over Lambda's
 * limits; an upstream that failed; an upgrade that could not be made.
 */
export interface GatewayLogEntry {
  /** Epoch ms. */
  readonly at: number;
  readonly component: string;
  readonly version: number;
  /** The request's id: the handler event's requestContext.requestId (also sent as `apigw-requestid`). */
  readonly requestId: string;
  readonly method: string;
  /** The request's path, at most 200 characters. */
  readonly path: string;
  /** The status the client got. */
  readonly status: number;
  /**
   * handler-error | init-error | crash | timeout | invalid-result | request-too-large |
   * response-too-large | upstream-error | upstream-timeout | upgrade-refused | upgrade-failed
   */
  readonly kind: string;
  readonly message: string;
  /** The first lines of a handler error's stack, when it has one. */
  readonly stack?: readonly string[];
}

/** A version's browser signals (present once a page of it reported). */
export interface BrowserSnapshot {
  /** Page loads reported, each once. */
  readonly pageViews: number;
  /** Distinct users whose pages reported (those still remembered). */
  readonly users: number;
  /** Of them, the users with at least one browser error. */
  readonly errorUsers: number;
  /** Errors by kind, each kind once per page load. */
  readonly errors: Readonly<Record<BrowserErrorKind, number>>;
  /** The pages with the most errors (at most 10), by path. */
  readonly pages: readonly { readonly path: string; readonly views: number; readonly errors: number }[];
}

export interface VersionMetricsSnapshot extends VersionCounters {
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
  readonly users: number;
  readonly usersExact: boolean;
  readonly browser?: BrowserSnapshot | undefined;
}

export interface MetricsSnapshot {
  readonly versions: readonly VersionMetricsSnapshot[];
  /** What the gateway absorbed instead of failing, by reason. */
  readonly fallbacks: Readonly<Record<string, number>>;
}

/** A deployment as the status view shows it: the record, and what is true of it now. */
export interface DeploymentView extends DeploymentRecord {
  /** The plan in words, e.g. "10% for 1m -> ... -> 100%". */
  readonly plan: string;
  readonly holdRemainingMs: number;
  /** The gate on the current step's window, while a step holds. */
  readonly gate?: GateVerdict | undefined;
  /** While the gate is inconclusive: what it needs, e.g. "needs ~420 more requests on v7, ~7 min at 1.0 req/s". */
  readonly waiting?: string | undefined;
  /** The gate's parts: alarms, and the judge while both versions serve (absent: off or not applicable). */
  readonly gateParts?: { readonly alarms: GateVerdict; readonly judge?: GateVerdict | undefined } | undefined;
  /** Blast radius so far: distinct users the new version served, of all active users. */
  readonly exposure?: Exposure | undefined;
  /** A step is holding: its hold or bake counts (or is paused). */
  readonly holding: boolean;
  /** The manual controls a person may use now. */
  readonly actions: AllowedActions;
}

/** A running shadow in the status view. */
export interface ShadowStatus {
  readonly version: number;
  readonly share: number;
  readonly counters: Readonly<Record<string, number>>;
  /** e.g. unsafe methods mirrored. */
  readonly warnings: readonly string[];
}

export interface ComponentStatus {
  readonly name: string;
  readonly route: string;
  readonly alias?: Alias | undefined;
  readonly versions: readonly Version[];
  readonly metrics: readonly VersionMetricsSnapshot[];
  /** The active deployment, else the latest one. */
  readonly deployment?: DeploymentView | undefined;
  readonly shadow?: ShadowStatus | undefined;
}

export interface StatusAnswer {
  readonly components: readonly ComponentStatus[];
  /** What the gateway absorbed instead of failing, by reason. */
  readonly fallbacks: Readonly<Record<string, number>>;
}

export interface DeploymentWithEvents extends DeploymentRecord {
  readonly events: readonly StoredEvent[];
}

export interface ReleaseHistory {
  readonly id: string;
  readonly createdAt: number;
  readonly by: string;
  readonly deployments: readonly DeploymentWithEvents[];
}

/** What `aws lambda invoke` answers, and the function's payload. */
export interface InvokeResult {
  readonly statusCode: number;
  readonly executedVersion: string;
  /** "Unhandled" when the function failed (error, timeout, crash), as Lambda says. */
  readonly functionError?: string | undefined;
  readonly payload: unknown;
  readonly coldStart: boolean;
  readonly durationMs: number;
}
