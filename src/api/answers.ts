import { z } from 'zod';
import type {
  ComponentStatus,
  DeploymentView,
  DeploymentWithEvents,
  InvokeResult,
  MetricsSnapshot,
  ReleaseHistory,
  ShadowStatus,
  StatusAnswer,
} from './types.js';
import type { ShadowSummary } from '../core/shadow/index.js';
import { shadowPolicyBody } from './shadow-policy.js';
import {
  aliasSchema,
  deploymentRecordSchema,
  exposureSchema,
  gatewayLogEntrySchema,
  gateVerdictSchema,
  storedEventSchema,
  versionMetricsSnapshotSchema,
  versionSchema,
} from './model.js';

/**
 * What the admin API answers, endpoint by endpoint: the schemas the CLI parses answers
 * with, each held to its type of src/api/types.ts.
 */

const gatePartsSchema = z.object({ alarms: gateVerdictSchema, judge: gateVerdictSchema.optional() });

const allowedActionsSchema = z.object({
  pause: z.boolean(),
  resume: z.boolean(),
  promote: z.boolean(),
  rollback: z.boolean(),
});

/** A deployment as the status view shows it: the record, and what is true of it now. */
export const deploymentViewSchema = deploymentRecordSchema.extend({
  /** The plan in words, e.g. "10% 1m -> 20% 1m -> ... -> 100%". */
  plan: z.string(),
  holdRemainingMs: z.number(),
  /** The gate on the current step's window, while a step holds. */
  gate: gateVerdictSchema.optional(),
  waiting: z.string().optional(),
  /** The gate's parts: alarms, and the judge while both versions serve (absent: off or not applicable). */
  gateParts: gatePartsSchema.optional(),
  /** Blast radius so far: distinct users the new version served, of all active users. */
  exposure: exposureSchema.optional(),
  /** The manual controls a person may use now. */
  holding: z.boolean(),
  actions: allowedActionsSchema,
}) satisfies z.ZodType<DeploymentView>;

export const shadowStatusSchema = z.object({
  version: z.number().int().positive(),
  share: z.number(),
  counters: z.record(z.string(), z.number()),
  /** e.g. unsafe methods mirrored. */
  warnings: z.array(z.string()),
}) satisfies z.ZodType<ShadowStatus>;

export const componentStatusSchema = z.object({
  name: z.string(),
  route: z.string(),
  alias: aliasSchema.optional(),
  versions: z.array(versionSchema),
  metrics: z.array(versionMetricsSnapshotSchema),
  /** The active deployment, else the latest one. */
  deployment: deploymentViewSchema.optional(),
  /** The running shadow, if any. */
  shadow: shadowStatusSchema.optional(),
}) satisfies z.ZodType<ComponentStatus>;

export const statusAnswer = z.object({
  components: z.array(componentStatusSchema),
  /** What the gateway absorbed instead of failing, by reason. */
  fallbacks: z.record(z.string(), z.number()),
}) satisfies z.ZodType<StatusAnswer>;

export const metricsAnswer = z.object({
  versions: z.array(versionMetricsSnapshotSchema),
  fallbacks: z.record(z.string(), z.number()),
}) satisfies z.ZodType<MetricsSnapshot>;

export const logsAnswer = z.object({ logs: z.array(gatewayLogEntrySchema) });

export const versionsAnswer = z.object({ versions: z.array(versionSchema) });
export const versionAnswer = z.object({ version: versionSchema });
export const publishAnswer = z.object({ version: versionSchema, note: z.string().optional() });
export const deletedAnswer = z.object({ deleted: z.object({ component: z.string(), version: z.number() }) });
export const aliasAnswer = z.object({ alias: aliasSchema.nullable() });
export const aliasSetAnswer = z.object({ alias: aliasSchema });

export const releaseAnswer = z.object({ release: z.string(), deployments: z.array(deploymentRecordSchema) });

export const deploymentWithEventsSchema = deploymentRecordSchema.extend({
  events: z.array(storedEventSchema),
}) satisfies z.ZodType<DeploymentWithEvents>;
export const deploymentAnswer = z.object({ deployment: deploymentWithEventsSchema });
export const commandAnswer = z.object({ deployment: deploymentRecordSchema });

export const releaseHistorySchema = z.object({
  id: z.string(),
  createdAt: z.number(),
  by: z.string(),
  deployments: z.array(deploymentWithEventsSchema),
}) satisfies z.ZodType<ReleaseHistory>;
export const historyAnswer = z.object({ releases: z.array(releaseHistorySchema) });

/** What `aws lambda invoke` answers, and the function's payload. */
export const invokeAnswer = z.object({
  statusCode: z.number(),
  executedVersion: z.string(),
  /** "Unhandled" when the function failed (error, timeout, crash), as Lambda says. */
  functionError: z.string().optional(),
  payload: z.unknown(),
  coldStart: z.boolean(),
  durationMs: z.number(),
}) satisfies z.ZodType<InvokeResult>;

export const sessionAnswer = z.object({ name: z.string() });

const latencyQuantilesSchema = z.object({ p50Ms: z.number(), p99Ms: z.number() });

export const shadowSummarySchema = z.object({
  component: z.string(),
  version: z.number().int().positive(),
  counters: z.object({
    mirrored: z.number(),
    compared: z.number(),
    droppedInFlight: z.number(),
    skippedBodyCap: z.number(),
    shadowErrors: z.number(),
    shadowTimeouts: z.number(),
    primaryIncomplete: z.number(),
  }),
  clean: z.boolean(),
  endpoints: z.array(
    z.object({
      endpoint: z.string(),
      compared: z.number(),
      differed: z.number(),
      fields: z.array(
        z.object({
          path: z.string(),
          differed: z.number(),
          noise: z.number(),
          significant: z.boolean(),
          kinds: z.record(z.string(), z.number()),
          samples: z.array(z.looseObject({})),
        }),
      ),
      noiseOnly: z.array(z.string()),
      latency: z.object({ primary: latencyQuantilesSchema, shadow: latencyQuantilesSchema }),
    }),
  ),
}) satisfies z.ZodType<ShadowSummary>;

export const shadowReportAnswer = z.object({ report: shadowSummarySchema });
export const shadowStartAnswer = z.object({ shadow: shadowPolicyBody });
export const shadowStopAnswer = z.object({ stopped: z.string() });
