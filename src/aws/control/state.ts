import type { Alias, DeploymentEvent, DeploymentRecord, ReleaseRecord } from '../../core/index.js';
import type { ConfiguredComponent } from './requests.js';

/** A deployment with its history, as the control plane keeps it. */
export interface StoredDeployment {
  readonly record: DeploymentRecord;
  /** Its events in order, each numbered across the whole control plane (`seq`). */
  readonly events: readonly (DeploymentEvent & { readonly seq: number })[];
  /** Its release, kept with it once it leaves the state item (the history needs who asked). */
  readonly release?: ReleaseRecord | undefined;
}

/**
 * Everything a tick reads and writes, in ONE DynamoDB item: every component's alias, the
 * active deployments and each component's latest one (what `rollback` after success needs),
 * and their releases. One item makes each tick's commit one conditional write on `rev`:
 * all or nothing across components, so a release that starts its frontend as its backend
 * succeeds is one write, and two overlapping ticks cannot both apply. Ended deployments
 * other than each component's latest move to their own items (history), which keeps the
 * state item small (a few KB per component; DynamoDB's item limit is 400 KB).
 */
export interface ControlState {
  readonly aliases: Readonly<Record<string, Alias>>;
  /** Oldest first. */
  readonly deployments: readonly StoredDeployment[];
  readonly releases: readonly ReleaseRecord[];
  /** The last event number given. */
  readonly seq: number;
  /**
   * Each component's release settings as the last `cdk deploy` declared them (its config,
   * onInconclusive, hooks): what a release takes when it names none. Absent before the
   * first deploy that sent them.
   */
  readonly configured?: Readonly<Record<string, ConfiguredComponent>>;
}

/** A state as read: `rev` is what the commit's condition expects. */
export interface LoadedState {
  readonly rev: number;
  /** The revision whose traffic was last seen applied in full (0: none yet). */
  readonly applied: number;
  readonly state: ControlState;
}

export const EMPTY_STATE: ControlState = { aliases: {}, deployments: [], releases: [], seq: 0 };

/**
 * The largest state item the store writes: DynamoDB refuses items over 400 KB, and a state
 * that grows towards it has too many components for one control plane.
 */
export const MAX_STATE_BYTES = 350 * 1024;

/** Reads a stored state, failing with what is wrong (a hand-edited or foreign item). */
export function parseState(text: string): ControlState {
  const value = JSON.parse(text) as Partial<ControlState>;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.aliases !== 'object' ||
    !Array.isArray(value.deployments) ||
    !Array.isArray(value.releases) ||
    typeof value.seq !== 'number'
  )
    throw new Error('the control plane state item is not a onebox state (aliases, deployments, releases, seq)');
  return value as ControlState;
}
