import type { Command } from 'commander';
import { resolve as resolvePath } from 'node:path';
import { NODE_RUNTIMES, parseDuration } from '../../core/index.js';
import { CliError } from '../admin-client.js';
import { client, positiveInt, print, withConnection, type CommonOptions } from '../common.js';
import { describeTarget, formatVersions } from '../format.js';
import { collectEnv, emptyToUndefined } from '../options.js';

interface PublishOptions extends CommonOptions {
  url?: string;
  handler?: string;
  timeout?: string;
  env: Record<string, string>;
  runtime?: string;
  description?: string;
}

/** `onebox publish | versions | retire`: a component's immutable versions. */
export function registerVersionCommands(program: Command): void {
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
    .option('--runtime <runtime>', `the Lambda runtime the handler is written for (${NODE_RUNTIMES.join(', ')})`)
    .option('--description <text>', 'what this version is')
    .action(async (component: string, opts: PublishOptions) => {
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
          runtime: opts.runtime,
          description: opts.description,
        };
      } else if (Object.keys(opts.env).length || opts.runtime)
        throw new CliError('--env and --runtime apply to --handler versions only', 2);
      else body = { url: opts.url, description: opts.description };
      const { version, note } = await client(opts).call('publish', { component }, body);
      // On stderr, so that --json still prints the version alone.
      if (note) console.error(`onebox: ${note}`);
      print(
        opts,
        version,
        () => `published ${component} version ${version.number} -> ${describeTarget(version.target)}`,
      );
    });

  withConnection(program.command('versions <component>'))
    .description("list a component's versions")
    .action(async (component: string, opts: CommonOptions) => {
      const c = client(opts);
      const { versions } = await c.call('versions', { component });
      const { alias } = await c.call('alias', { component });
      print(opts, { versions, alias }, () =>
        versions.length ? formatVersions(versions, alias) : `${component} has no versions yet`,
      );
    });

  withConnection(program.command('retire <component> <version>'))
    .description('retire a version: it can never be routed to again')
    .action(async (component: string, version: string, opts: CommonOptions) => {
      const n = positiveInt('version')(version);
      const res = await client(opts).call('retire', { component, version: n });
      print(opts, res.version, () => `retired ${component} version ${n}`);
    });

  withConnection(program.command('delete-version <component> <version>'))
    .description(
      'delete a version that serves no one (as `aws lambda delete-function --function-name F:N`); its number is never reused',
    )
    .action(async (component: string, version: string, opts: CommonOptions) => {
      const n = positiveInt('version')(version);
      const res = await client(opts).call('deleteVersion', { component, version: n });
      print(opts, res, () => `deleted ${component} version ${n}`);
    });
}
