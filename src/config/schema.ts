import { z } from 'zod';
import { routePrefixProblem } from '../core/route-table.js';
import {
  COMPONENT_NAME,
  COMPONENT_NAME_RULE,
  NODE_RUNTIMES,
  type NodeRuntime,
  parseDeploymentSpec,
  parseDuration,
  OneboxError,
  DEFAULT_HOOK_TIMEOUT_MS,
  DEFAULT_IP_BEACON_LIMITS,
  DEFAULT_IP_ERROR_USER_LIMITS,
} from '../core/index.js';
import { alarmsSchema, judgeSchema } from '../api/gate-settings.js';
import { browserSchema, rateLimit } from './browser-schema.js';

/** A duration written as `90s`, `5m`, `1h` (a bare number is seconds), in ms. */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(String(v));
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 90s, 5m or 1h' });
    return z.NEVER;
  }
  return ms;
});

/** A deployment config on one line, e.g. LambdaLinear10PercentEvery1Minute or onebox:20%:10m. */
export const deploymentConfigSpec = z.string().transform((v, ctx) => {
  try {
    return parseDeploymentSpec(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof OneboxError ? err.message : String(err) });
    return z.NEVER;
  }
});

const hookSpec = z.union([
  z.object({ url: z.url({ protocol: /^https?$/ }), timeout: duration.default(DEFAULT_HOOK_TIMEOUT_MS) }).strict(),
  z.object({ command: z.string().min(1), timeout: duration.default(DEFAULT_HOOK_TIMEOUT_MS) }).strict(),
]);

export const deploymentDefaults = z
  .object({
    /** Deployment config (CodeDeploy preset or custom). Default LambdaCanary10Percent5Minutes. */
    config: deploymentConfigSpec.default(parseDeploymentSpec('LambdaCanary10Percent5Minutes')),
    alarms: alarmsSchema.prefault({}),
    /** Compares the new version with the stable one (same window); `enabled: false` for alarms only. */
    judge: judgeSchema.prefault({}),
    /** Hooks get the component, both versions and a URL of the new version; timeout default 5m. */
    hooks: z
      .object({ beforeAllowTraffic: hookSpec.optional(), afterAllowTraffic: hookSpec.optional() })
      .strict()
      .prefault({}),
    /**
     * Refuse to deploy a version unless its shadow report is clean: at least `minCompared`
     * requests compared and no significant difference. Default: not required.
     */
    requireCleanShadow: z
      .union([z.literal(false), z.object({ minCompared: z.number().int().min(1).default(100) }).strict()])
      .default(false),
    /** When a hold is over and the gate still lacks data: pause (default), rollback or proceed. */
    onInconclusive: z.enum(['pause', 'rollback', 'proceed']).default('pause'),
    /**
     * How long past its hold a step may wait for enough data; it stops sooner when the gate
     * expects to need longer than is left. Default: 30 minutes, or the plan's longest hold if longer.
     */
    maxExtension: duration.optional(),
  })
  .strict();

/** The name of the single `admin.token` (or its default) in the history. */
export const ADMIN_TOKEN_NAME = 'admin';

const LISTEN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `host:port`; port 0 picks a free port. */
const listen = z
  .string()
  .regex(LISTEN, { message: 'expected host:port, e.g. 127.0.0.1:8080', abort: true })
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/**
 * A Host header's value: a host name, an IPv4 address or a bracketed IPv6 one, and an
 * optional port (RFC 9110 7.2, RFC 3986 3.2.2).
 */
const publicHost = z
  .string()
  .regex(
    /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::\d{1,5})?$/,
    'expected a host name with an optional port, as a Host header carries it, e.g. shop.example.com or localhost:8080',
  );

/** A long idle limit: past a day, a connection that says nothing is presumed dead. */
const MAX_IDLE_MS = 86_400_000;

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name')
  .transform((s) => s.toLowerCase());

const component = z.object({
  /** The name used in CLI commands, the admin API and metrics labels: a Lambda function name's rule. */
  name: z.string().regex(COMPONENT_NAME, COMPONENT_NAME_RULE),
  /** Path prefix routed to this component; the longest matching prefix wins. */
  route: z.string().superRefine((s, ctx) => {
    const problem = routePrefixProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  /** How this component deploys unless a command says otherwise. */
  deployment: deploymentDefaults.prefault({}),
  /** Browser signals from this component's pages, and the gate on them. Default: off. */
  browser: browserSchema,
});

export const configSchema = z
  .object({
    gateway: z
      .object({
        /** Where the gateway listens. Default 127.0.0.1:8080. */
        listen: listen.default('127.0.0.1:8080'),
        /**
         * A request header that carries a trusted user id (set by your auth layer) and takes
         * precedence over the onebox-uid cookie. Default: none.
         */
        identityHeader: headerName.optional(),
        /**
         * Trust X-Forwarded-For/Proto from the client (only behind a proxy you run).
         * Default false: the socket's address and protocol are used.
         */
        trustProxy: z.boolean().default(false),
        /** Upstream connect timeout, ms. Default 5000. */
        connectTimeoutMs: z.number().int().positive().default(5000),
        /** Time for an upstream to send response headers, ms (then 504). Default 30000. */
        headersTimeoutMs: z.number().int().positive().default(30_000),
        /** Longest silence while streaming an upstream body, ms. Default 30000. */
        bodyTimeoutMs: z.number().int().positive().default(30_000),
        /**
         * Send the client's Host header to URL versions (the configured publicHost when set)
         * instead of the upstream's own host:port. Default false, as nginx's proxy_pass and
         * CloudFront do: an upstream that routes or checks by Host (a virtual host, a dev
         * server's allowed hosts, TLS SNI) keeps working, and the client's Host still reaches
         * it as X-Forwarded-Host. Turn it on for apps that build absolute links from Host.
         */
        preserveHost: z.boolean({ error: 'expected true or false' }).default(false),
        /**
         * The public host name of the API, as an API Gateway custom domain names it: handler
         * versions see it as the event's `host` header and requestContext.domainName, and
         * URL versions get it as Host with preserveHost. Default: the Host the client sent.
         */
        publicHost: publicHost.optional(),
        /**
         * How long an upgraded connection (a WebSocket) may stay silent both ways before the
         * gateway closes it, ms. Default 600000 (10 minutes, API Gateway WebSocket APIs' idle
         * timeout); a client that pings more often than this keeps its socket.
         */
        upgradeIdleTimeoutMs: z
          .number({ error: 'expected a number of milliseconds' })
          .int('expected a whole number of milliseconds')
          .positive('must be above 0: an idle timeout of 0 would close every socket at once')
          .max(MAX_IDLE_MS, `at most ${MAX_IDLE_MS} (24 hours): a socket silent longer than that is presumed dead`)
          .default(600_000),
        /** Lifetime of the identity cookie, days. Default 400 (browsers' maximum). */
        cookieMaxAgeDays: z.number().positive().max(400).default(400),
        /**
         * Gateway worker processes sharing the gateway's port, for hosts with more cores. The
         * controller, admin API and state file stay in the main process; workers report their
         * metrics to it every 100 ms. Default 0: the gateway runs in the main process.
         */
        workers: z.number().int().min(0).max(256).default(0),
        /**
         * Secret that signs tester tokens: a token (`signTesterToken`) lets its holder reach one
         * version of one component through its version-specific entrypoint, whatever their
         * assignment, while the live alias routes that version. Default: none (tokens refused).
         */
        testerSecret: z.string().min(32, 'a tester secret needs at least 32 characters').optional(),
        /**
         * Key that signs page tokens (the pages of components with browser signals: their
         * beacons' attribution and skew protection's pins). Set it only when several gateways
         * on several state files serve one site and must accept each other's pages. Default:
         * 32 random bytes made on first start and kept in the state file, so open pages keep
         * reporting and stay pinned across restarts.
         */
        pageKey: z.string().min(32, 'a page key needs at least 32 characters').optional(),
        /**
         * Beacons (browser signals) one client address may send, beside each user's own limit
         * (20 at once, 30 a minute): the socket's address, or with trustProxy the last
         * X-Forwarded-For entry (the one your proxy added). Default 600 at once and 600 a
         * minute, an office behind one NAT. Per gateway process (N workers: N times it).
         */
        beaconsPerIp: rateLimit('beacons from one address', DEFAULT_IP_BEACON_LIMITS),
        /**
         * Users with a browser error one client address may add (all versions together): what bounds a
         * client that makes itself new identities. Default 5 at once, then 1 a minute (at
         * most 15 from one address over a ten-minute one-box); see DEFAULT_IP_ERROR_USER_LIMITS.
         */
        errorUsersPerIp: rateLimit('users with an error from one address', DEFAULT_IP_ERROR_USER_LIMITS),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        /** Where the admin API listens. Default 127.0.0.1:8081. */
        listen: listen.default('127.0.0.1:8081'),
        /**
         * Bearer token for the admin API. Default: the ONEBOX_ADMIN_TOKEN variable, else a
         * random token written to <state.dir>/admin-token (loopback only).
         */
        token: z.string().min(16, 'a token needs at least 16 characters').optional(),
        /**
         * More bearer tokens, each with a name that the history records as who acted
         * ("paused by alice"). The single token above (or its default) is named "admin".
         * Default: none.
         */
        tokens: z
          .array(
            z
              .object({
                name: z.string().regex(/^[\w.@-]{1,64}$/, 'expected 1-64 letters, digits, or . _ @ -'),
                token: z.string().min(16, 'a token needs at least 16 characters'),
                /**
                 * The token may only read: GET and HEAD (status, history, metrics, the event
                 * stream), as a flag provider (onebox/openfeature) needs. Default false.
                 */
                readOnly: z.boolean().optional(),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .superRefine((admin, ctx) => {
        const names = new Map<string, number>(admin.token ? [[ADMIN_TOKEN_NAME, -1]] : []);
        const secrets = new Map<string, number>(admin.token ? [[admin.token, -1]] : []);
        const where = (i: number | undefined): string => (i === -1 ? 'admin.token' : `admin.tokens[${i}]`);
        admin.tokens.forEach((t, i) => {
          if (names.has(t.name))
            ctx.addIssue({
              code: 'custom',
              path: ['tokens', i, 'name'],
              message: `same name as ${where(names.get(t.name))}`,
            });
          if (secrets.has(t.token))
            ctx.addIssue({
              code: 'custom',
              path: ['tokens', i, 'token'],
              message: `same token as ${where(secrets.get(t.token))}`,
            });
          names.set(t.name, i);
          secrets.set(t.token, i);
        });
      })
      .prefault({}),
    state: z
      .object({
        /** Folder for the SQLite state file and the generated admin token. Default .onebox */
        dir: z.string().min(1).default('.onebox'),
      })
      .strict()
      .prefault({}),
    controller: z
      .object({
        /** How often deployments are evaluated. Default 1s. */
        interval: duration.default(1000),
      })
      .strict()
      .prefault({}),
    /**
     * The Node binary that runs handler versions declaring each Lambda runtime, e.g.
     * `nodejs24.x: /opt/node24/bin/node` (checked at start: its --version must match).
     * Default: none; a version declaring a runtime of another major than onebox's Node runs
     * on onebox's Node, and publishing it says so.
     */
    runtimes: z
      .object(
        Object.fromEntries(
          NODE_RUNTIMES.map((r) => [
            r,
            z.string().startsWith('/', 'expected the absolute path of a node binary').optional(),
          ]),
        ) as Record<NodeRuntime, z.ZodOptional<z.ZodString>>,
      )
      .strict()
      .prefault({}),
    components: z.array(component.strict()).min(1, 'declare at least one component'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    const routes = new Map<string, number>();
    cfg.components.forEach((c, i) => {
      if (seen.has(c.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['components', i, 'name'],
          message: `duplicate of components[${seen.get(c.name)}]`,
        });
      }
      if (routes.has(c.route)) {
        ctx.addIssue({
          code: 'custom',
          path: ['components', i, 'route'],
          message: `same route as components[${routes.get(c.route)}]`,
        });
      }
      seen.set(c.name, i);
      routes.set(c.route, i);
    });
  });

export type OneboxConfig = z.output<typeof configSchema>;
export type OneboxConfigInput = z.input<typeof configSchema>;
