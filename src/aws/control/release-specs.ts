import {
  DEFAULT_ALARMS,
  DEFAULT_BROWSER_GATE,
  DEFAULT_JUDGE,
  invalid,
  parseDeploymentSpec,
  RECIPES,
} from '../../core/index.js';
import type { DeploymentSpec } from '../../controller/controller.js';
import { checkAwsHooks, refuseUnrunnableHooks } from './hooks.js';
import type { ControllerEvent, ControllerSettings } from './requests.js';
import type { ControlState } from './state.js';

type ReleaseEvent = Extract<ControllerEvent, { action: 'release' }>;

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * A release's specs on AWS, resolved as the local engine resolves them (engine/release-specs.ts):
 * what the event says, else the recipe, else what the CDK app configured (the state's
 * `configured`), else the function's settings. Refused whole with every hook problem.
 */
export function awsReleaseSpecs(
  event: ReleaseEvent,
  settings: ControllerSettings['components'],
  state: ControlState,
): DeploymentSpec[] {
  refuseUnrunnableHooks(event.components.flatMap((c, i) => checkAwsHooks(c.hooks ?? {}, `components[${i}].hooks`)));
  for (const c of event.components)
    if (!settings[c.component])
      throw invalid(`unknown component "${c.component}" (known: ${Object.keys(settings).join(', ') || 'none'})`);
  const recipe = event.recipe && RECIPES[event.recipe];
  // The recipe's frontend is the component routed at "/", as locally.
  const frontend = recipe ? event.components.find((c) => settings[c.component]!.route === '/')?.component : undefined;
  if (recipe && !frontend)
    throw invalid(`the ${event.recipe} recipe needs the frontend in the release: the component routed at "/"`);
  const backends = event.components.map((c) => c.component).filter((c) => c !== frontend);
  return event.components.map((c): DeploymentSpec => {
    const own = settings[c.component]!;
    const configured = state.configured?.[c.component];
    const recipeConfig = !recipe ? undefined : c.component === frontend ? recipe.frontend : recipe.backend;
    const recipeAfter = recipe ? (c.component === frontend ? backends : []) : undefined;
    return {
      component: c.component,
      version: c.version,
      config: parseDeploymentSpec(c.config ?? recipeConfig ?? configured?.config ?? own.config),
      alarms: { ...DEFAULT_ALARMS, ...defined(c.alarms ?? {}) },
      judge: DEFAULT_JUDGE,
      // As locally for a component with browser signals: its beacon's users are gated by default.
      browser: own.browserLogGroup ? DEFAULT_BROWSER_GATE : undefined,
      hooks: c.hooks ?? configured?.hooks ?? {},
      onInconclusive: c.onInconclusive ?? configured?.onInconclusive ?? own.onInconclusive,
      after: c.after ?? recipeAfter ?? own.after.filter((a) => event.components.some((o) => o.component === a)),
    };
  });
}
