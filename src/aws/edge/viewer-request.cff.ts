/**
 * Entry of the viewer-request CloudFront Function bundle. `cf` is the runtime's
 * `cloudfront` module, `crypto` its crypto module, and ONEBOX_SETTINGS the settings the construct writes above the
 * bundle (see bundle.ts: cloudFrontFunctionCode).
 */
import type { CfEvent, CfModule } from './cloudfront-function.js';
import type { CfCrypto } from './page-pin.js';
import { viewerRequest, type ViewerRequestSettings } from './viewer-request.js';

declare const cf: CfModule;
declare const crypto: CfCrypto;
declare const ONEBOX_SETTINGS: ViewerRequestSettings;

export async function handler(event: CfEvent) {
  return viewerRequest(event, cf, ONEBOX_SETTINGS, crypto);
}
