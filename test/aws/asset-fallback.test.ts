import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StickyEdge } from '../../src/aws/index.js';
import { DEFAULT_ASSET_PATHS } from '../../src/aws/asset-fallback.js';

/**
 * Hashed-asset fallback on CloudFront: the synthesized template's asset behavior and its
 * origin group, then that configuration run against two real HTTP servers (a v1 and a v2 with
 * their own hashed files) the way CloudFront documents origin failover: the primary first, the
 * secondary when the primary answers a failover code, for GET, HEAD and OPTIONS only.
 */
const REGULAR = 'regular.example.com';
const ONE_BOX = 'onebox.example.com';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';

interface Behavior {
  PathPattern: string;
  TargetOriginId: string;
  AllowedMethods: string[];
  CachePolicyId: string;
  FunctionAssociations?: unknown[];
  LambdaFunctionAssociations?: unknown[];
}
interface OriginGroup {
  Id: string;
  FailoverCriteria: { StatusCodes: { Items: number[] } };
  Members: { Items: { OriginId: string }[] };
}
interface DistConfig {
  DefaultCacheBehavior: { TargetOriginId: string };
  CacheBehaviors?: Behavior[];
  Origins: { Id: string; DomainName: string }[];
  OriginGroups?: { Items: OriginGroup[] };
}

function synth(props: Record<string, unknown> = {}): DistConfig {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  new StickyEdge(stack, 'Edge', { regularDomainName: REGULAR, oneBoxDomainName: ONE_BOX, ...props });
  const dists = Template.fromStack(stack).findResources('AWS::CloudFront::Distribution');
  return Object.values(dists)[0]!['Properties']['DistributionConfig'] as DistConfig;
}

/** A version's frontend: its own hashed assets, 404 for any other. */
function frontend(files: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/javascript' });
    res.end(req.method === 'HEAD' ? undefined : (body ?? 'no such asset'));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('StickyEdge: hashed assets served by whichever version has them (origin group, 404)', () => {
  let dist: DistConfig;
  let v1: Server;
  let v2: Server;
  beforeAll(async () => {
    dist = synth();
    v1 = await frontend({ '/assets/app-1111.js': 'v1 app' });
    v2 = await frontend({ '/assets/app-2222.js': 'v2 app' });
  });
  afterAll(() => {
    v1.close();
    v2.close();
  });

  const assetBehavior = () => dist.CacheBehaviors!.find((b) => b.PathPattern === '/assets/*')!;
  const groupOf = (b: Behavior) => dist.OriginGroups!.Items.find((g) => g.Id === b.TargetOriginId)!;
  const domainOf = (originId: string) => dist.Origins.find((o) => o.Id === originId)!.DomainName;

  it('synthesizes one behavior per asset path: an origin group regular then one-box on 404, GET/HEAD/OPTIONS, no functions', () => {
    expect(DEFAULT_ASSET_PATHS).toEqual(['/assets/*']);
    const b = assetBehavior();
    expect(b.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(b.CachePolicyId).toBe(CACHING_OPTIMIZED);
    // Neither the viewer functions nor the origin-response Lambda@Edge run for assets.
    expect(b.FunctionAssociations).toBeUndefined();
    expect(b.LambdaFunctionAssociations).toBeUndefined();
    const group = groupOf(b);
    expect(group.FailoverCriteria.StatusCodes.Items).toEqual([404]);
    expect(group.Members.Items.map((m) => domainOf(m.OriginId))).toEqual([REGULAR, ONE_BOX]);
    // The default behavior still goes to the regular origin (the function switches it for the one-box).
    expect(domainOf(dist.DefaultCacheBehavior.TargetOriginId)).toBe(REGULAR);
  });

  it('takes other paths and codes, or none, and refuses what CloudFront would', () => {
    const custom = synth({ assetPaths: ['/_next/static/*', '/static/*'], assetFallbackStatusCodes: [403, 404] });
    expect(custom.CacheBehaviors!.map((b) => b.PathPattern)).toEqual(['/_next/static/*', '/static/*']);
    expect(custom.OriginGroups!.Items).toHaveLength(1);
    expect(custom.OriginGroups!.Items[0]!.FailoverCriteria.StatusCodes.Items).toEqual([403, 404]);
    const none = synth({ assetPaths: [] });
    expect(none.CacheBehaviors).toBeUndefined();
    expect(none.OriginGroups).toBeUndefined();
    expect(() => synth({ assetPaths: ['assets/*'] })).toThrow(
      'assetPaths[0] must be a path pattern starting with / and ending with *, like /assets/*, got "assets/*"',
    );
    expect(() => synth({ assetFallbackStatusCodes: [200] })).toThrow(
      "assetFallbackStatusCodes must be some of 400, 403, 404, 416, 500, 502, 503, 504 (CloudFront's failover codes), got [200]",
    );
  });

  /** CloudFront's documented origin failover, over the synthesized group, to the servers behind its members. */
  async function viaGroup(method: string, path: string): Promise<{ status: number; body: string; from: string }> {
    const b = assetBehavior();
    if (!b.AllowedMethods.includes(method)) return { status: 403, body: '', from: 'cloudfront' };
    const group = groupOf(b);
    const servers: Record<string, Server> = { [REGULAR]: v1, [ONE_BOX]: v2 };
    let last = { status: 0, body: '', from: '' };
    for (const member of group.Members.Items) {
      const domain = domainOf(member.OriginId);
      const port = (servers[domain]!.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      last = { status: res.status, body: await res.text(), from: domain };
      if (!group.FailoverCriteria.StatusCodes.Items.includes(res.status)) break;
    }
    return last;
  }

  it("serves a page's asset from the version that has it, whichever partition its viewer is in now", async () => {
    // v2's page left open by a viewer moved back to the regular partition (v1): its asset is v2's.
    expect(await viaGroup('GET', '/assets/app-2222.js')).toEqual({ status: 200, body: 'v2 app', from: ONE_BOX });
    // v1's page left open by a viewer moved onto the one-box (v2): v1's asset, first try.
    expect(await viaGroup('GET', '/assets/app-1111.js')).toEqual({ status: 200, body: 'v1 app', from: REGULAR });
    expect((await viaGroup('HEAD', '/assets/app-2222.js')).status).toBe(200);
    // A file neither version has stays a 404 (the one-box's answer).
    expect(await viaGroup('GET', '/assets/app-9999.js')).toEqual({ status: 404, body: 'no such asset', from: ONE_BOX });
    // Writes never reach an asset path (origin failover is for GET, HEAD and OPTIONS only).
    expect((await viaGroup('POST', '/assets/app-1111.js')).status).toBe(403);
  });
});
