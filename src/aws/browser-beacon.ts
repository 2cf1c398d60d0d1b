import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { RESERVED_PREFIX } from '../core/reserved-paths.js';
import { bundleLambda } from './bundle.js';
import { PIN_KEY_ENV } from './browser.js';
import { acknowledgeLogsOnlyRole } from './nag.js';
import { REGIONAL_RUNTIME } from './runtimes.js';

export interface BrowserBeaconProps {
  /**
   * The page key's text: the value the KeyValueStore holds under StickyEdge's `pinKeyKvsKey`,
   * which the apps' withBrowserSignals reads from ONEBOX_PIN_KEY too. Give a deploy-time
   * reference (e.g. `SecretValue.secretsManager('onebox-pin-key').unsafeUnwrap()`): the
   * template then holds a dynamic reference, never the key.
   */
  readonly pinKey: string;
  /** Memory of the function, MB. Default 128 (a beacon is a parse, an HMAC and a log line). */
  readonly memorySize?: number;
}

/**
 * The beacon endpoint for Lambda apps behind the distribution: one function (handlers/beacon.ts)
 * serving the gateway's browser script and taking its beacons, at the gateway's own prefix.
 * Its function URL is public (auth NONE): a page's `sendBeacon` cannot add the
 * `x-amz-content-sha256` header origin access control needs for a POST body, and nothing a
 * beacon says is taken without its page's signed token. Put `behavior()` at `pathPattern`
 * among the distribution's behaviors (StickyEdge additionalBehaviors).
 */
export class BrowserBeacon extends Construct {
  readonly function: lambda.Function;
  readonly url: lambda.FunctionUrl;
  /** The behavior's path pattern: the gateway's prefix (`/.onebox/*`). */
  readonly pathPattern = `${RESERVED_PREFIX}*`;

  constructor(scope: Construct, id: string, props: BrowserBeaconProps) {
    super(scope, id);
    this.function = new lambda.Function(this, 'Function', {
      runtime: REGIONAL_RUNTIME,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundleLambda('handlers/beacon.lambda', {})),
      memorySize: props.memorySize ?? 128,
      timeout: Duration.seconds(5),
      environment: { [PIN_KEY_ENV]: props.pinKey },
      description: "onebox: the browser script and its beacons, one log line per page's kind",
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    acknowledgeLogsOnlyRole(this.function);
  }

  /** The distribution behavior for `pathPattern`: the function URL, uncached, POST allowed. */
  behavior(): cloudfront.BehaviorOptions {
    return {
      origin: new origins.FunctionUrlOrigin(this.url),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
  }
}
