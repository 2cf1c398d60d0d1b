/**
 * Entry of the shadow comparer bundle: a regional Lambda fed by the Kinesis stream of the
 * shadow's CloudFront real-time logs. Its policy is written into the bundle (bundleLambda);
 * the origins' URLs, often deploy-time values, come from the environment when set there.
 * Each batch's report delta is logged as one JSON line (`onebox-shadow-report`), from which
 * the control plane adds it to the stored report.
 */
import type { ShadowReportData } from '../../core/shadow/index.js';
import { createShadowComparer, type ShadowComparerSettings } from './shadow-compare.js';

type Bundled = Omit<ShadowComparerSettings, 'save' | 'fetch' | 'liveUrl' | 'shadowUrl'> &
  Partial<Pick<ShadowComparerSettings, 'liveUrl' | 'shadowUrl'>>;
declare const ONEBOX_SETTINGS: Bundled;

const url = (env: string, bundled: string | undefined): string => {
  const value = process.env[env] ?? bundled;
  if (!value) throw new Error(`environment variable ${env} is not set`);
  return value;
};

export const handler = createShadowComparer({
  ...ONEBOX_SETTINGS,
  liveUrl: url('ONEBOX_SHADOW_LIVE_URL', ONEBOX_SETTINGS.liveUrl),
  shadowUrl: url('ONEBOX_SHADOW_URL', ONEBOX_SETTINGS.shadowUrl),
  save: (delta: ShadowReportData) =>
    void process.stdout.write(`${JSON.stringify({ 'onebox-shadow-report': delta })}\n`),
});
