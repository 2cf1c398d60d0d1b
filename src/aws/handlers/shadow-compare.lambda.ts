/**
 * Entry of the shadow comparer bundle: a regional Lambda fed by the Kinesis stream of the
 * shadow's CloudFront real-time logs; its settings are written into the bundle (bundleLambda).
 * Each batch's report delta is logged as one JSON line (`onebox-shadow-report`), from which
 * the control plane adds it to the stored report.
 */
import type { ShadowReportData } from '../../core/shadow/index.js';
import { createShadowComparer, type ShadowComparerSettings } from './shadow-compare.js';

declare const ONEBOX_SETTINGS: Omit<ShadowComparerSettings, 'save' | 'fetch'>;

export const handler = createShadowComparer({
  ...ONEBOX_SETTINGS,
  save: (delta: ShadowReportData) =>
    void process.stdout.write(`${JSON.stringify({ 'onebox-shadow-report': delta })}\n`),
});
