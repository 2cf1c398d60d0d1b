import { Agent, type Dispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { AliasRouting, Component, Version } from '../../src/core/index.js';
import { buildSnapshot, rebuildComponent, type RouteSources } from '../../src/gateway/routing-snapshot.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';

/** The routing state a snapshot is built from, kept in maps the test changes. */
function world(count: number) {
  const components: Component[] = Array.from({ length: count }, (_, i) => ({ name: `c${i}`, route: `/c${i}` }));
  components.push({ name: 'root', route: '/' });
  const versions = new Map<string, Version>();
  const publish = (component: string, number: number, retiredAt?: string): void => {
    versions.set(`${component}#${number}`, {
      component,
      number,
      target: `http://127.0.0.1:${9000 + number}/${component}`,
      createdAt: '2026-01-01T00:00:00.000Z',
      retiredAt,
    });
  };
  const aliases = new Map<string, AliasRouting>();
  for (const c of components) {
    publish(c.name, 1);
    publish(c.name, 2);
    aliases.set(c.name, { version: 1, mode: 'sticky', seed: `${c.name}@1` });
  }
  // Never connected: a snapshot only holds the dispatcher of each origin.
  const agent = new Agent();
  const sources: RouteSources = {
    version: (c, n) => versions.get(`${c}#${n}`),
    dispatcherFor: (): Dispatcher => agent,
    metrics: new MetricsRecorder(),
  };
  return { components, versions, publish, aliases, sources, agent };
}

const worlds: { agent: Agent }[] = [];
const make = (count: number) => {
  const w = world(count);
  worlds.push(w);
  return { ...w, full: () => buildSnapshot({ ...w.sources, components: w.components, aliases: w.aliases }) };
};
afterAll(async () => {
  for (const w of worlds) await w.agent.close();
});

describe('rebuildComponent', () => {
  it('routes a changed alias at once, and leaves the previous snapshot as it was', () => {
    const w = make(50);
    const before = w.full();
    const c7 = w.components[7]!;
    const split: AliasRouting = { version: 1, additional: { version: 2, weightBp: 10_000 }, mode: 'sticky', seed: 's' };
    w.aliases.set(c7.name, split);
    const after = rebuildComponent(before, w.sources, c7, split);

    const route = after.routes.match('/c7/page')!;
    expect(route.live?.alias).toEqual(split);
    expect([...route.live!.targets.keys()]).toEqual([1, 2]);
    expect(route.live!.router.choose('anyone', () => 0)).toEqual({ version: 2, additional: true });
    // The targets of the router's two choices.
    expect([route.live!.stable.version, route.live!.additional.version]).toEqual([1, 2]);
    // In-flight requests keep the snapshot they were routed with.
    expect(before.routes.match('/c7/page')!.live?.alias).toEqual({ version: 1, mode: 'sticky', seed: 'c7@1' });
    expect([...before.routes.match('/c7/page')!.live!.targets.keys()]).toEqual([1]);
    // The same result as building everything again.
    const full = w.full();
    for (const c of w.components) {
      const path = c.route === '/' ? '/elsewhere' : `${c.route}/x`;
      const got = after.routes.match(path)!;
      const want = full.routes.match(path)!;
      expect({ path, alias: got.live?.alias, versions: [...got.live!.targets.keys()] }).toEqual({
        path,
        alias: want.live?.alias,
        versions: [...want.live!.targets.keys()],
      });
    }
  });

  it("reuses every other component's entry, and the changed one's unchanged targets", () => {
    const w = make(50);
    const before = w.full();
    const c3 = w.components[3]!;
    const split: AliasRouting = { version: 1, additional: { version: 2, weightBp: 2000 }, mode: 'sticky', seed: 's' };
    const after = rebuildComponent(before, w.sources, c3, split);
    for (const c of w.components) {
      if (c === c3) continue;
      expect(after.components.get(c.name)).toBe(before.components.get(c.name));
    }
    expect(after.components.get(c3.name)).not.toBe(before.components.get(c3.name));
    // v1 did not change: its target (pool, metrics) is the same object.
    expect(after.components.get(c3.name)!.live!.targets.get(1)).toBe(
      before.components.get(c3.name)!.live!.targets.get(1),
    );
    // The same alias again keeps the prepared router too.
    const again = rebuildComponent(after, w.sources, c3, { ...split });
    expect(again.components.get(c3.name)!.live!.router).toBe(after.components.get(c3.name)!.live!.router);
  });

  it('stops routing a retired version: the split falls back to the stable version', () => {
    const w = make(5);
    const c2 = w.components[2]!;
    const split: AliasRouting = { version: 1, additional: { version: 2, weightBp: 10_000 }, mode: 'sticky', seed: 's' };
    w.aliases.set(c2.name, split);
    const before = w.full();
    expect(before.routes.match('/c2')!.live!.router.choose('u', () => 0).version).toBe(2);

    w.publish(c2.name, 2, '2026-01-02T00:00:00.000Z');
    const after = rebuildComponent(before, w.sources, c2, split);
    const route = after.routes.match('/c2')!;
    expect([...route.live!.targets.keys()]).toEqual([1]);
    expect(route.live!.alias.additional).toBeUndefined();
    expect(route.live!.router.choose('u', () => 0)).toEqual({ version: 1, additional: false });
    expect(route.live!.additional).toBe(route.live!.stable);
  });

  it('leaves a component whose live version is retired with no live version', () => {
    const w = make(5);
    const before = w.full();
    const c1 = w.components[1]!;
    w.publish(c1.name, 1, '2026-01-02T00:00:00.000Z');
    const after = rebuildComponent(before, w.sources, c1, w.aliases.get(c1.name));
    // No alias, no router, no targets: the whole live part is absent.
    expect(after.routes.match('/c1')!.live).toBeUndefined();
  });

  it('does not reuse a target whose version now points elsewhere', () => {
    const w = make(3);
    const before = w.full();
    const c0 = w.components[0]!;
    w.versions.set('c0#1', { ...w.versions.get('c0#1')!, target: 'http://127.0.0.1:7777/moved' });
    const after = rebuildComponent(before, w.sources, c0, w.aliases.get(c0.name));
    const target = after.routes.match('/c0')!.live!.stable;
    expect(target).not.toBe(before.routes.match('/c0')!.live!.targets.get(1));
    expect(target.kind === 'http' && target.origin).toBe('http://127.0.0.1:7777');
  });

  it('refuses a component the snapshot does not know', () => {
    const w = make(2);
    expect(() => rebuildComponent(w.full(), w.sources, { name: 'ghost', route: '/ghost' }, undefined)).toThrow(/ghost/);
  });
});
