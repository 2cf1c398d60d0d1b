import {
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type CloudWatchLogsClient,
  type ResultField,
} from '@aws-sdk/client-cloudwatch-logs';
import type { BrowserWindow } from '../../core/index.js';

/**
 * Distinct users per version, counted from withVersionMetrics' log lines (their `user`, a
 * hash of the identity) with CloudWatch Logs Insights: CloudWatch metrics hold counts, and
 * a distinct count cannot be added up from per-minute sums. One query reads a whole
 * window (a deployment's, from its first traffic), so a user who came back every minute
 * counts once.
 */

/** The users of a component's versions over a window. */
export interface UserCountRequest {
  readonly component: string;
  /** The Lambda function whose log lines are read (its FunctionName, log group /aws/lambda/<name>). */
  readonly functionName: string;
  readonly versions: readonly number[];
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
}

export interface UserCounts {
  /** Distinct users each version served in the window. */
  readonly byVersion: ReadonlyMap<number, number>;
  /** Distinct users of any of the versions (a user who moved between them counts once). */
  readonly all: number;
  /**
   * False when a count may be an estimate: Logs Insights documents count_distinct as
   * approximate for "very high cardinality", without a figure; at or above APPROXIMATE_FROM
   * users the count is taken as one.
   */
  readonly exact: boolean;
}

/** The port the controller's engine reads user counts through (Logs Insights here, a fake in tests). */
export interface UserCounter {
  /** Counts for every request that could be read in time; a request missing from the answer was not. */
  count(requests: readonly UserCountRequest[]): Promise<Map<string, UserCounts>>;
  /** Per version, the browser gate's window from a BrowserBeacon's lines; undefined when not read in time. */
  countBrowser(
    logGroupName: string,
    request: Omit<UserCountRequest, 'functionName'>,
  ): Promise<Map<number, BrowserWindow> | undefined>;
}

/** Where a distinct count is taken as an estimate (the local counter is exact up to 10,000 too). */
export const APPROXIMATE_FROM = 10_000;

export interface LogsInsightsOptions {
  /** How long a tick waits for its queries before it goes on without them. Default 20 s (a tick has 50). */
  readonly budgetMs?: number;
  /** Between GetQueryResults calls. Default 500 ms. */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Epoch ms for the budget. Default Date.now. */
  readonly now?: () => number;
  /** A query that could not start. Default: one JSON line on stderr (the function's log). */
  readonly onError?: (request: UserCountRequest, err: unknown) => void;
}

interface QuerySpec {
  /** The request the query counts for (its window; named when it cannot be counted). */
  readonly request: UserCountRequest;
  readonly logGroup: string;
  readonly queryString: string;
}
type Started = { id: string; spec: QuerySpec; index: number };

const logGroup = (functionName: string): string => `/aws/lambda/${functionName}`;

/** The Logs Insights query of a request: users per version (by) or of all its versions. */
export function userQuery(request: UserCountRequest, byVersion: boolean): string {
  const versions = request.versions.map((v) => JSON.stringify(String(v))).join(', ');
  return [
    `filter FunctionName = ${JSON.stringify(request.functionName)} and Version in [${versions}] and ispresent(user)`,
    `stats count_distinct(user) as users${byVersion ? ' by Version' : ''}`,
  ].join(' | ');
}

/**
 * The Logs Insights implementation: per request, two queries started together (users by
 * version, and users of both: the second cannot be summed from the first, a user who moved
 * from one version to the other is one user), polled until complete within the budget.
 * Queries still running at the budget are stopped, and their request is left out: the
 * deployment keeps the exposure it stored last, and the next tick reads the window again.
 */
export class LogsInsightsUsers implements UserCounter {
  private readonly budgetMs: number;
  private readonly pollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly onError: (request: UserCountRequest, err: unknown) => void;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    options: LogsInsightsOptions = {},
  ) {
    this.budgetMs = options.budgetMs ?? 20_000;
    this.pollMs = options.pollMs ?? 500;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.onError =
      options.onError ??
      ((request, err) =>
        console.warn(
          JSON.stringify({ onebox: 'users-not-counted', component: request.component, error: String(err) }),
        ));
  }

  /** A query's answer; one that cannot be read counts as failed. */
  private async results(q: Started): Promise<{ status?: string; results?: ResultField[][] }> {
    try {
      return await this.logs.send(new GetQueryResultsCommand({ queryId: q.id }));
    } catch (err) {
      this.onError(q.spec.request, err);
      return { status: 'Failed' };
    }
  }

  /**
   * Runs queries together: started at once (Logs Insights runs them concurrently), polled
   * until all are complete or the budget is spent. Answers each query's rows, or undefined
   * for one that could not start, failed, or was still running at the budget (stopped).
   */
  private async run(specs: readonly QuerySpec[]): Promise<(ResultField[][] | undefined)[]> {
    const started = this.now();
    const queries: Started[] = [];
    for (const [index, spec] of specs.entries()) {
      // Exposure is a report, not a gate input: a query that cannot start (no log group yet,
      // a throttled account) leaves its request out of this tick, it never fails the tick.
      try {
        const out = await this.logs.send(
          new StartQueryCommand({
            logGroupNames: [spec.logGroup],
            // Whole seconds: the window's start rounded down, its end up (nothing of it is missed).
            startTime: Math.floor(spec.request.from / 1000),
            endTime: Math.ceil(spec.request.to / 1000),
            queryString: spec.queryString,
          }),
        );
        if (out.queryId) queries.push({ id: out.queryId, spec, index });
      } catch (err) {
        this.onError(spec.request, err);
      }
    }
    const rows: (ResultField[][] | undefined)[] = specs.map(() => undefined);
    let pending = queries;
    while (pending.length) {
      const still: Started[] = [];
      for (const q of pending) {
        const out = await this.results(q);
        if (out.status === 'Complete') rows[q.index] = out.results ?? [];
        else if (out.status === 'Scheduled' || out.status === 'Running') still.push(q);
        // Failed, Cancelled, Timeout, Unknown: that request is not counted this time.
      }
      pending = still;
      if (!pending.length) break;
      if (this.now() - started >= this.budgetMs) {
        for (const q of pending) await stopQuery(this.logs, q.id);
        break;
      }
      await this.sleep(this.pollMs);
    }
    return rows;
  }

  async count(requests: readonly UserCountRequest[]): Promise<Map<string, UserCounts>> {
    const counted = requests.filter((r) => r.to > r.from && r.versions.length);
    const specs = counted.flatMap((request) =>
      [true, false].map((byVersion) => ({
        request,
        logGroup: logGroup(request.functionName),
        queryString: userQuery(request, byVersion),
      })),
    );
    const rows = await this.run(specs);
    const out = new Map<string, UserCounts>();
    counted.forEach((request, i) => {
      const byVersionRows = rows[2 * i];
      const allRows = rows[2 * i + 1];
      if (!byVersionRows || !allRows) return;
      const byVersion = perVersion(byVersionRows, 'Version', 'users');
      const all = Number(allRows[0] ? (field(allRows[0], 'users') ?? 0) : 0);
      const counts = [all, ...byVersion.values()];
      out.set(request.component, { byVersion, all, exact: counts.every((n) => n < APPROXIMATE_FROM) });
    });
    return out;
  }

  /**
   * The browser gate's signal from the browser beacon's lines (`{ onebox: "browser",
   * component, version, user, kind }`, kind `load` or an error kind) in `logGroup`: per
   * version, the distinct users whose pages reported, and of those the users with a browser
   * error. Undefined when a query could not be read in time (the gate then waits: browser-windows.ts).
   */
  async countBrowser(
    logGroupName: string,
    request: Omit<UserCountRequest, 'functionName'>,
  ): Promise<Map<number, BrowserWindow> | undefined> {
    const filter = `filter onebox = "browser" and component = ${JSON.stringify(request.component)} and ispresent(user)`;
    const stats = '| stats count_distinct(user) as users by version';
    const rows = await this.run(
      [filter, `${filter} and kind != "load"`].map((f) => ({
        request: { ...request, functionName: logGroupName },
        logGroup: logGroupName,
        queryString: `${f} ${stats}`,
      })),
    );
    const [seen, errors] = rows;
    if (!seen || !errors) return undefined;
    const users = perVersion(seen, 'version', 'users');
    const errorUsers = perVersion(errors, 'version', 'users');
    const out = new Map<number, BrowserWindow>();
    for (const v of request.versions)
      out.set(v, { users: users.get(v) ?? 0, errorUsers: Math.min(errorUsers.get(v) ?? 0, users.get(v) ?? 0) });
    return out;
  }
}

/** Rows of `<version>, <count>` as a map; rows whose version is not a number are dropped. */
function perVersion(rows: readonly ResultField[][], versionField: string, countField: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const row of rows) {
    const version = Number(field(row, versionField));
    if (Number.isInteger(version)) out.set(version, Number(field(row, countField) ?? 0));
  }
  return out;
}

/** Stops a query nobody waits for any more (it would be billed for nothing); a query that just ended cannot be. */
async function stopQuery(logs: CloudWatchLogsClient, queryId: string): Promise<void> {
  try {
    await logs.send(new StopQueryCommand({ queryId }));
  } catch {
    // Already over: nothing to stop.
  }
}

const field = (row: readonly ResultField[], name: string): string | undefined =>
  row.find((f) => f.field === name)?.value;
