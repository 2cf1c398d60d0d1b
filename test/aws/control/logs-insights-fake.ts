import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  InvalidParameterException,
  MalformedQueryException,
  ResourceNotFoundException,
  StartQueryCommand,
  StopQueryCommand,
  type StartQueryCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * CloudWatch Logs Insights as the controller uses it, mocked with aws-sdk-client-mock:
 * Lambda's log groups (/aws/lambda/<function>) fed the handlers' log lines, StartQuery
 * answering a queryId, GetQueryResults `Running` for `runningPolls` calls and then
 * `Complete` with rows of `{ field, value }` (strings, as AWS answers) and statistics.
 * It evaluates the one query shape the controller sends (filter on FunctionName, Version
 * and ispresent(user), then count_distinct(user), optionally by Version), exactly; any
 * other query is refused as malformed.
 */
export class FakeLogsInsights {
  readonly client = new CloudWatchLogsClient({ region: 'us-east-1' });
  readonly mock = mockClient(this.client);
  /** log group -> events */
  private readonly groups = new Map<string, { at: number; doc: Record<string, unknown>; bytes: number }[]>();
  private readonly queries = new Map<string, { polls: number; status: string; input: StartQueryCommandInput }>();
  /** GetQueryResults calls that answer Running before Complete. */
  runningPolls = 1;
  /** Status a query ends in instead of Complete (Failed, Timeout...), or 'hang': Running forever. */
  outcome: 'Complete' | 'Failed' | 'hang' = 'Complete';
  readonly started: StartQueryCommandInput[] = [];
  readonly stopped: string[] = [];
  /** Bytes the completed queries scanned (what Logs Insights bills). */
  bytesScanned = 0;

  constructor() {
    this.mock.on(StartQueryCommand).callsFake((input: StartQueryCommandInput) => this.start(input));
    this.mock.on(GetQueryResultsCommand).callsFake((input: { queryId: string }) => this.results(input.queryId));
    this.mock.on(StopQueryCommand).callsFake((input: { queryId: string }) => {
      const q = this.queries.get(input.queryId);
      if (!q) throw new ResourceNotFoundException({ message: 'The specified query does not exist', $metadata: {} });
      q.status = 'Cancelled';
      this.stopped.push(input.queryId);
      return { success: true };
    });
  }

  /** One log line, as Lambda writes it to its function's log group (EMF lines carry FunctionName). */
  ingest(line: string, logGroup?: string): void {
    const doc = JSON.parse(line) as Record<string, unknown> & { _aws?: { Timestamp: number } };
    const group = logGroup ?? `/aws/lambda/${String(doc['FunctionName'])}`;
    const events = this.groups.get(group) ?? [];
    this.groups.set(group, events);
    events.push({ at: doc._aws?.Timestamp ?? Date.now(), doc, bytes: Buffer.byteLength(line) });
  }

  /** The lines a log group holds, oldest first (what a local engine would have seen). */
  lines(logGroup: string): { at: number; doc: Record<string, unknown> }[] {
    return [...(this.groups.get(logGroup) ?? [])].sort((a, b) => a.at - b.at);
  }

  private start(input: StartQueryCommandInput) {
    const names = input.logGroupNames ?? [];
    if (!names.length || names.length > 50)
      throw new InvalidParameterException({ message: 'logGroupNames', $metadata: {} });
    if (!Number.isInteger(input.startTime) || !Number.isInteger(input.endTime) || input.endTime! < input.startTime!)
      throw new InvalidParameterException({
        message: 'startTime and endTime are epoch seconds, end after start',
        $metadata: {},
      });
    for (const n of names)
      if (!this.groups.has(n))
        throw new ResourceNotFoundException({ message: `Log group '${n}' does not exist`, $metadata: {} });
    parse(input.queryString ?? '');
    this.started.push(input);
    const queryId = `q-${this.started.length}`;
    this.queries.set(queryId, { polls: 0, status: 'Scheduled', input });
    return { queryId };
  }

  private results(queryId: string) {
    const q = this.queries.get(queryId);
    if (!q) throw new ResourceNotFoundException({ message: 'The specified query does not exist', $metadata: {} });
    if (q.status === 'Cancelled') return { status: 'Cancelled', results: [] };
    if (this.outcome === 'hang' || q.polls++ < this.runningPolls) return { status: 'Running', results: [] };
    if (this.outcome === 'Failed') return { status: 'Failed', results: [] };
    const { matches, by } = parse(q.input.queryString!);
    const from = q.input.startTime! * 1000;
    const to = q.input.endTime! * 1000;
    const scanned = (q.input.logGroupNames ?? [])
      .flatMap((g) => this.groups.get(g) ?? [])
      .filter((e) => e.at >= from && e.at < to);
    const matched = scanned.filter((e) => e.doc['user'] !== undefined && matches(e.doc));
    const sets = new Map<string, Set<string>>();
    for (const e of matched) {
      const key = by ? String(e.doc[by]) : '';
      const set = sets.get(key) ?? new Set<string>();
      sets.set(key, set);
      set.add(String(e.doc['user']));
    }
    const bytes = scanned.reduce((n, e) => n + e.bytes, 0);
    this.bytesScanned += bytes;
    const rows = by
      ? [...sets].map(([version, users]) => [
          { field: by, value: version },
          { field: 'users', value: String(users.size) },
        ])
      : [[{ field: 'users', value: String(sets.get('')?.size ?? 0) }]];
    return {
      status: 'Complete',
      results: rows,
      statistics: { recordsMatched: matched.length, recordsScanned: scanned.length, bytesScanned: bytes },
    };
  }
}

type Doc = Record<string, unknown>;

/** The two query shapes the controller sends: its users per version, and the browser beacon's. */
function parse(query: string): { matches: (doc: Doc) => boolean; by: string | undefined } {
  const users =
    /^filter FunctionName = ("[^"]*") and Version in \[((?:"[^"]*"(?:, )?)+)\] and ispresent\(user\) \| stats count_distinct\(user\) as users( by Version)?$/.exec(
      query,
    );
  if (users) {
    const functionName = JSON.parse(users[1]!) as string;
    const versions = JSON.parse(`[${users[2]}]`) as string[];
    return {
      matches: (d) => d['FunctionName'] === functionName && versions.includes(String(d['Version'])),
      by: users[3] ? 'Version' : undefined,
    };
  }
  const browser =
    /^filter onebox = "browser" and component = ("[^"]*") and ispresent\(user\)( and kind != "load")? \| stats count_distinct\(user\) as users by version$/.exec(
      query,
    );
  if (browser) {
    const component = JSON.parse(browser[1]!) as string;
    const errorsOnly = browser[2] !== undefined;
    return {
      matches: (d) =>
        d['onebox'] === 'browser' && d['component'] === component && (!errorsOnly || d['kind'] !== 'load'),
      by: 'version',
    };
  }
  throw new MalformedQueryException({
    message: `this fake evaluates only the controller's queries: ${query}`,
    $metadata: {},
  });
}
