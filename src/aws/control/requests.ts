import { z } from 'zod';
import { alarmsSchema } from '../../api/gate-settings.js';
import { deploymentHooksSchema } from '../../api/model.js';
import { RECIPE_NAMES, type RecipeName } from '../../core/index.js';

/** What an undecided step does at its end. */
const onInconclusive = z.enum(['pause', 'rollback', 'proceed']);

/**
 * A component's release settings as the CDK app declares them (OneboxControlPlane's
 * `components`): `cdk deploy` sends them with every deploy, the controller keeps them in
 * its state, and each release takes them unless it names its own.
 */
export const configuredComponent = z
  .object({
    /** Its deployment config (`onebox:20%:10m`, `linear:10%:1m+bake:5m`...). Default the function's settings'. */
    config: z.string().optional(),
    /** What an undecided step does at its end. Default the function's settings'. */
    onInconclusive: onInconclusive.optional(),
    /** beforeAllowTraffic / afterAllowTraffic: URL hooks only on AWS, timeout at most 30 s. Default none. */
    hooks: deploymentHooksSchema.optional(),
  })
  .strict();

export type ConfiguredComponent = z.infer<typeof configuredComponent>;

/** A deployment command, as the CLI or a schedule sends it to the controller function. */
const command = z.enum(['pause', 'resume', 'promote', 'promote-all', 'rollback', 'stop']);

/** What the controller function is invoked with (EventBridge Scheduler sends `{ "action": "tick" }`). */
export const controllerEvent = z.discriminatedUnion('action', [
  z.object({ action: z.literal('tick') }).strict(),
  z.object({ action: z.literal('status') }).strict(),
  z
    .object({
      action: z.literal('release'),
      by: z.string().min(1),
      components: z
        .array(
          z
            .object({
              component: z.string(),
              version: z.number().int().positive(),
              /** Overrides the component's deployment config (`onebox:20%:10m`, `linear:10%:1m+bake:5m`...). */
              config: z.string().optional(),
              /** Components of this release that must succeed first. */
              after: z.array(z.string()).optional(),
              /** beforeAllowTraffic / afterAllowTraffic: URL hooks only on AWS, timeout at most 30 s. Default the configured ones. */
              hooks: deploymentHooksSchema.optional(),
              /** What an undecided step does at its end. Default the configured one. */
              onInconclusive: onInconclusive.optional(),
              /** Overrides of the alarm thresholds (`onebox deploy --alarm`). Default DEFAULT_ALARMS. */
              alarms: alarmsSchema.partial().optional(),
            })
            .strict(),
        )
        .min(1),
      /** A named recipe (`prod-one-box`: backends linear 10%/1m, then the frontend routed at "/" one-box 20% 10m). Default none. */
      recipe: z.enum(RECIPE_NAMES as [RecipeName, ...RecipeName[]]).optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('history'),
      /** How many releases, newest first. Default 20. */
      limit: z.coerce.number().int().positive().default(20),
    })
    .strict(),
  z.object({ action: z.literal('command'), component: z.string(), command, by: z.string().min(1) }).strict(),
  /** `onebox versions` (the published versions) and the live alias the controller keeps: read only. */
  z.object({ action: z.literal('versions'), component: z.string() }).strict(),
  z.object({ action: z.literal('alias'), component: z.string() }).strict(),
  z
    .object({
      /** `onebox shadow report`: the stored report of the ShadowComparer's shadow version. */
      action: z.literal('shadowReport'),
      component: z.string(),
      /** Which shadow version. Default the component's highest one with a report. */
      version: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      /**
       * What `cdk deploy` sends (a custom resource): each component's current Lambda version
       * and its configured release settings. New versions are published; changed settings are
       * recorded (the history says so); versions that differ from live start one release.
       */
      action: z.literal('deploy'),
      by: z.string().min(1).default('cdk deploy'),
      components: z
        .array(configuredComponent.extend({ component: z.string(), version: z.coerce.number().int().positive() }))
        .min(1),
    })
    .strict(),
  z
    .object({
      action: z.literal('publish'),
      component: z.string(),
      version: z.number().int().positive(),
      description: z.string().optional(),
    })
    .strict(),
]);

export type ControllerEvent = z.infer<typeof controllerEvent>;

/** One component as the controller function is configured with it. */
export const componentSettings = z
  .object({
    /** The component's Lambda function (its `stable` and `canary` aliases are moved). */
    functionName: z.string().min(1),
    /** Its path at the edge, for `onebox status` (e.g. `/`, `/api`). Default none. */
    route: z.string().default(''),
    /** Default deployment config. Default `onebox:20%:10m` (seed 000's one-box). */
    config: z.string().default('onebox:20%:10m'),
    /** Components a release of this one waits for by default (the frontend after the backend). Default none. */
    after: z.array(z.string()).default([]),
    /** What an undecided step does at its end. Default `pause` (a person looks). */
    onInconclusive: onInconclusive.default('pause'),
    /**
     * The log group of its pages' BrowserBeacon (`/aws/lambda/<beacon function>`): its releases
     * get the browser gate (DEFAULT_BROWSER_GATE), read from the beacon's lines each tick.
     * Default none: no browser gate.
     */
    browserLogGroup: z.string().min(1).optional(),
  })
  .strict();

/** What the controller function is built with (its ONEBOX_SETTINGS). */
export const controllerSettings = z
  .object({
    table: z.string().min(1),
    kvsArn: z.string().min(1),
    /** CloudWatch namespace of withVersionMetrics. Default `onebox`. */
    namespace: z.string().default('onebox'),
    components: z.record(z.string(), componentSettings),
  })
  .strict();

export type ControllerSettings = z.infer<typeof controllerSettings>;
export type ControllerSettingsInput = z.input<typeof controllerSettings>;
