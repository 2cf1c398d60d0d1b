import { isValidCookieId, isValidHeaderId, type AliasRouting } from '../core/index.js';
import type { LiveChoices } from '../core/viewer-decision.js';
import type { ReadOrigin } from './origin.js';

/**
 * Which version of a consumer processes one record, pure:
 * - the consumer splits per request (Lambda's weighted alias): a draw per record;
 * - the record names no valid identity: the stable version (counted by the caller);
 * - otherwise the user's version, the gateway's decision for that identity; except that a
 *   record written by a producer that is being released (its alias has an additional
 *   version) but not by that new version goes to the consumer's stable version. A record
 *   keeps its side as a page keeps its version: the new consumer never reads what an old
 *   producer wrote, even when the user was admitted between the write and the read, or when
 *   the two components split with different seeds.
 */

export type RecordReason = 'user' | 'kept-side' | 'per-request' | 'no-identity';

export interface RecordDecision<T> {
  readonly target: T;
  readonly reason: RecordReason;
  readonly identity: string | undefined;
}

/** A draw that never admits: a sticky decision takes none. */
const NO_DRAW = (): number => 1;

export function decideRecord<T>(
  consumer: LiveChoices<T> & { readonly alias: AliasRouting },
  /** The writer's component's live alias, if the record names a writer and it has one. */
  producer: AliasRouting | undefined,
  origin: ReadOrigin,
  draw: () => number,
): RecordDecision<T> {
  const { identity, from } = origin;
  const pick = (additional: boolean): T => (additional ? consumer.additional : consumer.stable);
  if (consumer.split && consumer.alias.mode === 'request')
    return { target: pick(consumer.router.choose(undefined, draw).additional), reason: 'per-request', identity };
  if (identity === undefined || !(isValidCookieId(identity) || isValidHeaderId(identity)))
    return { target: pick(consumer.router.choose(undefined, NO_DRAW).additional), reason: 'no-identity', identity };
  const choice = consumer.router.choose(identity, NO_DRAW);
  const releasing = producer?.additional !== undefined && producer.additional.weightBp > 0;
  if (choice.additional && from && releasing && from.version !== producer.additional!.version)
    return { target: consumer.stable, reason: 'kept-side', identity };
  return { target: pick(choice.additional), reason: 'user', identity };
}
