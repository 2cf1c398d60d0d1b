import { z } from 'zod';
import { invalid, parseDeploymentSpec, type Component } from '../core/index.js';
import { alarmsSchema, judgeSchema, type OneboxConfig } from '../config/schema.js';
import type { JudgeSettings } from '../core/index.js';
import type { DeploymentSpec } from '../controller/controller.js';

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
    recipe: z.enum(['prod-one-box']).optional(),
  })
  .strict();

export type ReleaseBody = z.infer<typeof releaseBody>;

/** Seed 000: backends shift linearly with alarms, then the frontend one-box bakes, then everyone. */
export const PROD_ONE_BOX = {
  backend: 'LambdaLinear10PercentEvery1Minute',
  frontend: 'onebox:20%:10m',
};

/**
 * Resolves a release request against the config: per-component defaults, the recipe,
 * then what the request says explicitly.
 */
export function resolveRelease(body: ReleaseBody, config: OneboxConfig): DeploymentSpec[] {
  const byName = new Map(config.components.map((c) => [c.name, c]));
  const requested = body.components.map((r) => {
    const component = byName.get(r.component);
    if (!component) throw invalid(`unknown component "${r.component}" (known: ${[...byName.keys()].join(', ')})`);
    return { r, component };
  });
  let frontend: Component | undefined;
  if (body.recipe === 'prod-one-box') {
    frontend = requested.find(({ component }) => component.route === '/')?.component;
    if (!frontend)
      throw invalid('the prod-one-box recipe needs the frontend in the release: the component routed at "/"');
  }
  const backends = requested.filter(({ component }) => component !== frontend).map(({ component }) => component.name);
  return requested.map(({ r, component }) => {
    const defaults = component.deployment;
    const recipeConfig = !body.recipe
      ? undefined
      : component === frontend
        ? PROD_ONE_BOX.frontend
        : PROD_ONE_BOX.backend;
    const spec = r.config ?? recipeConfig;
    const after = r.after ?? (body.recipe && component === frontend ? backends : []);
    return {
      component: component.name,
      version: r.version,
      config: spec ? parseDeploymentSpec(spec) : defaults.config,
      alarms: { ...defaults.alarms, ...stripUndefined(r.alarms ?? {}) },
      judge: judgeSettings(defaults.judge, r.judge),
      hooks: {
        beforeAllowTraffic: hook(defaults.hooks.beforeAllowTraffic),
        afterAllowTraffic: hook(defaults.hooks.afterAllowTraffic),
      },
      onInconclusive: defaults.onInconclusive,
      maxExtensionMs: defaults.maxExtension,
      after,
    };
  });
}

type HookConfig = OneboxConfig['components'][number]['deployment']['hooks']['beforeAllowTraffic'];

function hook(h: HookConfig): DeploymentSpec['hooks']['beforeAllowTraffic'] {
  if (!h) return undefined;
  return 'url' in h ? { url: h.url, timeoutMs: h.timeout } : { command: h.command, timeoutMs: h.timeout };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function judgeSettings(
  configured: OneboxConfig['components'][number]['deployment']['judge'],
  requested: Partial<z.infer<typeof judgeSchema>> | undefined,
): JudgeSettings | undefined {
  const { enabled, ...settings } = { ...configured, ...stripUndefined(requested ?? {}) };
  return enabled ? settings : undefined;
}
