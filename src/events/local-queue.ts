import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqsRecordLike } from './formats.js';

/**
 * An in-process queue for the local engine, holding messages as SQS hands them to Lambda
 * (`Records[]` of an SQS event), so that a consumer's handler versions run here as they would
 * on AWS. `listen` puts an HTTP front on it for handlers in their own processes: POST a
 * SendMessage input (`{ MessageBody, MessageAttributes }`, as `sqsMessage` makes it) to its
 * URL; the answer is `{ MessageId }`. Loopback only.
 */

export interface SqsRecord extends SqsRecordLike {
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<
    Record<
      string,
      {
        readonly stringValue?: string;
        readonly dataType: string;
        readonly stringListValues: [];
        readonly binaryListValues: [];
      }
    >
  >;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export interface SendMessageInput {
  readonly MessageBody: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly DataType: string; readonly StringValue?: string }>>;
}

/** Largest message SQS takes (256 KiB): the same limit here. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export class LocalQueue {
  private readonly messages: SqsRecord[] = [];
  /** Records whose processing failed: kept, as a dead-letter queue keeps them. */
  readonly deadLetters: SqsRecord[] = [];

  constructor(
    /** The queue's name, in its ARN. */
    readonly name: string,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.messages.length;
  }

  send(input: SendMessageInput): string {
    if (typeof input.MessageBody !== 'string' || input.MessageBody.length === 0)
      throw new TypeError('MessageBody must be a non-empty string');
    if (Buffer.byteLength(input.MessageBody) > MAX_MESSAGE_BYTES)
      throw new RangeError(`MessageBody is over ${MAX_MESSAGE_BYTES} bytes`);
    const messageId = randomUUID();
    const messageAttributes: SqsRecord['messageAttributes'] = Object.fromEntries(
      Object.entries(input.MessageAttributes ?? {}).map(([k, a]) => [
        k,
        { stringValue: a.StringValue, dataType: a.DataType, stringListValues: [], binaryListValues: [] },
      ]),
    );
    this.messages.push({
      messageId,
      receiptHandle: messageId,
      body: input.MessageBody,
      attributes: { SentTimestamp: String(this.clock()), ApproximateReceiveCount: '1' },
      messageAttributes,
      md5OfBody: createHash('md5').update(input.MessageBody).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.name}`,
      awsRegion: 'local',
    });
    return messageId;
  }

  /** Takes up to `max` messages, oldest first (Lambda's batch size; default 10). */
  receive(max = 10): SqsRecord[] {
    return this.messages.splice(0, max);
  }

  /** An HTTP front on loopback for handlers in other processes. */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ readonly url: string; close(): Promise<void> }> {
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          if (req.method !== 'POST') throw new TypeError('POST a SendMessage input');
          const id = this.send(JSON.parse(Buffer.concat(chunks).toString('utf8')) as SendMessageInput);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ MessageId: id }));
        } catch (err) {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: (err as Error).message }));
        }
      });
    });
    await new Promise<void>((done) => server.listen(port, host, done));
    const { port: bound } = server.address() as AddressInfo;
    return {
      url: `http://${host}:${bound}/`,
      close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))),
    };
  }
}
