import type { Version } from '../core/index.js';
import { CliError } from './admin-client.js';
import type { ControlClient } from './common.js';

/** One line a version's function wrote, from its CloudWatch Logs group. */
export interface AwsLogLine {
  /** When it was written, ISO 8601. */
  readonly at: string;
  readonly component: string;
  readonly version: number;
  readonly stream: string;
  readonly message: string;
}

/** FilterLogEvents, as much of it as `onebox logs --aws` uses. */
export type FilterLogEvents = (input: {
  logGroupName: string;
  logStreamNamePrefix: string;
  startTime: number;
  nextToken?: string;
}) => Promise<{
  events?: { timestamp?: number; logStreamName?: string; message?: string }[];
  nextToken?: string;
}>;

/** How far back `onebox logs --aws` reads: the streams of today and yesterday (UTC). */
export const AWS_LOGS_DAYS = 2;
/** Pages of FilterLogEvents read per version and day at most (each up to 1 MB or 10,000 events). */
const MAX_PAGES = 10;

/**
 * Lambda names a function's log streams `YYYY/MM/DD/[<version>]<id>`, so one version's
 * lines of one day are those under the prefix `YYYY/MM/DD/[<version>]`: FilterLogEvents
 * reads only its streams, not the whole group.
 */
export function streamPrefix(version: number, day: number): string {
  const d = new Date(day);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/[${version}]`;
}

/**
 * `onebox logs <component>[:N] --aws`: the newest `limit` lines the component's versions
 * (or version N) wrote, oldest first. The function is the one the controller records the
 * versions of (their target `function:N`); its log group is Lambda's default, `/aws/lambda/<function>`.
 */
export async function awsVersionLogs(
  control: ControlClient,
  filter: FilterLogEvents,
  target: { component: string; version: number | undefined; limit: number; now: number },
): Promise<AwsLogLine[]> {
  const { component, limit, now } = target;
  const { versions } = await control.call('versions', { component });
  if (!versions.length) throw new CliError(`${component} has no versions yet`);
  const chosen: readonly Version[] =
    target.version === undefined ? versions : versions.filter((v) => v.number === target.version);
  if (!chosen.length) throw new CliError(`component "${component}" has no version ${target.version}`);
  const functionName = functionOf(chosen[0]!);
  const logGroupName = `/aws/lambda/${functionName}`;
  const startTime = now - AWS_LOGS_DAYS * 86_400_000;
  const lines: AwsLogLine[] = [];
  for (const v of chosen)
    for (let day = 0; day < AWS_LOGS_DAYS; day++) {
      const logStreamNamePrefix = streamPrefix(v.number, now - day * 86_400_000);
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        let out;
        try {
          out = await filter({ logGroupName, logStreamNamePrefix, startTime, ...(nextToken ? { nextToken } : {}) });
        } catch (err) {
          if ((err as Error).name === 'ResourceNotFoundException')
            throw new CliError(`no log group ${logGroupName}: has ${functionName} run yet?`);
          if (err instanceof CliError) throw err;
          throw new CliError(`cannot read ${logGroupName} (${(err as Error).message})`);
        }
        for (const e of out.events ?? [])
          lines.push({
            at: new Date(e.timestamp ?? 0).toISOString(),
            component,
            version: v.number,
            stream: e.logStreamName ?? '',
            message: (e.message ?? '').replace(/\n$/, ''),
          });
        nextToken = out.nextToken;
        if (!nextToken) break;
      }
    }
  return lines.sort((a, b) => a.at.localeCompare(b.at)).slice(-limit);
}

/** The Lambda function of a version the controller recorded (`function:N`, or an ARN ending in `:N`). */
function functionOf(v: Version): string {
  const at = v.target.lastIndexOf(':');
  return at > 0 ? v.target.slice(0, at) : v.target;
}

export const describeAwsLogLine = (l: AwsLogLine): string => `${l.at} ${l.component}:${l.version} ${l.message}`;

/** FilterLogEvents with the AWS SDK (optional: installed by users of `logs --aws`), loaded at the first call. */
export function cloudWatchLogsFilter(): FilterLogEvents {
  let client: Promise<FilterLogEvents> | undefined;
  const load = async (): Promise<FilterLogEvents> => {
    let sdk: typeof import('@aws-sdk/client-cloudwatch-logs');
    try {
      sdk = await import('@aws-sdk/client-cloudwatch-logs');
    } catch {
      throw new CliError(
        "logs --aws needs the AWS SDK's CloudWatch Logs client: npm install @aws-sdk/client-cloudwatch-logs",
      );
    }
    const logs = new sdk.CloudWatchLogsClient({});
    return (input) => logs.send(new sdk.FilterLogEventsCommand(input));
  };
  return async (input) => {
    client ??= load();
    return (await client)(input);
  };
}
