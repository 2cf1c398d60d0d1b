/**
 * Entry of the shadow comparer bundle: a regional Lambda fed by the Kinesis stream of the
 * shadow's CloudFront real-time logs. Its policy is written into the bundle (bundleLambda);
 * the origins' URLs, often deploy-time values, come from the environment when set there.
 * Each batch's report delta is added to the stored report in the control plane's table
 * (ONEBOX_SHADOW_TABLE, where `onebox shadow report --aws` reads it); without a table, or when
 * a delta loses every race, it is logged as one JSON line (`onebox-shadow-report`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ShadowReportData } from '../../core/shadow/index.js';
import { DynamoShadowReports } from '../control/shadow-reports.js';
import { createShadowComparer, type ShadowComparerSettings } from './shadow-compare.js';
import { addReportDelta } from './shadow-report-store.js';

type Bundled = Omit<ShadowComparerSettings, 'save' | 'fetch' | 'liveUrl' | 'shadowUrl'> &
  Partial<Pick<ShadowComparerSettings, 'liveUrl' | 'shadowUrl'>>;
declare const ONEBOX_SETTINGS: Bundled;

const url = (env: string, bundled: string | undefined): string => {
  const value = process.env[env] ?? bundled;
  if (!value) throw new Error(`environment variable ${env} is not set`);
  return value;
};

const log = (delta: ShadowReportData, why: string): void =>
  void process.stdout.write(`${JSON.stringify({ 'onebox-shadow-report': delta, why })}\n`);

const table = process.env['ONEBOX_SHADOW_TABLE'];
const reports = table ? new DynamoShadowReports(new DynamoDBClient({}), table) : undefined;

export const handler = createShadowComparer({
  ...ONEBOX_SETTINGS,
  liveUrl: url('ONEBOX_SHADOW_LIVE_URL', ONEBOX_SETTINGS.liveUrl),
  shadowUrl: url('ONEBOX_SHADOW_URL', ONEBOX_SETTINGS.shadowUrl),
  save: async (delta: ShadowReportData) => {
    if (!reports) return log(delta, 'no ONEBOX_SHADOW_TABLE');
    if (!(await addReportDelta(reports, ONEBOX_SETTINGS.policy, delta)))
      log(delta, 'lost every conditional write to other batches; not stored');
  },
});
