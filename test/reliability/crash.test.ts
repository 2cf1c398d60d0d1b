import { rmSync } from 'node:fs';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noCrashFigures, runCrashScenario, type Run } from '../helpers/crash-harness.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { envInt, report } from './figures.js';

/**
 * Crash: rounds of the crash-and-resume scenario (test/helpers/crash-harness.ts), each a
 * two-component release SIGKILLed `KILLS` times at seeded random moments and compared with an
 * uninterrupted run of the same release. About 30 s a round, whatever the number of kills.
 */
const ROUNDS = envInt('ONEBOX_CRASH_ROUNDS', 3);
const KILLS = envInt('ONEBOX_CRASH_KILLS', 20);
const SEED = envInt('ONEBOX_CRASH_SEED', Date.now() % 1_000_000_007);

describe(`crash (seed ${SEED}, ${ROUNDS} rounds of ${KILLS} kills)`, () => {
  const agent = new Agent({ connections: 8 });
  const ups: { backend: TestUpstream[]; frontend: TestUpstream[] } = { backend: [], frontend: [] };
  const runs: Run[] = [];

  beforeAll(async () => {
    ups.backend.push(await startUpstream(labelled('api v1')), await startUpstream(labelled('api v2')));
    ups.frontend.push(await startUpstream(labelled('web v1')), await startUpstream(labelled('web v2')));
  });

  afterAll(async () => {
    for (const r of runs) {
      await r.stopLoops();
      r.kill();
    }
    await Promise.all([...ups.backend, ...ups.frontend].map((u) => u.close()));
    await agent.close();
    for (const r of runs) rmSync(r.dir, { recursive: true, force: true });
  });

  it(
    'every round ends like the uninterrupted run, with no event lost',
    async () => {
      const figures = noCrashFigures();
      const failures: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const seed = SEED + round;
        try {
          console.log(await runCrashScenario(agent, ups, runs, { seed, kills: KILLS }, figures));
        } catch (err) {
          failures.push(`round ${round} (ONEBOX_CRASH_SEED=${seed} ONEBOX_CRASH_ROUNDS=1): ${(err as Error).message}`);
        }
        for (const r of runs.splice(0)) {
          await r.stopLoops();
          r.kill();
          rmSync(r.dir, { recursive: true, force: true });
        }
      }
      report(
        'crash',
        { tries: figures.kills, failures: failures.length, lost: figures.lost },
        {
          seed: SEED,
          rounds: ROUNDS,
          restarts: figures.restarts,
          events: figures.events,
          referenceEvents: figures.referenceEvents,
          requests: figures.requests,
        },
      );
      expect(failures).toEqual([]);
      expect(figures.lost).toBe(0);
    },
    ROUNDS * 100_000,
  );
});
