import { InvalidArgumentError, type Command } from 'commander';
import { describeLogEntry } from '../../api/index.js';
import { COMPONENT_NAME_PATTERN } from '../../core/index.js';
import { AWS_LOGS_DAYS, awsVersionLogs, cloudWatchLogsFilter, describeAwsLogLine } from '../aws-logs.js';
import { client, positiveInt, print, withConnection, type CommonOptions } from '../common.js';

interface LogsOptions extends CommonOptions {
  limit?: number;
  stack?: boolean;
}

const COMPONENT_AND_VERSION = new RegExp(`^(${COMPONENT_NAME_PATTERN})(?::([1-9]\\d*))?$`);

/** `web` or `web:3`: a component, and a version of it. */
function componentAndVersion(value: string): { component: string; version: number | undefined } {
  const m = COMPONENT_AND_VERSION.exec(value);
  if (!m)
    throw new InvalidArgumentError(`expected <component> or <component>:<version>, e.g. web or web:3, got "${value}"`);
  return { component: m[1]!, version: m[2] === undefined ? undefined : Number(m[2]) };
}

/** `onebox logs <component>[:N]`: the gateway's recent failure answers for a component's versions. */
export function registerLogsCommand(program: Command): void {
  withConnection(program.command('logs'))
    .argument('<component[:version]>', 'a component, or one of its versions (web, web:3)', componentAndVersion)
    .description(
      "recent answers the gateway gave or replaced for a version, and why (handler errors, load failures, timeouts, upstream failures); with --aws, the lines the version's Lambda function wrote (CloudWatch Logs)",
    )
    .option('--limit <n>', 'at most this many, the newest (default 100)', positiveInt('--limit'))
    .option('--stack', 'print the stack of handler errors too')
    .action(async (target: { component: string; version: number | undefined }, opts: LogsOptions) => {
      const { component, version } = target;
      if (opts.aws) {
        // On AWS: what the version's function wrote (CloudWatch Logs), not the gateway's entries.
        const lines = await awsVersionLogs(client(opts), cloudWatchLogsFilter(), {
          component,
          version,
          limit: opts.limit ?? 100,
          now: Date.now(),
        });
        const none = `no log lines of ${component}${version === undefined ? '' : `:${version}`} in the last ${AWS_LOGS_DAYS} days`;
        print(opts, { logs: lines }, () => (lines.length ? lines.map(describeAwsLogLine).join('\n') : none));
        return;
      }
      const { logs } = await client(opts).call('logs', { component }, undefined, { version, limit: opts.limit });
      const none = `no gateway log entries for ${component}${version === undefined ? '' : `:${version}`}`;
      print(opts, { logs }, () => (logs.length ? logs.map((e) => describeLogEntry(e, opts.stack)).join('\n') : none));
    });
}
