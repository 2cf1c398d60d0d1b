import { isActive, parseDeploymentSpec, type DeploymentEvent, type DeploymentHooks } from '../../core/index.js';
import { checkAwsHooks, refuseUnrunnableHooks } from './hooks.js';
import type { ConfiguredComponent, ControllerEvent, ControllerSettings } from './requests.js';
import type { ControlState } from './state.js';

type DeployEvent = Extract<ControllerEvent, { action: 'deploy' }>;

/** A component's settings with every default filled in, as they are compared and stored. */
type Settled = Required<Pick<ConfiguredComponent, 'config' | 'onInconclusive'>> & { hooks: DeploymentHooks };

function settle(c: ConfiguredComponent, defaults: ControllerSettings['components'][string]): Settled {
  return {
    config: c.config ?? defaults.config,
    onInconclusive: c.onInconclusive ?? defaults.onInconclusive,
    hooks: c.hooks ?? {},
  };
}

const describeHooks = (h: DeploymentHooks): string =>
  (['beforeAllowTraffic', 'afterAllowTraffic'] as const)
    .flatMap((n) => {
      const spec = h[n];
      return spec ? [`${n} ${'url' in spec ? spec.url : spec.command}`] : [];
    })
    .join(', ') || 'none';

/** The words for what changed, e.g. `deployment config onebox:10%:10m (was onebox:20%:10m)`. */
function changes(before: Settled, after: Settled): string[] {
  const out: string[] = [];
  if (before.config !== after.config) out.push(`deployment config ${after.config} (was ${before.config})`);
  if (before.onInconclusive !== after.onInconclusive)
    out.push(`onInconclusive ${after.onInconclusive} (was ${before.onInconclusive})`);
  const [h0, h1] = [describeHooks(before.hooks), describeHooks(after.hooks)];
  if (h0 !== h1) out.push(`hooks ${h1} (was ${h0})`);
  return out;
}

/**
 * Refuses, with the field, what `cdk deploy` configured and the controller cannot run (a
 * bad deployment config, a command hook): before anything is recorded.
 */
export function checkConfigured(event: DeployEvent): void {
  event.components.forEach((c, i) => {
    if (c.config !== undefined) parseDeploymentSpec(c.config);
    refuseUnrunnableHooks(checkAwsHooks(c.hooks ?? {}, `components[${i}].hooks`));
  });
}

/**
 * The state with each component's settings as this deploy declares them, or undefined when
 * none changed. A change never touches a running deployment (its steps, gates and hooks were
 * fixed when its release was recorded): it applies from the component's next release, and
 * an event on the deployment it concerns (the active one, else the latest) says so. The
 * first settings a component is deployed with are recorded without an event.
 */
export function withConfiguration(
  state: ControlState,
  event: DeployEvent,
  defaults: ControllerSettings['components'],
  now: number,
): { state: ControlState; events: (DeploymentEvent & { deploymentId: string })[] } | undefined {
  const configured = { ...state.configured };
  const deployments = [...state.deployments];
  const events: (DeploymentEvent & { deploymentId: string })[] = [];
  let seq = state.seq;
  let touched = false;
  for (const c of event.components) {
    const known = defaults[c.component];
    if (!known) continue; // the release that follows refuses it by name
    const after = settle(c, known);
    const stored = configured[c.component];
    if (stored && JSON.stringify(settle(stored, known)) === JSON.stringify(after)) continue;
    configured[c.component] = after;
    touched = true;
    const what = stored ? changes(settle(stored, known), after) : [];
    const mine = deployments.flatMap((d, n) => (d.record.state.component === c.component ? [n] : []));
    const i = mine.filter((n) => isActive(deployments[n]!.record.state.status)).at(-1) ?? -1;
    const at = i >= 0 ? i : (mine.at(-1) ?? -1);
    if (!what.length || at < 0) continue;
    const d = deployments[at]!;
    const s = d.record.state;
    const sentence =
      i >= 0
        ? `${c.component} v${s.toVersion}: ${event.by} set ${what.join(', ')}; this deployment keeps the settings it started with, the next release takes the new ones`
        : `${c.component}: ${event.by} set ${what.join(', ')}; the next release takes them`;
    const e = { at: now, type: 'configured', sentence, status: s.status, weightBp: s.weightBp };
    deployments[at] = { ...d, events: [...d.events, { ...e, seq: ++seq }] };
    events.push({ ...e, deploymentId: d.record.id });
  }
  if (!touched) return undefined;
  return { state: { ...state, configured, deployments, seq }, events };
}
