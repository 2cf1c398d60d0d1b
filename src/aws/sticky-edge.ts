import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DEFAULT_COOKIE_MAX_AGE_SECONDS } from '../core/identity.js';
import { invalid } from '../core/errors.js';
import { assetFallbackBehaviors, DEFAULT_ASSET_FALLBACK_STATUS_CODES, DEFAULT_ASSET_PATHS } from './asset-fallback.js';
import { bundleLambda, cloudFrontFunctionCode } from './bundle.js';
import type { OriginResponseSettings } from './edge/origin-response.js';
import { DEFAULT_KVS_KEY, PARTITION_HEADER, parseEdgeSplit } from './edge/partition.js';
import type { ViewerRequestSettings } from './edge/viewer-request.js';
import type { ViewerResponseSettings } from './edge/viewer-response.js';
import { EdgeSplitValue } from './edge-split-value.js';
import { EDGE_RUNTIME } from './runtimes.js';
import { acknowledge, acknowledgeLogsOnlyRole } from './nag.js';
import type { ShadowMirror } from './shadow-mirror.js';

export interface StickyEdgeProps {
  /** Host name of the regular partition's origin (the distribution's default origin). */
  readonly regularDomainName: string;
  /** Host name of the one-box partition's origin. */
  readonly oneBoxDomainName: string;
  /**
   * Share of users on the one-box, percent. A changed value is written to the store by the
   * next deploy (a custom resource; no function code changes). Between deploys the store
   * may be set by hand (`aws cloudfront-keyvaluestore put-key`): a deploy that leaves this
   * prop and `seed` alone keeps that. Default 20 (the seed's).
   */
  readonly oneBoxPercent?: number;
  /** Seed of the users' buckets, written like `oneBoxPercent`; a new seed reshuffles who comes first. Default `onebox`. */
  readonly seed?: string;
  /**
   * A KeyValueStore to read the split from (it must hold `kvsKey`), e.g. OneboxControlPlane's,
   * whose controller owns the split (then give no `oneBoxPercent` or `seed`: the one-box
   * share is the component's deployment config). Default: a new store holding `oneBoxPercent` and `seed`.
   */
  readonly keyValueStore?: cloudfront.IKeyValueStore;
  /** Key of the split, whose value is `{"percent": 20, "seed": "onebox"}`. Default `onebox`. */
  readonly kvsKey?: string;
  /** Lowercase header identifying users (e.g. set by your auth layer), before the cookie. Default none: the onebox-uid cookie. */
  readonly identityHeader?: string;
  /** Request header carrying the partition. Default `x-onebox-partition`. */
  readonly partitionHeader?: string;
  /** Lifetime of the identity cookie. Default 400 days (the longest browsers keep). */
  readonly cookieMaxAge?: Duration;
  /** Cache policy of the frontend. Default: a policy keyed on the partition header and the query string, TTLs from the origin's Cache-Control (0 without one). */
  readonly cachePolicy?: cloudfront.ICachePolicy;
  /** What reaches the origin. Default ALL_VIEWER_EXCEPT_HOST_HEADER (API Gateway needs its own Host). */
  readonly originRequestPolicy?: cloudfront.IOriginRequestPolicy;
  /** More behaviors, e.g. `/api/*` to the backend. Default none. */
  readonly additionalBehaviors?: Record<string, cloudfront.BehaviorOptions>;
  /**
   * Other components routed sticky per user by path, each with its own split in the store
   * (key `kvsKey`) and its canary origin (e.g. the backend: `{ prefix: '/api/', kvsKey: 'api',
   * canaryDomainName }`). The behavior of each (additionalBehaviors `<prefix>*`) runs the
   * viewer functions too. Default none.
   */
  readonly componentRoutes?: readonly { prefix: string; kvsKey: string; canaryDomainName: string }[];
  /**
   * The origins are Lambda function URLs with auth AWS_IAM (OneboxControlPlane's): CloudFront
   * signs its requests to them with this origin access control, the default origin's and the
   * one-box/canary origins the viewer-request function switches to. Default none (unsigned).
   */
  readonly originAccessControlId?: string;
  /**
   * Skew protection at the edge: key, in the store, of the secret your origin signs its pages'
   * pins with (PageTokens; put it there yourself, never in a template). A request whose
   * `x-onebox-pin` verifies goes to the partition of its page's version while that version
   * is the split's `stable` or `canary`. Default none: pins are ignored.
   */
  readonly pinKeyKvsKey?: string;
  /**
   * Path patterns of the frontend's content-hashed assets: each gets a behavior whose origin is
   * an origin group, regular first, one-box on `assetFallbackStatusCodes`, so an open page keeps
   * its assets after its viewer moved partition (asset-fallback.ts). Only for names unique per
   * release: an unhashed file there is served by the regular version to everyone. Default
   * `['/assets/*']` (Vite's, the demo's); `[]` for none.
   */
  readonly assetPaths?: readonly string[];
  /** What the regular origin answers that sends an asset request to the one-box origin. Default `[404]` (add 403 for S3). */
  readonly assetFallbackStatusCodes?: readonly number[];
  /** Mirror the frontend's requests to a shadow. Default none. */
  readonly shadow?: ShadowMirror;
  /** Anything else of the distribution (certificate, domain names, logging, web ACL). Default none. */
  readonly distributionProps?: Omit<Partial<cloudfront.DistributionProps>, 'defaultBehavior' | 'additionalBehaviors'>;
}

const HEADER = /^[a-z0-9-]+$/;

function checkHeader(name: string, field: string): void {
  if (!HEADER.test(name)) throw invalid(`${field} must be a lowercase header name, got "${name}"`);
}

/** A KeyValueStore key as the store takes it, or a clear error naming the field. */
function checkedKvsKey(key: string, field: string): string {
  if (!/^[A-Za-z0-9_.-]{1,512}$/.test(key))
    throw invalid(`${field} must be 1 to 512 letters, digits, _ . or -, got "${key}"`);
  return key;
}

/**
 * CloudFront in front of a one-box frontend, sticky per user, with the same bucket code and
 * test vectors as the local gateway. Which function does what, and why:
 *
 * - viewer request, **CloudFront Function** (every request, sub-millisecond): identity (the
 *   onebox-uid cookie, a configured header, or baggage), the partition from core's
 *   chooseVersion with the split read from a KeyValueStore, the `x-onebox-partition` header
 *   (always overwritten: a viewer cannot pick), baggage for the hops behind, and the origin:
 *   CloudFront Functions can now change the origin (`cf.updateRequestOrigin`), so the seed's
 *   origin-request Lambda@Edge is not needed.
 * - viewer response, **CloudFront Function**: the cookie for a new viewer (derived from the
 *   request id both functions see), with `Cache-Control: private` on that response.
 * - origin response, **Lambda@Edge** (cache misses only, before caching; CloudFront Functions
 *   do not run there): `Vary` and the `x-onebox-partition` debug header on the stored copy.
 * - cache policy keyed on the partition header, so the cache never serves one partition's
 *   page to the other.
 * - hashed assets (`assetPaths`): an origin group, regular then one-box on a 404, for every
 *   viewer (asset-fallback.ts): no function runs there, one cached copy per file.
 */
export class StickyEdge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly keyValueStore: cloudfront.IKeyValueStore;
  readonly cachePolicy: cloudfront.ICachePolicy;
  readonly viewerRequest: cloudfront.Function;
  readonly viewerResponse: cloudfront.Function;
  readonly originResponse: cloudfront.experimental.EdgeFunction;

  constructor(scope: Construct, id: string, props: StickyEdgeProps) {
    super(scope, id);
    // CDK's own message for this ("stacks which use EdgeFunctions must have an explicitly
    // set region") comes late and says nothing of what to do.
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region))
      throw invalid(
        `StickyEdge needs its stack's region set: its origin-response Lambda@Edge function is made in us-east-1. Give the stack env: { region: 'us-east-1' } (simplest), or another region with an explicit account and a bootstrapped us-east-1`,
      );
    const partitionHeader = props.partitionHeader ?? PARTITION_HEADER;
    checkHeader(partitionHeader, 'partitionHeader');
    const identityHeader = props.identityHeader ?? '';
    if (identityHeader !== '') checkHeader(identityHeader, 'identityHeader');
    const kvsKey = props.kvsKey ?? DEFAULT_KVS_KEY;
    checkedKvsKey(kvsKey, 'kvsKey');
    const cookieMaxAge = props.cookieMaxAge?.toSeconds() ?? DEFAULT_COOKIE_MAX_AGE_SECONDS;
    if (!Number.isInteger(cookieMaxAge) || cookieMaxAge < 1) {
      throw invalid(`cookieMaxAge must be a whole number of seconds above 0, got ${cookieMaxAge}`);
    }

    if (props.keyValueStore) {
      if (props.oneBoxPercent !== undefined || props.seed !== undefined) {
        throw invalid(
          "oneBoxPercent and seed are StickyEdge's own store's; with keyValueStore the store's owner sets the split (OneboxControlPlane: the component's config, e.g. onebox:20%:10m)",
        );
      }
      this.keyValueStore = props.keyValueStore;
    } else {
      const split = { percent: props.oneBoxPercent ?? 20, seed: props.seed ?? 'onebox' };
      const problem = parseEdgeSplit(JSON.stringify(split));
      if (typeof problem === 'string') throw invalid(`oneBoxPercent/seed ${JSON.stringify(split)}: ${problem}`);
      this.keyValueStore = new cloudfront.KeyValueStore(this, 'Split', {
        comment: 'onebox: share of users on the one-box, and their seed',
        source: cloudfront.ImportSource.fromInline(
          JSON.stringify({ data: [{ key: kvsKey, value: JSON.stringify(split) }] }),
        ),
      });
      // The import source counts only at creation: later changes of the props are written by this.
      new EdgeSplitValue(this, 'SplitValue', this.keyValueStore, kvsKey, JSON.stringify(split));
    }

    const routes = (props.componentRoutes ?? []).map((r, i) => {
      if (!/^\/[A-Za-z0-9._~\-/]*\/$/.test(r.prefix))
        throw invalid(
          `componentRoutes[${i}].prefix must be a path starting and ending with /, like /api/, got "${r.prefix}"`,
        );
      checkedKvsKey(r.kvsKey, `componentRoutes[${i}].kvsKey`);
      return { prefix: r.prefix, kvsKey: r.kvsKey, canaryDomain: r.canaryDomainName };
    });
    const viewerRequestSettings: ViewerRequestSettings = {
      kvsId: this.keyValueStore.keyValueStoreId,
      kvsKey,
      oneBoxDomain: props.oneBoxDomainName,
      partitionHeader,
      identityHeader,
      ...(routes.length ? { routes } : {}),
      ...(props.originAccessControlId ? { signLambdaOrigins: true } : {}),
      ...(props.pinKeyKvsKey !== undefined ? { pinKeyKvsKey: checkedKvsKey(props.pinKeyKvsKey, 'pinKeyKvsKey') } : {}),
    };
    this.viewerRequest = new cloudfront.Function(this, 'ViewerRequest', {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: this.keyValueStore,
      comment: 'onebox: identity, partition, origin',
      code: cloudfront.FunctionCode.fromInline(
        cloudFrontFunctionCode('edge/viewer-request.cff', viewerRequestSettings),
      ),
    });
    const viewerResponseSettings: ViewerResponseSettings = { identityHeader, cookieMaxAgeSeconds: cookieMaxAge };
    this.viewerResponse = new cloudfront.Function(this, 'ViewerResponse', {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'onebox: the identity cookie for new viewers',
      code: cloudfront.FunctionCode.fromInline(
        cloudFrontFunctionCode('edge/viewer-response.cff', viewerResponseSettings),
      ),
    });
    const originResponseSettings: OriginResponseSettings = {
      partitionHeader,
      vary: identityHeader ? [partitionHeader, 'Cookie', identityHeader] : [partitionHeader, 'Cookie'],
    };
    this.originResponse = new cloudfront.experimental.EdgeFunction(this, 'OriginResponse', {
      runtime: EDGE_RUNTIME,
      code: lambda.Code.fromAsset(bundleLambda('edge/origin-response.lambda', originResponseSettings)),
      handler: 'index.handler',
      memorySize: 128,
      timeout: Duration.seconds(5),
      description: 'onebox: Vary and the partition header on stored responses',
    });

    this.cachePolicy =
      props.cachePolicy ??
      new cloudfront.CachePolicy(this, 'CachePolicy', {
        comment: 'onebox: one cache entry per partition',
        headerBehavior: cloudfront.CacheHeaderBehavior.allowList(partitionHeader),
        queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
        cookieBehavior: cloudfront.CacheCookieBehavior.none(),
        defaultTtl: Duration.seconds(0),
        minTtl: Duration.seconds(0),
        maxTtl: Duration.days(365),
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      });

    const shadow = props.shadow;
    const originProps: origins.HttpOriginProps = {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      customHeaders: shadow?.originCustomHeaders,
      ...(props.originAccessControlId ? { originAccessControlId: props.originAccessControlId } : {}),
    };
    for (const [name, value] of [
      ['regularDomainName', props.regularDomainName],
      ['oneBoxDomainName', props.oneBoxDomainName],
    ] as const) {
      if (!Token.isUnresolved(value) && !/^[a-z0-9.-]+$/i.test(value)) {
        throw invalid(`${name} must be a host name (no scheme, no path), got "${value}"`);
      }
    }
    const edgeLambdas: cloudfront.EdgeLambda[] = [
      {
        functionVersion: this.originResponse.currentVersion,
        eventType: cloudfront.LambdaEdgeEventType.ORIGIN_RESPONSE,
      },
    ];
    if (shadow) edgeLambdas.push(shadow.edgeLambda);
    const regularOrigin = new origins.HttpOrigin(props.regularDomainName, originProps);
    const assetBehaviors = assetFallbackBehaviors({
      paths: props.assetPaths ?? DEFAULT_ASSET_PATHS,
      statusCodes: props.assetFallbackStatusCodes ?? DEFAULT_ASSET_FALLBACK_STATUS_CODES,
      regular: regularOrigin,
      oneBox: new origins.HttpOrigin(props.oneBoxDomainName, originProps),
      taken: Object.keys(props.additionalBehaviors ?? {}),
    });
    const behaviors = this.withViewerFunctions(props.additionalBehaviors, routes);
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'onebox: sticky one-box frontend',
      ...props.distributionProps,
      defaultBehavior: {
        origin: regularOrigin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: this.cachePolicy,
        originRequestPolicy: props.originRequestPolicy ?? cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        functionAssociations: [
          { function: this.viewerRequest, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
          { function: this.viewerResponse, eventType: cloudfront.FunctionEventType.VIEWER_RESPONSE },
        ],
        edgeLambdas,
      },
      additionalBehaviors: { ...assetBehaviors, ...behaviors },
    });
    acknowledgeLogsOnlyRole(this.originResponse);
    acknowledge(this.originResponse, 'AwsSolutions-L1', 'Node.js 22 is the newest runtime Lambda@Edge runs');
  }

  /** A routed component's behavior runs the viewer functions: the edge picks its version too. */
  private withViewerFunctions(
    behaviors: Record<string, cloudfront.BehaviorOptions> | undefined,
    routes: readonly { prefix: string }[],
  ): Record<string, cloudfront.BehaviorOptions> | undefined {
    if (!behaviors && routes.length)
      throw invalid('componentRoutes: each route needs its additionalBehaviors entry (<prefix>*)');
    if (!behaviors) return behaviors;
    const routed = new Set(routes.map((r) => `${r.prefix}*`));
    for (const pattern of routed)
      if (!behaviors[pattern])
        throw invalid(`componentRoutes: no additionalBehaviors entry "${pattern}" for the route`);
    return Object.fromEntries(
      Object.entries(behaviors).map(([pattern, b]) => [
        pattern,
        routed.has(pattern) && !b.functionAssociations
          ? {
              ...b,
              functionAssociations: [
                { function: this.viewerRequest, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
                { function: this.viewerResponse, eventType: cloudfront.FunctionEventType.VIEWER_RESPONSE },
              ],
            }
          : b,
      ]),
    );
  }
}
