import { z } from 'zod';
import {
  DEPLOYMENT_STATUSES,
  ROUTING_MODES,
  type Alias,
  type AlarmThresholds,
  type BrowserGateSettings,
  type DeploymentEvent,
  type DeploymentGates,
  type DeploymentHooks,
  type DeploymentRecord,
  type DeploymentState,
  type Evidence,
  type Exposure,
  type GateVerdict,
  type JudgeSettings,
  type Need,
  type RateEvidence,
  type RoutingMode,
  type StoredEvent,
  type Version,
} from '../core/index.js';
import type { GatewayLogEntry, VersionCounters, VersionMetricsSnapshot } from './types.js';

/**
 * The model as it crosses a boundary (the admin API's answers, the state file's JSON):
 * one zod schema per type of src/core, so what is read is parsed, never cast.
 * `satisfies` holds each schema's output to its core type at compile time.
 */

const count = z.number().int().nonnegative();
const basisPoints = z.number().int().min(0).max(10_000);

export const versionSchema = z.object({
  component: z.string(),
  number: z.number().int().positive(),
  target: z.string(),
  description: z.string().optional(),
  createdAt: z.string(),
  retiredAt: z.string().optional(),
}) satisfies z.ZodType<Version>;

const additionalSchema = z.object({ version: z.number().int().positive(), weightBp: basisPoints });

export const aliasSchema = z.object({
  component: z.string(),
  name: z.string(),
  version: z.number().int().positive(),
  additional: additionalSchema.optional(),
  mode: z.enum(ROUTING_MODES as [RoutingMode, ...RoutingMode[]]),
  seed: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<Alias>;

export const deploymentStatusSchema = z.enum(DEPLOYMENT_STATUSES);

export const planStepSchema = z.object({ weightBp: basisPoints, holdMs: count, bake: z.boolean() });

export const deploymentSettingsSchema = z.object({
  beforeHook: z.boolean(),
  afterHook: z.boolean(),
  maxExtensionMs: count,
  onInconclusive: z.enum(['pause', 'rollback', 'proceed']),
});

const rateEvidenceSchema = z.object({
  llr: z.number(),
  newEvents: count,
  newRequests: count,
  stableEvents: count,
  stableRequests: count,
  accepted: z.boolean(),
}) satisfies z.ZodType<RateEvidence>;

export const evidenceSchema = z.object({
  errors: rateEvidenceSchema.optional(),
  tail: rateEvidenceSchema.optional(),
  rank: z.boolean().optional(),
  alarms: z.boolean().optional(),
  browser: rateEvidenceSchema.optional(),
  browserAlarm: z.boolean().optional(),
}) satisfies z.ZodType<Evidence>;

export const deploymentStateSchema = z.object({
  id: z.string(),
  component: z.string(),
  fromVersion: z.number().int().positive(),
  toVersion: z.number().int().positive(),
  plan: z.array(planStepSchema),
  settings: deploymentSettingsSchema,
  status: deploymentStatusSchema,
  step: z.number().int().min(-1),
  weightBp: basisPoints,
  stepStartedAt: z.number(),
  paused: z.object({ from: z.enum(['in-progress', 'baking']), heldMs: z.number() }).optional(),
  extended: z.boolean(),
  reason: z.string().optional(),
  createdAt: z.number(),
  endedAt: z.number().optional(),
  evidence: evidenceSchema.optional(),
  trafficStartedAt: z.number().optional(),
  warmedUpAt: z.number().optional(),
}) satisfies z.ZodType<DeploymentState>;

export const deploymentEventSchema = z.object({
  at: z.number(),
  type: z.string(),
  sentence: z.string(),
  status: deploymentStatusSchema,
  weightBp: basisPoints,
}) satisfies z.ZodType<DeploymentEvent>;

export const storedEventSchema = deploymentEventSchema.extend({
  seq: count,
  deploymentId: z.string(),
}) satisfies z.ZodType<StoredEvent>;

export const alarmThresholdsSchema = z.object({
  maxErrorRate: z.number(),
  maxP50Ms: z.number().optional(),
  maxP90Ms: z.number().optional(),
  maxP99Ms: z.number().optional(),
  minRequests: z.number(),
  errorRule: z.enum(['confident', 'observed']).optional(),
}) satisfies z.ZodType<AlarmThresholds>;

export const judgeSettingsSchema = z.object({
  alpha: z.number(),
  beta: z.number(),
  errorRatio: z.number(),
  errorFloor: z.number(),
  minRequests: z.number(),
  minTailSample: z.number(),
  tailQuantile: z.number(),
  tailRatio: z.number(),
  minTailMs: z.number(),
  rankAlpha: z.number(),
  minSuperiority: z.number(),
  minMedianRatio: z.number(),
  minMedianShiftMs: z.number(),
  tailFloor: z.number(),
  warmupRequests: z.number(),
}) satisfies z.ZodType<JudgeSettings>;

const hookSpecSchema = z.union([
  z.object({ url: z.string(), timeoutMs: z.number() }),
  z.object({ command: z.string(), timeoutMs: z.number() }),
]);

export const deploymentHooksSchema = z.object({
  beforeAllowTraffic: hookSpecSchema.optional(),
  afterAllowTraffic: hookSpecSchema.optional(),
}) satisfies z.ZodType<DeploymentHooks>;

export const browserGateSettingsSchema = z.object({
  maxErrorShare: z.number(),
  minUsers: z.number(),
  errorRatio: z.number(),
  errorFloor: z.number(),
  alpha: z.number(),
  beta: z.number(),
}) satisfies z.ZodType<BrowserGateSettings>;

export const deploymentGatesSchema = z.object({
  alarms: alarmThresholdsSchema,
  judge: judgeSettingsSchema.optional(),
  browser: browserGateSettingsSchema.optional(),
}) satisfies z.ZodType<DeploymentGates>;

export const exposureSchema = z.object({
  usersOnNew: count,
  activeUsers: count,
  share: z.number(),
  exact: z.boolean(),
}) satisfies z.ZodType<Exposure>;

export const deploymentRecordSchema = z.object({
  id: z.string(),
  releaseId: z.string(),
  after: z.array(z.string()),
  state: deploymentStateSchema,
  gates: deploymentGatesSchema,
  hooks: deploymentHooksSchema,
  exposure: exposureSchema.optional(),
}) satisfies z.ZodType<DeploymentRecord>;

const needSchema = z.object({
  requests: z.number(),
  perSecond: z.number().optional(),
  ms: z.number().optional(),
}) satisfies z.ZodType<Need>;

export const gateVerdictSchema = z.object({
  result: z.enum(['pass', 'fail', 'inconclusive']),
  sentence: z.string(),
  need: needSchema.optional(),
  evidence: evidenceSchema.optional(),
}) satisfies z.ZodType<GateVerdict>;

export const versionCountersSchema = z.object({
  component: z.string(),
  version: z.number().int().positive(),
  requests: count,
  errors5xx: count,
  upstreamErrors: count,
  upstreamTimeouts: count,
  upgrades: count,
  upgradeFailures: count,
}) satisfies z.ZodType<VersionCounters>;

export const gatewayLogEntrySchema = z.object({
  at: z.number(),
  component: z.string(),
  version: z.number().int().positive(),
  requestId: z.string(),
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  kind: z.string(),
  message: z.string(),
  stack: z.array(z.string()).optional(),
}) satisfies z.ZodType<GatewayLogEntry>;

export const versionMetricsSnapshotSchema = versionCountersSchema.extend({
  latencyMs: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), p999: z.number(), max: z.number() }),
  users: count,
  usersExact: z.boolean(),
  browser: z
    .object({
      pageViews: count,
      users: count,
      errorUsers: count,
      errors: z.object({ error: count, rejection: count, resource: count, app: count }),
      pages: z.array(z.object({ path: z.string(), views: count, errors: count })),
    })
    .optional(),
}) satisfies z.ZodType<VersionMetricsSnapshot>;
