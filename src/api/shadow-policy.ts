import { z } from 'zod';
import { SHADOW_POLICY_DEFAULTS, validateShadowPolicy, type ShadowPolicy } from '../core/shadow/index.js';

const d = SHADOW_POLICY_DEFAULTS;
const lowercase = (s: string): string => s.toLowerCase();

/**
 * A field held to core's rules for it. Checked field by field, so that a field of the
 * wrong type does not hide another field's problem: every problem is reported at once.
 */
function ruled<K extends keyof ShadowPolicy, S extends z.ZodType<ShadowPolicy[K]>>(field: K, schema: S): S {
  return schema.superRefine((value, ctx) => {
    for (const issue of validateShadowPolicy({ [field]: value })) {
      ctx.addIssue({ code: 'custom', message: issue.message, input: value });
    }
  });
}

/**
 * The admin API's body for starting a shadow: the types and defaults here, the rules on the
 * values in core's validateShadowPolicy (the AWS ShadowMirror uses the same). See
 * ShadowPolicy for each field and its default.
 */
export const shadowPolicyBody = z
  .object({
    version: ruled('version', z.number()),
    share: ruled('share', z.number()).default(d.share),
    methods: ruled('methods', z.array(z.string())).default([...d.methods]),
    dropHeaders: ruled('dropHeaders', z.array(z.string().transform(lowercase))).default([...d.dropHeaders]),
    bodyCapBytes: ruled('bodyCapBytes', z.number()).default(d.bodyCapBytes),
    maxInFlight: ruled('maxInFlight', z.number()).default(d.maxInFlight),
    timeoutMs: ruled('timeoutMs', z.number()).default(d.timeoutMs),
    noise: z.boolean().default(d.noise),
    ignorePaths: ruled('ignorePaths', z.array(z.string())).default([...d.ignorePaths]),
    ignoreHeaders: z.array(z.string().transform(lowercase)).default([...d.ignoreHeaders]),
  })
  .strict() satisfies z.ZodType<ShadowPolicy, unknown>;
