import { readSeries } from '../../../src/aws/control/cloudwatch-series.js';
import { SeriesWindows } from '../../../src/aws/control/series-windows.js';
import { DEFAULT_ALARMS, DEFAULT_JUDGE, parseDeploymentSpec, type DeploymentEvent } from '../../../src/core/index.js';
import { Controller } from '../../../src/controller/controller.js';
import { openDatabase } from '../../../src/store/database.js';
import { DeploymentStore } from '../../../src/store/deployment-store.js';
import { StateStore } from '../../../src/store/state-store.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import type { FakeCloudWatch } from './aws-fakes.js';
import type { FakeLogsInsights } from './logs-insights-fake.js';
import { exposureOf, ExposureTracker } from '../../../src/metrics/exposure.js';
import type { ExposureSink } from '../../../src/controller/ports.js';
import type { Exposure } from '../../../src/core/index.js';

/** What the AWS story did, and when: the local engine replays it. */
export type Timeline = ({ at: number } & ({ action: 'tick' } | { action: 'release'; version: number }))[];

/**
 * The same scenario on the local engine: its SQLite stores and one long-lived Controller,
 * as `onebox serve` runs it, over the same traffic (the minutes CloudWatch summed), at the
 * same times, its ExposureTracker seeing each request's user as the gateway would. Answers
 * each deployment's events and exposure.
 */
export async function localReplay(
  cloudwatch: FakeCloudWatch,
  logs: FakeLogsInsights,
  functionName: string,
  timeline: Timeline,
  end: number,
): Promise<Map<string, { events: DeploymentEvent[]; exposure: Exposure | undefined }>> {
  const start = timeline[0]!.at;
  const series = await readSeries(
    cloudwatch.client,
    'onebox',
    [1, 2, 3].map((version) => ({ component: 'web', functionName, version, from: start })),
    end + 60_000,
  );
  const clock = new FakeClock(start);
  const db = openDatabase(':memory:');
  const state = new StateStore(db, clock);
  const deployments = new DeploymentStore(db, state);
  state.ensureComponents(['web']);
  for (const n of [1, 2, 3]) state.publish('web', `http://127.0.0.1:9/web/v${n}`);
  state.setAlias('web', { version: 1, mode: 'sticky', seed: 'web@1' });
  const trackers = new Map<string, ExposureTracker>();
  const exposure: ExposureSink = {
    track: (_component, id, version) => void trackers.set(id, new ExposureTracker(id, version)),
    counted: (_component, id) => {
      const t = trackers.get(id);
      return t ? exposureOf(t) : undefined;
    },
    stop: (_component, id) => void trackers.delete(id),
  };
  const lines = logs.lines(`/aws/lambda/${functionName}`);
  let seen = 0;
  let ids = 0;
  const controller = new Controller<number>({
    deployments,
    versions: state,
    metrics: new SeriesWindows(series, () => clock.now()),
    exposure,
    clock,
    runHook: () => Promise.reject(new Error('no hooks')),
    onAliasChange: () => {},
    newId: () => `r${++ids}`,
  });
  for (const step of timeline) {
    clock.advance(step.at - clock.now());
    // The requests served before this moment, as the gateway reports them to the trackers.
    for (; seen < lines.length && lines[seen]!.at < step.at; seen++) {
      const { doc } = lines[seen]!;
      for (const t of trackers.values()) t.see(Number(doc['Version']), String(doc['user']));
    }
    if (step.action === 'tick') controller.tick();
    else
      controller.release(
        [
          {
            component: 'web',
            version: step.version,
            config: parseDeploymentSpec('onebox:20%:10m'),
            alarms: DEFAULT_ALARMS,
            judge: DEFAULT_JUDGE,
            hooks: {},
            onInconclusive: 'pause',
            after: [],
          },
        ],
        'alice',
      );
  }
  const out = new Map<string, { events: DeploymentEvent[]; exposure: Exposure | undefined }>();
  for (const id of ['r1-web', 'r2-web'])
    out.set(id, { events: deployments.events(id), exposure: deployments.get(id).exposure });
  db.close();
  return out;
}
