import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ResourceNotFoundException as KvsNotFound,
  UpdateKeysCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  GetAliasCommand,
  LambdaClient,
  ResourceNotFoundException as LambdaNotFound,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * The AWS APIs that have no local implementation, mocked with aws-sdk-client-mock and
 * answering as AWS documents them (requests validated, answers shaped, errors named).
 */

/** CloudWatch as EMF feeds it: log lines in, GetMetricData's per-period sums out. */
export class FakeCloudWatch {
  readonly client = new CloudWatchClient({ region: 'us-east-1' });
  readonly mock = mockClient(this.client);
  /** metric key -> minute start -> sum */
  private readonly sums = new Map<string, Map<number, number>>();
  /** Calls to GetMetricData, with how many metrics each asked for. */
  readonly calls: number[] = [];
  /** Awaited before answering (tests hold two ticks here to make them overlap). */
  gate: (() => Promise<void>) | undefined;

  constructor() {
    this.mock.on(GetMetricDataCommand).callsFake(async (input: GetMetricDataCommandInput) => {
      await this.gate?.();
      return this.getMetricData(input);
    });
  }

  /** One EMF line, as CloudWatch Logs extracts it. */
  ingest(line: string): void {
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        Timestamp: number;
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    };
    const minute = Math.floor(doc._aws.Timestamp / 60_000) * 60_000;
    for (const directive of doc._aws.CloudWatchMetrics)
      for (const dims of directive.Dimensions)
        for (const m of directive.Metrics) {
          const key = metricKey(directive.Namespace, m.Name, Object.fromEntries(dims.map((d) => [d, String(doc[d])])));
          const series = this.sums.get(key) ?? new Map<number, number>();
          this.sums.set(key, series);
          series.set(minute, (series.get(minute) ?? 0) + Number(doc[m.Name]));
        }
  }

  private getMetricData(input: GetMetricDataCommandInput) {
    const queries = input.MetricDataQueries ?? [];
    if (queries.length === 0 || queries.length > 500)
      throw new Error('ValidationError: MetricDataQueries must hold 1 to 500 queries');
    const start = input.StartTime!.getTime();
    const end = input.EndTime!.getTime();
    if (!(start < end))
      throw new Error('ValidationError: The parameter StartTime must be less than the parameter EndTime');
    this.calls.push(queries.length);
    const ascending = input.ScanBy === 'TimestampAscending';
    return {
      MetricDataResults: queries.map((q) => {
        if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id ?? '')) throw new Error(`ValidationError: invalid Id ${q.Id}`);
        const stat = q.MetricStat!;
        if (stat.Stat !== 'Sum' || (stat.Period ?? 0) % 60 !== 0) throw new Error('this fake sums whole minutes only');
        const metric = stat.Metric!;
        const dims = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name!, d.Value!]));
        const series =
          this.sums.get(metricKey(metric.Namespace!, metric.MetricName!, dims)) ?? new Map<number, number>();
        const points = [...series.entries()]
          .filter(([t]) => t >= start && t < end)
          .sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
        return {
          Id: q.Id,
          Label: metric.MetricName,
          Timestamps: points.map(([t]) => new Date(t)),
          Values: points.map(([, v]) => v),
          StatusCode: 'Complete' as const,
        };
      }),
      Messages: [],
    };
  }
}

const metricKey = (namespace: string, name: string, dims: Record<string, string>): string =>
  `${namespace}|${name}|${Object.keys(dims)
    .sort()
    .map((k) => `${k}=${dims[k]}`)
    .join(',')}`;

/** Lambda's aliases (GetAlias, UpdateAlias) for the functions named at construction. */
export class FakeLambda {
  readonly client = new LambdaClient({ region: 'us-east-1' });
  readonly mock = mockClient(this.client);
  readonly aliases = new Map<string, string>();
  /** UpdateAlias calls, in order. */
  readonly updates: string[] = [];

  constructor(functions: Record<string, number>) {
    for (const [fn, version] of Object.entries(functions))
      for (const name of ['stable', 'canary']) this.aliases.set(`${fn}:${name}`, String(version));
    const answer = (fn: string, name: string) => {
      const version = this.aliases.get(`${fn}:${name}`);
      if (version === undefined)
        throw new LambdaNotFound({
          message: `Function not found: arn:aws:lambda:us-east-1:123456789012:function:${fn}:${name}`,
          $metadata: {},
        });
      return {
        AliasArn: `arn:aws:lambda:us-east-1:123456789012:function:${fn}:${name}`,
        Name: name,
        FunctionVersion: version,
        RevisionId: `rev-${this.updates.length}`,
      };
    };
    this.mock
      .on(GetAliasCommand)
      .callsFake((i: { FunctionName: string; Name: string }) => answer(i.FunctionName, i.Name));
    this.mock.on(UpdateAliasCommand).callsFake((i: { FunctionName: string; Name: string; FunctionVersion: string }) => {
      answer(i.FunctionName, i.Name);
      this.aliases.set(`${i.FunctionName}:${i.Name}`, i.FunctionVersion);
      this.updates.push(`${i.FunctionName}:${i.Name}=${i.FunctionVersion}`);
      return answer(i.FunctionName, i.Name);
    });
  }

  version(fn: string, name: 'stable' | 'canary'): number {
    return Number(this.aliases.get(`${fn}:${name}`));
  }
}

/** The KeyValueStore's data plane: keys, an ETag per change, IfMatch enforced. */
export class FakeKvs {
  readonly client = new CloudFrontKeyValueStoreClient({ region: 'us-east-1' });
  readonly mock = mockClient(this.client);
  readonly store = new Map<string, string>();
  private etag = 1;
  /** UpdateKeys calls that changed the store, with the puts. */
  readonly writes: { key: string; value: string }[][] = [];
  /** Throws from the next UpdateKeys (a tick that dies before its traffic moved). */
  failNext: Error | undefined;

  constructor(readonly arn: string) {
    const check = (i: { KvsARN?: string }) => {
      if (i.KvsARN !== arn) throw new KvsNotFound({ message: `Resource not found: ${i.KvsARN}`, $metadata: {} });
    };
    const size = () => [...this.store].reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    this.mock.on(DescribeKeyValueStoreCommand).callsFake((i: { KvsARN: string }) => {
      check(i);
      return {
        KvsARN: arn,
        ItemCount: this.store.size,
        TotalSizeInBytes: size(),
        Created: new Date(0),
        ETag: `E${this.etag}`,
        Status: 'READY',
      };
    });
    this.mock.on(GetKeyCommand).callsFake((i: { KvsARN: string; Key: string }) => {
      check(i);
      const value = this.store.get(i.Key);
      if (value === undefined) throw new KvsNotFound({ message: `Key not found: ${i.Key}`, $metadata: {} });
      return { Key: i.Key, Value: value, ItemCount: this.store.size, TotalSizeInBytes: size() };
    });
    this.mock
      .on(UpdateKeysCommand)
      .callsFake((i: { KvsARN: string; IfMatch: string; Puts?: { Key: string; Value: string }[] }) => {
        check(i);
        if (this.failNext) {
          const err = this.failNext;
          this.failNext = undefined;
          throw err;
        }
        if (i.IfMatch !== `E${this.etag}`)
          throw new ConflictException({
            message: 'The ETag does not match the current version of the Key Value Store',
            $metadata: {},
          });
        for (const p of i.Puts ?? []) {
          if (Buffer.byteLength(p.Value) > 1024) throw new Error('ValidationException: value over 1 KB');
          this.store.set(p.Key, p.Value);
        }
        this.writes.push((i.Puts ?? []).map((p) => ({ key: p.Key, value: p.Value })));
        this.etag++;
        return { ItemCount: this.store.size, TotalSizeInBytes: size(), ETag: `E${this.etag}` };
      });
  }

  split(key: string): { percent: number; seed: string; stable: number; canary?: number; rev: number } | undefined {
    const v = this.store.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }
}
