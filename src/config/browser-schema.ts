import { z } from 'zod';
import { DEFAULT_BROWSER_GATE, type BeaconLimits } from '../core/index.js';

const share = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .min(0, `${what} must be at least 0 (a share of users: 0.05 is 5%)`)
    .lt(0.5, `${what} must be below 0.5 (a share of users: 0.05 is 5%)`);
const chance = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .gt(0, `${what} must be above 0 (a probability)`)
    .lt(0.5, `${what} must be below 0.5 (at 0.5 or more the test is a coin toss)`);

/** A token bucket's size (`burst`) and refill (`perMinute`), with `defaults`' values when left out. */
export const rateLimit = (what: string, defaults: BeaconLimits) =>
  z
    .object({
      burst: z
        .number({ error: `the ${what} at once must be a number` })
        .int(`the ${what} at once must be a whole number`)
        .min(1, `the ${what} at once must be at least 1`)
        .default(defaults.burst),
      perMinute: z
        .number({ error: `the ${what} a minute must be a number` })
        .positive(`the ${what} a minute must be above 0`)
        .default(defaults.perMinute),
    })
    .strict()
    .prefault({});

/**
 * A component's browser signals (config `components[].browser`). Opt-in: the gateway then
 * puts its script into the component's HTML pages (200 answers of uncompressed text/html),
 * serves it at /.onebox/browser.js and takes beacons at /.onebox/beacon, and the component's
 * deployments are gated on them.
 */
export const browserSchema = z
  .object({
    /** Put the browser script into this component's pages and gate on what they report. Default false. */
    enabled: z.boolean({ error: 'expected true or false' }).default(false),
    /** The browser gate (an alarm and the comparison with stable), on by default where signals are. */
    gate: z
      .object({
        /** Default true: a component that sends browser signals is gated on them. */
        enabled: z.boolean({ error: 'expected true or false' }).default(true),
        /** Highest share of a step's users with a browser error (confident test). Default 0.2 (see DEFAULT_BROWSER_GATE). */
        maxErrorShare: share('the highest share of users with a browser error').default(
          DEFAULT_BROWSER_GATE.maxErrorShare,
        ),
        /** Users a step needs before the browser alarm passes. Default 20. */
        minUsers: z
          .number()
          .int('the users a step needs must be a whole number')
          .min(1, 'the users a step needs must be at least 1')
          .default(DEFAULT_BROWSER_GATE.minUsers),
        /** "Worse" than stable: its share of users with an error times this ... Default 2. */
        errorRatio: z
          .number()
          .gt(1, 'the multiple of the stable share that is "worse" must be above 1')
          .default(DEFAULT_BROWSER_GATE.errorRatio),
        /** ... and at least this far above it. Default 0.02. */
        errorFloor: share('how far above the stable share "worse" starts').default(DEFAULT_BROWSER_GATE.errorFloor),
        /** Chance of rolling back a version that is not worse. Default 0.001. */
        alpha: chance('the chance of rolling back a version that is not worse').default(DEFAULT_BROWSER_GATE.alpha),
        /** Chance of passing a version exactly at the margin. Default 0.05. */
        beta: chance('the chance of passing a version at the margin').default(DEFAULT_BROWSER_GATE.beta),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
