import type { LambdaClient } from '@aws-sdk/client-lambda';
import { AliasRouter, BUCKETS, defaultSeed, type AliasRouting } from '../core/index.js';
import { decideRecord } from '../events/decide.js';
import { eventBridgeOrigin, kinesisRecordOrigin, sqsRecordOrigin } from '../events/formats.js';
import type { ReadOrigin } from '../events/origin.js';
import { DEFAULT_METRICS_NAMESPACE, emfLine, VERSION_METRIC } from './metrics.js';

/**
 * Routing that follows events on AWS (`onebox/aws/events`): a wrapper for the handler of a
 * function that an event source (an SQS or Kinesis event source mapping, an EventBridge
 * rule) invokes through its weighted alias. Lambda picks a version per batch, not per user;
 * the wrapper then splits the batch by the version each record's user is assigned (the
 * record's baggage, put there by `onebox/events`' producer helpers, decided as decide.ts
 * says), processes its own version's records, and hands every other version's records to
 * that version by a synchronous `Invoke` of `<function>:<version>` (the version's number as
 * the qualifier, so the alias does not split again), marked `oneboxRouted` so it is not
 * routed twice. Failures come back as one partial batch response (`batchItemFailures`: ReportBatchItemFailures
 * must be on for the mapping), and each version's share is counted in CloudWatch by an
 * embedded-metric line per version (namespace `onebox`, dimensions FunctionName and Version:
 * Requests, Errors5xx), so the version's alarms see its consumer errors.
 * The alias is read with GetAlias (cached), the producer's too (for a record's side).
 */

export type EventSource = 'sqs' | 'kinesis' | 'eventbridge';

export interface UserRoutingOptions {
  readonly source: EventSource;
  /** The alias the event source invokes. Default `live`. */
  readonly alias?: string;
  /**
   * The split's seed, as the edge hashes users with it for this function. Default: the
   * ONEBOX_SEED environment variable, else onebox's default for a split
   * (`<function>@<additional version>`).
   */
  readonly seed?: string;
  /** How long an alias read is used, ms. Default 5000. */
  readonly cacheMs?: number;
  /** Default: a client for the function's region. */
  readonly lambda?: LambdaClient;
  /** CloudWatch namespace of the per-version lines. Default `onebox`. */
  readonly namespace?: string;
  /** Where metric lines go. Default: stdout (CloudWatch Logs). */
  readonly write?: (line: string) => void;
  /** Epoch ms. Default Date.now. */
  readonly now?: () => number;
}

interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
}

interface SqsLike {
  readonly messageId: string;
}
interface KinesisLike {
  readonly kinesis: { readonly data: string; readonly sequenceNumber: string };
}
interface BatchEvent {
  readonly Records: readonly unknown[];
  readonly oneboxRouted?: boolean;
}
interface BatchResult {
  batchItemFailures: { itemIdentifier: string }[];
}

type Handler<E, R> = (event: E, context: LambdaContext) => Promise<R>;

/** The AWS SDK, loaded on first use: Lambda's Node runtimes ship it, and importing this module needs none. */
let sdk: Promise<typeof import('@aws-sdk/client-lambda')> | undefined;
const lambdaSdk = (): Promise<typeof import('@aws-sdk/client-lambda')> => (sdk ??= import('@aws-sdk/client-lambda'));

/** Wraps a batch handler (SQS, Kinesis) or an EventBridge handler; see the module's comment. */
export function withUserRouting<E, R>(
  handler: Handler<E, R>,
  options: UserRoutingOptions,
): Handler<E, R | BatchResult> {
  const aliases = new AliasCache(options);
  const namespace = options.namespace ?? DEFAULT_METRICS_NAMESPACE;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const count = (context: LambdaContext, version: number, records: number, failed: number): void => {
    const metrics = [
      { name: VERSION_METRIC.requests, value: records, unit: 'Count' as const },
      { name: VERSION_METRIC.errors, value: failed, unit: 'Count' as const },
    ];
    write(
      emfLine(
        namespace,
        { FunctionName: context.functionName, Version: String(version) },
        metrics,
        (options.now ?? Date.now)(),
      ),
    );
  };

  return async (event, context) => {
    const own = Number(context.functionVersion);
    if ((event as BatchEvent).oneboxRouted || !Number.isInteger(own)) return handler(event, context);
    const consumer = await aliases.live(context.functionName);
    if (!consumer) return handler(event, context); // No alias to read: this version processes all, as it was asked to.
    const choose = async (origin: ReadOrigin): Promise<number> => {
      const producer = origin.from && (await aliases.routing(origin.from.component));
      return decideRecord(consumer, producer, origin, Math.random).target;
    };
    if (options.source === 'eventbridge') {
      const version = await choose(eventBridgeOrigin(event as { detail?: unknown }));
      return version === own
        ? handler(event, context)
        : ((await invoke(await aliases.client(), context, version, event)) as R);
    }
    const records = (event as BatchEvent).Records;
    const idOf = (r: unknown): string =>
      options.source === 'sqs' ? (r as SqsLike).messageId : (r as KinesisLike).kinesis.sequenceNumber;
    const groups = new Map<number, unknown[]>();
    for (const r of records) {
      const origin = options.source === 'sqs' ? sqsRecordOrigin(r as SqsLike) : kinesisRecordOrigin(r as KinesisLike);
      const version = await choose(origin);
      groups.set(version, [...(groups.get(version) ?? []), r]);
    }
    const failures = await Promise.all(
      [...groups].map(async ([version, group]) => {
        const part = { ...(event as object), Records: group } as E;
        let failed: string[];
        try {
          const result =
            version === own
              ? await handler(part, context)
              : await invoke(await aliases.client(), context, version, part);
          failed = failedIds(result, group.map(idOf));
        } catch {
          failed = group.map(idOf); // The version failed as a whole: its records are retried, not the others'.
        }
        count(context, version, group.length, failed.length);
        return failed;
      }),
    );
    return { batchItemFailures: failures.flat().map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** The records a handler's answer names as failed (Lambda's partial batch response), of `ids`. */
function failedIds(result: unknown, ids: readonly string[]): string[] {
  const reported = (result as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (reported === undefined) return [];
  if (!Array.isArray(reported)) return [...ids];
  const known = new Set(ids);
  return reported
    .map((f) => (f as { itemIdentifier?: unknown } | null)?.itemIdentifier)
    .filter((id): id is string => typeof id === 'string' && known.has(id));
}

/** Runs `event` on one version of this function and returns its answer; throws when the version failed. */
async function invoke(lambda: LambdaClient, context: LambdaContext, version: number, event: unknown): Promise<unknown> {
  const { InvokeCommand } = await lambdaSdk();
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: context.functionName,
      Qualifier: String(version),
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify({ ...(event as object), oneboxRouted: true })),
    }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : 'null';
  if (out.FunctionError) throw new Error(`${context.functionName}:${version} failed: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

interface Live {
  readonly alias: AliasRouting;
  readonly router: AliasRouter;
  readonly stable: number;
  readonly additional: number;
  readonly split: boolean;
}

/** GetAlias, as AliasRouting, cached per function for `cacheMs`. */
class AliasCache {
  private made: LambdaClient | undefined;
  private readonly cache = new Map<string, { at: number; live: Live | undefined }>();

  constructor(private readonly options: UserRoutingOptions) {}

  async client(): Promise<LambdaClient> {
    return this.options.lambda ?? (this.made ??= new (await lambdaSdk()).LambdaClient({}));
  }

  async routing(functionName: string): Promise<AliasRouting | undefined> {
    return (await this.live(functionName))?.alias;
  }

  async live(functionName: string): Promise<Live | undefined> {
    const now = (this.options.now ?? Date.now)();
    const hit = this.cache.get(functionName);
    if (hit && now - hit.at < (this.options.cacheMs ?? 5000)) return hit.live;
    let live: Live | undefined;
    try {
      const { GetAliasCommand } = await lambdaSdk();
      const a = await (
        await this.client()
      ).send(new GetAliasCommand({ FunctionName: functionName, Name: this.options.alias ?? 'live' }));
      const version = Number(a.FunctionVersion);
      const [extra] = Object.entries(a.RoutingConfig?.AdditionalVersionWeights ?? {});
      if (Number.isInteger(version) && version > 0) {
        const additional = extra ? { version: Number(extra[0]), weightBp: Math.round(extra[1] * BUCKETS) } : undefined;
        const seed =
          this.options.seed ?? process.env['ONEBOX_SEED'] ?? defaultSeed(functionName, additional?.version ?? version);
        const alias: AliasRouting = { version, additional, mode: 'sticky', seed };
        live = {
          alias,
          router: new AliasRouter(alias),
          stable: version,
          additional: additional?.version ?? version,
          split: additional !== undefined && additional.weightBp > 0,
        };
      }
    } catch {
      live = undefined; // Unreadable (no such alias, no permission): no split is known, nothing is redirected.
    }
    this.cache.set(functionName, { at: now, live });
    return live;
  }
}
