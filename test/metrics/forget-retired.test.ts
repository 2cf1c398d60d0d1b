import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';

describe('metrics of retired and deleted versions', () => {
  let onebox: TestOnebox;
  const ups: TestUpstream[] = [];
  beforeAll(async () => {
    for (const l of ['v1', 'v2', 'v3']) ups.push(await startUpstream(labelled(l)));
    onebox = await startTestOnebox();
  });
  afterAll(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  // Found by the soak: every release left its versions' histograms and user counters in memory.
  it('are let go, so memory does not grow with every release', async () => {
    for (const u of ups) onebox.plane.publish('web', { url: u.url, description: 'v' });
    for (const version of [1, 2, 3]) {
      onebox.plane.setAlias('web', { version });
      const res = await request(`${onebox.gatewayUrl}/`);
      await res.body.dump();
    }
    const versions = (): number[] => onebox.metrics.snapshot().versions.map((v) => v.version);
    expect(versions()).toEqual([1, 2, 3]);
    onebox.plane.retire('web', 1);
    onebox.plane.deleteVersion('web', 2);
    expect(versions()).toEqual([3]);
  });
});
