import { GetAliasCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: an example's plain ES module, without types.
import { buildOrderFlow } from '../../examples/order-flow/build.mjs';
import { withUserRouting } from '../../src/aws/event-source.js';
import { AliasRouter, defaultSeed } from '../../src/core/index.js';
import { eventBridgeEntry, kinesisData } from '../../src/events/index.js';
import { LocalQueue, type SqsRecord } from '../../src/events/local-queue.js';
import { distinctIds, prng } from '../helpers/random.js';

/**
 * Seed 003's order flow on AWS, against mocked Lambda APIs: the order API's versions run
 * in this process (the edge has split users between them), send order_placed to a queue,
 * and an SQS event source mapping invokes fulfilment through its weighted alias, which picks
 * a version per batch. Unwrapped, the version Lambda picked processes the whole batch;
 * wrapped with withUserRouting, each record goes to its user's version (an Invoke of
 * `fulfil:<version>`, mocked to run that version here).
 */
const USERS = 300;
const STEPS = [0.1, 0.5, 1];

type Handler = (event: unknown, context: { functionName: string; functionVersion: string }) => Promise<unknown>;
const load = async (dir: string): Promise<Handler> =>
  ((await import(join(dir, 'index.mjs'))) as { handler: Handler }).handler;

describe("the order flow on AWS with onebox/aws/events' wrapper", () => {
  const lambda = mockClient(LambdaClient);
  let dir: string;
  let api: Record<number, Handler>;
  let fulfil: Record<number, Handler>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-order-flow-aws-'));
    const dirs = (await buildOrderFlow(dir)) as Record<string, string>;
    api = { 1: await load(dirs['api-v1']!), 2: await load(dirs['api-v2']!) };
    fulfil = { 1: await load(dirs['fulfil-v1']!), 2: await load(dirs['fulfil-v2']!) };
  });
  afterAll(() => {
    lambda.restore();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(wrapped: boolean): Promise<{ failed: number; records: number; lines: string[]; invokes: number }> {
    const queue = new LocalQueue('order_placed');
    const front = await queue.listen();
    process.env.ORDER_QUEUE_URL = front.url;
    const lines: string[] = [];
    let weight = 0;
    let now = 0; // The alias cache's clock: each step is a minute after the last.
    lambda.reset();
    lambda.on(GetAliasCommand).callsFake(() => ({
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: { '2': weight } },
    }));
    const client = new LambdaClient({ region: 'us-east-1' });
    const routing = { source: 'sqs' as const, lambda: client, now: () => now, write: (l: string) => lines.push(l) };
    const routed: Record<number, Handler> = {
      1: withUserRouting(fulfil[1]!, routing) as Handler,
      2: withUserRouting(fulfil[2]!, routing) as Handler,
    };
    const consumer = (v: number): Handler => (wrapped ? routed[v]! : fulfil[v]!);
    lambda.on(InvokeCommand).callsFake(async (input: { Qualifier: string; Payload: Uint8Array }) => {
      const event = JSON.parse(new TextDecoder().decode(input.Payload)) as unknown;
      const result = await consumer(Number(input.Qualifier))(event, {
        functionName: 'fulfil',
        functionVersion: input.Qualifier,
      });
      return {
        StatusCode: 200,
        ExecutedVersion: input.Qualifier,
        Payload: new TextEncoder().encode(JSON.stringify(result)),
      };
    });
    const draw = prng(wrapped ? 1 : 2);
    const users = distinctIds(USERS, 5);
    let failed = 0;
    let records = 0;
    const drain = async (): Promise<void> => {
      for (let batch: SqsRecord[] = queue.receive(10); batch.length; batch = queue.receive(10)) {
        // The event source mapping invokes the alias: Lambda picks a version for the batch.
        const version = draw() < weight ? 2 : 1;
        const result = (await consumer(version)(
          { Records: batch },
          { functionName: 'fulfil', functionVersion: String(version) },
        )) as { batchItemFailures: unknown[] };
        failed += result.batchItemFailures.length;
        records += batch.length;
      }
    };
    try {
      for (const [i, w] of STEPS.entries()) {
        weight = w;
        now += 60_000;
        if (i > 0) await drain();
        // The edge splits users between the API's versions (sticky, by the API's seed).
        const router = new AliasRouter({
          version: 1,
          additional: { version: 2, weightBp: w * 10_000 },
          mode: 'sticky',
          seed: defaultSeed('api', 2),
        });
        for (const id of users) {
          const version = router.choose(id, Math.random).version;
          const event = {
            body: JSON.stringify({ orderId: `${i}-${id}`, deliveryWindow: '18:00' }),
            headers: { baggage: `onebox-uid=${id}` },
          };
          const res = (await api[version]!(event, { functionName: 'api', functionVersion: String(version) })) as {
            statusCode: number;
          };
          expect(res.statusCode).toBe(201);
        }
      }
      await drain();
    } finally {
      await front.close();
      delete process.env.ORDER_QUEUE_URL;
    }
    return { failed, records, lines, invokes: lambda.commandCalls(InvokeCommand).length };
  }

  it('fails orders when the alias picks a version per batch, and none when each record goes to its user', async () => {
    const plain = await run(false);
    const routed = await run(true);
    console.log(
      `[order flow, AWS] per-batch alias: ${plain.failed} of ${plain.records} orders failed; ` +
        `withUserRouting: ${routed.failed} of ${routed.records} (${routed.invokes} hand-offs to the other version)`,
    );
    expect(plain.records).toBe(USERS * STEPS.length);
    expect(plain.failed).toBeGreaterThan(0);
    expect(routed.records).toBe(USERS * STEPS.length);
    expect(routed.failed).toBe(0);
    expect(routed.invokes).toBeGreaterThan(0);
    // Each version's share is in CloudWatch (EMF): every record counted once, on the version that processed it.
    const counted = routed.lines.map((l) => JSON.parse(l) as { Version: string; Requests: number; Errors5xx: number });
    expect(counted.reduce((n, c) => n + c.Requests, 0)).toBe(routed.records);
    expect(counted.filter((c) => c.Version === '2').reduce((n, c) => n + c.Requests, 0)).toBeGreaterThan(USERS);
    expect(counted.every((c) => c.Errors5xx === 0)).toBe(true);
    // Every hand-off named a version, never the alias (which would split again).
    for (const call of lambda.commandCalls(InvokeCommand)) expect(call.args[0].input.Qualifier).toMatch(/^[12]$/);
  }, 120_000);

  it('counts a version that fails its records on that version, and fails only those records', async () => {
    lambda.reset();
    lambda
      .on(GetAliasCommand)
      .resolves({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } });
    lambda.on(InvokeCommand).callsFake(() => ({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode('{"errorMessage":"boom"}'),
    }));
    const lines: string[] = [];
    const handler = withUserRouting(async () => ({ batchItemFailures: [] }), {
      source: 'sqs',
      lambda: new LambdaClient({ region: 'us-east-1' }),
      write: (l) => lines.push(l),
    });
    const router = new AliasRouter({
      version: 1,
      additional: { version: 2, weightBp: 5000 },
      mode: 'sticky',
      seed: defaultSeed('fulfil', 2),
    });
    const ids = distinctIds(40, 9);
    const Records = ids.map((id, i) => ({
      messageId: `m${i}`,
      messageAttributes: { baggage: { stringValue: `onebox-uid=${id}` } },
    }));
    const onV2 = ids.filter((id) => router.choose(id, Math.random).version === 2).length;
    const result = (await handler({ Records }, { functionName: 'fulfil', functionVersion: '1' })) as {
      batchItemFailures: unknown[];
    };
    expect(result.batchItemFailures).toHaveLength(onV2);
    const v2 = lines
      .map((l) => JSON.parse(l) as { Version: string; Requests: number; Errors5xx: number })
      .find((c) => c.Version === '2')!;
    expect(v2).toMatchObject({ Requests: onV2, Errors5xx: onV2 });
  });

  it('routes Kinesis records by their data and an EventBridge event by its detail', async () => {
    lambda.reset();
    lambda
      .on(GetAliasCommand)
      .resolves({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } });
    lambda.on(InvokeCommand).callsFake((input: { Payload: Uint8Array }) => {
      const event = JSON.parse(new TextDecoder().decode(input.Payload)) as {
        Records?: { kinesis: { sequenceNumber: string } }[];
      };
      // Version 2 fails every record it is handed (Kinesis names them by sequence number).
      const result = event.Records
        ? { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) }
        : { handledBy: 2 };
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) };
    });
    const client = new LambdaClient({ region: 'us-east-1' });
    const router = new AliasRouter({
      version: 1,
      additional: { version: 2, weightBp: 5000 },
      mode: 'sticky',
      seed: defaultSeed('fulfil', 2),
    });
    const ids = distinctIds(30, 11);
    const onV2 = new Set(ids.filter((id) => router.choose(id, Math.random).version === 2));
    const kinesis = withUserRouting(async () => ({ batchItemFailures: [] }), {
      source: 'kinesis',
      lambda: client,
      write: () => undefined,
    });
    const Records = ids.map((id, i) => ({
      kinesis: {
        sequenceNumber: `s${i}`,
        data: Buffer.from(kinesisData({ order: i }, { identity: id })).toString('base64'),
      },
    }));
    const result = (await kinesis({ Records }, { functionName: 'fulfil', functionVersion: '1' })) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      ids.flatMap((id, i) => (onV2.has(id) ? [`s${i}`] : [])).sort(),
    );
    const bridge = withUserRouting(async () => ({ handledBy: 1 }), {
      source: 'eventbridge',
      lambda: client,
      write: () => undefined,
    });
    const event = (id: string) => ({
      detail: JSON.parse(eventBridgeEntry({ Detail: '{}' }, { identity: id }).Detail) as unknown,
    });
    const [a, b] = [ids.find((id) => onV2.has(id))!, ids.find((id) => !onV2.has(id))!];
    expect(await bridge(event(a), { functionName: 'fulfil', functionVersion: '1' })).toEqual({ handledBy: 2 });
    expect(await bridge(event(b), { functionName: 'fulfil', functionVersion: '1' })).toEqual({ handledBy: 1 });
  });
});
