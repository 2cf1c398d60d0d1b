import type { AliasRouter } from './alias-router.js';
import { IDENTITY_COOKIE, identityCookie, type IdentitySource } from './identity.js';

/**
 * The viewer phase's decision for one request to a component with a live alias: who the
 * viewer is, which version serves them, and what the answer must carry for it. It returns
 * the decision with its reason (as open-feature's evaluation does), so the caller counts a
 * fallback without guessing why. Pure: the new id and the per-request draw are injected.
 */

/**
 * Why the request has its identity, and so its version:
 * - header / cookie / baggage: where the identity it carried came from (see resolveIdentity);
 * - new-user: it carried none, so one was issued (with a cookie);
 * - invalid-identity: a fallback, counted: it carried a malformed identity header or cookie,
 *   which is ignored, and a new identity was issued as for a new user.
 */
export type ViewerReason = Exclude<IdentitySource, 'new'> | 'new-user' | 'invalid-identity';

/** What the decision reads of a request (from one scan of its headers). */
export interface ViewerInputs {
  /** Value of the configured identity header, if one is configured and present. */
  readonly header: string | undefined;
  /** The raw Cookie header. */
  readonly cookie: string | undefined;
  /** The onebox-uid member of the baggage header, already decoded. */
  readonly baggage: string | undefined;
  /** The viewer came over https: a new identity's cookie is Secure. */
  readonly https: boolean;
}

/** A live alias as the decision needs it: the prepared router and the targets of its two choices. */
export interface LiveChoices<T> {
  readonly router: AliasRouter;
  readonly stable: T;
  /** The additional version's target; `stable` itself when the alias has none. */
  readonly additional: T;
  /** The alias sends some users to the additional version (weight above 0). */
  readonly split: boolean;
}

/** What the decision is made with, the same for every request. */
export interface ViewerSettings {
  /** Lifetime of a new identity's cookie. */
  readonly cookieMaxAgeSeconds: number;
  /** Vary fields added to answers while the alias splits (the cookie, and the identity header if any). */
  readonly varyFields: readonly string[];
  /** A new random identity (128 bits, base64url: a valid cookie id). */
  readonly newId: () => string;
  /** Random draw in [0, 1) for request-mode routing. */
  readonly draw: () => number;
}

export interface ViewerDecision<T> {
  readonly target: T;
  /** The viewer's identity, carried on in baggage. */
  readonly identity: string;
  readonly reason: ViewerReason;
  /** Set-Cookie for a newly issued identity, else undefined. */
  readonly setCookie: string | undefined;
  /** Vary fields to add while the alias splits, else undefined. */
  readonly vary: readonly string[] | undefined;
}

export function decideViewer<T>(
  live: LiveChoices<T>,
  request: ViewerInputs,
  settings: ViewerSettings,
): ViewerDecision<T> {
  const vary = live.split ? settings.varyFields : undefined;
  const routed = live.router.route(request.header, request.cookie, request.baggage, settings.draw);
  if (routed) {
    const target = routed.choice.additional ? live.additional : live.stable;
    return { target, identity: routed.id, reason: routed.source, setCookie: undefined, vary };
  }
  const identity = settings.newId();
  const invalid = request.header !== undefined || request.cookie?.includes(IDENTITY_COOKIE) === true;
  // Only an identity issued here gets a cookie: one carried in (a baggage hop's too) has one already.
  const setCookie = identityCookie(identity, { maxAgeSeconds: settings.cookieMaxAgeSeconds, secure: request.https });
  return {
    target: live.router.choose(identity, settings.draw).additional ? live.additional : live.stable,
    identity,
    reason: invalid ? 'invalid-identity' : 'new-user',
    setCookie,
    vary,
  };
}
