import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { BUCKETS } from '../core/bucket.js';
import { invalid } from '../core/errors.js';
import { DEFAULT_DROPPED_HEADERS, SAFE_METHODS, shadowSeed } from '../core/shadow/defaults.js';
import { describeShadowIssue, validateShadowPolicy } from '../core/shadow/policy.js';
import { bundleLambda } from './bundle.js';
import type { ShadowMirrorSettings } from './edge/shadow-mirror.js';
import { DEFAULT_METRICS_NAMESPACE } from './metrics.js';
import { EDGE_RUNTIME, REGIONAL_RUNTIME } from './runtimes.js';
import { acknowledge, acknowledgeInvokeVersions, acknowledgeLogsOnlyRole } from './nag.js';

export interface ShadowMirrorProps {
  /** Base URL of the shadow origin (the version under test), e.g. an HTTP API's URL. */
  readonly shadowUrl: string;
  /** Names the shadow in metrics (dimension `Shadow`) and seeds its share. Default: the construct's id. */
  readonly name?: string;
  /**
   * Share of users mirrored, above 0 and at most 1, sticky per user (whole sessions). Default
   * 0.1: every copy costs a Lambda@Edge hand-over on the viewer's path and a worker invocation.
   */
  readonly share?: number;
  /** Methods mirrored. Default GET, HEAD, OPTIONS: others have side effects, list them to mirror them. */
  readonly methods?: string[];
  /** Request headers never copied. Default Authorization, Cookie, Proxy-Authorization. */
  readonly dropHeaders?: string[];
  /**
   * Largest request body copied, bytes; larger bodies are not mirrored (logged). Default
   * 128 KiB, the local default of 1 MiB being over what an asynchronous invocation carries
   * (256 KB, and the body travels in base64). At most 180 KiB.
   */
  readonly bodyCapBytes?: number;
  /** Longest the worker waits for the shadow's answer, at most 10 minutes. Default 5 seconds (the local default). */
  readonly timeout?: Duration;
  /** Longest a viewer's request waits for the copy to be queued. Default 100 ms. */
  readonly handOverBudget?: Duration;
  /** Lowercase header that identifies users (for the share), as on StickyEdge. Default none. */
  readonly identityHeader?: string;
  /** Namespace of the worker's metrics. Default `onebox`. */
  readonly metricsNamespace?: string;
}

/** Origin custom header carrying the worker's ARN to the edge function. */
export const SHADOW_TARGET_HEADER = 'x-onebox-shadow-target';

const MAX_BODY_CAP = 180 * 1024;
const HEADER = /^[a-z0-9-]+$/;

/**
 * Mirrors requests to a shadow origin from the edge without making viewers wait for it.
 * An origin-request Lambda@Edge function (cache misses: what reaches the origin) copies the
 * request and hands it to a regional worker with an asynchronous invocation (queued, 202,
 * then the request goes on; at most `handOverBudget`); the worker replays it against the
 * shadow and records the shadow's status and latency. The seed's function waited up to 2 s
 * for the shadow on every request; here the viewer never waits for the shadow at all.
 *
 * Attach it with StickyEdge's `shadow` prop (or add `edgeLambda` to a behavior and
 * `originCustomHeaders` to its origin). The stack must be in us-east-1, where Lambda@Edge
 * functions live, so the edge function's role can name the worker.
 */
export class ShadowMirror extends Construct {
  readonly worker: lambda.Function;
  readonly edgeFunction: cloudfront.experimental.EdgeFunction;
  readonly edgeLambda: cloudfront.EdgeLambda;
  /** Custom headers the mirrored behavior's origin must carry. */
  readonly originCustomHeaders: Record<string, string>;

  constructor(scope: Construct, id: string, props: ShadowMirrorProps) {
    super(scope, id);
    const name = props.name ?? id;
    const share = props.share ?? 0.1;
    const methods = props.methods ?? SAFE_METHODS;
    const dropHeaders = (props.dropHeaders ?? DEFAULT_DROPPED_HEADERS).map((h) => h.toLowerCase());
    const bodyCapBytes = props.bodyCapBytes ?? 128 * 1024;
    const identityHeader = props.identityHeader ?? '';
    const budget = props.handOverBudget ?? Duration.millis(100);
    const timeout = props.timeout ?? Duration.seconds(5);
    // Every problem at once (as aws-cdk's validations do), the policy's by the local engine's rules.
    const problems = validateShadowPolicy(
      { share, methods, dropHeaders, bodyCapBytes, timeoutMs: timeout.toMilliseconds() },
      { maxBodyCapBytes: MAX_BODY_CAP },
    ).map((issue) => (issue.field === 'timeoutMs' ? `timeout ${issue.message}` : describeShadowIssue(issue)));
    const region = Stack.of(this).region;
    if (region !== 'us-east-1') {
      problems.unshift(
        `ShadowMirror's stack must be in us-east-1 (Lambda@Edge functions live there), got region ${region}`,
      );
    }
    if (identityHeader !== '' && !HEADER.test(identityHeader)) {
      problems.push(`identityHeader must be a lowercase header name, got "${identityHeader}"`);
    }
    if (budget.toMilliseconds() < 1 || budget.toMilliseconds() > 5000) {
      problems.push(`handOverBudget must be from 1 ms to 5 s, got ${budget.toHumanString()}`);
    }
    if (Token.isUnresolved(props.shadowUrl) === false && !/^https?:\/\//.test(props.shadowUrl)) {
      problems.push(`shadowUrl must be an http(s) URL, got "${props.shadowUrl}"`);
    }
    if (problems.length > 0) throw invalid(`ShadowMirror ${id}: ${problems.join('; ')}`);

    this.worker = new lambda.Function(this, 'Worker', {
      runtime: REGIONAL_RUNTIME,
      code: lambda.Code.fromAsset(bundleLambda('handlers/shadow-worker.lambda', {})),
      handler: 'index.handler',
      timeout: Duration.seconds(timeout.toSeconds() + 5),
      description: `onebox: replays mirrored requests against the shadow ${name}`,
      environment: {
        ONEBOX_SHADOW_URL: props.shadowUrl,
        ONEBOX_SHADOW_TIMEOUT_MS: String(timeout.toMilliseconds()),
        ONEBOX_SHADOW_NAME: name,
        ONEBOX_METRICS_NAMESPACE: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
      },
      // A copy that cannot run soon is dropped, never queued for hours or retried.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });

    const settings: ShadowMirrorSettings = {
      methods,
      dropHeaders,
      bodyCapBytes,
      shareBp: Math.round(share * BUCKETS),
      seed: shadowSeed('edge', name),
      identityHeader,
      targetHeader: SHADOW_TARGET_HEADER,
      handOverBudgetMs: budget.toMilliseconds(),
    };
    this.edgeFunction = new cloudfront.experimental.EdgeFunction(this, 'EdgeFunction', {
      runtime: EDGE_RUNTIME,
      code: lambda.Code.fromAsset(bundleLambda('edge/shadow-mirror.lambda', settings)),
      handler: 'index.handler',
      timeout: Duration.seconds(5),
      memorySize: 128,
      description: `onebox: hands copies of requests to the shadow ${name}'s worker`,
    });
    this.worker.grantInvoke(this.edgeFunction);
    this.edgeLambda = {
      functionVersion: this.edgeFunction.currentVersion,
      eventType: cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST,
      includeBody: methods.some((m) => !SAFE_METHODS.includes(m)),
    };
    this.originCustomHeaders = { [SHADOW_TARGET_HEADER]: this.worker.functionArn };
    for (const fn of [this.worker, this.edgeFunction]) acknowledgeLogsOnlyRole(fn);
    acknowledgeInvokeVersions(
      this.edgeFunction,
      this.worker,
      'lambda:InvokeFunction on the worker and its versions (ARN with :*), as grantInvoke writes it',
    );
    acknowledge(this.edgeFunction, 'AwsSolutions-L1', 'Node.js 22 is the newest runtime Lambda@Edge runs');
  }
}
