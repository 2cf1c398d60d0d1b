/**
 * `import { ... } from 'onebox'`: the local engine, its config, and the admin API's
 * contract. The decisions alone are `onebox/core`; the AWS constructs `onebox/aws`; the
 * handler metrics helper for Lambda `onebox/aws/metrics`.
 */
export { startOnebox, type RunningOnebox, type StartOptions } from './engine/onebox.js';
export { ConfigError, loadConfigFile, parseConfig } from './config/load.js';
export { EventConsumer, type BatchOutcome, type VersionOutcome } from './events/consumer.js';
export { LocalQueue, type SendMessageInput, type SqsRecord } from './events/local-queue.js';
export type { OneboxConfig, OneboxConfigInput } from './config/schema.js';
export {
  endpoints,
  pathOf,
  DEPLOYMENT_COMMANDS,
  TOKEN_ENV,
  type AnswerOf,
  type Awaitable,
  type ComponentStatus,
  type ControlPlane,
  type DeploymentView,
  type DeploymentWithEvents,
  type Endpoint,
  type EndpointName,
  type InvokeResult,
  type MetricsSnapshot,
  type PersonCommand,
  type ReleaseHistory,
  type StatusAnswer,
  type VersionMetricsSnapshot,
  type AliasBody,
  type PublishRequest,
  type ReleaseBody,
} from './api/index.js';
export type { ShadowPolicy, ShadowSummary } from './core/shadow/index.js';
export {
  OneboxError,
  systemClock,
  type Alias,
  type Clock,
  type Component,
  type DeploymentRecord,
  type DeploymentState,
  type DeploymentStatus,
  type Exposure,
  type Version,
} from './core/index.js';
