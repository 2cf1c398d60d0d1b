import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request } from 'undici';
import { shadowPolicyBody } from '../../src/api/shadow-policy.js';
import { bundleLambda } from '../../src/aws/bundle.js';
import { parseLoggedRequest, SHADOW_LOG_FIELDS } from '../../src/aws/handlers/realtime-log.js';
import { summarizeShadowReport, type ShadowReportData, type ShadowSummary } from '../../src/core/shadow/index.js';
import { DynamoShadowReports } from '../../src/aws/control/shadow-reports.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { startDynamo } from './control/dynalite.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/**
 * The shadow comparer on AWS: the bundled Lambda, fed Kinesis records of CloudFront real-time
 * logs, replays them against real local HTTP servers (live twice, shadow once) and reports
 * exactly what the local engine reports for the same traffic.
 */

const app = (shadow: boolean) => (req: IncomingMessage, res: ServerResponse) => {
  const item = /^\/items\//.test(req.url ?? '');
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(
    JSON.stringify({
      path: req.url,
      price: shadow && item ? 12 : 10,
      at: new Date().toISOString(),
      reqId: randomUUID(),
    }),
  );
};

/** A real-time log line of the shadow's fields for one viewer request. */
function logLine(i: number, url: string, headers: [string, string][]): string {
  const [stem, query] = url.split('?');
  const csHeaders = headers.map(([n, v]) => encodeURIComponent(`${n}:${v}`)).join('%0A');
  const values: Record<(typeof SHADOW_LOG_FIELDS)[number], string> = {
    timestamp: (Date.now() / 1000).toFixed(3),
    'x-edge-request-id': `req-${i}`,
    'cs-method': 'GET',
    'cs-uri-stem': stem!,
    'cs-uri-query': query ?? '-',
    'sc-status': '200',
    'cs-headers-count': String(headers.length),
    'cs-headers': csHeaders,
  };
  return `${SHADOW_LOG_FIELDS.map((f) => values[f]).join('\t')}\n`;
}

const kinesisEvent = (lines: string[]): KinesisStreamEvent => ({
  Records: lines.map((line, i) => ({
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${i}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/shadow',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/onebox-shadow',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: `p${i}`,
      sequenceNumber: String(49590338271490256608559692538361571095921575989136588898n + BigInt(i)),
      data: Buffer.from(line).toString('base64'),
      approximateArrivalTimestamp: Date.now() / 1000,
    },
  })),
});

/** What must agree between the engines: everything but latency. */
const comparable = (s: ShadowSummary) => ({
  counters: s.counters,
  clean: s.clean,
  endpoints: s.endpoints
    .map((e) => ({
      endpoint: e.endpoint,
      compared: e.compared,
      fields: e.fields.map((f) => ({ path: f.path, differed: f.differed, kinds: f.kinds })),
      noiseOnly: [...e.noiseOnly].sort(),
    }))
    .sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
});

describe('the shadow comparer Lambda (CloudFront real-time logs via Kinesis)', () => {
  let live: TestUpstream;
  let shadow: TestUpstream;
  let onebox: TestOnebox;
  const policy = shadowPolicyBody.parse({ version: 2 });
  const users = Array.from({ length: 40 }, (_, i) => `onebox-uid=${`user${i}`.padEnd(22, 'q')}`);
  const urls = Array.from({ length: 120 }, (_, i) => (i % 3 ? `/users/${i}?tab=${i % 2}` : `/items/${i}`));

  beforeAll(async () => {
    [live, shadow] = await Promise.all([startUpstream(app(false)), startUpstream(app(true))]);
    onebox = await startTestOnebox();
    onebox.plane.publish('web', { url: live.url });
    onebox.plane.publish('web', { url: shadow.url });
    onebox.plane.setAlias('web', { version: 1 });
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all([live.close(), shadow.close()]);
  });

  it('parses a record: the URL, the headers, a header cut at the limit dropped', () => {
    const line = logLine(1, '/a/b?x=1', [
      ['Cookie', 'onebox-uid=abc; other=1'],
      ['User-Agent', 'Mozilla/5.0 (X11; Linux)'],
    ]);
    const req = parseLoggedRequest(line)!;
    expect(req).toMatchObject({ method: 'GET', url: '/a/b?x=1', requestId: 'req-1', status: 200 });
    expect(req.headers).toEqual(['cookie', 'onebox-uid=abc; other=1', 'user-agent', 'Mozilla/5.0 (X11; Linux)']);
    const cut = line.replace(/\t2\t/, '\t3\t');
    expect(parseLoggedRequest(cut)!.headers).toEqual(['cookie', 'onebox-uid=abc; other=1']);
    expect(parseLoggedRequest('not\ta\trecord')).toBeUndefined();
  });

  it('reports what the local engine reports for the same traffic', async () => {
    // The local engine: the traffic through the gateway.
    onebox.plane.startShadow('web', policy);
    const runtime = onebox.shadows.runtimes.get('web')!;
    for (let i = 0; i < urls.length; i += 20) {
      await Promise.all(
        urls.slice(i, i + 20).map(async (url, k) => {
          const res = await request(`${onebox.gatewayUrl}${url}`, {
            headers: { cookie: users[(i + k) % users.length]! },
          });
          await res.body.dump();
        }),
      );
    }
    await expect.poll(() => runtime.inFlight, { timeout: 10_000, interval: 10 }).toBe(0);
    const local = onebox.plane.shadowReport('web');
    onebox.plane.stopShadow('web');

    // AWS: the same requests as real-time log records, in Kinesis batches of 50, through the bundle.
    const dir = bundleLambda(
      'handlers/shadow-compare.lambda',
      { component: 'web', liveUrl: live.url, shadowUrl: shadow.url, policy, identityHeader: '' },
      { outDir: join(tmpdir(), 'onebox-test-bundles', 'shadow-compare') },
    );
    // Its store: the control plane's table (dynalite), named in the environment as the construct sets it.
    const dynamo = await startDynamo();
    const env = { ...process.env };
    Object.assign(process.env, {
      ONEBOX_SHADOW_TABLE: dynamo.table,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    let stored: ShadowReportData | undefined;
    try {
      const { handler } = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
        handler: (e: KinesisStreamEvent) => Promise<{ batchItemFailures: unknown[] }>;
      };
      const lines = urls.map((url, i) =>
        logLine(i, url, [
          ['Host', 'shop.example.com'],
          ['User-Agent', 'Mozilla/5.0'],
          ['Cookie', users[i % users.length]!],
        ]),
      );
      // Batches of the stream's shards run at once; each adds its delta with a conditional write.
      const batches = [];
      for (let i = 0; i < lines.length; i += 50) batches.push(handler(kinesisEvent(lines.slice(i, i + 50))));
      expect(await Promise.all(batches)).toEqual(batches.map(() => ({ batchItemFailures: [] })));
      const reports = new DynamoShadowReports(dynamo.client, dynamo.table);
      expect((await reports.read('web', policy.version))!.rev).toBe(3);
      stored = await reports.report('web');
    } finally {
      process.env = env;
      await dynamo.close();
    }
    const aws = summarizeShadowReport(stored!);

    expect(comparable(aws)).toEqual(comparable(local));
    expect(local.endpoints.find((e) => e.endpoint === 'GET /items/:id')!.fields.map((f) => f.path)).toEqual([
      '$.price',
    ]);
    expect(aws.counters).toMatchObject({ mirrored: 120, compared: 120 });
  }, 30_000);

  it('without a table, logs each batch as one JSON line', async () => {
    const dir = bundleLambda(
      'handlers/shadow-compare.lambda',
      {
        component: 'web',
        liveUrl: live.url,
        shadowUrl: shadow.url,
        policy: { ...policy, share: 1 },
        identityHeader: '',
      },
      { outDir: join(tmpdir(), 'onebox-test-bundles', 'shadow-compare-logged') },
    );
    delete process.env['ONEBOX_SHADOW_TABLE'];
    const { handler } = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
      handler: (e: KinesisStreamEvent) => Promise<{ batchItemFailures: unknown[] }>;
    };
    const logged: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      logged.push(String(chunk));
      return true;
    });
    try {
      await handler(kinesisEvent([logLine(1, '/items/1', [['User-Agent', 'Mozilla/5.0']])]));
    } finally {
      write.mockRestore();
    }
    expect(logged).toHaveLength(1);
    const line = JSON.parse(logged[0]!) as { 'onebox-shadow-report': ShadowReportData; why: string };
    expect(line.why).toBe('no ONEBOX_SHADOW_TABLE');
    expect(line['onebox-shadow-report']).toMatchObject({ component: 'web', counters: { mirrored: 1, compared: 1 } });
  });
});
