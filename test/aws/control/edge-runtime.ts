import { createHmac } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { CRYPTO_IMPORT, cloudFrontFunctionCode } from '../../../src/aws/bundle.js';

/**
 * The viewer-request CloudFront Function as built, run as CloudFront runs it: a script in a
 * bare context, `cf` the runtime's module, the KeyValueStore read through `get`.
 */
export function loadViewerRequest(kvsId: string, read: (key: string) => string | undefined, settings: object) {
  const code = cloudFrontFunctionCode('edge/viewer-request.cff', { kvsId, ...settings });
  const origins: string[] = [];
  const cf = {
    kvs: (id: string) => ({
      get: async (key: string) => {
        const value = id === kvsId ? read(key) : undefined;
        if (value === undefined) throw new Error(`key ${key} not found`);
        return value;
      },
    }),
    updateRequestOrigin: (params: { domainName: string }) => origins.push(params.domainName),
  };
  // The runtime's crypto (the page pin's HMAC) and Buffer are Node's; the import lines a bare script cannot run go.
  const context: Record<string, unknown> = { cf, crypto: { createHmac }, Buffer, console: { log: () => {} } };
  const lines = code.split('\n');
  runInNewContext(lines.slice(lines[1] === CRYPTO_IMPORT ? 2 : 1).join('\n'), context);
  return {
    handler: context['handler'] as (event: unknown) => Promise<{ headers: Record<string, { value: string }> }>,
    origins,
  };
}

/** A viewer-request event as AWS documents it, for a user with the identity cookie. */
export function viewerEvent(uid: string, uri: string, requestId: string) {
  return {
    version: '1.0',
    context: { distributionDomainName: 'd111111abcdef8.cloudfront.net', eventType: 'viewer-request', requestId },
    viewer: { ip: '198.51.100.11' },
    request: {
      method: 'GET',
      uri,
      querystring: {},
      headers: { host: { value: 'd111111abcdef8.cloudfront.net' }, accept: { value: 'text/html' } },
      cookies: { 'onebox-uid': { value: uid } },
    },
  };
}
