import type { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startOnebox, type RunningOnebox } from '../../engine/onebox.js';
import { parseConfig, readConfigInput } from '../../config/load.js';
import type { OneboxConfig } from '../../config/schema.js';
import { startSampleSite, type SampleSite } from '../../tools/sample/site.js';
import { checkStickiness } from '../../tools/sample/check.js';
import { DEFAULT_CONFIG_FILE, CliError } from '../admin-client.js';
import { wholeNumber } from '../common.js';
import { describeLogEntry, type GatewayLogEntry } from '../../api/index.js';

export interface ServeOptions {
  readonly config?: string;
  readonly sample?: boolean;
  readonly listen?: string;
  readonly adminListen?: string;
  readonly workers?: number;
  /** Print where it listens as one JSON document on stdout; everything else goes to stderr. */
  readonly json?: boolean;
}

/** A gateway log entry as `onebox serve` prints it, stack included. */
const printGatewayLog = (entry: GatewayLogEntry): void =>
  console.error(`onebox: gateway: ${describeLogEntry(entry, true)}`);

/** Applies the command line's address overrides to a config document, then validates it. */
function withOverrides(input: unknown, opts: ServeOptions, source: string): OneboxConfig {
  const doc = (input ?? {}) as { gateway?: object; admin?: object };
  return parseConfig(
    {
      ...doc,
      gateway: {
        ...doc.gateway,
        ...(opts.listen ? { listen: opts.listen } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      },
      admin: { ...doc.admin, ...(opts.adminListen ? { listen: opts.adminListen } : {}) },
    },
    source,
  );
}

/** `onebox serve`: the whole local engine in this process until SIGINT/SIGTERM. */
export async function serve(opts: ServeOptions): Promise<void> {
  // With --json, stdout holds one document (where it listens); the running story goes to stderr.
  const say = opts.json ? console.error : console.log;
  const sites: SampleSite[] = [];
  let running: RunningOnebox;
  if (opts.sample) {
    // The sample keeps its state in a folder of its own, fresh on every start.
    const dir = join('.onebox', 'sample');
    rmSync(dir, { recursive: true, force: true });
    const config = withOverrides({ state: { dir }, components: [{ name: 'web', route: '/' }] }, opts, 'the sample');
    sites.push(await startSampleSite('v1'), await startSampleSite('v2'));
    // The token stays where the CLI looks by default, so `onebox status` just works.
    running = await startOnebox(config, { tokenDir: '.onebox', onGatewayLog: printGatewayLog });
    running.plane.publish('web', { url: sites[0]!.url, description: 'sample site v1' });
    running.plane.publish('web', { url: sites[1]!.url, description: 'sample site v2' });
    running.plane.setAlias('web', { version: 1, weights: { '2': 0.2 } });
  } else {
    const file = opts.config ?? DEFAULT_CONFIG_FILE;
    if (!opts.config && !existsSync(file)) {
      throw new CliError(`no ${DEFAULT_CONFIG_FILE} here: pass --config FILE, or try \`onebox serve --sample\``, 2);
    }
    running = await startOnebox(withOverrides(readConfigInput(file), opts, file), {
      onEvent: (e) => say(`${new Date(e.at).toISOString().slice(11, 19)}  ${e.sentence}`),
      onError: (err) =>
        console.error(`onebox: controller: ${err.message}; no deployment moves until this is fixed (retrying)`),
      onRecover: () => console.error('onebox: controller: the state file is writable again; deployments carry on'),
      onWorkerExit: (description) => console.error(`onebox: ${description}`),
      onGatewayLog: printGatewayLog,
      onShadowError: (err) =>
        console.error(`onebox: shadow report not saved: ${err.message} (kept in memory, retrying)`),
    });
  }

  if (opts.json) {
    console.log(
      JSON.stringify({
        gateway: running.gatewayUrl,
        admin: running.adminUrl,
        dashboard: `${running.adminUrl}/`,
        workers: running.workers?.size ?? 0,
      }),
    );
  }
  const inWorkers = running.workers ? `  (${running.workers.size} worker processes)` : '';
  say(`onebox gateway  ${running.gatewayUrl}${inWorkers}`);
  say(`onebox admin    ${running.adminUrl}  (token: ${running.adminToken.slice(0, 4)}…; the CLI finds it)`);
  say(`onebox dashboard ${running.adminUrl}/  (sign in with an admin token)`);
  if (opts.sample) {
    say('\nSample: component "web" at /, live alias v1 with v2 at 20% (sticky per user).');
    const check = await checkStickiness(running.gatewayUrl, 1000, 5);
    say(
      `Self-check: ${check.users} new users, ${check.requestsPerUser} requests each: ` +
        `${(check.shareOnNew * 100).toFixed(1)}% on v2, ${check.switched} users switched version, ` +
        `${check.brokenPages} broken pages.`,
    );
    say(`\nTry it:\n  curl -si ${running.gatewayUrl}/ | grep -i -e x-onebox-version -e set-cookie`);
    say(`  open ${running.gatewayUrl}/ in a browser and reload: you stay on one version`);
    say('  npx onebox status            (in another terminal; add --json for machine output)');
    say('  npx onebox alias web --version 1 --weight 2=0.5   (raise v2 to 50%: v2 users stay on v2)');
  }
  say('\nCtrl-C stops.');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  await Promise.all(sites.map((s) => s.close()));
}

export function registerServeCommand(program: Command): void {
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
    .option('--json', 'print where it listens as one JSON document on stdout; the rest goes to stderr')
    .action(async (opts: ServeOptions) => serve(opts));
}
