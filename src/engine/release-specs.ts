import type { z } from 'zod';
import { invalid, parseDeploymentSpec, RECIPES, type Component } from '../core/index.js';
import type { judgeSchema } from '../api/gate-settings.js';
import type { ReleaseBody } from '../api/requests.js';
import type { OneboxConfig } from '../config/schema.js';
import type { BrowserGateSettings, JudgeSettings } from '../core/index.js';
import type { DeploymentSpec } from '../controller/controller.js';

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
  const recipe = body.recipe && RECIPES[body.recipe];
  if (recipe) {
    frontend = requested.find(({ component }) => component.route === '/')?.component;
    if (!frontend)
      throw invalid(`the ${body.recipe} recipe needs the frontend in the release: the component routed at "/"`);
  }
  const backends = requested.filter(({ component }) => component !== frontend).map(({ component }) => component.name);
  return requested.map(({ r, component }) => {
    const defaults = component.deployment;
    const recipeConfig = !recipe ? undefined : component === frontend ? recipe.frontend : recipe.backend;
    const spec = r.config ?? recipeConfig;
    const after = r.after ?? (recipe && component === frontend ? backends : []);
    return {
      component: component.name,
      version: r.version,
      config: spec ? parseDeploymentSpec(spec) : defaults.config,
      alarms: { ...defaults.alarms, ...stripUndefined(r.alarms ?? {}) },
      judge: judgeSettings(defaults.judge, r.judge),
      browser: browserGate(component.browser),
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

/** The browser gate of a component that sends browser signals (and has not turned its gate off). */
function browserGate(browser: OneboxConfig['components'][number]['browser']): BrowserGateSettings | undefined {
  const { enabled, ...settings } = browser.gate;
  return browser.enabled && enabled ? settings : undefined;
}
