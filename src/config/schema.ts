import { z } from 'zod';
import { routePrefixProblem } from '../core/route-table.js';

const LISTEN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `host:port`; port 0 picks a free port. */
const listen = z
  .string()
  .regex(LISTEN, 'expected host:port, e.g. 127.0.0.1:8080')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name')
  .transform((s) => s.toLowerCase());

const component = z.object({
  /** Lowercase name used in CLI commands and metrics labels. */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and dashes, starting with a letter'),
  /** Path prefix routed to this component; the longest matching prefix wins. */
  route: z.string().superRefine((s, ctx) => {
    const problem = routePrefixProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
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
        /** Lifetime of the identity cookie, days. Default 400 (browsers' maximum). */
        cookieMaxAgeDays: z.number().positive().max(400).default(400),
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
      })
      .strict()
      .prefault({}),
    state: z
      .object({
        /** Folder for the SQLite state file and the generated admin token. Default .onebox */
        dir: z.string().min(1).default('.onebox'),
      })
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
        ctx.addIssue({ code: 'custom', path: ['components', i, 'name'], message: `duplicate of components[${seen.get(c.name)}]` });
      }
      if (routes.has(c.route)) {
        ctx.addIssue({ code: 'custom', path: ['components', i, 'route'], message: `same route as components[${routes.get(c.route)}]` });
      }
      seen.set(c.name, i);
      routes.set(c.route, i);
    });
  });

export type OneboxConfig = z.output<typeof configSchema>;
export type OneboxConfigInput = z.input<typeof configSchema>;
