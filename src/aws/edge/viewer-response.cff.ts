/** Entry of the viewer-response CloudFront Function bundle (see viewer-request.cff.ts). */
import type { CfEvent } from './cloudfront-function.js';
import { viewerResponse, type ViewerResponseSettings } from './viewer-response.js';

declare const ONEBOX_SETTINGS: ViewerResponseSettings;

export function handler(event: CfEvent) {
  return viewerResponse(event, ONEBOX_SETTINGS);
}
