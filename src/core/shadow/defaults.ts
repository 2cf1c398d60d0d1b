/**
 * Safety defaults of shadow traffic, shared by the local mirror and the edge mirror on AWS,
 * so both engines copy the same requests and drop the same credentials.
 */

/** Methods mirrored unless others are allowed explicitly: the ones without side effects. */
export const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/** Headers never sent to the shadow unless kept explicitly: credentials. */
export const DEFAULT_DROPPED_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Largest request body copied to a shadow by default: 1 MiB. */
export const DEFAULT_SHADOW_BODY_CAP_BYTES = 1024 * 1024;

/** Response headers that differ on every answer and are not compared by default. */
export const DEFAULT_IGNORED_HEADERS = [
  'date',
  'age',
  'expires',
  'last-modified',
  'etag',
  'set-cookie',
  'server-timing',
  'x-request-id',
  'x-amzn-requestid',
  'x-amzn-trace-id',
  'x-response-time',
  'x-onebox-version',
  'apigw-requestid',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
];

/** The seed a shadow's sticky share hashes with: one per (component, shadow version). */
export function shadowSeed(component: string, version: number | string): string {
  return `shadow:${component}@${version}`;
}
