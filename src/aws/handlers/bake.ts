import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Clock } from '../../core/model.js';

/**
 * The bake of a one-box release, as a custom resource of the CDK Provider framework
 * (onEvent starts it, isComplete is polled until it answers true or throws). It waits the
 * bake time **and** watches alarms: one in ALARM fails the resource, so CloudFormation rolls
 * the stack back (the one-box returns to the previous version) before the regular
 * partition was ever updated. The seed's handler only slept.
 *
 * Resource properties (CloudFormation hands them over as strings):
 * - Version: the one-box function's version number being released
 * - AlarmNames: alarms watched during the bake (at most 100)
 * - BakeSeconds: the bake time
 * - GraceSeconds: after the bake, how long to keep trying when alarms cannot be read
 */
export interface BakeProperties {
  readonly version: number;
  readonly alarmNames: readonly string[];
  readonly bakeMs: number;
  readonly graceMs: number;
  /**
   * The requests the one-box must have served during the bake (withVersionMetrics'
   * `Requests`) for its quiet alarms to mean anything: missing data is not health.
   */
  readonly evidence?: { readonly namespace: string; readonly functionName: string; readonly minRequests: number };
}

/** What onEvent answers: the Provider framework hands it to every isComplete call. */
export interface OnEventResult {
  PhysicalResourceId: string;
  Data?: { BakeUntil: string; Baking: string; Note: string };
}

export interface IsCompleteResult {
  IsComplete: boolean;
}

type ProviderEvent = CloudFormationCustomResourceEvent & { PhysicalResourceId?: string; Data?: Record<string, string> };

const PHYSICAL_ID = 'onebox-bake';
const MAX_ALARMS = 100;

function seconds(props: Record<string, unknown>, name: string): number {
  const n = Number(props[name]);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a number of seconds, got ${JSON.stringify(props[name])}`);
  return n * 1000;
}

/** Reads and checks the resource properties; throws a message CloudFormation shows. */
export function bakeProperties(props: Record<string, unknown>): BakeProperties {
  const version = Number(props['Version']);
  if (!Number.isInteger(version) || version < 1) {
    throw new Error(`Version must be a published function version number, got ${JSON.stringify(props['Version'])}`);
  }
  const names = props['AlarmNames'] ?? [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) {
    throw new Error(`AlarmNames must be a list of alarm names, got ${JSON.stringify(names)}`);
  }
  if (names.length > MAX_ALARMS) throw new Error(`AlarmNames lists ${names.length} alarms; at most ${MAX_ALARMS}`);
  const evidence = props['Evidence'] as Record<string, unknown> | undefined;
  const minRequests = Number(evidence?.['MinRequests']);
  if (evidence && (!Number.isInteger(minRequests) || minRequests < 1 || typeof evidence['FunctionName'] !== 'string'))
    throw new Error(
      `Evidence must name FunctionName and MinRequests (a whole number of 1 or more), got ${JSON.stringify(evidence)}`,
    );
  return {
    version,
    alarmNames: names as string[],
    bakeMs: seconds(props, 'BakeSeconds'),
    graceMs: seconds(props, 'GraceSeconds'),
    ...(evidence
      ? {
          evidence: {
            namespace: String(evidence['Namespace'] ?? 'onebox'),
            functionName: String(evidence['FunctionName']),
            minRequests,
          },
        }
      : {}),
  };
}

export interface BakeDeps {
  readonly cloudwatch: CloudWatchClient;
  readonly clock: Clock;
  readonly log?: (line: string) => void;
}

export function createBakeHandlers(deps: BakeDeps) {
  const log = deps.log ?? ((line: string) => console.log(line));

  async function onEvent(event: ProviderEvent): Promise<OnEventResult> {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_ID };
    const props = bakeProperties(event.ResourceProperties);
    const now = deps.clock.now();
    let baking = true;
    let note: string;
    if (event.RequestType === 'Create') {
      // A first deployment has no regular version to protect.
      baking = false;
      note = `version ${props.version}: first deployment, no bake`;
    } else {
      const previous = Number(event.OldResourceProperties['Version']);
      // Versions only grow, so a smaller one is CloudFormation rolling back: never bake (and
      // never fail) on the way back, or the rollback itself would fail.
      baking = !(Number.isInteger(previous) && props.version <= previous);
      note = baking
        ? `version ${props.version}: baking ${props.bakeMs / 1000}s while watching ${props.alarmNames.length} alarms`
        : `version ${props.version} after ${previous}: rollback or no new version, no bake`;
    }
    log(`onebox-bake: ${note}`);
    const until = baking ? now + props.bakeMs : now;
    return {
      PhysicalResourceId: event.RequestType === 'Update' ? event.PhysicalResourceId : PHYSICAL_ID,
      Data: { BakeUntil: String(until), Baking: String(baking), Note: note },
    };
  }

  async function firingAlarm(names: readonly string[]): Promise<string | undefined> {
    const out = await deps.cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNames: [...names],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
      }),
    );
    const alarms = [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])];
    for (const name of names) {
      const alarm = alarms.find((a) => a.AlarmName === name);
      // An alarm that does not exist watches nothing: fail rather than pass unwatched.
      if (!alarm) return `alarm "${name}" does not exist`;
      if (alarm.StateValue === 'ALARM') return `alarm "${name}" is in ALARM: ${alarm.StateReason ?? 'no reason given'}`;
    }
    return undefined;
  }

  /** Requests the version served from `from` to `to` (whole minutes), by its own metrics. */
  async function served(props: BakeProperties, from: number, to: number): Promise<number> {
    const e = props.evidence!;
    const start = Math.floor(from / 60_000) * 60_000;
    const end = Math.max(Math.ceil(to / 60_000) * 60_000, start + 60_000);
    const out = await deps.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(start),
        EndTime: new Date(end),
        MetricDataQueries: [
          {
            Id: 'requests',
            MetricStat: {
              Metric: {
                Namespace: e.namespace,
                MetricName: 'Requests',
                Dimensions: [
                  { Name: 'FunctionName', Value: e.functionName },
                  { Name: 'Version', Value: String(props.version) },
                ],
              },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    return (out.MetricDataResults?.[0]?.Values ?? []).reduce((a, b) => a + b, 0);
  }

  async function isComplete(event: ProviderEvent): Promise<IsCompleteResult> {
    if (event.RequestType === 'Delete') return { IsComplete: true };
    if (event.Data?.['Baking'] !== 'true') return { IsComplete: true };
    const props = bakeProperties(event.ResourceProperties);
    const until = Number(event.Data['BakeUntil']);
    const now = deps.clock.now();
    if (props.alarmNames.length > 0) {
      let firing: string | undefined;
      try {
        firing = await firingAlarm(props.alarmNames);
      } catch (err) {
        if (now < until + props.graceMs) {
          log(`onebox-bake: could not read alarms (${String(err)}); trying again`);
          return { IsComplete: false };
        }
        throw new Error(
          `bake of version ${props.version} failed: alarms could not be read for ${props.graceMs / 1000}s after the bake (${String(err)})`,
        );
      }
      if (firing) throw new Error(`bake of version ${props.version} failed: ${firing}`);
    }
    if (now >= until) {
      if (props.evidence) {
        let n: number;
        try {
          n = await served(props, until - props.bakeMs, now);
        } catch (err) {
          if (now < until + props.graceMs) return { IsComplete: false };
          throw new Error(`bake of version ${props.version} failed: its requests could not be read (${String(err)})`);
        }
        if (n < props.evidence.minRequests)
          throw new Error(
            `bake of version ${props.version} failed: the one-box served ${n} requests during its ${props.bakeMs / 1000}s bake (withVersionMetrics' Requests), fewer than the ${props.evidence.minRequests} needed to judge it: quiet alarms without traffic are not health`,
          );
        log(`onebox-bake: version ${props.version} served ${n} requests`);
      }
      log(`onebox-bake: version ${props.version} baked ${props.bakeMs / 1000}s with no alarm`);
      return { IsComplete: true };
    }
    return { IsComplete: false };
  }

  return { onEvent, isComplete };
}
