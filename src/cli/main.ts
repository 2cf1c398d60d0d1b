#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolve as resolvePath } from 'node:path';
import { parseDuration, parseTarget, type Alias, type Version } from '../core/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import type { ComponentStatus, InvokeResult, ReleaseHistory } from '../app/control-plane.js';
import type { DeploymentRecord } from '../store/deployment-store.js';
import { ConfigError } from '../config/load.js';
import { CliError } from './admin-client.js';
import { client, positiveInt, print, wholeNumber, withConnection, type CommonOptions } from './common.js';
import { registerShadowCommands } from './shadow-commands.js';
import { registerDemoCommand } from './demo-command.js';
import { describeAlias, formatHistory, formatStatus, formatVersions } from './format.js';
import { serve } from './serve.js';

/** `--weight 2=0.2`: Lambda's AdditionalVersionWeights, one version. */
function parseWeight(value: string): Record<string, number> {
  const m = /^([1-9]\d*)=(\d*\.?\d+)$/.exec(value);
  const weight = m ? Number(m[2]) : NaN;
  if (!m || !(weight >= 0 && weight <= 1)) {
    throw new InvalidArgumentError(`expected VERSION=WEIGHT with a weight from 0 to 1 (e.g. 2=0.2), got "${value}"`);
  }
  return { [m[1]!]: weight };
}

function collectSet(value: string, acc: [string, number][]): [string, number][] {
  const m = /^([a-z][a-z0-9-]*)=([1-9]\d*)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected COMPONENT=VERSION (e.g. backend=4), got "${value}"`);
  return [...acc, [m[1]!, Number(m[2])]];
}

function collectAfter(value: string, acc: [string, string][]): [string, string][] {
  const m = /^([a-z][a-z0-9-]*):([a-z][a-z0-9-]*)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected COMPONENT:BEFORE (e.g. frontend:backend), got "${value}"`);
  return [...acc, [m[1]!, m[2]!]];
}

function collectEnv(value: string, acc: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
  if (!m) throw new InvalidArgumentError(`expected KEY=VALUE with a variable name as KEY, got "${value}"`);
  return { ...acc, [m[1]!]: m[2]! };
}

function collectPair(value: string, acc: [string, string][]): [string, string][] {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`expected COMPONENT=SPEC, got "${value}"`);
  return [...acc, [value.slice(0, at), value.slice(at + 1)]];
}

const ALARM_KEYS: Record<string, string> = {
  'error-rate': 'maxErrorRate',
  p50: 'maxP50Ms',
  p90: 'maxP90Ms',
  p99: 'maxP99Ms',
  'min-requests': 'minRequests',
};

function collectAlarm(value: string, acc: Record<string, number>): Record<string, number> {
  const m = /^([a-z0-9-]+)=(.+)$/.exec(value);
  const key = m && ALARM_KEYS[m[1]!];
  if (!m || !key)
    throw new InvalidArgumentError(`expected one of ${Object.keys(ALARM_KEYS).join(', ')} =VALUE, got "${value}"`);
  const raw = m[2]!;
  let n: number;
  if (key === 'maxErrorRate') n = raw.endsWith('%') ? Number(raw.slice(0, -1)) / 100 : Number(raw);
  else if (key === 'minRequests') n = Number(raw);
  else {
    const ms = parseDuration(raw.endsWith('ms') || /[smh]$/.test(raw) ? raw : `${raw}ms`);
    n = ms === undefined ? NaN : ms;
  }
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`alarm ${m[1]} needs a number, got "${raw}"`);
  return { ...acc, [key]: n };
}

const emptyToUndefined = <T extends object>(o: T): T | undefined => (Object.keys(o).length ? o : undefined);

function describeStarted(d: DeploymentRecord): string {
  const s = d.state;
  return `${s.component}: deployment ${d.id} v${s.fromVersion} -> v${s.toVersion} ${s.status}${d.after.length ? ` (after ${d.after.join(', ')})` : ''}; follow with \`onebox status --watch\``;
}

export function buildProgram(): Command {
  const program = new Command('onebox')
    .description('Release web apps gradually and safely: sticky one-box, traffic shifting, automatic rollback.')
    .showHelpAfterError()
    // Usage errors (a bad option value, a missing argument) exit 2, like invalid config.
    .exitOverride((err) => process.exit(err.exitCode === 1 ? 2 : err.exitCode));

  program
    .command('serve')
    .description('run the gateway and admin API (and the state they keep) in this process')
    .option('-c, --config <file>', 'config file, YAML or JSON (default: ./onebox.yaml)')
    .option('--sample', 'start two sample versions of a site and split them 80/20, sticky per user')
    .option('--listen <host:port>', 'gateway address (overrides gateway.listen)')
    .option('--admin-listen <host:port>', 'admin API address (overrides admin.listen)')
    .option(
      '--workers <n>',
      'gateway worker processes sharing its port, for more cores (overrides gateway.workers; default 0: in this process)',
      wholeNumber('--workers'),
    )
    .action(async (opts) => serve(opts));

  withConnection(program.command('publish <component>'))
    .description('publish a new immutable version of a component (an upstream URL or a handler); prints its number')
    .option('--url <url>', 'upstream URL that serves this version')
    .option(
      '--handler <dir-or-file[#export]>',
      'a Lambda-style handler module; its code is copied now, so the version never changes',
    )
    .option('--timeout <duration>', 'handler invocation timeout (default 3s, as Lambda)')
    .option(
      '--env <KEY=VALUE>',
      "a handler's environment variable, part of the version (repeatable)",
      collectEnv,
      {} as Record<string, string>,
    )
    .option('--description <text>', 'what this version is')
    .action(
      async (
        component: string,
        opts: CommonOptions & {
          url?: string;
          handler?: string;
          timeout?: string;
          env: Record<string, string>;
          description?: string;
        },
      ) => {
        if (!opts.url === !opts.handler) throw new CliError('give exactly one of --url or --handler', 2);
        let body: Record<string, unknown>;
        if (opts.handler) {
          const hash = opts.handler.lastIndexOf('#');
          const [path, exportName] =
            hash > 0 ? [opts.handler.slice(0, hash), opts.handler.slice(hash)] : [opts.handler, ''];
          const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
          if (timeoutMs === undefined && opts.timeout !== undefined)
            throw new CliError(`--timeout: expected a duration such as 3s, got "${opts.timeout}"`, 2);
          body = {
            handler: `${resolvePath(path)}${exportName}`,
            timeoutMs,
            env: emptyToUndefined(opts.env),
            description: opts.description,
          };
        } else if (Object.keys(opts.env).length) throw new CliError('--env applies to --handler versions only', 2);
        else body = { url: opts.url, description: opts.description };
        const { version } = await client(opts).call<{ version: Version }>(
          'POST',
          `/v1/components/${component}/versions`,
          body,
        );
        const target = parseTarget(version.target);
        const where = target.kind === 'url' ? target.url : `handler ${target.handler} (timeout ${target.timeoutMs} ms)`;
        print(opts, version, () => `published ${component} version ${version.number} -> ${where}`);
      },
    );

  withConnection(program.command('alias <component>'))
    .description('point the live alias at a version, optionally with one more version at a weight')
    .requiredOption('--version <n>', 'version that serves everyone else', positiveInt('--version'))
    .option('--weight <version=weight>', 'additional version and its share, e.g. 2=0.2', parseWeight)
    .addOption(
      new Option('--routing <mode>', 'sticky: per user (default); request: per request, as Lambda does').choices([
        'sticky',
        'request',
      ]),
    )
    .option('--seed <seed>', 'hash seed (default: kept while the additional version is unchanged)')
    .action(
      async (
        component: string,
        opts: CommonOptions & { version: number; weight?: Record<string, number>; routing?: string; seed?: string },
      ) => {
        const { alias } = await client(opts).call<{ alias: Alias }>('PUT', `/v1/components/${component}/alias`, {
          version: opts.version,
          weights: opts.weight,
          routing: opts.routing,
          seed: opts.seed,
        });
        print(opts, alias, () => `${component}: ${describeAlias(alias)}`);
      },
    );

  withConnection(program.command('versions <component>'))
    .description("list a component's versions")
    .action(async (component: string, opts: CommonOptions) => {
      const c = client(opts);
      const { versions } = await c.call<{ versions: Version[] }>('GET', `/v1/components/${component}/versions`);
      const { alias } = await c.call<{ alias: Alias | null }>('GET', `/v1/components/${component}/alias`);
      print(opts, { versions, alias }, () =>
        versions.length ? formatVersions(versions, alias) : `${component} has no versions yet`,
      );
    });

  withConnection(program.command('retire <component> <version>'))
    .description('retire a version: it can never be routed to again')
    .action(async (component: string, version: string, opts: CommonOptions) => {
      const n = positiveInt('version')(version);
      const res = await client(opts).call<{ version: Version }>(
        'POST',
        `/v1/components/${component}/versions/${n}/retire`,
      );
      print(opts, res.version, () => `retired ${component} version ${n}`);
    });

  withConnection(program.command('status'))
    .description('components, live aliases, deployments in progress and per-version traffic')
    .option('-w, --watch', 'redraw every second until Ctrl-C')
    .action(async (opts: CommonOptions & { watch?: boolean }) => {
      const c = client(opts);
      const render = async (): Promise<string> => {
        const res = await c.call<{ components: ComponentStatus[]; fallbacks: Record<string, number> }>(
          'GET',
          '/v1/status',
        );
        if (opts.json) return JSON.stringify(res, null, 2);
        const fallbacks = Object.entries(res.fallbacks);
        const tail = fallbacks.length ? `\nabsorbed: ${fallbacks.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
        return formatStatus(res.components) + tail;
      };
      if (!opts.watch) return void console.log(await render());
      for (;;) {
        const text = await render();
        process.stdout.write(`\x1b[H\x1b[2J${text}\n`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    });

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
        const res = await client(opts).call<{ release: string; deployments: DeploymentRecord[] }>(
          'POST',
          '/v1/releases',
          body,
        );
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
      ).choices(['prod-one-box']),
    )
    .action(
      async (
        opts: CommonOptions & {
          set: [string, number][];
          after: [string, string][];
          config: [string, string][];
          recipe?: string;
        },
      ) => {
        const configs = new Map(opts.config);
        const components = opts.set.map(([component, version]) => {
          const after = opts.after.filter(([c]) => c === component).map(([, b]) => b);
          return { component, version, config: configs.get(component), after: after.length ? after : undefined };
        });
        const res = await client(opts).call<{ release: string; deployments: DeploymentRecord[] }>(
          'POST',
          '/v1/releases',
          { components, recipe: opts.recipe },
        );
        print(opts, res, () => [`release ${res.release}`, ...res.deployments.map(describeStarted)].join('\n'));
      },
    );

  withConnection(program.command('history [component]'))
    .description('releases with every event, newest first')
    .option('--limit <n>', 'how many releases', positiveInt('--limit'), 20)
    .action(async (component: string | undefined, opts: CommonOptions & { limit: number }) => {
      const res = await client(opts).call<{ releases: ReleaseHistory[] }>('GET', `/v1/history?limit=${opts.limit}`);
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
    command: (o: { all?: boolean }) => string,
    extra?: (c: Command) => Command,
  ) => {
    const cmd = withConnection(program.command(`${name} <component>`)).description(description);
    (extra ? extra(cmd) : cmd).action(async (component: string, opts: CommonOptions & { all?: boolean }) => {
      const res = await client(opts).call<{ deployment: DeploymentRecord }>(
        'POST',
        `/v1/components/${component}/deployment/${command(opts)}`,
      );
      print(
        opts,
        res.deployment,
        () =>
          `${component}: ${res.deployment.state.status}${res.deployment.state.reason ? ` (${res.deployment.state.reason})` : ''}, v${res.deployment.state.toVersion} at ${res.deployment.state.weightBp / 100}%`,
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

  program
    .command('simulate')
    .description('run many releases against a synthetic population in virtual time, with the real reducer and gates')
    .option('-s, --scenario <names>', 'comma-separated scenarios (--list), or all (default: aa,errors,p99,exposure)')
    .option(
      '--gate <gates>',
      'judge (alarms + judge, as the controller), judge-only, alarm (fixed, 1-minute periods), alarm+p99 (default: judge,judge-only,alarm)',
    )
    .option('--routing <modes>', 'sticky, request, or both: sticky,request (default)')
    .option('-n, --runs <n>', 'releases per scenario, gate and routing mode (default 200)')
    .option('--seed <n>', 'seed: the same seed gives the same figures (default 1)')
    .option('--first-run <n>', 'index of the first run (default 0)')
    .option('--config <spec>', 'override the deployment config, e.g. LambdaLinear10PercentEvery1Minute')
    .option(
      '--fault <spec>',
      'override the fault: none, errors:1%->3%, latency:x1.5, p99:x1.5, with @route,route for some routes only',
    )
    .option('--users <n>', 'population size (default 20000)')
    .option('--rps <n>', 'requests per second of virtual time (default 100)')
    .option('--error-rate <pct>', 'base error rate of both versions (default 1%)')
    .option('--tick <duration>', 'how often the gate is read (default 5s)')
    .option(
      '--on-inconclusive <policy>',
      'rollback or proceed (default: rollback for good releases, proceed for bad ones)',
    )
    .option(
      '--judge <key=value>',
      'judge setting, e.g. tailRatio=2 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option(
      '--alarm <name=value>',
      'alarm threshold: error-rate=5%, p99=400ms, min-requests=300 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--replay <run>', "run one release and print the reducer's events")
    .option('--workers <n>', 'threads (default: one per core)')
    .option('--list', 'list the scenarios')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts) => (await import('../sim/cli.js')).simulate(opts));

  withConnection(program.command('invoke <function> [outfile]'))
    .description(
      'invoke a handler version like `aws lambda invoke`: function is component[:live|:N]; the payload goes to outfile (default: stdout)',
    )
    .option('--payload <file>', 'JSON event file (default: {})')
    .action(async (fn: string, outfile: string | undefined, opts: CommonOptions & { payload?: string }) => {
      const [component, qualifier = 'live'] = fn.split(':');
      let payload: unknown = {};
      if (opts.payload) {
        try {
          payload = JSON.parse(readFileSync(opts.payload.replace(/^file:\/\//, ''), 'utf8'));
        } catch (err) {
          throw new CliError(`--payload ${opts.payload}: ${(err as Error).message}`, 2);
        }
      }
      const r = await client(opts).call<InvokeResult>('POST', `/v1/components/${component}/invoke`, {
        qualifier,
        payload,
      });
      const summary = {
        StatusCode: r.statusCode,
        ExecutedVersion: r.executedVersion,
        ...(r.functionError ? { FunctionError: r.functionError } : {}),
      };
      const out = JSON.stringify(r.payload);
      if (outfile && outfile !== '-') writeFileSync(outfile, out);
      console.log(JSON.stringify(summary, null, 4));
      if (!outfile || outfile === '-') console.log(out);
    });

  registerShadowCommands(program);
  registerDemoCommand(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CliError) {
      console.error(`onebox: ${err.message}`);
      process.exit(err instanceof ConfigError ? 2 : err.exitCode);
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      console.error(
        `onebox: address in use: ${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}; pick another with --listen / --admin-listen`,
      );
      process.exit(1);
    }
    console.error(`onebox: ${e.message ?? String(err)}`);
    process.exit(1);
  }
}

await main();
