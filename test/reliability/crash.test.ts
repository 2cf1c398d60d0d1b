import { describe, expect, it } from 'vitest';
import { noCrashFigures, runCrashScenario, useCrashFixture } from '../helpers/crash-harness.js';
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
  const { agent, ups, runs, clearRuns } = useCrashFixture();

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
        await clearRuns();
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
