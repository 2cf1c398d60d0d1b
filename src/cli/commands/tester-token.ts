import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { ComponentStatus } from '../../api/index.js';
import { entrypointOf, parseDuration } from '../../core/index.js';
import { loadConfigFile } from '../../config/load.js';
import { signTesterToken, TESTER_HEADER } from '../../engine/tester-tokens.js';
import { CliError, DEFAULT_CONFIG_FILE } from '../admin-client.js';
import { client, positiveInt, print, withConnection, type CommonOptions } from '../common.js';

interface TesterTokenOptions extends CommonOptions {
  readonly ttl: string;
}

/** Longest grant: a tester token is a credential, not an account. */
const MAX_TTL_MS = 7 * 86_400_000;

/** Why the live alias would not let a token for `version` through, or undefined when it would. */
export function notRoutedProblem(status: ComponentStatus, version: number): string | undefined {
  const alias = status.alias;
  const found = status.versions.find((v) => v.number === version);
  if (!found) return `${status.name} has no version ${version}`;
  if (found.retiredAt) return `${status.name} v${version} is retired`;
  if (!alias) return `${status.name} has no live alias yet`;
  if (alias.version === version || alias.additional?.version === version) return undefined;
  const routed = alias.additional ? `v${alias.version} and v${alias.additional.version}` : `v${alias.version}`;
  return `the live alias of ${status.name} routes ${routed}, not v${version}`;
}

/**
 * `onebox tester-token <component> <version>`: a signed grant to reach one version through
 * its entrypoint (`/.onebox/v/<component>/<version>/`), whatever the holder's assignment,
 * signed with the config's `gateway.testerSecret`. The token alone goes to stdout. A version
 * the live alias does not route is refused (the gateway would refuse its token); when the
 * admin API cannot be asked (-f's address and token), the token is made and stderr says so.
 */
export function registerTesterTokenCommand(program: Command): void {
  withConnection(program.command('tester-token <component> <version>'))
    .description('a token that lets its holder reach one version through its entrypoint (gateway.testerSecret)')
    .option('--ttl <duration>', 'how long the token is good for, at most 7d', '1h')
    .action(async (component: string, versionText: string, opts: TesterTokenOptions) => {
      const version = positiveInt('<version>')(versionText);
      const ttlMs = parseDuration(opts.ttl);
      if (ttlMs === undefined || ttlMs <= 0 || ttlMs > MAX_TTL_MS)
        throw new CliError(`--ttl must be a duration above 0 and at most 7d (e.g. 30m, 1h), got "${opts.ttl}"`, 2);
      const file = opts.file ?? DEFAULT_CONFIG_FILE;
      if (!existsSync(file)) throw new CliError(`no config file ${file}: pass -f FILE, the gateway's config`, 2);
      const secret = loadConfigFile(file).gateway.testerSecret;
      if (!secret)
        throw new CliError(
          `${file} sets no gateway.testerSecret: the gateway refuses every tester token without one`,
          2,
        );
      await checkRouted(opts, component, version);
      const expiresAt = Date.now() + ttlMs;
      const token = signTesterToken(secret, { component, version, expiresAt });
      const entrypoint = `${entrypointOf(component, version)}/`;
      print(
        opts,
        { component, version, expiresAt: new Date(expiresAt).toISOString(), header: TESTER_HEADER, entrypoint, token },
        () => token,
      );
      if (!opts.json)
        console.error(
          `send it as ${TESTER_HEADER}: <token> to ${entrypoint}..., until ${new Date(expiresAt).toISOString()}`,
        );
    });
}

async function checkRouted(opts: TesterTokenOptions, component: string, version: number): Promise<void> {
  let components: readonly ComponentStatus[];
  try {
    components = (await client(opts).call('status')).components;
  } catch (err) {
    // Not reachable, or not with these credentials: it cannot know, so it says so.
    console.error(
      `onebox: could not ask the admin API whether v${version} is routed (${(err as Error).message}); made the token anyway`,
    );
    return;
  }
  const status = components.find((c) => c.name === component);
  if (!status) throw new CliError(`no component ${component} (${components.map((c) => c.name).join(', ')})`, 1);
  const problem = notRoutedProblem(status, version);
  if (problem) throw new CliError(`${problem}: the gateway would refuse its tester token`, 1);
}
