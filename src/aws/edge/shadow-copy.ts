import type { CloudFrontRequest } from 'aws-lambda';
import { readBaggageIdentity } from '../../core/baggage.js';
import { BUCKETS, bucketOf } from '../../core/bucket.js';
import { resolveIdentity } from '../../core/identity.js';

/** A request handed to the shadow worker: what it needs to replay the request. */
export interface ShadowCopy {
  readonly method: string;
  readonly uri: string;
  /** The raw query string, without `?`. */
  readonly querystring: string;
  /** Lowercase names; repeated headers joined with ", ". Credentials already dropped. */
  readonly headers: Record<string, string>;
  /** Base64 body, when the request had one. */
  readonly body?: string;
}

export interface ShadowCopySettings {
  /** Methods mirrored (uppercase). */
  readonly methods: readonly string[];
  /** Lowercase header names never copied. */
  readonly dropHeaders: readonly string[];
  /** Largest body copied, in bytes; a larger or truncated body skips the copy. */
  readonly bodyCapBytes: number;
  /** Share of users mirrored, in basis points (sticky per user). */
  readonly shareBp: number;
  /** Seed of the share's buckets. */
  readonly seed: string;
  /** Lowercase identity header, or ''. */
  readonly identityHeader: string;
}

/** Why a request was not copied, for the logs. */
export type SkipReason = 'method' | 'share' | 'body-cap' | 'body-truncated';

/**
 * The copy of a Lambda@Edge request for the shadow, or why there is none. The same
 * choices as the local mirror: safe methods only unless others are listed, credentials
 * dropped, a sticky share of users (whole sessions), bodies up to a cap.
 */
export function shadowCopyOf(request: CloudFrontRequest, settings: ShadowCopySettings): ShadowCopy | SkipReason {
  if (!settings.methods.includes(request.method)) return 'method';
  if (settings.shareBp < BUCKETS) {
    const header = (name: string) => request.headers[name]?.map((h) => h.value).join('; ');
    const identity = resolveIdentity({
      header: settings.identityHeader ? request.headers[settings.identityHeader]?.[0]?.value : undefined,
      cookie: header('cookie'),
      baggage: readBaggageIdentity(request.headers['baggage']?.[0]?.value),
    });
    if (!identity || bucketOf(settings.seed, identity.id) >= settings.shareBp) return 'share';
  }
  let body: string | undefined;
  if (request.body && request.body.data) {
    if (request.body.inputTruncated) return 'body-truncated';
    const bytes =
      request.body.encoding === 'base64' ? Buffer.from(request.body.data, 'base64') : Buffer.from(request.body.data);
    if (bytes.length > settings.bodyCapBytes) return 'body-cap';
    body = bytes.toString('base64');
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headers)) {
    if (settings.dropHeaders.includes(name)) continue;
    headers[name] = values.map((v) => v.value).join(', ');
  }
  return { method: request.method, uri: request.uri, querystring: request.querystring, headers, body };
}
