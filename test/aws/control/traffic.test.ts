import { ConflictException } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { describe, expect, it } from 'vitest';
import { reconcileTraffic } from '../../../src/aws/control/traffic.js';
import type { Alias } from '../../../src/core/index.js';
import { FakeKvs, FakeLambda } from './aws-fakes.js';

const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
const settings = { kvsArn: ARN, functions: { web: 'shop-web' } };
const alias = (version: number, additional?: { version: number; weightBp: number }): Alias => ({
  component: 'web',
  name: 'live',
  version,
  additional,
  mode: 'sticky',
  seed: 'web@2:r1-web',
  updatedAt: '',
});

describe('traffic follows the committed state', () => {
  it('moves the canary alias before any user is split to it, and writes only what differs', async () => {
    const kvs = new FakeKvs(ARN);
    const lambda = new FakeLambda({ 'shop-web': 1 });
    const steps = await reconcileTraffic(
      kvs.client,
      lambda.client,
      settings,
      [alias(1, { version: 2, weightBp: 2000 })],
      5,
    );
    expect(steps).toEqual([
      'alias web canary=2',
      'kvs web={"percent":20,"seed":"web@2:r1-web","stable":1,"canary":2,"rev":5}',
    ]);
    // Again: nothing to do.
    expect(
      await reconcileTraffic(kvs.client, lambda.client, settings, [alias(1, { version: 2, weightBp: 2000 })], 5),
    ).toEqual([]);
  });

  it('on success moves the stable alias first, then drops the split; on a rollback writes only the split', async () => {
    const kvs = new FakeKvs(ARN);
    const lambda = new FakeLambda({ 'shop-web': 1 });
    await reconcileTraffic(kvs.client, lambda.client, settings, [alias(1, { version: 2, weightBp: 2000 })], 5);
    expect(await reconcileTraffic(kvs.client, lambda.client, settings, [alias(2)], 6)).toEqual([
      'alias web stable=2',
      'kvs web={"percent":0,"seed":"web@2:r1-web","stable":2,"rev":6}',
    ]);
    const back = new FakeKvs(ARN);
    const l2 = new FakeLambda({ 'shop-web': 1 });
    await reconcileTraffic(back.client, l2.client, settings, [alias(1, { version: 2, weightBp: 2000 })], 5);
    expect(await reconcileTraffic(back.client, l2.client, settings, [alias(1)], 6)).toEqual([
      'kvs web={"percent":0,"seed":"web@2:r1-web","stable":1,"rev":6}',
    ]);
  });

  it('never writes an older revision over a newer one (a slow tick that lost)', async () => {
    const kvs = new FakeKvs(ARN);
    const lambda = new FakeLambda({ 'shop-web': 1 });
    await reconcileTraffic(kvs.client, lambda.client, settings, [alias(1)], 7);
    expect(
      await reconcileTraffic(kvs.client, lambda.client, settings, [alias(1, { version: 2, weightBp: 2000 })], 6),
    ).toEqual(['alias web canary=2']);
    expect(kvs.split('web')).toMatchObject({ percent: 0, rev: 7 });
  });

  it('reads the store again when another writer changed it between its read and its write (the ETag)', async () => {
    const kvs = new FakeKvs(ARN);
    const lambda = new FakeLambda({ 'shop-web': 1 });
    kvs.failNext = new ConflictException({ message: 'The ETag does not match', $metadata: {} });
    await reconcileTraffic(kvs.client, lambda.client, settings, [alias(1, { version: 2, weightBp: 500 })], 3);
    expect(kvs.split('web')).toMatchObject({ percent: 5, rev: 3 });
  });
});
