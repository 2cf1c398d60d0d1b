import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../../src/tools/demo/run-demo.js';
import { demoProblems } from '../../../src/cli/commands/demo.js';

describe('onebox demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onebox-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('releases a good v2 to everyone, rolls the bad v3 and the browser-only bad v4 back inside their one-box, with no broken page and no reload', async () => {
    let story = '';
    const summary = await runDemo({
      speed: 60,
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      stateDir: join(dir, 'state'),
      tokenDir: dir,
      output: { write: (text) => void (story += text) },
    });

    expect(demoProblems(summary)).toEqual([]);
    const outcome = Object.fromEntries(summary.deployments.map((d) => [`${d.component} ${d.release}`, d]));
    expect(outcome['api v2']).toMatchObject({ status: 'succeeded', fromVersion: 1, toVersion: 2 });
    expect(outcome['web v2']).toMatchObject({ status: 'succeeded', fromVersion: 1, toVersion: 2 });
    expect(outcome['web v3']).toMatchObject({ status: 'rolled-back', fromVersion: 2, toVersion: 3 });
    expect(outcome['web v3']!.reason).toMatch(/error rate|errors/);
    expect(outcome['web v3']!.newVersionErrors).toBeGreaterThan(0);
    // v4's bug is the browser's alone: no 5xx, rolled back on its pages' beacons.
    expect(outcome['web v4']).toMatchObject({
      status: 'rolled-back',
      fromVersion: 2,
      toVersion: 4,
      newVersionErrors: 0,
    });
    expect(outcome['web v4']!.reason).toMatch(/^v4 browser/);
    // The backend was all out before the frontend's one-box opened.
    expect(story.indexOf('api v2: succeeded')).toBeLessThan(story.indexOf('web v2: 20% of users on v2'));

    // Users: many pages, none broken at any time; v3's errors reached only its one-box.
    const p = summary.pages;
    expect(p.pages).toBeGreaterThan(1000);
    expect(p.broken).toBe(0);
    expect(p.byVersion.get(1)!.error + p.byVersion.get(2)!.error).toBe(0);
    expect(p.byVersion.get(3)!.error).toBeGreaterThan(0);
    const b = summary.bad;
    expect(b.usersExposed).toBeGreaterThan(0);
    expect(b.outsidePartition).toBe(0);
    expect(b.usersExposed).toBeLessThanOrEqual(b.partitionUsers);
    // The partition is the one-box share of the users (300 users, 20%: 60 expected).
    expect(b.partitionUsers).toBeGreaterThan(30);
    expect(b.partitionUsers).toBeLessThan(95);
    expect(outcome['web v3']!.exposure!.exact).toBe(true);
    const b4 = summary.browserBad;
    expect(b4.usersExposed).toBeGreaterThan(0);
    expect(b4.outsidePartition).toBe(0);
    expect(b4.usersExposed).toBeLessThanOrEqual(b4.partitionUsers);
    expect(p.byVersion.get(4)!.error).toBeGreaterThan(0);
    // Tabs kept open across the releases: their navigations stayed on their version, none reloaded.
    expect(p.navigations).toBeGreaterThan(100);
    expect(p.reloads).toEqual([]);
    // Every held step of the good release ended on its gate, passed or undecided (9 linear steps, 1 bake).
    expect(outcome['api v2']!.stepsPassed + outcome['api v2']!.stepsUndecided).toBe(9);
    expect(outcome['web v2']!.stepsPassed + outcome['web v2']!.stepsUndecided).toBe(1);

    // It tells the story: the build, each step, the rollback, the summary.
    expect(story).toMatch(/1\. Build\. .*\n\s+v1: app-\w+\.js style-\w+\.css/);
    expect(story).toMatch(/api v2: 10% of users on v2/);
    expect(story).toMatch(/web v3: rolled back: /);
    expect(story).toMatch(/web v4: rolled back: v4 browser/);
    expect(story).toMatch(/Tabs kept open: [\d,]+ client-side navigations, .*; reloads: 0\./);
    expect(story).toMatch(/Summary\nrelease\s+component/);
    expect(story).toMatch(/steps passed \(undecided\)/);
    expect(story).toMatch(/LambdaLinear10PercentEvery1Minute\s+reached 100%\s+\S+\s+\d \(\d\)/);
    expect(story).toMatch(/Broken pages \(.*\): 0\./);
  }, 180_000);
});
