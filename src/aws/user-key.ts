/**
 * The user a handler's request is for, as its log lines name them: a short hash of the
 * identity (never the id itself), so the controller can count distinct users per version
 * from the log lines (CloudWatch Logs Insights `count_distinct(user)`) without the logs
 * holding anyone's id.
 */
import { createHash } from 'node:crypto';
import { readBaggageIdentity } from '../core/baggage.js';
import { resolveIdentity } from '../core/identity.js';

/**
 * 16 hex digits of SHA-256 over the id: 64 bits, so two users of a release share a key
 * with a chance of about n² / 2^65 (one in 10^8 at 60,000 users), far below the counting
 * error. The browser beacon's lines use the same key, so both count the same people.
 */
export function userKey(id: string): string {
  return createHash('sha256').update(`onebox-user:${id}`).digest('hex').slice(0, 16);
}

/** An API Gateway v2 / function URL event's headers (lower-case names), or anything else. */
function headersOf(event: unknown): Record<string, unknown> {
  if (typeof event !== 'object' || event === null || !('headers' in event)) return {};
  const headers = (event as { headers: unknown }).headers;
  return typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>) : {};
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The request's user key: the configured identity header if valid, else the `onebox-uid`
 * member of `baggage` (what the viewer-request function writes for every viewer); none
 * when the request carries neither.
 */
export function requestUser(event: unknown, identityHeader: string | undefined): string | undefined {
  const headers = headersOf(event);
  const identity = resolveIdentity({
    header: identityHeader ? text(headers[identityHeader.toLowerCase()]) : undefined,
    baggage: readBaggageIdentity(text(headers['baggage'])),
  });
  return identity ? userKey(identity.id) : undefined;
}
