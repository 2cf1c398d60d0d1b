import type { z } from 'zod';
import { deploymentGatesSchema, deploymentHooksSchema, deploymentStateSchema, exposureSchema } from '../api/index.js';
import {
  DEFAULT_JUDGE,
  type DeploymentGates,
  type DeploymentHooks,
  type DeploymentState,
  type Exposure,
} from '../core/index.js';

/**
 * The reducer's state as the state file keeps it: JSON, with the number of the schema it
 * was written in (`deployments.state_version`). Read back, it is migrated from an older
 * schema and parsed, never cast, so a field a newer onebox added or an older one lacks is
 * told, not found later as an undefined in the middle of a tick.
 */
export const STATE_SCHEMA = 2;

/** `MIGRATE[n]` turns a state written in schema n into schema n + 1. */
const MIGRATE: Readonly<Record<number, (state: Record<string, unknown>) => Record<string, unknown>>> = {
  // 2: the judge's evidence, banked from step to step (src/core/evidence.ts); none before.
  1: (state) => ({ ...state, evidence: state.evidence ?? {} }),
};

export class StoredStateError extends Error {}

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new StoredStateError(`${what} does not read: ${i.path.join('.') || 'the value'}: ${i.message}`);
}

export function readState(deploymentId: string, json: string, schema: number): DeploymentState {
  const where = `deployment ${deploymentId}'s stored state (schema ${schema})`;
  if (schema > STATE_SCHEMA) {
    throw new StoredStateError(
      `${where} was written by a newer onebox (this one reads schemas up to ${STATE_SCHEMA}); upgrade onebox to resume it`,
    );
  }
  let state = JSON.parse(json) as Record<string, unknown>;
  for (let v = schema; v < STATE_SCHEMA; v++) state = MIGRATE[v]!(state);
  return parsed(deploymentStateSchema, state, where);
}

/** Judge settings stored before one of its settings existed take that setting's default. */
export function readGates(id: string, json: string): DeploymentGates {
  const g = JSON.parse(json) as { judge?: object };
  const withDefaults = g.judge ? { ...g, judge: { ...DEFAULT_JUDGE, ...g.judge } } : g;
  return parsed(deploymentGatesSchema, withDefaults, `deployment ${id}'s gates`);
}

export const readHooks = (id: string, json: string): DeploymentHooks =>
  parsed(deploymentHooksSchema, JSON.parse(json), `deployment ${id}'s hooks`);

export const readExposure = (id: string, json: string): Exposure =>
  parsed(exposureSchema, JSON.parse(json), `deployment ${id}'s exposure`);
