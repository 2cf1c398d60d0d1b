/**
 * onebox on AWS: CDK constructs that build the prod-one-box architecture (seed 000) with the
 * same core decisions as the local engine. See docs/aws.md.
 */
export * from './live-alias.js';
export * from './one-box-frontend.js';
export * from './sticky-edge.js';
export * from './shadow-mirror.js';
export * from './shadow-comparer.js';
export * from './prod-one-box-app.js';
export * from './control-plane.js';
export * from './version-alarms.js';
export * from './codedeploy-config.js';
export * from './metrics.js';
export * from './browser-beacon.js';
export { DEFAULT_ASSET_PATHS, DEFAULT_ASSET_FALLBACK_STATUS_CODES } from './asset-fallback.js';
export { PIN_KEY_ENV } from './browser.js';
export {
  ONE_BOX,
  REGULAR,
  PARTITION_HEADER,
  DEFAULT_KVS_KEY,
  type EdgeSplit,
  type Partition,
} from './edge/partition.js';
export { CLOUDFRONT_FUNCTION_MAX_BYTES } from './bundle.js';
