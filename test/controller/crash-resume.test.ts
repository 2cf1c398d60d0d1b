import { describe, expect, it } from 'vitest';
import { Run, runCrashScenario, sleep, TERMINAL, TIMING_DEPENDENT, useCrashFixture } from '../helpers/crash-harness.js';

/**
 * Acceptance: "Kill the server with SIGKILL at 20 random moments during a release and
 * restart each time: the release ends in the same state as an uninterrupted run, with a
 * complete event history (no step repeated or skipped, no event lost)."
 *
 * Two real `onebox serve` child processes run the same release side by side, each with its
 * own state folder and the same config: the reference is never touched; the other one is
 * SIGKILLed 20 times at seeded random moments and restarted at once each time (the same
 * config, the same state folder; its ports are re-read from its stdout after every start).
 */

/** Change it to explore other schedules: ONEBOX_CRASH_SEED=123 npx vitest run test/controller/crash-resume.test.ts */
const SEED = Number(process.env.ONEBOX_CRASH_SEED ?? 20_240_611);
const KILLS = 20;

describe('crash and resume during a release', () => {
  const { agent, ups, runs } = useCrashFixture();

  it(`ends like an uninterrupted run after ${KILLS} SIGKILLs and restarts, with a complete event history`, async () => {
    console.log(await runCrashScenario(agent, ups, runs, { seed: SEED, kills: KILLS }));
  }, 100_000);

  /**
   * A product bug this test found (fixed: the extension now counts from the restart). With an
   * extension as long as the hold (the default then), 13 kills each
   * 50 ms after the restart paused the backend at 25%: "gate still inconclusive after 10.3s
   * (v2: 0 of 5 requests needed to judge)". The root cause, shown here with one kill: the
   * hold and its extension keep counting while the server is down, but the gate window
   * (in-memory metrics) restarts empty, so the first tick after the restart judges a window
   * that has had no chance to see a request, and gives up on a healthy version (with
   * `onInconclusive: rollback` it would roll it back).
   */
  it('does not pause a healthy deployment because the server was down past the hold and its extension', async () => {
    // An extension as long as the hold (the default when this was found), onInconclusive = pause
    // (the default). The first tick after the restart also has no pace to time its need by.
    const run = new Run('long-outage', agent, {
      backend: 'canary:25%:1500ms',
      frontend: 'all-at-once',
      maxExtension: '1500ms',
    });
    runs.push(run);
    await run.start();
    await run.setUp(ups);
    run.startLoops();
    await sleep(200);
    await run.release([{ component: 'backend', version: 2 }]);
    await run.until('backend at 25%', (r) => r.deployments[0]!.state.step === 0, 5_000);
    // Hold 1.5 s + maxExtension 1.5 s = 3 s; down for 3.5 s.
    await run.crashAndRestart(3_500);
    const end = await run.until(
      'backend settled',
      (r) => ['paused', ...TERMINAL].includes(r.deployments[0]!.state.status),
      15_000,
    );
    await run.stopLoops();
    await run.stop();
    const d = end.deployments[0]!;
    expect(d.state.status, run.describe()).toBe('succeeded');
    expect(d.events.filter((e) => !TIMING_DEPENDENT.has(e.type)).map((e) => `${e.type}@${e.weightBp}`)).toEqual([
      'started@0',
      'step@2500',
      'step@10000',
      'succeeded@10000',
    ]);
    expect(run.weightDrops).toEqual([]);
  }, 30_000);
});
