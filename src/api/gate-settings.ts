import { z } from 'zod';
import { DEFAULT_JUDGE } from '../core/index.js';

/**
 * A deployment's gate settings as the config file and a release request write them
 * (a request overrides some fields of the component's configured ones).
 */
/**
 * A number within bounds; out of them, the message says what the setting means and why
 * the bounds (a setting that cannot be satisfied is refused, not clamped).
 */
function bounded(
  what: string,
  bounds: { gt?: number; min?: number; lt?: number; max?: number; int?: boolean },
  why?: string,
): z.ZodNumber {
  const parts = [
    bounds.gt !== undefined && `above ${bounds.gt}`,
    bounds.min !== undefined && `at least ${bounds.min}`,
    bounds.lt !== undefined && `below ${bounds.lt}`,
    bounds.max !== undefined && `at most ${bounds.max}`,
  ].filter(Boolean);
  const message = `${what} must be ${bounds.int ? 'a whole number ' : ''}${parts.join(' and ')}${why ? ` (${why})` : ''}`;
  let n = z.number({ error: (issue) => (issue.input === undefined ? undefined : message) });
  if (bounds.int) n = n.int(message);
  if (bounds.gt !== undefined) n = n.gt(bounds.gt, message);
  if (bounds.min !== undefined) n = n.min(bounds.min, message);
  if (bounds.lt !== undefined) n = n.lt(bounds.lt, message);
  if (bounds.max !== undefined) n = n.max(bounds.max, message);
  return n;
}

export const alarmsSchema = z
  .object({
    /** Highest acceptable share of 5xx answers from the new version. Default 0.02. */
    maxErrorRate: bounded('the highest error rate', { min: 0, max: 1 }, 'a share of requests: 0.02 is 2%').default(
      0.02,
    ),
    /** Latency ceilings of the new version, ms. Default: not watched. */
    maxP50Ms: bounded('a latency ceiling', { gt: 0 }, 'in ms').optional(),
    maxP90Ms: bounded('a latency ceiling', { gt: 0 }, 'in ms').optional(),
    maxP99Ms: bounded('a latency ceiling', { gt: 0 }, 'in ms').optional(),
    /** Requests needed in a step before the alarms judge. Default 100. */
    minRequests: bounded('the requests a step needs before its alarms pass', { int: true, min: 1 }).default(100),
    /** confident (default): fire only when surely above maxErrorRate; observed: on the observed rate, as CloudWatch. */
    errorRule: z.enum(['confident', 'observed']).default('confident'),
  })
  .strict();

const chance = (what: string) =>
  bounded(what, { gt: 0, lt: 0.5 }, 'a probability; at 0.5 or more the test is a coin toss');
const margin = (what: string) =>
  bounded(
    what,
    { min: 0, lt: 0.5 },
    'a share of requests; a negative margin calls an identical version worse, one of 0.5 or more can never be shown',
  );
const ratio = (what: string) => bounded(what, { gt: 1 }, 'at 1 or less an identical version is "worse"');

/** The comparative judge; every field defaults to DEFAULT_JUDGE (src/core/judge.ts). */
export const judgeSchema = z
  .object({
    /** Compare the new version with the stable one in each step. Default true. */
    enabled: z.boolean().default(true),
    alpha: chance('the chance of rolling back a version that is not worse').default(DEFAULT_JUDGE.alpha),
    beta: chance('the chance of passing a version exactly at the margin').default(DEFAULT_JUDGE.beta),
    errorRatio: ratio('the multiple of the stable error rate that is "worse"').default(DEFAULT_JUDGE.errorRatio),
    errorFloor: margin('how far above the stable error rate "worse" starts').default(DEFAULT_JUDGE.errorFloor),
    minRequests: bounded('the requests each version needs before it is judged', { int: true, min: 1 }).default(
      DEFAULT_JUDGE.minRequests,
    ),
    minTailSample: bounded(
      'the stable requests needed to place its tail',
      { int: true, min: 100 },
      'fewer place no p99',
    ).default(DEFAULT_JUDGE.minTailSample),
    tailQuantile: bounded('the tail compared', { gt: 0.5, lt: 1 }, '0.99 is p99').default(DEFAULT_JUDGE.tailQuantile),
    tailRatio: ratio('the multiple of the stable share of slow requests that is "worse"').default(
      DEFAULT_JUDGE.tailRatio,
    ),
    tailFloor: margin('how far above the stable share of slow requests "worse" starts').default(
      DEFAULT_JUDGE.tailFloor,
    ),
    minTailMs: bounded('the latency under which no request is slow', { min: 0 }, 'in ms').default(
      DEFAULT_JUDGE.minTailMs,
    ),
    rankAlpha: chance("the rank test's significance level").default(DEFAULT_JUDGE.rankAlpha),
    minSuperiority: bounded('the share of pairs in which a slower version is slower', { gt: 0.5, lt: 1 }).default(
      DEFAULT_JUDGE.minSuperiority,
    ),
    minMedianRatio: bounded('the multiple of the stable median a slower median reaches', { min: 1 }).default(
      DEFAULT_JUDGE.minMedianRatio,
    ),
    minMedianShiftMs: bounded('how far above the stable median a slower median is', { min: 0 }, 'in ms').default(
      DEFAULT_JUDGE.minMedianShiftMs,
    ),
    warmupRequests: bounded(
      "the new version's requests its latency is not judged on",
      { int: true, min: 0 },
      'its warm-up',
    ).default(DEFAULT_JUDGE.warmupRequests),
  })
  .strict();
