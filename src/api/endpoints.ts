import { z } from 'zod';
import {
  aliasAnswer,
  aliasSetAnswer,
  commandAnswer,
  deletedAnswer,
  publishAnswer,
  deploymentAnswer,
  historyAnswer,
  invokeAnswer,
  logsAnswer,
  metricsAnswer,
  releaseAnswer,
  sessionAnswer,
  shadowReportAnswer,
  shadowStartAnswer,
  shadowStopAnswer,
  statusAnswer,
  versionAnswer,
  versionsAnswer,
} from './answers.js';
import {
  aliasBody,
  invokeBody,
  publishBody,
  publishHandlerBody,
  releaseBody,
  type AliasBody,
  type InvokeBody,
  type PublishRequest,
  type ReleaseBody,
} from './requests.js';
import { shadowPolicyBody } from './shadow-policy.js';
import { COMPONENT_NAME_PATTERN, type Alias, type DeploymentRecord, type Version } from '../core/index.js';
import type { ShadowPolicy, ShadowSummary } from '../core/shadow/index.js';
import type {
  DeploymentWithEvents,
  GatewayLogEntry,
  InvokeResult,
  MetricsSnapshot,
  ReleaseHistory,
  StatusAnswer,
} from './types.js';

/**
 * The admin API, one entry per endpoint: method, path (with `:component`, `:version` and
 * `:id` parameters), request body schema and answer schema. The admin server routes and
 * parses requests with it; the CLI builds requests and parses answers with it.
 */
export interface Endpoint<Answer = unknown, Body = unknown> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** Absent: the endpoint takes no body. */
  readonly body?: z.ZodType<Body>;
  readonly answer: z.ZodType<Answer>;
  /** The status of a success. Default 200. */
  readonly created?: boolean;
}

/** The deployment commands a person can send (`POST .../deployment/:command`). */
export const DEPLOYMENT_COMMANDS = ['pause', 'resume', 'promote', 'promote-all', 'rollback', 'stop'] as const;
export type PersonCommand = (typeof DEPLOYMENT_COMMANDS)[number];

/** What a path parameter may be: a component name, a version number, a deployment id, a command. */
export const PARAMETERS = {
  component: COMPONENT_NAME_PATTERN,
  version: '[1-9][0-9]{0,9}',
  id: '[A-Za-z0-9-]{1,80}',
  command: DEPLOYMENT_COMMANDS.join('|'),
} as const;

export type Parameter = keyof typeof PARAMETERS;

const endpoint = <A, B = never>(e: Endpoint<A, B>): Endpoint<A, B> => e;

export const endpoints = {
  status: endpoint<StatusAnswer>({ method: 'GET', path: '/v1/status', answer: statusAnswer }),
  metrics: endpoint<MetricsSnapshot>({ method: 'GET', path: '/v1/metrics', answer: metricsAnswer }),
  session: endpoint<{ readonly name: string }>({ method: 'GET', path: '/v1/session', answer: sessionAnswer }),
  versions: endpoint<{ readonly versions: readonly Version[] }>({
    method: 'GET',
    path: '/v1/components/:component/versions',
    answer: versionsAnswer,
  }),
  publish: endpoint<{ readonly version: Version; readonly note?: string }, PublishRequest>({
    method: 'POST',
    path: '/v1/components/:component/versions',
    // A handler version names its module; an upstream version its URL.
    body: z.union([publishHandlerBody, publishBody]),
    answer: publishAnswer,
    created: true,
  }),
  version: endpoint<{ readonly version: Version }>({
    method: 'GET',
    path: '/v1/components/:component/versions/:version',
    answer: versionAnswer,
  }),
  retire: endpoint<{ readonly version: Version }>({
    method: 'POST',
    path: '/v1/components/:component/versions/:version/retire',
    answer: versionAnswer,
  }),
  deleteVersion: endpoint<{ readonly deleted: { readonly component: string; readonly version: number } }>({
    method: 'DELETE',
    path: '/v1/components/:component/versions/:version',
    answer: deletedAnswer,
  }),
  alias: endpoint<{ readonly alias: Alias | null }>({
    method: 'GET',
    path: '/v1/components/:component/alias',
    answer: aliasAnswer,
  }),
  setAlias: endpoint<{ readonly alias: Alias }, AliasBody>({
    method: 'PUT',
    path: '/v1/components/:component/alias',
    body: aliasBody,
    answer: aliasSetAnswer,
  }),
  release: endpoint<{ readonly release: string; readonly deployments: readonly DeploymentRecord[] }, ReleaseBody>({
    method: 'POST',
    path: '/v1/releases',
    body: releaseBody,
    answer: releaseAnswer,
    created: true,
  }),
  deployment: endpoint<{ readonly deployment: DeploymentWithEvents }>({
    method: 'GET',
    path: '/v1/deployments/:id',
    answer: deploymentAnswer,
  }),
  command: endpoint<{ readonly deployment: DeploymentRecord }>({
    method: 'POST',
    path: `/v1/components/:component/deployment/:command`,
    answer: commandAnswer,
  }),
  invoke: endpoint<InvokeResult, InvokeBody>({
    method: 'POST',
    path: '/v1/components/:component/invoke',
    body: invokeBody,
    answer: invokeAnswer,
  }),
  startShadow: endpoint<{ readonly shadow: ShadowPolicy }, ShadowPolicy>({
    method: 'POST',
    path: '/v1/components/:component/shadow',
    body: shadowPolicyBody,
    answer: shadowStartAnswer,
  }),
  stopShadow: endpoint<{ readonly stopped: string }>({
    method: 'DELETE',
    path: '/v1/components/:component/shadow',
    answer: shadowStopAnswer,
  }),
  shadowReport: endpoint<{ readonly report: ShadowSummary }>({
    method: 'GET',
    path: '/v1/components/:component/shadow/report',
    answer: shadowReportAnswer,
  }),
  /** The gateway's recent failure answers for a component (`?version=N`, `?limit=M`), oldest first. */
  logs: endpoint<{ readonly logs: readonly GatewayLogEntry[] }>({
    method: 'GET',
    path: '/v1/components/:component/logs',
    answer: logsAnswer,
  }),
  history: endpoint<{ readonly releases: readonly ReleaseHistory[] }>({
    method: 'GET',
    path: '/v1/history',
    answer: historyAnswer,
  }),
} as const;

export type Endpoints = typeof endpoints;
export type EndpointName = keyof Endpoints;
export type AnswerOf<N extends EndpointName> = Endpoints[N] extends Endpoint<infer A, unknown> ? A : never;

/** A path with its parameters filled in, e.g. `/v1/components/api/versions/3`. */
export function pathOf(e: Endpoint<unknown, unknown>, params: Readonly<Record<string, string | number>> = {}): string {
  return e.path.replace(/:([a-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${e.path}: no value for :${name}`);
    return encodeURIComponent(String(value));
  });
}
