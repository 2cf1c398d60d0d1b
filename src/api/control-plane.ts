import type { Alias, DeploymentCommand, DeploymentRecord, Version } from '../core/index.js';
import type { ShadowPolicy, ShadowSummary } from '../core/shadow/index.js';
import type { AliasBody, PublishRequest, ReleaseBody } from './requests.js';
import type {
  DeploymentWithEvents,
  GatewayLogEntry,
  InvokeResult,
  MetricsSnapshot,
  ReleaseHistory,
  StatusAnswer,
} from './types.js';

/** A value now (the local engine) or later (an engine whose state is remote). */
export type Awaitable<T> = T | PromiseLike<T>;

/**
 * The operations behind the admin API, whatever engine runs them. Every write goes to the
 * engine's state first; routing follows the stored state. Errors are OneboxErrors with a
 * code (invalid, not_found, conflict) and a sentence that quotes the value.
 */
export interface ControlPlane {
  /** Components, aliases, deployments and per-version traffic. */
  status(): Awaitable<StatusAnswer>;
  metrics(): Awaitable<MetricsSnapshot>;

  versions(component: string): Awaitable<readonly Version[]>;
  version(component: string, number: number): Awaitable<Version>;
  /** A new immutable version: an upstream URL, or a handler whose code is copied now. */
  publish(component: string, request: PublishRequest): Awaitable<Version>;
  /**
   * Why a handler version will not run here on the Lambda runtime it declares, if it will
   * not (e.g. no Node 24 configured). A plane that runs no handlers leaves it out.
   */
  runtimeNote?(version: Version): Awaitable<string | undefined>;
  /** The version can never be routed again. */
  retire(component: string, number: number): Awaitable<Version>;
  /** Removes a version that serves no one; its number is never reused. */
  deleteVersion(component: string, number: number): Awaitable<void>;

  alias(component: string): Awaitable<Alias | undefined>;
  setAlias(component: string, request: AliasBody): Awaitable<Alias>;

  /** Records a release and starts what can start; `by` is who asked, for the history. */
  release(body: ReleaseBody, by: string): Awaitable<readonly DeploymentRecord[]>;
  /** A manual control on the component's active deployment (rollback also after success). */
  command(component: string, command: DeploymentCommand, by: string): Awaitable<DeploymentRecord>;
  deployment(id: string): Awaitable<DeploymentWithEvents>;
  /** Releases with every event, newest first. */
  history(limit: number): Awaitable<readonly ReleaseHistory[]>;

  /**
   * The gateway's recent failure answers for a component's versions (of `version` if given),
   * oldest first, at most `limit`: what it had to answer or replace, and why.
   */
  logs(component: string, version: number | undefined, limit: number): Awaitable<readonly GatewayLogEntry[]>;

  /** Invokes a handler version directly, as `aws lambda invoke` does. */
  invoke(component: string, qualifier: string, payload: unknown): Awaitable<InvokeResult>;

  startShadow(component: string, policy: ShadowPolicy): Awaitable<ShadowPolicy>;
  stopShadow(component: string): Awaitable<void>;
  /** The running shadow's report, else the latest stored one (of `version` if given). */
  shadowReport(component: string, version?: number): Awaitable<ShadowSummary>;
}
