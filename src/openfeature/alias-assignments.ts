import { ErrorCode } from '@openfeature/core';
import type { StatusAnswer } from '../api/index.js';
import { AliasRouter, BUCKETS, isValidCookieId, isValidHeaderId, type AliasRouting } from '../core/index.js';
import { noLiveVersion, notFound, type Assignment } from './resolution.js';

/**
 * The server provider's state: each component's live alias, reduced exactly as the gateway's
 * routing snapshot reduces it (an additional version that is retired or unknown is dropped;
 * a retired stable version leaves no live route), and prepared as the gateway prepares it
 * (core's AliasRouter), so that an identity gets the gateway's version.
 */

/** A draw that never admits: per-request splits assign everyone the stable version. */
const NO_DRAW = (): number => 1;

interface Live {
  readonly alias: AliasRouting;
  readonly router: AliasRouter;
}

/** Component -> its live alias, or undefined while it has no routable one. */
export type AliasAssignments = ReadonlyMap<string, Live | undefined>;

export function aliasAssignments(status: StatusAnswer): AliasAssignments {
  const out = new Map<string, Live | undefined>();
  for (const c of status.components) {
    const routable = new Set(c.versions.filter((v) => !v.retiredAt).map((v) => v.number));
    const alias = c.alias;
    if (!alias || !routable.has(alias.version)) {
      out.set(c.name, undefined);
      continue;
    }
    const additional = alias.additional && routable.has(alias.additional.version) ? alias.additional : undefined;
    const routing: AliasRouting = { version: alias.version, additional, mode: alias.mode, seed: alias.seed };
    out.set(c.name, { alias: routing, router: new AliasRouter(routing) });
  }
  return out;
}

/** The components whose routing differs between two states (their flags changed). */
export function changedComponents(before: AliasAssignments, after: AliasAssignments): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => {
    const a = before.get(n)?.alias;
    const b = after.get(n)?.alias;
    return (
      a?.version !== b?.version ||
      a?.mode !== b?.mode ||
      a?.seed !== b?.seed ||
      a?.additional?.version !== b?.additional?.version ||
      a?.additional?.weightBp !== b?.additional?.weightBp
    );
  });
}

/** The version `identity` gets of `component`: the gateway's decision for a request carrying it. */
export function assignmentOf(state: AliasAssignments, component: string, identity: unknown): Assignment {
  if (!state.has(component)) return notFound(component);
  const live = state.get(component);
  if (!live) return noLiveVersion(component);
  const { alias, router } = live;
  const weight = alias.additional?.weightBp ?? 0;
  if (weight <= 0) return { version: alias.version, canary: false, reason: 'STATIC' };
  if (weight >= BUCKETS) return { version: alias.additional!.version, canary: true, reason: 'STATIC' };
  if (alias.mode === 'request') return { version: alias.version, canary: false, reason: 'DEFAULT' };
  if (identity === undefined || identity === '')
    return {
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
      errorMessage: `${component} splits by user: set targetingKey`,
    };
  if (typeof identity !== 'string' || !(isValidCookieId(identity) || isValidHeaderId(identity)))
    return {
      errorCode: ErrorCode.INVALID_CONTEXT,
      errorMessage: 'targetingKey is not an identity the gateway accepts (1-256 visible ASCII characters)',
    };
  const choice = router.choose(identity, NO_DRAW);
  return { version: choice.version, canary: choice.additional, reason: 'SPLIT' };
}
