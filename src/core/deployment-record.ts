import type { AlarmThresholds } from './alarms.js';
import type { BrowserGateSettings } from './browser-gate.js';
import type { DeploymentEvent, DeploymentState } from './deployment.js';
import type { DeploymentHooks } from './hooks.js';
import type { JudgeSettings } from './judge.js';

/** What a deployment's steps are judged by, fixed when the release is recorded. */
export interface DeploymentGates {
  readonly alarms: AlarmThresholds;
  /** Absent: alarms only. */
  readonly judge?: JudgeSettings | undefined;
  /**
   * The browser's alarm and comparison (users with a browser error), for a component that
   * sends browser signals. Absent: the component sends none.
   */
  readonly browser?: BrowserGateSettings | undefined;
}

/**
 * Blast radius of one deployment: distinct users the new version served, out of all
 * users of the component, from the moment the deployment started sending traffic.
 */
export interface Exposure {
  readonly usersOnNew: number;
  readonly activeUsers: number;
  /** usersOnNew / activeUsers (0 when nobody came). */
  readonly share: number;
  /** False once either count is an estimate, or when it spans a restart (then an upper bound). */
  readonly exact: boolean;
}

/**
 * What one process counted, added to what was stored before it started (a restart): an
 * upper bound then, since a user counted before may come again.
 */
export function carryExposure(counted: Exposure, carried: Exposure | undefined): Exposure {
  if (!carried) return counted;
  const usersOnNew = counted.usersOnNew + carried.usersOnNew;
  const activeUsers = counted.activeUsers + carried.activeUsers;
  return { usersOnNew, activeUsers, share: activeUsers ? usersOnNew / activeUsers : 0, exact: false };
}

/** A deployment as the controller keeps it: the reducer's state with what it is judged by. */
export interface DeploymentRecord {
  readonly id: string;
  readonly releaseId: string;
  /** Components of the same release that must succeed first. */
  readonly after: readonly string[];
  readonly state: DeploymentState;
  readonly gates: DeploymentGates;
  readonly hooks: DeploymentHooks;
  /** Blast radius so far (or final, once the deployment ended). */
  readonly exposure?: Exposure | undefined;
}

/** A release: the deployments recorded together, and who asked for it. */
export interface ReleaseRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly spec: Record<string, unknown>;
}

/** A deployment event as stored: numbered in the order it happened. */
export interface StoredEvent extends DeploymentEvent {
  readonly seq: number;
  readonly deploymentId: string;
}
