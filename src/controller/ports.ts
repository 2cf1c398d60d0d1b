import type {
  Alias,
  AliasTarget,
  Arm,
  BrowserWindow,
  Clock,
  DeploymentEvent,
  DeploymentRecord,
  DeploymentState,
  Exposure,
  ReleaseRecord,
  Version,
  WindowStats,
} from '../core/index.js';
import type { HookRunner } from './hook-runner.js';

/**
 * What the controller needs of the world, as small ports: the local engine implements them
 * with SQLite (src/store) and the in-process recorder (src/metrics), the AWS engine with
 * DynamoDB, CloudWatch and the CloudFront KeyValueStore. They are synchronous: an engine
 * whose state is remote reads what a tick needs first and commits the tick's writes after
 * (a unit of work), so the controller's order stays the same everywhere: state first, then
 * traffic, then notifications.
 */

/** Reading deployments back: the store's state is the truth, whatever the process remembers. */
export interface DeploymentReader {
  /** Throws not_found for an unknown id. */
  get(id: string): DeploymentRecord;
  /** Unfinished deployments, oldest first. */
  active(): DeploymentRecord[];
  activeFor(component: string): DeploymentRecord | undefined;
  /** The component's newest deployment, active or not. */
  latestFor(component: string): DeploymentRecord | undefined;
  ofRelease(releaseId: string): DeploymentRecord[];
}

/** The alias a transition moves, with the seed its users hash with. */
export interface AliasMove extends AliasTarget {
  readonly seed: string;
}

/** Writing deployments: each call is all or nothing. */
export interface DeploymentWriter {
  /** Refuses (conflict) a component that already has an active deployment. */
  createRelease(release: ReleaseRecord, deployments: readonly DeploymentRecord[]): void;
  /** A transition: the new state, its events and (if any) the alias it moves, together. */
  saveTransition(
    state: DeploymentState,
    events: readonly DeploymentEvent[],
    alias: AliasMove | undefined,
    now: number,
  ): void;
  saveExposure(id: string, exposure: Exposure): void;
}

export type DeploymentRepository = DeploymentReader & DeploymentWriter;

/** Components' aliases and versions, as routing sees them. */
export interface VersionCatalog {
  getAlias(component: string): Alias | undefined;
  findVersion(component: string, number: number): Version | undefined;
}

/** A version's traffic over a window: what the alarms read and the judge compares. */
export type VersionWindow = WindowStats & Arm & { readonly browser?: BrowserWindow | undefined };

/**
 * Per-version traffic between marks. `Mark` is the implementation's own (counter copies
 * here, a timestamp where metrics are a time series).
 */
export interface MetricWindows<Mark> {
  /** A mark of the version's traffic now. */
  mark(component: string, version: number): Mark;
  /**
   * A mark at an earlier time, where the metrics can place one (a time series can; counters
   * kept in memory cannot: undefined). Lets a controller that did not see a step begin (a
   * restart, a new invocation) read the step's whole window.
   */
  markAt(component: string, version: number, at: number): Mark | undefined;
  /** The version's traffic since `mark` (undefined: since the metrics began). */
  since(component: string, version: number, mark: Mark | undefined): VersionWindow;
  /** Only its latency bucket counts since `mark` (what `since` gives as `latency`, for less). */
  latency(component: string, version: number, mark: Mark | undefined): ArrayLike<number>;
}

/** Counting a deployment's blast radius: the distinct users its new version served. */
export interface ExposureSink {
  /** Starts counting for the deployment (again after a restart: the stored count is carried by the controller). */
  track(component: string, deploymentId: string, version: number): void;
  /** What has been counted since `track`, or undefined when it is not tracked here. */
  counted(component: string, deploymentId: string): Exposure | undefined;
  stop(component: string, deploymentId: string): void;
}

/** Every port the controller runs on, with what it reports to. */
export interface ControllerPorts<Mark> {
  readonly deployments: DeploymentRepository;
  readonly versions: VersionCatalog;
  readonly metrics: MetricWindows<Mark>;
  readonly exposure: ExposureSink;
  readonly runHook: HookRunner;
  readonly clock: Clock;
  /** Called after `component`'s alias changed in the store, so traffic follows at once. */
  readonly onAliasChange: (component: string) => void;
}
