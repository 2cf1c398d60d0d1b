import { z } from 'zod';
import { DEFAULT_DROPPED_HEADERS, DEFAULT_SHADOW_BODY_CAP_BYTES, SAFE_METHODS } from '../core/shadow/defaults.js';

export { DEFAULT_DROPPED_HEADERS, SAFE_METHODS };

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
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
];

export const shadowPolicyBody = z
  .object({
    /** The shadow version: published, not retired, not in the live alias. */
    version: z.number().int().positive(),
    /** Share of users whose requests are mirrored (sticky per user). Default 1 (everyone). */
    share: z.number().gt(0).max(1).default(1),
    /** Methods mirrored. Default GET, HEAD, OPTIONS; others are allowed only when listed here. */
    methods: z
      .array(z.string().regex(/^[A-Z]+$/))
      .min(1)
      .default(SAFE_METHODS),
    /** Request headers removed before mirroring. Default: Authorization, Cookie, Proxy-Authorization. */
    dropHeaders: z
      .array(
        z
          .string()
          .min(1)
          .transform((s) => s.toLowerCase()),
      )
      .default(DEFAULT_DROPPED_HEADERS),
    /** Largest request or response body copied; a larger one skips the comparison (counted). Default 1 MiB. */
    bodyCapBytes: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .default(DEFAULT_SHADOW_BODY_CAP_BYTES),
    /** Copies in flight at most; more are dropped and counted. Default 64. */
    maxInFlight: z.number().int().min(1).max(10_000).default(64),
    /** Longest wait for the shadow's answer, ms. Default 5000. */
    timeoutMs: z.number().int().min(1).max(600_000).default(5000),
    /** Also ask a second copy of the live version and report only differences above that noise. Default true. */
    noise: z.boolean().default(true),
    /** JSON paths not compared, e.g. "$.meta.generatedAt", "$.items[*].id". */
    ignorePaths: z.array(z.string().startsWith('$')).default([]),
    /** Response headers not compared, on top of the per-response defaults (Date, ...). */
    ignoreHeaders: z.array(z.string().transform((s) => s.toLowerCase())).default([]),
  })
  .strict();

export type ShadowPolicy = z.output<typeof shadowPolicyBody>;

/** Methods mirrored that are not side-effect free: said in status as a warning. */
export function unsafeMethods(policy: ShadowPolicy): string[] {
  return policy.methods.filter((m) => !SAFE_METHODS.includes(m));
}
