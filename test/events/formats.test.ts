import type { EventBridgeEvent, KinesisStreamRecord, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AliasRouter, bucketOf, type AliasRouting } from '../../src/core/index.js';
import { decideRecord } from '../../src/events/decide.js';
import {
  eventBridgeEntry,
  eventBridgeOrigin,
  kinesisData,
  kinesisRecordOrigin,
  originBaggage,
  originOfRequest,
  readOrigin,
  sqsMessage,
  sqsRecordOrigin,
} from '../../src/events/index.js';

const origin = { identity: 'KxZ3eY1pQ0mF7bW9tR2uVg', from: { component: 'api', version: 2 } };

describe('an origin in each AWS message format', () => {
  it('SQS: a String message attribute, read back from the record Lambda gets', () => {
    const input = sqsMessage(
      { MessageBody: '{}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } } },
      origin,
    );
    expect(input.MessageAttributes.kind).toEqual({ DataType: 'String', StringValue: 'order' });
    // What SQS hands Lambda for that message (documented SQSRecord shape).
    const record: SQSRecord = {
      messageId: 'm1',
      receiptHandle: 'r',
      body: input.MessageBody,
      attributes: {} as SQSRecord['attributes'],
      messageAttributes: {
        baggage: {
          dataType: 'String',
          stringValue: input.MessageAttributes.baggage!.StringValue!,
          stringListValues: [],
          binaryListValues: [],
        },
      },
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:orders',
      awsRegion: 'us-east-1',
    };
    expect(sqsRecordOrigin(record)).toEqual(origin);
  });

  it('Kinesis: a baggage member of the JSON data, base64 in the record', () => {
    const data = kinesisData({ type: 'order_placed', order: { id: 1 } }, origin);
    const record = {
      kinesis: { data: Buffer.from(data).toString('base64') },
    } as KinesisStreamRecord;
    expect(kinesisRecordOrigin(record)).toEqual(origin);
    expect(JSON.parse(new TextDecoder().decode(data))).toMatchObject({ type: 'order_placed', order: { id: 1 } });
    expect(kinesisRecordOrigin({ kinesis: { data: Buffer.from('not json').toString('base64') } })).toEqual({
      identity: undefined,
      from: undefined,
    });
  });

  it("EventBridge: a baggage member of the event's detail", () => {
    const entry = eventBridgeEntry({ Source: 'shop', DetailType: 'order_placed', Detail: '{"id":1}' }, origin);
    const event = { detail: JSON.parse(entry.Detail) } as EventBridgeEvent<'order_placed', unknown>;
    expect(eventBridgeOrigin(event)).toEqual(origin);
    expect(event.detail).toMatchObject({ id: 1 });
  });

  it('keeps the other baggage members, and reads the origin of a request a handler serves', () => {
    const header = originBaggage(origin, 'tenant=acme,onebox-uid=old');
    expect(header).toBe('tenant=acme,onebox-uid=KxZ3eY1pQ0mF7bW9tR2uVg,onebox-from=api%3A2');
    expect(originOfRequest({ baggage: header }, { functionName: 'api', functionVersion: '2' })).toEqual(origin);
    expect(originOfRequest({ baggage: header }, { functionName: 'api', functionVersion: '$LATEST' })).toEqual({
      identity: origin.identity,
      from: undefined,
    });
    expect(originOfRequest({})).toBeUndefined();
    expect(readOrigin('onebox-from=api:0')).toEqual({ identity: undefined, from: undefined });
  });
});

describe('decideRecord', () => {
  const consumerAlias: AliasRouting = {
    version: 1,
    additional: { version: 2, weightBp: 5000 },
    mode: 'sticky',
    seed: 'c',
  };
  const consumer = {
    alias: consumerAlias,
    router: new AliasRouter(consumerAlias),
    stable: 'v1',
    additional: 'v2',
    split: true,
  };
  const producer: AliasRouting = { version: 1, additional: { version: 2, weightBp: 5000 }, mode: 'sticky', seed: 'p' };
  const admitted = Array.from({ length: 50 }, (_, i) => `user-${i}`).find((id) => bucketOf('c', id) < 5000)!;
  const never = (): number => {
    throw new Error('a sticky decision draws nothing');
  };

  it("processes a record with its user's version", () => {
    expect(
      decideRecord(consumer, producer, { identity: admitted, from: { component: 'api', version: 2 } }, never),
    ).toEqual({
      target: 'v2',
      reason: 'user',
      identity: admitted,
    });
    expect(decideRecord(consumer, undefined, { identity: admitted, from: undefined }, never).target).toBe('v2');
  });

  it("keeps a record written by the releasing producer's old version on the consumer's stable version", () => {
    const from = { component: 'api', version: 1 };
    expect(decideRecord(consumer, producer, { identity: admitted, from }, never)).toMatchObject({
      target: 'v1',
      reason: 'kept-side',
    });
    // A producer that is not being released writes with its only version: no side to keep.
    const settled: AliasRouting = { version: 1, mode: 'sticky', seed: 'p' };
    expect(decideRecord(consumer, settled, { identity: admitted, from }, never).target).toBe('v2');
  });

  it('sends a record without a valid identity to the stable version, and draws per record in request mode', () => {
    expect(decideRecord(consumer, producer, { identity: undefined, from: undefined }, never)).toMatchObject({
      target: 'v1',
      reason: 'no-identity',
    });
    expect(decideRecord(consumer, producer, { identity: 'has space', from: undefined }, never).reason).toBe(
      'no-identity',
    );
    const perRequest = { ...consumer, alias: { ...consumerAlias, mode: 'request' as const } };
    perRequest.router = new AliasRouter(perRequest.alias);
    expect(decideRecord(perRequest, producer, { identity: admitted, from: undefined }, () => 0.9)).toMatchObject({
      target: 'v1',
      reason: 'per-request',
    });
    expect(decideRecord(perRequest, producer, { identity: admitted, from: undefined }, () => 0.1).target).toBe('v2');
  });
});
