import { Option, type Command } from 'commander';
import { describeAlias, type AliasBody } from '../../api/index.js';
import { CliError } from '../admin-client.js';
import { client, positiveInt, print, withConnection, type CommonOptions } from '../common.js';
import { parseWeight } from '../options.js';

interface AliasOptions extends CommonOptions {
  version?: number;
  weight?: Record<string, number>;
  routing?: AliasBody['routing'];
  seed?: string;
}

/** `onebox alias`: Lambda's update-alias, by hand. */
export function registerAliasCommand(program: Command): void {
  withConnection(program.command('alias <component>'))
    .description(
      'show the live alias, or point it at a version (--version), optionally with one more version at a weight',
    )
    .option(
      '--version <n>',
      'version that serves everyone else (without it: show where the alias points)',
      positiveInt('--version'),
    )
    .option('--weight <version=weight>', 'additional version and its share, e.g. 2=0.2', parseWeight)
    .addOption(
      new Option('--routing <mode>', 'sticky: per user (default); request: per request, as Lambda does').choices([
        'sticky',
        'request',
      ]),
    )
    .option('--seed <seed>', 'hash seed (default: kept while the additional version is unchanged)')
    .action(async (component: string, opts: AliasOptions) => {
      if (opts.version === undefined) {
        if (opts.weight || opts.routing || opts.seed)
          throw new CliError(
            '--weight, --routing and --seed need --version (the version that serves everyone else)',
            2,
          );
        const { alias } = await client(opts).call('alias', { component });
        print(opts, { alias }, () =>
          alias ? `${component}: ${describeAlias(alias)}` : `${component} has no live version yet`,
        );
        return;
      }
      const { alias } = await client(opts).call(
        'setAlias',
        { component },
        { version: opts.version, weights: opts.weight, routing: opts.routing, seed: opts.seed },
      );
      print(opts, alias, () => `${component}: ${describeAlias(alias)}`);
    });
}
