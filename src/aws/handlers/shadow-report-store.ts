import { ShadowReport, type ShadowPolicy, type ShadowReportData } from '../../core/shadow/index.js';

/**
 * Where the AWS shadow's report lives, and how the comparer's batches add to it. Batches run
 * in parallel (one Lambda per Kinesis shard, and retries of none), so each one adds its delta
 * with a read, an absorb (core's ShadowReport, the same bounds as the local engine's) and a
 * write conditional on the revision it read, tried again on a conflict.
 *
 * The item sits with the rest of the component's data in the control plane's table
 * (src/aws/control: partition key `C#<component>`, sort keys by kind): `S#<version>`.
 */
export const shadowReportKey = (component: string, version: number): { pk: string; sk: string } => ({
  pk: `C#${component}`,
  sk: `S#${String(version).padStart(8, '0')}`,
});

/** The two calls the report needs of a store (DynamoDB GetItem, and PutItem with a condition on `rev`). */
export interface RevisionedReports {
  read(component: string, version: number): Promise<{ rev: number; data: ShadowReportData } | undefined>;
  /** Writes revision `rev + 1` if the stored one is still `rev` (0: none yet); false if it is not. */
  write(component: string, version: number, rev: number, data: ShadowReportData): Promise<boolean>;
}

/** Conflicts in a row before a batch's delta is given up (and logged by the caller). Default 8. */
const ATTEMPTS = 8;

/** Adds one batch's report to the stored one; false when it lost every race (the delta is dropped). */
export async function addReportDelta(
  store: RevisionedReports,
  policy: ShadowPolicy,
  delta: ShadowReportData,
  attempts = ATTEMPTS,
): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    const stored = await store.read(delta.component, delta.version);
    const report = new ShadowReport(delta.component, policy, stored && structuredClone(stored.data));
    report.absorb(delta);
    if (await store.write(delta.component, delta.version, stored?.rev ?? 0, report.data)) return true;
  }
  return false;
}
