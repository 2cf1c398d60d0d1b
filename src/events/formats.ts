import { originBaggage, readOrigin, type Origin, type ReadOrigin } from './origin.js';

/**
 * Putting an origin into a message and reading it back, for each AWS event source:
 * - SQS: a message attribute named `baggage` (DataType String). SQS keeps attributes apart
 *   from the body and hands them to Lambda as `record.messageAttributes.baggage.stringValue`.
 *   It uses one of SQS's 10 attributes per message.
 * - Kinesis: a record has no attributes, so the data (a JSON object) gets a `baggage` member;
 *   Lambda hands it base64-encoded in `record.kinesis.data`.
 * - EventBridge: the event's `detail` (a JSON object) gets a `baggage` member; rules can
 *   still match on the rest of the detail.
 * The shapes are structural (the SDK's inputs, Lambda's event records) so that neither the
 * AWS SDK nor @types/aws-lambda is needed to use them.
 */

interface SqsAttribute {
  readonly DataType: string;
  readonly StringValue?: string | undefined;
}

/** SendMessage's input (or a SendMessageBatch entry), with the origin in its `baggage` attribute. */
export function sqsMessage<M extends { MessageBody: string; MessageAttributes?: Record<string, SqsAttribute> }>(
  message: M,
  origin: Origin,
): M & { MessageAttributes: Record<string, SqsAttribute> & { baggage: SqsAttribute } } {
  const existing = message.MessageAttributes?.baggage?.StringValue;
  return {
    ...message,
    MessageAttributes: {
      ...message.MessageAttributes,
      baggage: { DataType: 'String', StringValue: originBaggage(origin, existing) },
    },
  };
}

/** A Kinesis PutRecord `Data`: the JSON object with the origin in its `baggage` member. */
export function kinesisData(data: Readonly<Record<string, unknown>>, origin: Origin): Uint8Array {
  const existing = typeof data.baggage === 'string' ? data.baggage : undefined;
  return new TextEncoder().encode(JSON.stringify({ ...data, baggage: originBaggage(origin, existing) }));
}

/** A PutEvents entry whose `Detail` carries the origin in its `baggage` member. */
export function eventBridgeEntry<E extends { Detail?: string | undefined }>(entry: E, origin: Origin): E {
  let detail: Record<string, unknown> = {};
  try {
    const parsed: unknown = entry.Detail ? JSON.parse(entry.Detail) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) detail = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: EventBridge would refuse it anyway; the origin alone is sent.
  }
  const existing = typeof detail.baggage === 'string' ? detail.baggage : undefined;
  return { ...entry, Detail: JSON.stringify({ ...detail, baggage: originBaggage(origin, existing) }) };
}

/** An SQS record as Lambda delivers it (only what is read). */
export interface SqsRecordLike {
  readonly messageId: string;
  readonly messageAttributes?: Readonly<Record<string, { readonly stringValue?: string | undefined }>> | undefined;
}

export interface KinesisRecordLike {
  readonly kinesis: { readonly data: string };
}

export const sqsRecordOrigin = (record: SqsRecordLike): ReadOrigin =>
  readOrigin(record.messageAttributes?.baggage?.stringValue);

export function kinesisRecordOrigin(record: KinesisRecordLike): ReadOrigin {
  try {
    const data: unknown = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
    const baggage = (data as { baggage?: unknown } | null)?.baggage;
    return readOrigin(typeof baggage === 'string' ? baggage : undefined);
  } catch {
    return readOrigin(undefined);
  }
}

export function eventBridgeOrigin(event: { readonly detail?: unknown }): ReadOrigin {
  const baggage = (event.detail as { baggage?: unknown } | null | undefined)?.baggage;
  return readOrigin(typeof baggage === 'string' ? baggage : undefined);
}
