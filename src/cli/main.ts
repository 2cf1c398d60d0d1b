#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Alias, Version } from '../core/index.js';
import type { ComponentStatus } from '../app/control-plane.js';
import { ConfigError } from '../config/load.js';
import { AdminClient, CliError, resolveConnection, type ConnectionOptions } from './admin-client.js';
import { describeAlias, formatStatus, formatVersions } from './format.js';
import { serve } from './serve.js';

interface CommonOptions extends ConnectionOptions {
  readonly json?: boolean;
}

const positiveInt = (name: string) => (value: string): number => {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError(`${name} must be a positive whole number, got "${value}"`);
  return Number(value);
};

/** `--weight 2=0.2`: Lambda's AdditionalVersionWeights, one version. */
function parseWeight(value: string): Record<string, number> {
  const m = /^([1-9]\d*)=(\d*\.?\d+)$/.exec(value);
  const weight = m ? Number(m[2]) : NaN;
  if (!m || !(weight >= 0 && weight <= 1)) {
    throw new InvalidArgumentError(`expected VERSION=WEIGHT with a weight from 0 to 1 (e.g. 2=0.2), got "${value}"`);
  }
  return { [m[1]!]: weight };
}

function withConnection(cmd: Command): Command {
  return cmd
    .option('--json', 'print machine-readable JSON')
    .option('--admin-url <url>', 'admin API address (default: ONEBOX_ADMIN_URL, else from the config, else http://127.0.0.1:8081)')
    .option('--token <token>', 'admin token (default: ONEBOX_ADMIN_TOKEN, else from the config or its state folder)')
    .option('-c, --config <file>', 'config file to read the admin address and token from (default: ./onebox.yaml if present)');
}

function client(opts: CommonOptions): AdminClient {
  const { url, token } = resolveConnection(opts);
  return new AdminClient(url, token);
}

function print(opts: CommonOptions, json: unknown, human: () => string): void {
  console.log(opts.json ? JSON.stringify(json, null, 2) : human());
}

export function buildProgram(): Command {
  const program = new Command('onebox')
    .description('Release web apps gradually and safely: sticky one-box, traffic shifting, automatic rollback.')
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the gateway and admin API (and the state they keep) in this process')
    .option('-c, --config <file>', 'config file, YAML or JSON (default: ./onebox.yaml)')
    .option('--sample', 'start two sample versions of a site and split them 80/20, sticky per user')
    .option('--listen <host:port>', 'gateway address (overrides gateway.listen)')
    .option('--admin-listen <host:port>', 'admin API address (overrides admin.listen)')
    .action(async (opts) => serve(opts));

  withConnection(program.command('publish <component>'))
    .description('publish a new immutable version of a component; prints its number')
    .requiredOption('--url <url>', 'upstream URL that serves this version')
    .option('--description <text>', 'what this version is')
    .action(async (component: string, opts: CommonOptions & { url: string; description?: string }) => {
      const { version } = await client(opts).call<{ version: Version }>('POST', `/v1/components/${component}/versions`, {
        url: opts.url,
        description: opts.description,
      });
      print(opts, version, () => `published ${component} version ${version.number} -> ${version.target}`);
    });

  withConnection(program.command('alias <component>'))
    .description("point the live alias at a version, optionally with one more version at a weight")
    .requiredOption('--version <n>', 'version that serves everyone else', positiveInt('--version'))
    .option('--weight <version=weight>', 'additional version and its share, e.g. 2=0.2', parseWeight)
    .addOption(new Option('--routing <mode>', 'sticky: per user (default); request: per request, as Lambda does').choices(['sticky', 'request']))
    .option('--seed <seed>', 'hash seed (default: kept while the additional version is unchanged)')
    .action(async (component: string, opts: CommonOptions & { version: number; weight?: Record<string, number>; routing?: string; seed?: string }) => {
      const { alias } = await client(opts).call<{ alias: Alias }>('PUT', `/v1/components/${component}/alias`, {
        version: opts.version,
        weights: opts.weight,
        routing: opts.routing,
        seed: opts.seed,
      });
      print(opts, alias, () => `${component}: ${describeAlias(alias)}`);
    });

  withConnection(program.command('versions <component>'))
    .description("list a component's versions")
    .action(async (component: string, opts: CommonOptions) => {
      const c = client(opts);
      const { versions } = await c.call<{ versions: Version[] }>('GET', `/v1/components/${component}/versions`);
      const { alias } = await c.call<{ alias: Alias | null }>('GET', `/v1/components/${component}/alias`);
      print(opts, { versions, alias }, () => (versions.length ? formatVersions(versions, alias) : `${component} has no versions yet`));
    });

  withConnection(program.command('retire <component> <version>'))
    .description('retire a version: it can never be routed to again')
    .action(async (component: string, version: string, opts: CommonOptions) => {
      const n = positiveInt('version')(version);
      const res = await client(opts).call<{ version: Version }>('POST', `/v1/components/${component}/versions/${n}/retire`);
      print(opts, res.version, () => `retired ${component} version ${n}`);
    });

  withConnection(program.command('status'))
    .description('components, live aliases and per-version traffic')
    .action(async (opts: CommonOptions) => {
      const res = await client(opts).call<{ components: ComponentStatus[]; fallbacks: Record<string, number> }>('GET', '/v1/status');
      print(opts, res, () => {
        const fallbacks = Object.entries(res.fallbacks);
        const tail = fallbacks.length ? `\nabsorbed: ${fallbacks.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
        return formatStatus(res.components) + tail;
      });
    });

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
      console.error(`onebox: address in use: ${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}; pick another with --listen / --admin-listen`);
      process.exit(1);
    }
    console.error(`onebox: ${e.message ?? String(err)}`);
    process.exit(1);
  }
}

await main();
