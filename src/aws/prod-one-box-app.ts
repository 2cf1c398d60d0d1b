import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { invalid } from '../core/errors.js';
import { AliasHttpApi } from './http-api.js';
import { LiveAlias } from './live-alias.js';
import { OneBoxFrontend } from './one-box-frontend.js';
import { ShadowComparer, type ShadowComparerProps } from './shadow-comparer.js';
import { ShadowMirror, type ShadowMirrorProps } from './shadow-mirror.js';
import { StickyEdge, type StickyEdgeProps } from './sticky-edge.js';
import type { NewVersionAlarmsProps } from './version-alarms.js';

export interface ProdOneBoxAppProps {
  /** The backend (API) function. */
  readonly backend: lambda.FunctionProps;
  /** The frontend (SSR) function; two copies are made, one-box and regular. */
  readonly frontend: lambda.FunctionProps;
  /** Path prefix CloudFront sends to the backend (it arrives with the prefix). Default `/api`. */
  readonly backendPath?: string;
  /** How the backend's traffic shifts. Default `LambdaLinear10PercentEvery1Minute` (the seed's). */
  readonly backendDeploymentConfig?: string | codedeploy.ILambdaDeploymentConfig;
  /** The frontend's bake on the one-box. Default 10 minutes (the seed's). */
  readonly bake?: Duration;
  /** Share of users on the one-box, percent; a changed value reaches the edge on the next deploy (StickyEdge). Default 20 (the seed's). */
  readonly oneBoxPercent?: number;
  /** Alarms on each new version's own metrics (backend and one-box). Default: see NewVersionAlarmsProps. */
  readonly newVersionAlarms?: NewVersionAlarmsProps | false;
  /** More alarms that stop the backend's shift and the frontend's bake. Default none. */
  readonly alarms?: cloudwatch.IAlarm[];
  /** Mirror frontend requests to a shadow origin (Lambda@Edge hand-over, status and latency only). Default none. */
  readonly shadow?: ShadowMirrorProps;
  /**
   * Compare a shadow of the backend with its live alias, from CloudFront real-time logs of the
   * backend's behavior (nothing on the viewer's path). Default none. While CodeDeploy shifts the
   * live alias its answers come from two versions: run the shadow between releases.
   */
  readonly backendShadow?: Omit<ShadowComparerProps, 'liveUrl'>;
  /** Anything else of the edge (identity header, certificate, ...). Default none. */
  readonly edge?: Omit<StickyEdgeProps, 'regularDomainName' | 'oneBoxDomainName' | 'oneBoxPercent' | 'shadow'>;
}

/**
 * The seed's whole architecture in one construct, with its defaults:
 * - backend: a function behind an HTTP API through its `live` alias, shifted by CodeDeploy
 *   (linear 10% a minute) while alarms on the new version watch it;
 * - frontend: one-box and regular copies behind their own HTTP APIs; the one-box changes
 *   only once the backend is fully shifted, bakes 10 minutes watching the alarms (the
 *   backend's too), and only then does the regular partition change;
 * - edge: CloudFront, sticky 20% of users on the one-box, `/api/*` to the backend.
 */
export class ProdOneBoxApp extends Construct {
  readonly backend: LiveAlias;
  readonly backendFunction: lambda.Function;
  readonly backendApi: AliasHttpApi;
  readonly frontend: OneBoxFrontend;
  readonly edge: StickyEdge;
  readonly shadow?: ShadowMirror;
  readonly backendShadow?: ShadowComparer;

  constructor(scope: Construct, id: string, props: ProdOneBoxAppProps) {
    super(scope, id);
    const backendPath = props.backendPath ?? '/api';
    if (!/^\/[A-Za-z0-9._~\-/]*[^/]$/.test(backendPath)) {
      throw invalid(`backendPath must be a path prefix like /api (no trailing slash), got "${backendPath}"`);
    }
    this.backendFunction = new lambda.Function(this, 'Backend', props.backend);
    this.backend = new LiveAlias(this, 'BackendLive', {
      function: this.backendFunction,
      deploymentConfig: props.backendDeploymentConfig ?? 'LambdaLinear10PercentEvery1Minute',
      newVersionAlarms: props.newVersionAlarms,
      alarms: props.alarms,
    });
    this.backendApi = new AliasHttpApi(this, 'BackendHttp', this.backend.alias);

    this.frontend = new OneBoxFrontend(this, 'Frontend', {
      function: props.frontend,
      bake: props.bake,
      newVersionAlarms: props.newVersionAlarms,
      alarms: [...this.backend.alarms],
      after: [this.backend],
    });

    this.shadow = props.shadow ? new ShadowMirror(this, 'Shadow', props.shadow) : undefined;
    this.backendShadow = props.backendShadow
      ? new ShadowComparer(this, 'BackendShadow', {
          component: 'backend',
          ...props.backendShadow,
          liveUrl: this.backendApi.api.apiEndpoint,
        })
      : undefined;
    this.edge = new StickyEdge(this, 'Edge', {
      ...props.edge,
      regularDomainName: this.frontend.regular.domainName,
      oneBoxDomainName: this.frontend.oneBox.domainName,
      oneBoxPercent: props.oneBoxPercent,
      shadow: this.shadow,
      additionalBehaviors: {
        ...props.edge?.additionalBehaviors,
        [`${backendPath}/*`]: {
          origin: new origins.HttpOrigin(this.backendApi.domainName, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          realtimeLogConfig: this.backendShadow?.realtimeLogConfig,
        },
      },
    });
  }
}
