import type { OneboxConfigInput } from '../../config/schema.js';

export interface DemoConfigOptions {
  readonly stateDir: string;
  readonly listen?: string | undefined;
  readonly adminListen?: string | undefined;
  readonly speed: number;
}

/**
 * How the demo's components deploy: gates sized for its traffic (about 100 pages a second)
 * rather than production's. The simulator's `demo-web` scenario runs the same gate.
 */
export const DEMO_DEPLOYMENT = {
  alarms: { maxErrorRate: 0.02, minRequests: 50 },
  // With compressed time a step holds a few seconds, so a window has hundreds of requests,
  // not thousands: the judge speaks on fewer, accepts a wider margin of proof ("not worse
  // than stable + 2%"), and compares the p90 tail (beyond p99, a few hundred requests hold
  // too few to tell anything). And the shop shares this machine's cores with its 300
  // simulated browsers: a handler's latency is the scheduler's as much as the code's (more
  // so for the version with the smaller share, whose process sleeps between requests). With
  // two other processes keeping both cores busy, 16-21% of the good v2's requests were slower
  // than the two versions' p90 (160-210 ms) in some steps, against 0-6% of stable's, and its
  // median was 12-14 ms against 6-7 ms. So here a request is slow from half a second and a
  // median must move by 25 ms: what a shopper would notice, not what the scheduler does.
  judge: {
    minRequests: 50,
    errorFloor: 0.02,
    minTailSample: 100,
    tailQuantile: 0.9,
    minTailMs: 500,
    tailFloor: 0.05,
    minMedianShiftMs: 25,
  },
  // A step whose gate still lacks data after 5 minutes (15 s at 20x) proceeds, as CodeDeploy
  // does (it only stops on an alarm), and the summary counts it as undecided. A production
  // config would rather wait longer or pause.
  onInconclusive: 'proceed' as const,
  maxExtension: '5m',
};

/**
 * The browser gate sized for the demo's one-box (20% of 300 users, a few seconds a step):
 * it judges from 10 users. The shop's good releases have no browser errors at all.
 */
export const DEMO_BROWSER_GATE = { minUsers: 10 };

/** The demo's embedded config: the shop's two components. */
export function demoConfig(o: DemoConfigOptions): OneboxConfigInput {
  return {
    state: { dir: o.stateDir },
    gateway: {
      listen: o.listen ?? '127.0.0.1:8080',
      // The demo's 300 simulated users are one process on one loopback address: the limits
      // per client address (sized for one office, or one client) would count them as one.
      beaconsPerIp: { burst: 100_000, perMinute: 100_000 },
      errorUsersPerIp: { burst: 100_000, perMinute: 100_000 },
    },
    admin: { listen: o.adminListen ?? '127.0.0.1:8081' },
    // Ticks often enough for compressed holds: a tenth of a compressed minute's worth.
    controller: { interval: `${Math.max(50, Math.round(6000 / o.speed))}ms` },
    components: [
      { name: 'api', route: '/api', deployment: DEMO_DEPLOYMENT },
      // The shop's pages send browser signals: its one-box is gated on them too.
      { name: 'web', route: '/', deployment: DEMO_DEPLOYMENT, browser: { enabled: true, gate: DEMO_BROWSER_GATE } },
    ],
  };
}
