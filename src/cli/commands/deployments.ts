import { Option, type Command } from 'commander';
import { RECIPE_NAMES, type DeploymentRecord } from '../../core/index.js';
import type { PersonCommand, ReleaseBody } from '../../api/index.js';
import { client, positiveInt, print, withConnection, type CommonOptions } from '../common.js';
import { formatHistory } from '../format.js';
import { collectAfter, collectAlarm, collectPair, collectSet, emptyToUndefined } from '../options.js';

function describeStarted(d: DeploymentRecord): string {
  const s = d.state;
  return `${s.component}: deployment ${d.id} v${s.fromVersion} -> v${s.toVersion} ${s.status}${d.after.length ? ` (after ${d.after.join(', ')})` : ''}; follow with \`onebox status --watch\``;
}

interface ReleaseOptions extends CommonOptions {
  set: [string, number][];
  after: [string, string][];
  config: [string, string][];
  recipe?: ReleaseBody['recipe'];
}

/** `onebox deploy | release | history` and the manual controls of a running deployment. */
export function registerDeploymentCommands(program: Command): void {
  withConnection(program.command('deploy <component> <version>'))
    .description('move the live alias to a version step by step, watched by alarms')
    .option(
      '--config <spec>',
      "deployment config: a CodeDeploy preset, canary:10%:5m, linear:10%:1m, onebox:20%:10m, steps:1%@5m,50%@10m,100% (+bake:10m); default: the component's",
    )
    .option(
      '--alarm <name=value>',
      'override an alarm: error-rate=2%, p50|p90|p99=300ms, min-requests=50 (repeatable)',
      collectAlarm,
      {},
    )
    .action(
      async (
        component: string,
        version: string,
        opts: CommonOptions & { config?: string; alarm: Record<string, number> },
      ) => {
        const body = {
          components: [
            {
              component,
              version: positiveInt('version')(version),
              config: opts.config,
              alarms: emptyToUndefined(opts.alarm),
            },
          ],
        };
        const res = await client(opts).call('release', {}, body);
        print(opts, res, () => res.deployments.map(describeStarted).join('\n'));
      },
    );

  withConnection(program.command('release'))
    .description('deploy several components in order, as one release with one history')
    .requiredOption('--set <component=version>', 'a component and its new version (repeatable)', collectSet, [])
    .option('--after <component:before>', 'start component only after before succeeded (repeatable)', collectAfter, [])
    .option('--config <component=spec>', 'deployment config for one component (repeatable)', collectPair, [])
    .addOption(
      new Option(
        '--recipe <name>',
        'prod-one-box: backends linear 10%/1m, then the frontend (routed at /) one-box 20% baking 10m',
      ).choices(RECIPE_NAMES),
    )
    .action(async (opts: ReleaseOptions) => {
      const configs = new Map(opts.config);
      const components = opts.set.map(([component, version]) => {
        const after = opts.after.filter(([c]) => c === component).map(([, b]) => b);
        return { component, version, config: configs.get(component), after: after.length ? after : undefined };
      });
      const res = await client(opts).call('release', {}, { components, recipe: opts.recipe });
      print(opts, res, () => [`release ${res.release}`, ...res.deployments.map(describeStarted)].join('\n'));
    });

  withConnection(program.command('history [component]'))
    .description('releases with every event, newest first')
    .option('--limit <n>', 'how many releases', positiveInt('--limit'), 20)
    .action(async (component: string | undefined, opts: CommonOptions & { limit: number }) => {
      const res = await client(opts).call('history', {}, undefined, { limit: opts.limit });
      const releases = component
        ? res.releases
            .map((r) => ({ ...r, deployments: r.deployments.filter((d) => d.state.component === component) }))
            .filter((r) => r.deployments.length)
        : res.releases;
      print(opts, { releases }, () => formatHistory(releases));
    });

  const control = (
    name: string,
    description: string,
    command: (o: { all?: boolean }) => PersonCommand,
    extra?: (c: Command) => Command,
  ): void => {
    const cmd = withConnection(program.command(`${name} <component>`)).description(description);
    (extra ? extra(cmd) : cmd).action(async (component: string, opts: CommonOptions & { all?: boolean }) => {
      const { deployment: d } = await client(opts).call('command', { component, command: command(opts) });
      const s = d.state;
      print(
        opts,
        d,
        () => `${component}: ${s.status}${s.reason ? ` (${s.reason})` : ''}, v${s.toVersion} at ${s.weightBp / 100}%`,
      );
    });
  };
  control('pause', 'hold the deployment at its current weight (alarms still roll back)', () => 'pause');
  control('resume', 'continue a paused deployment with the hold time it had left', () => 'resume');
  control(
    'promote',
    'skip to the next step now (--all: straight to 100%)',
    (o) => (o.all ? 'promote-all' : 'promote'),
    (c) => c.option('--all', 'go straight to 100%'),
  );
  control('rollback', 'all traffic back to the previous version now (also after success)', () => 'rollback');
  control('stop', 'stop the deployment; traffic back to the previous version', () => 'stop');
}
