/**
 * A deployment's statuses and the named sets of them that the rest of onebox asks about
 * (the controller, the store's queries, the status view and the dashboard), so that no
 * caller keeps its own list.
 */
export const DEPLOYMENT_STATUSES = [
  /** Recorded, waiting to start (e.g. for the components before it in a release). */
  'created',
  'before-hook',
  'in-progress',
  'baking',
  'after-hook',
  'paused',
  'succeeded',
  'rolled-back',
  /** Stopped by a user: traffic back on the stable version. */
  'stopped',
  /** Never started: a component before it in the release did not succeed. */
  'skipped',
] as const;

export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Not finished: at most one such deployment per component. */
export const ACTIVE_STATUSES: readonly DeploymentStatus[] = [
  'created',
  'before-hook',
  'in-progress',
  'baking',
  'after-hook',
  'paused',
];

/** A step is holding: its hold or bake counts (or is paused), and a promote moves it on. */
export const HOLDING_STATUSES: readonly DeploymentStatus[] = ['in-progress', 'baking', 'paused'];

/**
 * The new version serves users and its gate is read: while a step holds, and while the
 * afterAllowTraffic hook runs with everyone on it.
 */
export const WATCHED_STATUSES: readonly DeploymentStatus[] = [...HOLDING_STATUSES, 'after-hook'];

export const isActive = (s: DeploymentStatus): boolean => ACTIVE_STATUSES.includes(s);
export const isHolding = (s: DeploymentStatus): boolean => HOLDING_STATUSES.includes(s);
export const isWatched = (s: DeploymentStatus): boolean => WATCHED_STATUSES.includes(s);

/** The manual controls a person may use on a deployment now (the reducer checks again). */
export interface AllowedActions {
  readonly pause: boolean;
  readonly resume: boolean;
  readonly promote: boolean;
  readonly rollback: boolean;
}

/**
 * `stillLive`: the alias still points at this deployment's new version alone, which a
 * rollback after success needs (else the component has moved on).
 */
export function allowedActions(status: DeploymentStatus, stillLive: boolean): AllowedActions {
  return {
    pause: status === 'in-progress' || status === 'baking',
    resume: status === 'paused',
    promote: isHolding(status),
    rollback: (isActive(status) && status !== 'created') || (status === 'succeeded' && stillLive),
  };
}
