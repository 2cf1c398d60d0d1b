/** Entry of the origin-response Lambda@Edge bundle; ONEBOX_SETTINGS is written above it (bundle.ts). */
import type { CloudFrontResponseEvent } from 'aws-lambda';
import { originResponse, type OriginResponseSettings } from './origin-response.js';

declare const ONEBOX_SETTINGS: OriginResponseSettings;

export async function handler(event: CloudFrontResponseEvent) {
  return originResponse(event, ONEBOX_SETTINGS);
}
