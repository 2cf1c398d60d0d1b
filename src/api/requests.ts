import { z } from 'zod';
import { NODE_RUNTIMES, RECIPE_NAMES, ROUTING_MODES, type RecipeName, type RoutingMode } from '../core/index.js';
import { alarmsSchema, judgeSchema } from './gate-settings.js';

export const publishBody = z
  .object({
    /** Upstream URL of the new version: http(s) origin, optionally with a base path. */
    url: z.string().refine((s) => {
      try {
        const u = new URL(s);
        return (
          (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && !u.search && !u.hash
        );
      } catch {
        return false;
      }
    }, 'expected an http(s) URL without credentials, query or fragment'),
    description: z.string().max(256).optional(),
  })
  .strict();

/** A handler version: `<dir-or-file>[#export]` on the machine onebox runs on (absolute). */
export const publishHandlerBody = z
  .object({
    handler: z.string().min(2).startsWith('/', 'expected an absolute path (the CLI sends one)'),
    /** Per-invocation timeout, ms. Default 3000 (Lambda's). */
    timeoutMs: z.number().int().min(1).max(900_000).default(3000),
    /** Environment variables of the version's process (Lambda's 4 KB limit applies). Default: none. */
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name: letters, digits, _'), z.string())
      .refine((e) => JSON.stringify(e).length <= 4096, 'environment variables are limited to 4 KB, as in Lambda')
      .optional(),
    /**
     * The Lambda runtime the code is written for. Locally it runs on that Node when the
     * config's `runtimes` names one, else on onebox's own Node (and the answer says so).
     * Default: none declared.
     */
    runtime: z.enum(NODE_RUNTIMES, { error: `expected one of ${NODE_RUNTIMES.join(', ')}` }).optional(),
    description: z.string().max(256).optional(),
  })
  .strict();

const versionNumber = z.number().int().positive();

export const aliasBody = z
  .object({
    /** The version that serves everyone not admitted to the additional one. */
    version: versionNumber,
    /** Lambda's AdditionalVersionWeights: at most one `{ "N": weight 0..1 }`. */
    weights: z
      .record(z.string().regex(/^[1-9]\d*$/, 'expected a version number'), z.number().min(0).max(1))
      .refine((w) => Object.keys(w).length <= 1, 'at most one additional version')
      .optional(),
    /** Default: the alias's current mode, else sticky. */
    routing: z.enum(ROUTING_MODES as [RoutingMode, ...RoutingMode[]]).optional(),
    /** Default: kept while the additional version stays the same, else `<component>@<version>`. */
    seed: z.string().min(1).max(128).optional(),
  })
  .strict();

export type AliasBody = z.infer<typeof aliasBody>;

/** `aws lambda invoke`'s inputs: a qualifier (version number or `live`) and the event. */
export const invokeBody = z
  .object({
    qualifier: z
      .string()
      .regex(/^([1-9]\d*|live)$/, 'expected a version number or "live"')
      .default('live'),
    payload: z.unknown().optional(),
  })
  .strict();

export type PublishBody = z.infer<typeof publishBody>;
export type PublishHandlerBody = z.infer<typeof publishHandlerBody>;
/** `POST /v1/components/:c/versions` takes either. */
export type PublishRequest = PublishBody | PublishHandlerBody;
export type InvokeBody = z.infer<typeof invokeBody>;

/** The body of `POST /v1/releases` (and, with one component, of `onebox deploy`). */
export const releaseBody = z
  .object({
    components: z
      .array(
        z
          .object({
            component: z.string(),
            version: z.number().int().positive(),
            /** Overrides the component's configured deployment config. */
            config: z.string().optional(),
            /** Components of this release that must succeed first. */
            after: z.array(z.string()).optional(),
            /** Overrides some of the component's configured alarm thresholds. */
            alarms: alarmsSchema.partial().optional(),
            /** Overrides the component's judge settings; `{ "enabled": false }` for alarms only. */
            judge: judgeSchema.partial().optional(),
          })
          .strict(),
      )
      .min(1),
    /** A named recipe; `prod-one-box` is seed 000's. */
    recipe: z.enum(RECIPE_NAMES as [RecipeName, ...RecipeName[]]).optional(),
  })
  .strict();

export type ReleaseBody = z.infer<typeof releaseBody>;
