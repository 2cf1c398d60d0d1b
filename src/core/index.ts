/**
 * onebox's decisions, pure: what `onebox/core` exports, and what the rest of onebox reads.
 * Named module by module; internals that only a module of core needs (murmur3's block
 * steps, the resumable hash, the cookie scanner, the statistics) are imported from their
 * own files.
 */

// Who a user is and which version serves them.
export { murmur3 } from './murmur3.js';
export * from './bucket.js';
export {
  IDENTITY_COOKIE,
  DEFAULT_COOKIE_MAX_AGE_SECONDS,
  identityCookie,
  isValidCookieId,
  isValidHeaderId,
  readCookie,
  resolveIdentity,
  type CookieOptions,
  type Identity,
  type IdentityInputs,
  type IdentitySource,
} from './identity.js';
export * from './baggage.js';
export * from './routing.js';
export * from './alias-router.js';
export * from './route-table.js';
export * from './component-name.js';
export * from './cache-headers.js';
export * from './reserved-paths.js';
export * from './page-protocol.js';

// The model.
export * from './errors.js';
export * from './model.js';
export * from './target.js';
export * from './duration.js';

// Deployments, releases and their gates.
export * from './deployment-config.js';
export * from './deployment-status.js';
export * from './deployment.js';
export * from './deployment-record.js';
export * from './release.js';
export * from './hooks.js';
export * from './gate.js';
export * from './alarms.js';
export * from './judge.js';
export * from './latency-buckets.js';
export * from './evidence.js';
export * from './need.js';
export * from './rate-test.js';
export * from './step-gate.js';
export * from './browser-gate.js';
export * from './browser-beacon.js';
export * from './browser-limits.js';

// Shadow comparison.
export * from './shadow/index.js';
