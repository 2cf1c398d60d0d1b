import {
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ResourceNotFoundException,
  UpdateKeysCommand,
  type CloudFrontKeyValueStoreClient,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { GetAliasCommand, UpdateAliasCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Alias } from '../../core/index.js';
import { CANARY_ALIAS, STABLE_ALIAS } from './aliases.js';

/** What a component's KeyValueStore entry holds (the key is the component's name). */
export interface ComponentSplit {
  /** Share of users on the canary origin, 0..100 (basis points / 100). */
  readonly percent: number;
  /** The deployment's seed: users hash with it, as locally. */
  readonly seed: string;
  /** The versions behind the stable and canary aliases, for people reading the store. */
  readonly stable: number;
  readonly canary?: number | undefined;
}

/** The store's entry for an alias. */
export function splitOf(alias: Alias): ComponentSplit {
  const extra = alias.additional;
  return {
    percent: extra ? extra.weightBp / 100 : 0,
    seed: alias.seed,
    stable: alias.version,
    ...(extra ? { canary: extra.version } : {}),
  };
}

/** KeyValueStore values hold at most 1 KB (keys 512 bytes; the store 5 MB). */
export const KVS_MAX_VALUE_BYTES = 1024;

export interface TrafficSettings {
  readonly kvsArn: string;
  /** Component name -> its Lambda function's name or ARN. */
  readonly functions: Readonly<Record<string, string>>;
}

/** One call made to move traffic, for the tick's report. */
export type TrafficStep = `${'kvs' | 'alias'} ${string}`;

/**
 * Makes traffic what the committed state says, for every component: reads what the Lambda
 * aliases and the KeyValueStore hold and writes only what differs, aliases first, then the
 * splits. That order never sends a user to a version they should not reach: the canary
 * alias is on the new version before any user is split to it, and the stable alias is on
 * the new version (a success) before the split drops to 0. A rollback moves no alias: its
 * only write is the split to 0, so users leave the bad version within the KeyValueStore's
 * propagation (seconds). Each write is the committed state, not a change, so a tick killed
 * half-way, or a late write of a tick that lost, is put right by the next tick.
 */
export async function reconcileTraffic(
  kvs: CloudFrontKeyValueStoreClient,
  lambda: LambdaClient,
  settings: TrafficSettings,
  aliases: readonly Alias[],
  rev: number,
): Promise<TrafficStep[]> {
  const steps: TrafficStep[] = [];
  for (const alias of aliases) {
    const fn = settings.functions[alias.component];
    if (!fn) throw new Error(`component "${alias.component}" has no function in the controller's settings`);
    const wanted: [string, number | undefined][] = [
      [CANARY_ALIAS, alias.additional?.version],
      [STABLE_ALIAS, alias.version],
    ];
    for (const [name, version] of wanted) {
      if (version === undefined) continue;
      const current = await lambda.send(new GetAliasCommand({ FunctionName: fn, Name: name }));
      if (current.FunctionVersion === String(version)) continue;
      await lambda.send(new UpdateAliasCommand({ FunctionName: fn, Name: name, FunctionVersion: String(version) }));
      steps.push(`alias ${alias.component} ${name}=${version}`);
    }
  }
  steps.push(...(await putSplits(kvs, settings.kvsArn, aliases, rev)));
  return steps;
}

/** A split as stored, with the state revision that wrote it. */
interface StoredSplit extends ComponentSplit {
  readonly rev: number;
}

async function storedSplit(
  kvs: CloudFrontKeyValueStoreClient,
  kvsArn: string,
  key: string,
): Promise<StoredSplit | undefined> {
  try {
    const out = await kvs.send(new GetKeyCommand({ KvsARN: kvsArn, Key: key }));
    return JSON.parse(out.Value ?? 'null') as StoredSplit;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

/**
 * Writes the splits that differ from what the store holds, in one UpdateKeys call. The
 * store's ETag is read before the values and the write is conditional on it, so a split
 * written by a newer revision is never overwritten by an older one (a slow tick that lost).
 */
async function putSplits(
  kvs: CloudFrontKeyValueStoreClient,
  kvsArn: string,
  aliases: readonly Alias[],
  rev: number,
): Promise<TrafficStep[]> {
  for (let attempt = 1; ; attempt++) {
    const { ETag } = await kvs.send(new DescribeKeyValueStoreCommand({ KvsARN: kvsArn }));
    const puts: { Key: string; Value: string }[] = [];
    for (const alias of aliases) {
      const split = splitOf(alias);
      const stored = await storedSplit(kvs, kvsArn, alias.component);
      if (stored && (stored.rev > rev || sameSplit(stored, split))) continue;
      const value = JSON.stringify({ ...split, rev });
      if (Buffer.byteLength(value) > KVS_MAX_VALUE_BYTES)
        throw new Error(
          `the split of ${alias.component} is ${Buffer.byteLength(value)} bytes, over the KeyValueStore's 1 KB`,
        );
      puts.push({ Key: alias.component, Value: value });
    }
    if (!puts.length) return [];
    try {
      await kvs.send(new UpdateKeysCommand({ KvsARN: kvsArn, IfMatch: ETag, Puts: puts }));
      return puts.map((p) => `kvs ${p.Key}=${p.Value}` as TrafficStep);
    } catch (err) {
      // Another writer changed the store since its ETag was read: read again.
      if (!(err instanceof ConflictException) || attempt >= 5) throw err;
    }
  }
}

function sameSplit(a: ComponentSplit, b: ComponentSplit): boolean {
  return a.percent === b.percent && a.seed === b.seed && a.stable === b.stable && a.canary === b.canary;
}
