import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeSplitHandler } from '../../src/aws/handlers/edge-split.js';
import { StickyEdge } from '../../src/aws/index.js';
import { FakeKvs } from './control/aws-fakes.js';

/**
 * StickyEdge without a control plane: its `oneBoxPercent` reaches the KeyValueStore on the
 * deploy that changes it. The writer runs as CloudFormation drives a Lambda-backed custom
 * resource (its documented event), answering on a real HTTP server standing for the
 * pre-signed response URL; the KeyValueStore is mocked as AWS answers.
 */
const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';
let server: Server;
let url = '';
const answers: { method: string; contentType: string | undefined; body: Record<string, unknown> }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      answers.push({ method: req.method ?? '', contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/presigned?X-Amz-Signature=abc`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** The writer's resource properties as StickyEdge synthesizes them. */
function synthesized(props: { oneBoxPercent?: number; seed?: string }): Record<string, unknown> {
  const s = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  new StickyEdge(s, 'Edge', {
    regularDomainName: 'regular.example.com',
    oneBoxDomainName: 'onebox.example.com',
    ...props,
  });
  const [resource] = Object.values(Template.fromStack(s).findResources('Custom::OneboxEdgeSplit'));
  const { Key, Value } = (resource as { Properties: Record<string, unknown> }).Properties;
  return { KvsARN: ARN, Key, Value }; // CloudFormation fills in the store's ARN
}

const base = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:S-EdgeSplitValueWriter',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/S/guid',
  RequestId: 'req-1',
  LogicalResourceId: 'EdgeSplitValue',
  ResourceType: 'Custom::OneboxEdgeSplit',
};

describe("StickyEdge's oneBoxPercent after the store was created", { timeout: 120_000 }, () => {
  it('is written to the store by the deploy that changes it, and only by that one', async () => {
    const kvs = new FakeKvs(ARN);
    kvs.store.set('onebox', '{"percent":20,"seed":"onebox"}'); // the import source, at creation
    const handler = createEdgeSplitHandler({ kvs: kvs.client });
    const at20 = synthesized({});
    const at5 = synthesized({ oneBoxPercent: 5 });
    expect(at5).toEqual({ KvsARN: ARN, Key: 'onebox', Value: '{"percent":5,"seed":"onebox"}' });

    answers.length = 0;
    await handler({
      ...base,
      RequestType: 'Create',
      ResponseURL: url,
      ResourceProperties: { ...base, ...at20 },
    } as CloudFormationCustomResourceEvent);
    expect(kvs.writes).toEqual([]); // the import source holds it already
    const update = (now: Record<string, unknown>, before: Record<string, unknown>) =>
      handler({
        ...base,
        RequestType: 'Update',
        ResponseURL: url,
        PhysicalResourceId: 'onebox-edge-split',
        ResourceProperties: { ...base, ...now },
        OldResourceProperties: { ...base, ...before },
      } as CloudFormationCustomResourceEvent);
    await update(at5, at20);
    expect(kvs.store.get('onebox')).toBe('{"percent":5,"seed":"onebox"}');

    // Set by hand between deploys, then a deploy that changes something else: the hand's value stays.
    kvs.store.set('onebox', '{"percent":1,"seed":"onebox"}');
    await update(at5, at5);
    expect(kvs.store.get('onebox')).toBe('{"percent":1,"seed":"onebox"}');
    expect(kvs.writes).toHaveLength(1);

    expect(answers.map((a) => [a.method, a.contentType, a.body['Status']])).toEqual([
      ['PUT', '', 'SUCCESS'],
      ['PUT', '', 'SUCCESS'],
      ['PUT', '', 'SUCCESS'],
    ]);
    expect(answers[1]!.body).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'onebox-edge-split',
      StackId: base.StackId,
      RequestId: 'req-1',
      LogicalResourceId: 'EdgeSplitValue',
    });
  });

  it('fails the deploy, naming the props, when the store refuses the write', async () => {
    const kvs = new FakeKvs(ARN);
    kvs.failNext = new Error('AccessDeniedException: not authorized to perform cloudfront-keyvaluestore:UpdateKeys');
    answers.length = 0;
    await createEdgeSplitHandler({ kvs: kvs.client })({
      ...base,
      RequestType: 'Update',
      ResponseURL: url,
      PhysicalResourceId: 'onebox-edge-split',
      ResourceProperties: { ...base, ...synthesized({ oneBoxPercent: 50 }) },
      OldResourceProperties: { ...base, ...synthesized({}) },
    } as CloudFormationCustomResourceEvent);
    expect(answers.map((a) => a.body)).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason:
          'StickyEdge oneBoxPercent/seed: the split was not written to the KeyValueStore: AccessDeniedException: not authorized to perform cloudfront-keyvaluestore:UpdateKeys',
      }),
    ]);
  });
});
