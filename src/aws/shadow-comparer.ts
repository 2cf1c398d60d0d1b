import { Duration, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { invalid } from '../core/errors.js';
import { SAFE_METHODS } from '../core/shadow/defaults.js';
import {
  describeShadowIssue,
  SHADOW_POLICY_DEFAULTS,
  validateShadowPolicy,
  type ShadowPolicy,
} from '../core/shadow/policy.js';
import { bundleLambda } from './bundle.js';
import { SHADOW_LOG_FIELDS } from './handlers/realtime-log.js';
import { shadowReportKey } from './handlers/shadow-report-store.js';
import { acknowledge, acknowledgeLogsOnlyRole } from './nag.js';
import { REGIONAL_RUNTIME } from './runtimes.js';

export interface ShadowComparerProps {
  /**
   * Base URL of the live version's origin (asked twice per copy: primary and reference). Best a
   * single version's (a `stable` alias): through a weighted alias, during a shift, the primary
   * and the reference may be answered by different versions, and their difference counts as noise.
   */
  readonly liveUrl: string;
  /** Base URL of the shadow version's origin, e.g. an HTTP API over a `shadow` alias. */
  readonly shadowUrl: string;
  /** The component the report is of. Default `backend`. */
  readonly component?: string;
  /** The shadow's version number in the report. Default 2. */
  readonly version?: number;
  /**
   * Share of users mirrored, above 0 and at most 1, sticky per user. Default 0.1: each mirrored
   * request costs the live origin two more requests and the shadow one (see docs/shadow.md).
   */
  readonly share?: number;
  /** Methods mirrored; a log record carries no body, so only GET, HEAD, OPTIONS. Default all three. */
  readonly methods?: string[];
  /** Request headers never replayed, lowercase. Default Authorization, Cookie, Proxy-Authorization. */
  readonly dropHeaders?: string[];
  /** Longest wait for each answer. Default 5 seconds (the local default). */
  readonly timeout?: Duration;
  /** Replays in flight at once per batch. Default 64 (the local default). */
  readonly maxInFlight?: number;
  /** Ask the live version a second time and report only differences above its noise. Default true. */
  readonly noise?: boolean;
  /** JSON paths not compared. Default none. */
  readonly ignorePaths?: string[];
  /** Response headers not compared, lowercase, beyond the defaults. Default none. */
  readonly ignoreHeaders?: string[];
  /** Lowercase header that identifies users (for the share), as on StickyEdge. Default none (the cookie). */
  readonly identityHeader?: string;
  /** Percent of viewer requests CloudFront logs (before the share), 1-100. Default 100. */
  readonly samplingRate?: number;
  /**
   * The control plane's table (OneboxControlPlane.table), where the report is stored for
   * `onebox shadow report --aws`; the worker may read and write only this component's report
   * items. Default none: each batch's report is logged as a JSON line instead.
   */
  readonly reportTable?: dynamodb.ITable;
}

/**
 * The shadow on AWS, with nothing on the viewer's path: attach `realtimeLogConfig` to the
 * mirrored behavior and CloudFront writes a record of each viewer request to a Kinesis stream
 * after answering (no function runs for the viewer, nothing waits); a regional Lambda fed by
 * the stream replays the chosen requests (live once, then shadow and live together) and
 * compares the answers with the local engine's code (core/shadow). Real-time logs are
 * best-effort and carry no body: a few requests may be missed, and only body-less methods
 * are mirrored.
 */
export class ShadowComparer extends Construct {
  readonly stream: kinesis.Stream;
  readonly realtimeLogConfig: cloudfront.RealtimeLogConfig;
  readonly worker: lambda.Function;
  /** The policy the worker applies (the local engine's fields and defaults). */
  readonly policy: ShadowPolicy;

  constructor(scope: Construct, id: string, props: ShadowComparerProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(5);
    const policy: ShadowPolicy = {
      ...SHADOW_POLICY_DEFAULTS,
      version: props.version ?? 2,
      share: props.share ?? 0.1,
      methods: props.methods ?? SAFE_METHODS,
      dropHeaders: (props.dropHeaders ?? SHADOW_POLICY_DEFAULTS.dropHeaders).map((h) => h.toLowerCase()),
      timeoutMs: timeout.toMilliseconds(),
      maxInFlight: props.maxInFlight ?? SHADOW_POLICY_DEFAULTS.maxInFlight,
      noise: props.noise ?? true,
      ignorePaths: props.ignorePaths ?? [],
      ignoreHeaders: (props.ignoreHeaders ?? []).map((h) => h.toLowerCase()),
    };
    const problems = validateShadowPolicy(policy).map((issue) =>
      issue.field === 'timeoutMs' ? `timeout ${issue.message}` : describeShadowIssue(issue),
    );
    const withBody = policy.methods.filter((m) => !SAFE_METHODS.includes(m));
    if (withBody.length) {
      problems.push(`methods must be body-less (a log record carries no body), got ${JSON.stringify(withBody)}`);
    }
    const sampling = props.samplingRate ?? 100;
    if (!Number.isInteger(sampling) || sampling < 1 || sampling > 100) {
      problems.push(`samplingRate must be a whole percent from 1 to 100, got ${sampling}`);
    }
    for (const [name, url] of [
      ['liveUrl', props.liveUrl],
      ['shadowUrl', props.shadowUrl],
    ] as const) {
      if (!Token.isUnresolved(url) && !/^https?:\/\//.test(url))
        problems.push(`${name} must be an http(s) URL, got "${url}"`);
    }
    if (problems.length) throw invalid(`ShadowComparer ${id}: ${problems.join('; ')}`);
    this.policy = policy;

    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: kinesis.StreamMode.ON_DEMAND,
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(24),
    });
    this.realtimeLogConfig = new cloudfront.RealtimeLogConfig(this, 'Log', {
      endPoints: [cloudfront.Endpoint.fromKinesisStream(this.stream)],
      fields: [...SHADOW_LOG_FIELDS],
      samplingRate: sampling,
    });
    const component = props.component ?? 'backend';
    this.worker = new lambda.Function(this, 'Worker', {
      runtime: REGIONAL_RUNTIME,
      // URLs may be deploy-time values: they go in the environment, the rest in the bundle.
      code: lambda.Code.fromAsset(
        bundleLambda('handlers/shadow-compare.lambda', {
          component,
          policy,
          identityHeader: props.identityHeader ?? '',
        }),
      ),
      handler: 'index.handler',
      memorySize: 256,
      timeout: Duration.seconds(Math.min(900, timeout.toSeconds() * 2 + 30)),
      description: `onebox: compares the shadow v${policy.version} of ${component} with live, from CloudFront real-time logs`,
      environment: {
        ONEBOX_SHADOW_LIVE_URL: props.liveUrl,
        ONEBOX_SHADOW_URL: props.shadowUrl,
        ...(props.reportTable ? { ONEBOX_SHADOW_TABLE: props.reportTable.tableName } : {}),
      },
    });
    if (props.reportTable) this.grantReports(props.reportTable, component);
    this.worker.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        // A batch that fails is dropped, never retried: copies are not worth replaying twice.
        retryAttempts: 0,
        reportBatchItemFailures: true,
      }),
    );
    acknowledgeLogsOnlyRole(this.worker);
    acknowledge(
      this.worker,
      'AwsSolutions-IAM5[Resource::*]',
      'kinesis:ListStreams and ListShards, as the Kinesis event source grants them, name no single stream',
    );
  }

  /** GetItem and a conditional PutItem, on this component's items only (its partition key). */
  private grantReports(table: dynamodb.ITable, component: string): void {
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [shadowReportKey(component, 0).pk] } },
      }),
    );
  }
}
