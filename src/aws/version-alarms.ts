import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { invalid } from '../core/errors.js';
import { DEFAULT_METRICS_NAMESPACE, VERSION_METRIC } from './metrics.js';

/** Alarms on the new version's own metrics; every field has a default. */
export interface NewVersionAlarmsProps {
  /** Error rate above which the version is bad, 0..1. Default 0.02 (onebox's default). */
  readonly maxErrorRate?: number;
  /**
   * Invocations of the new version a period needs before its rate counts, so two errors in
   * three requests do not roll back a release. Default 20 (a period is one minute here, not
   * a whole step: raise it for busy functions).
   */
  readonly minRequests?: number;
  /**
   * Errors in a period that count even below `minRequests` (their rate is then compared), so
   * a quiet site's version that fails most of its few requests is caught. Default 3.
   */
  readonly minErrors?: number;
  /** p99 duration above which the version is bad, ms. Default: latency not watched. */
  readonly maxP99Ms?: number;
  /** Period of each data point. Default 1 minute. */
  readonly period?: Duration;
  /**
   * Also watch the 5xx rate the handler reports with withVersionMetrics (onebox/aws/metrics):
   * a handler that answers 500 is not a Lambda error. Default true (the alarm has no data,
   * and never fires, for handlers that do not report).
   */
  readonly handlerMetrics?: boolean;
  /** Namespace of the handler metrics. Default `onebox`. */
  readonly handlerMetricsNamespace?: string;
}

/** Which version to watch: the function, the alias it is invoked through, the version. */
export interface WatchedVersion {
  readonly function: lambda.IFunction;
  readonly aliasName: string;
  readonly version: lambda.IVersion;
}

/**
 * One of Lambda's metrics for invocations of `version` through the alias: the dimensions
 * FunctionName, Resource (`function:alias`) and ExecutedVersion, as Lambda publishes them
 * for alias invocations. The old version's errors are not in it, so an alarm that fires on
 * the old version never blocks the fix.
 */
export function newVersionLambdaMetric(
  watched: WatchedVersion,
  metricName: string,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    statistic,
    period,
    dimensionsMap: {
      FunctionName: watched.function.functionName,
      Resource: `${watched.function.functionName}:${watched.aliasName}`,
      ExecutedVersion: watched.version.version,
    },
  });
}

/** A metric the handler reports through withVersionMetrics, for `version`. */
export function handlerVersionMetric(
  watched: WatchedVersion,
  metricName: string,
  period: Duration,
  namespace = DEFAULT_METRICS_NAMESPACE,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    statistic: 'Sum',
    period,
    dimensionsMap: { FunctionName: watched.function.functionName, Version: watched.version.version },
  });
}

function checkProps(props: NewVersionAlarmsProps): void {
  const rate = props.maxErrorRate;
  if (rate !== undefined && !(rate > 0 && rate < 1)) {
    throw invalid(`newVersionAlarms.maxErrorRate must be above 0 and below 1, got ${String(rate)}`);
  }
  const min = props.minRequests;
  if (min !== undefined && !(Number.isInteger(min) && min >= 1)) {
    throw invalid(`newVersionAlarms.minRequests must be a whole number of 1 or more, got ${String(min)}`);
  }
  const minErrors = props.minErrors;
  if (minErrors !== undefined && !(Number.isInteger(minErrors) && minErrors >= 1)) {
    throw invalid(`newVersionAlarms.minErrors must be a whole number of 1 or more, got ${String(minErrors)}`);
  }
  const p99 = props.maxP99Ms;
  if (p99 !== undefined && !(p99 > 0)) throw invalid(`newVersionAlarms.maxP99Ms must be above 0, got ${String(p99)}`);
  const period = props.period?.toSeconds();
  if (period !== undefined && (period < 60 || period % 60 !== 0)) {
    throw invalid(`newVersionAlarms.period must be whole minutes (Lambda publishes per minute), got ${period}s`);
  }
}

/**
 * The alarms that decide whether a new version is bad, on its own metrics only: the error
 * rate (Lambda's Errors over Invocations), the handler-reported 5xx rate, optionally p99.
 * Missing data is not breaching for an alarm (a minute without traffic is not a failure);
 * the one-box's bake asks for evidence instead: enough requests over the whole bake.
 */
export class NewVersionAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, watched: WatchedVersion, props: NewVersionAlarmsProps = {}) {
    super(scope, id);
    checkProps(props);
    const period = props.period ?? Duration.minutes(1);
    const maxErrorRate = props.maxErrorRate ?? 0.02;
    const minRequests = props.minRequests ?? 20;
    const minErrors = props.minErrors ?? 3;
    const rateAlarm = (
      alarmId: string,
      description: string,
      errors: cloudwatch.IMetric,
      requests: cloudwatch.IMetric,
    ) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric: new cloudwatch.MathExpression({
          // Enough requests, or enough errors on few of them (a quiet one-box), give a rate.
          expression: `IF(requests >= ${minRequests} OR errors >= ${minErrors}, errors / requests, 0)`,
          usingMetrics: { errors, requests },
          period,
        }),
        threshold: maxErrorRate,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms.push(
      rateAlarm(
        'ErrorRate',
        `New version's Lambda error rate above ${maxErrorRate * 100}% (at least ${minRequests} invocations a period)`,
        newVersionLambdaMetric(watched, 'Errors', 'Sum', period),
        newVersionLambdaMetric(watched, 'Invocations', 'Sum', period),
      ),
    );
    if (props.handlerMetrics ?? true) {
      const ns = props.handlerMetricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
      this.alarms.push(
        rateAlarm(
          'HandlerErrorRate',
          `New version's 5xx rate reported by the handler above ${maxErrorRate * 100}% (at least ${minRequests} requests a period)`,
          handlerVersionMetric(watched, VERSION_METRIC.errors, period, ns),
          handlerVersionMetric(watched, VERSION_METRIC.requests, period, ns),
        ),
      );
    }
    if (props.maxP99Ms !== undefined) {
      this.alarms.push(
        new cloudwatch.Alarm(this, 'P99', {
          alarmDescription: `New version's p99 duration above ${props.maxP99Ms} ms`,
          metric: newVersionLambdaMetric(watched, 'Duration', 'p99', period),
          threshold: props.maxP99Ms,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
