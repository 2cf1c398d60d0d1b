import { readBaggageIdentity } from '../../core/baggage.js';
import { IDENTITY_COOKIE, isValidCookieId, resolveIdentity, type Identity } from '../../core/identity.js';
import type { CfRequest } from './cloudfront-function.js';

/**
 * The viewer's identity from a CloudFront Functions request, by the same rules as the
 * local gateway (core resolveIdentity): the configured header first, then our cookie,
 * then the W3C baggage member. CloudFront Functions hand cookies over parsed, so the
 * cookie is given back to core as the one-pair header it would have read.
 */
export function viewerIdentity(request: CfRequest, identityHeader: string): Identity | undefined {
  const header = identityHeader ? request.headers[identityHeader] : undefined;
  const cookie = request.cookies[IDENTITY_COOKIE];
  const baggage = request.headers['baggage'];
  return resolveIdentity({
    header: header ? header.value : undefined,
    cookie: cookie ? IDENTITY_COOKIE + '=' + cookie.value : undefined,
    baggage: baggage ? readBaggageIdentity(baggage.value) : undefined,
  });
}

/**
 * The id a new viewer gets, derived from CloudFront's request id. The viewer-request
 * function routes with it and the viewer-response function issues it as the cookie: both
 * see the same request id, so they agree without sharing state (CloudFront Functions have
 * none, and a viewer-response function sees the viewer's original request, not the one
 * the viewer-request function changed). Undefined when the id cannot make a valid cookie:
 * the viewer is then served by the stable partition and gets no cookie this time.
 */
export function identityFromRequestId(requestId: string | undefined): string | undefined {
  if (!requestId) return undefined;
  const id = requestId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
  return isValidCookieId(id) ? id : undefined;
}
