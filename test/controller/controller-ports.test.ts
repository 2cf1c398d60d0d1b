import { describe, expect, it } from 'vitest';
import { DEFAULT_ALARMS, DEFAULT_JUDGE, parseDeploymentSpec } from '../../src/core/index.js';
import { Controller, type DeploymentSpec } from '../../src/controller/controller.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { InMemoryPorts } from './in-memory-ports.js';

/**
 * The controller on in-memory ports (test/controller/in-memory-ports.ts): no SQLite, no
 * gateway. Each tick runs on a fresh Controller, as a serverless engine's invocation does,
 * so the gate's window comes from marks placed at the step's start (markAt), not from a
 * process that saw the step begin.
 */
const spec = (component: string, version: number, o: Partial<DeploymentSpec> = {}): DeploymentSpec => ({
  component,
  version,
  config: parseDeploymentSpec('onebox:20%:10m'),
  alarms: DEFAULT_ALARMS,
  judge: DEFAULT_JUDGE,
  hooks: {},
  onInconclusive: 'pause',
  after: [],
  ...o,
});

function world() {
  const clock = new FakeClock();
  const ports = new InMemoryPorts(clock);
  const controller = () =>
    new Controller<number>({
      deployments: ports,
      versions: ports,
      metrics: ports,
      exposure: ports,
      clock,
      runHook: () => Promise.reject(new Error('no hooks here')),
      onAliasChange: (c) => ports.log.push(`traffic ${c}`),
      newId: (() => {
        let n = 0;
        return () => `r${++n}`;
      })(),
    });
  for (const c of ['api', 'web']) {
    ports.publish(c, 1);
    ports.publish(c, 2);
    ports.setLive(c, 1);
  }
  return { clock, ports, controller };
}

describe('the controller on its ports', () => {
  it('refuses a release with every problem said at once, the request first', () => {
    const { ports, controller } = world();
    ports.publish('api', 3, true);
    const release = () =>
      controller().release([spec('api', 3), spec('api', 2, { after: ['db'] }), spec('web', 9)], 'alice');
    expect(release).toThrow(
      /api appears twice in the release; api is to go after db, which is not in this release; api version 3 is retired and can never serve traffic again; component "web" has no version 9/,
    );
    expect(release).toThrow(expect.objectContaining({ code: 'invalid' }));
    expect(ports.releases).toEqual([]);
  });

  it('passes a good one-box on evidence, one fresh controller per tick, and moves traffic after each write', () => {
    const { clock, ports, controller } = world();
    controller().release([spec('web', 2)], 'alice');
    for (let minute = 0; minute < 60 && ports.activeFor('web'); minute++) {
      // 100 requests a minute on the one-box (20%), 400 on stable; 1% errors on both.
      ports.serve('web', 2, 100, { errorEvery: 100 });
      ports.serve('web', 1, 400, { errorEvery: 100 });
      clock.advance(60_000);
      controller().tick();
    }
    const d = ports.latestFor('web')!;
    expect(d.state.status).toBe('succeeded');
    expect(ports.aliases.get('web')).toMatchObject({ version: 2, additional: undefined });
    // The one-box baked its 10 minutes and passed on evidence: nothing proceeded undecided.
    expect(ports.events.map((e) => e.type)).not.toContain('proceeded');
    expect(ports.events.map((e) => e.type)).not.toContain('paused');
    // Durable first, then traffic, for every move.
    for (let i = 0; i < ports.log.length; i++)
      if (ports.log[i]!.startsWith('traffic')) expect(ports.log[i - 1]).toMatch(/^save web .* \+alias$/);
    expect(d.exposure).toMatchObject({ exact: true });
    // The warm-up is in the state, so a controller that lives one tick knows when it ended.
    expect(d.state.warmedUpAt).toBeGreaterThan(d.state.trafficStartedAt!);
  });

  it('rolls a bad one-box back on the first tick its errors are sure, traffic first', () => {
    const { clock, ports, controller } = world();
    controller().release([spec('web', 2)], 'alice');
    ports.serve('web', 2, 200, { errorEvery: 4 });
    ports.serve('web', 1, 800, { errorEvery: 100 });
    clock.advance(60_000);
    controller().tick();
    const d = ports.latestFor('web')!;
    expect(d.state).toMatchObject({ status: 'rolled-back', weightBp: 0 });
    expect(ports.aliases.get('web')).toMatchObject({ version: 1, additional: undefined });
    expect(ports.log.slice(-2)).toEqual(['save web rolled-back 0 +alias', 'traffic web']);
    expect(ports.events.at(-1)!.sentence).toMatch(/^web v2: rolled back: .*all traffic on v1$/);
  });

  it("starts a release's frontend after its backend, and skips it when the backend fails", () => {
    const { clock, ports, controller } = world();
    controller().release([spec('api', 2), spec('web', 2, { after: ['api'] })], 'alice');
    expect(ports.activeFor('web')!.state.status).toBe('created');
    ports.serve('api', 2, 200, { errorEvery: 3 });
    ports.serve('api', 1, 800, { errorEvery: 100 });
    clock.advance(60_000);
    controller().tick();
    expect(ports.latestFor('api')!.state.status).toBe('rolled-back');
    expect(ports.latestFor('web')!.state).toMatchObject({ status: 'skipped', reason: 'api v2 rolled-back' });
    expect(ports.aliases.get('web')).toMatchObject({ version: 1 });
    expect(ports.aliases.get('web')!.additional).toBeUndefined();
  });

  it('keeps one seed for a deployment from its first step to its last', () => {
    const { clock, ports, controller } = world();
    controller().release([spec('api', 2, { config: parseDeploymentSpec('linear:50%:1m') })], 'alice');
    const seeds = new Set<string>();
    for (let minute = 0; minute < 30 && ports.activeFor('api'); minute++) {
      seeds.add(ports.aliases.get('api')!.seed);
      ports.serve('api', 2, 300);
      ports.serve('api', 1, 300);
      clock.advance(60_000);
      controller().tick();
    }
    expect(ports.latestFor('api')!.state.status).toBe('succeeded');
    expect([...seeds]).toEqual([`api@2:${ports.latestFor('api')!.id}`]);
  });
});
