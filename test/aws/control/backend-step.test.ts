import { describe, expect, it } from 'vitest';
import { chooseVersion } from '../../../src/core/index.js';
import { loadViewerRequest, viewerEvent } from './edge-runtime.js';

/**
 * One user's page and API calls during a backend step, through the viewer-request function
 * as built: the backend (`/api/`) has its own split in the KeyValueStore, and each user's
 * calls, from the browser (the cookie) and from the frontend's server (the baggage the edge
 * wrote, no cookie), land on the same backend version every time: the one core's
 * chooseVersion gives that user, as the local gateway does.
 */
const KVS_ID = 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const API_CANARY = 'api-canary.lambda-url.us-east-1.on.aws';
const WEB_CANARY = 'web-canary.lambda-url.us-east-1.on.aws';

describe('a backend step at the edge', () => {
  it("keeps each user's page and API calls on one backend version, the share the split says", async () => {
    const store = new Map([
      ['web', JSON.stringify({ percent: 0, seed: 'web@2:r1-web', stable: 2, rev: 9 })],
      ['api', JSON.stringify({ percent: 20, seed: 'api@3:r2-api', stable: 2, canary: 3, rev: 9 })],
    ]);
    const edge = loadViewerRequest(KVS_ID, (k) => store.get(k), {
      kvsKey: 'web',
      oneBoxDomain: WEB_CANARY,
      partitionHeader: 'x-onebox-partition',
      identityHeader: '',
      routes: [{ prefix: '/api/', kvsKey: 'api', canaryDomain: API_CANARY }],
    });
    const apiSplit = {
      version: 2,
      additional: { version: 3, weightBp: 2000 },
      mode: 'sticky' as const,
      seed: 'api@3:r2-api',
    };
    let onCanary = 0;
    const USERS = 400;
    for (let u = 0; u < USERS; u++) {
      const uid = `user${String(u).padStart(20, '0')}`;
      const expected = chooseVersion(apiSplit, uid, () => 1).additional ? 'one-box' : 'regular';
      // The page: web is not in a step, so everyone is on web's stable origin.
      edge.origins.length = 0;
      const page = await edge.handler(viewerEvent(uid, '/products/3', `p${u}`));
      expect(page.headers['x-onebox-partition']!.value).toBe('regular');
      expect(edge.origins).toEqual([]);
      const baggage = page.headers['baggage']!.value;
      // The browser's API calls (cookie) and the server's (baggage only), three of each.
      for (let call = 0; call < 3; call++) {
        for (const fromServer of [false, true]) {
          edge.origins.length = 0;
          const event = viewerEvent(uid, '/api/products', `a${u}-${call}-${fromServer}`);
          if (fromServer) {
            event.request.cookies = {} as typeof event.request.cookies;
            (event.request.headers as Record<string, { value: string }>)['baggage'] = { value: baggage };
          }
          const api = await edge.handler(event);
          expect(api.headers['x-onebox-partition']!.value).toBe(expected);
          expect(edge.origins).toEqual(expected === 'one-box' ? [API_CANARY] : []);
        }
      }
      if (expected === 'one-box') onCanary++;
    }
    // About the split's 20% of users, and never a user on both versions.
    expect(onCanary / USERS).toBeGreaterThan(0.15);
    expect(onCanary / USERS).toBeLessThan(0.25);
  });
});
