import { privateCacheControl } from '../../core/cache-headers.js';
import { IDENTITY_COOKIE, identityCookie } from '../../core/identity.js';
import type { CfEvent, CfResponse } from './cloudfront-function.js';
import { identityFromRequestId, viewerIdentity } from './viewer-identity.js';

export interface ViewerResponseSettings {
  /** Lowercase name of a header that identifies the user, or '' for none. */
  readonly identityHeader: string;
  /** Lifetime of the identity cookie. */
  readonly cookieMaxAgeSeconds: number;
}

/**
 * Viewer response (CloudFront Function, every response, after the cache): a viewer who
 * came without an identity gets the cookie the viewer-request function routed them with
 * (the same request id gives the same id), and that response becomes private, so no shared
 * cache hands one id to many users. Secure always: the distribution redirects to https.
 */
export function viewerResponse(event: CfEvent, settings: ViewerResponseSettings): CfResponse {
  const response = event.response!;
  try {
    if (viewerIdentity(event.request, settings.identityHeader)) return response;
    const id = identityFromRequestId(event.context.requestId);
    if (id === undefined) return response;
    const cookie = identityCookie(id, { maxAgeSeconds: settings.cookieMaxAgeSeconds, secure: true });
    const semi = cookie.indexOf(';');
    if (!response.cookies) response.cookies = {};
    response.cookies[IDENTITY_COOKIE] = {
      value: cookie.slice(IDENTITY_COOKIE.length + 1, semi),
      attributes: cookie.slice(semi + 1).trim(),
    };
    const cacheControl = response.headers['cache-control'];
    response.headers['cache-control'] = { value: privateCacheControl(cacheControl ? cacheControl.value : undefined) };
  } catch (err) {
    console.log('onebox: viewer response left unchanged: ' + String(err));
  }
  return response;
}
