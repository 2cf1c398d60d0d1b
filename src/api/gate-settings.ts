import { z } from 'zod';
import { DEFAULT_JUDGE } from '../core/index.js';

/**
 * A deployment's gate settings as the config file and a release request write them
 * (a request overrides some fields of the component's configured ones).
 */
export const alarmsSchema = z
  .object({
    /** Highest acceptable share of 5xx answers from the new version. Default 0.02. */
    maxErrorRate: z.number().min(0).max(1).default(0.02),
    /** Latency ceilings of the new version, ms. Default: not watched. */
    maxP50Ms: z.number().positive().optional(),
    maxP90Ms: z.number().positive().optional(),
    maxP99Ms: z.number().positive().optional(),
    /** Requests needed in a step before the alarms judge. Default 100. */
    minRequests: z.number().int().min(1).default(100),
    /** confident (default): fire only when surely above maxErrorRate; observed: on the observed rate, as CloudWatch. */
    errorRule: z.enum(['confident', 'observed']).default('confident'),
  })
  .strict();

/** The comparative judge; every field defaults to DEFAULT_JUDGE (src/core/judge.ts). */
export const judgeSchema = z
  .object({
    /** Compare the new version with the stable one in each step. Default true. */
    enabled: z.boolean().default(true),
    alpha: z.number().gt(0).lt(0.5).default(DEFAULT_JUDGE.alpha),
    beta: z.number().gt(0).lt(0.5).default(DEFAULT_JUDGE.beta),
    errorRatio: z.number().gt(1).default(DEFAULT_JUDGE.errorRatio),
    errorFloor: z.number().min(0).lt(0.5).default(DEFAULT_JUDGE.errorFloor),
    minRequests: z.number().int().min(1).default(DEFAULT_JUDGE.minRequests),
    minTailSample: z.number().int().min(100).default(DEFAULT_JUDGE.minTailSample),
    tailQuantile: z.number().gt(0.5).lt(1).default(DEFAULT_JUDGE.tailQuantile),
    tailRatio: z.number().gt(1).default(DEFAULT_JUDGE.tailRatio),
    minTailMs: z.number().min(0).default(DEFAULT_JUDGE.minTailMs),
    rankAlpha: z.number().gt(0).lt(0.5).default(DEFAULT_JUDGE.rankAlpha),
    minSuperiority: z.number().gt(0.5).lt(1).default(DEFAULT_JUDGE.minSuperiority),
    minMedianRatio: z.number().min(1).default(DEFAULT_JUDGE.minMedianRatio),
    minMedianShiftMs: z.number().min(0).default(DEFAULT_JUDGE.minMedianShiftMs),
  })
  .strict();
