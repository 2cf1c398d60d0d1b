import type { RoutingSnapshot } from '../gateway/routing-snapshot.js';
import type { HandlerTarget, Target } from '../gateway/target.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import { decideRecord, type RecordReason } from './decide.js';
import { sqsRecordOrigin, type SqsRecordLike } from './formats.js';
import type { LocalQueue } from './local-queue.js';

/**
 * A component consumed from a queue in the local engine: each batch is split by the version
 * each record's user is assigned (decide.ts, over the gateway's routing snapshot), and each
 * version's handler gets an SQS event of its own records, as a Lambda event source mapping
 * would hand it. A record fails when the handler names it in `batchItemFailures` (Lambda's
 * partial batch response) or when the invocation fails as a whole. Every record is counted on
 * the version that processed it (a failure as a 5xx), so the gate and alarms see consumer
 * errors like any other; an undecidable record goes to the stable version and is counted as
 * a fallback.
 */

export interface EventConsumerDeps {
  readonly snapshot: () => RoutingSnapshot;
  readonly handlers: HandlerPool;
  /** Per-request splits draw per record. Default Math.random. */
  readonly draw?: () => number;
  readonly countFallback: (reason: string) => void;
}

export interface VersionOutcome {
  readonly version: number;
  readonly records: number;
  readonly failed: number;
}

export interface BatchOutcome {
  /** messageIds of the records that failed. */
  readonly failed: readonly string[];
  readonly versions: readonly VersionOutcome[];
  /** How many records were decided for each reason. */
  readonly reasons: Readonly<Partial<Record<RecordReason, number>>>;
}

export class EventConsumer {
  constructor(
    private readonly deps: EventConsumerDeps,
    readonly component: string,
  ) {}

  /** Processes one batch; never throws (a failure is the batch's failed records). */
  async process(records: readonly SqsRecordLike[]): Promise<BatchOutcome> {
    const snapshot = this.deps.snapshot();
    const live = snapshot.components.get(this.component)?.live;
    if (!live) {
      this.deps.countFallback('consumer-no-live-version');
      return { failed: records.map((r) => r.messageId), versions: [], reasons: {} };
    }
    const groups = new Map<Target, { records: SqsRecordLike[]; users: (string | undefined)[] }>();
    const reasons: Partial<Record<RecordReason, number>> = {};
    for (const record of records) {
      const origin = sqsRecordOrigin(record);
      const producer = origin.from && snapshot.components.get(origin.from.component)?.live?.alias;
      const d = decideRecord(live, producer, origin, this.deps.draw ?? Math.random);
      reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
      if (d.reason === 'no-identity') this.deps.countFallback('record-without-identity');
      const group = groups.get(d.target) ?? { records: [], users: [] };
      group.records.push(record);
      group.users.push(d.identity);
      groups.set(d.target, group);
    }
    const outcomes = await Promise.all([...groups].map(([target, g]) => this.invoke(target, g.records, g.users)));
    return {
      failed: outcomes.flatMap((o) => o.failed),
      versions: outcomes.map((o) => ({ version: o.version, records: o.records, failed: o.failed.length })),
      reasons,
    };
  }

  /** Processes the queue until it is empty, batch by batch; failed records go to its dead letters. */
  async drain(queue: LocalQueue, batchSize = 10): Promise<{ processed: number; failed: number }> {
    let processed = 0;
    let failed = 0;
    for (let batch = queue.receive(batchSize); batch.length; batch = queue.receive(batchSize)) {
      const outcome = await this.process(batch);
      const ids = new Set(outcome.failed);
      for (const r of batch) if (ids.has(r.messageId)) queue.deadLetters.push(r);
      processed += batch.length;
      failed += ids.size;
    }
    return { processed, failed };
  }

  private async invoke(
    target: Target,
    records: SqsRecordLike[],
    users: (string | undefined)[],
  ): Promise<{ version: number; records: number; failed: string[] }> {
    const started = performance.now();
    let failed: string[];
    if (target.kind !== 'handler') {
      // An event source invokes functions: an HTTP upstream has no handler to hand records to.
      this.deps.countFallback('consumer-not-a-handler');
      failed = records.map((r) => r.messageId);
    } else failed = await this.run(target, records);
    const latencyUs = Math.round(((performance.now() - started) * 1000) / Math.max(1, records.length));
    const failedIds = new Set(failed);
    records.forEach((r, i) =>
      target.metrics.record(failedIds.has(r.messageId) ? 500 : 200, latencyUs, 'response', users[i]),
    );
    return { version: target.version, records: records.length, failed };
  }

  private async run(target: HandlerTarget, records: SqsRecordLike[]): Promise<string[]> {
    const all = records.map((r) => r.messageId);
    try {
      const result = await this.deps.handlers.invoke(target.fn, { Records: records });
      if (result.outcome !== 'success') return all;
      const reported = (result.payload as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
      if (reported === undefined) return [];
      if (!Array.isArray(reported)) return all; // Lambda fails the whole batch on a malformed answer too.
      const ids = new Set(all);
      return reported
        .map((f) => (f as { itemIdentifier?: unknown } | null)?.itemIdentifier)
        .filter((id): id is string => typeof id === 'string' && ids.has(id));
    } catch {
      return all;
    }
  }
}
