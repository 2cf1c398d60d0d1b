import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startTestOnebox, type TestOnebox } from '../helpers/onebox.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { runHook } from '../../src/controller/hook-runner.js';

const payload = {
  deploymentId: 'd1',
  hook: 'beforeAllowTraffic' as const,
  component: 'web',
  fromVersion: 1,
  toVersion: 2,
  targetUrl: 'http://127.0.0.1:1/v2',
};

describe('hook runner (real HTTP and real commands)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-hooks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('posts the payload and passes on 2xx, fails on other statuses with the body in the detail', async () => {
    let status = 200;
    const hook = await startUpstream((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(status);
        res.end(`got ${JSON.parse(body).targetUrl}`);
      });
    });
    try {
      expect(await runHook({ url: hook.url, timeoutMs: 2000 }, payload)).toEqual({
        ok: true,
        detail: 'HTTP 200: got http://127.0.0.1:1/v2',
      });
      status = 503;
      expect(await runHook({ url: hook.url, timeoutMs: 2000 }, payload)).toMatchObject({
        ok: false,
        detail: 'HTTP 503: got http://127.0.0.1:1/v2',
      });
    } finally {
      await hook.close();
    }
  });

  it('fails an HTTP hook that does not answer within its timeout', async () => {
    const silent = await startUpstream(() => {});
    try {
      const r = await runHook({ url: silent.url, timeoutMs: 200 }, payload);
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/no answer from .* within 200 ms/);
    } finally {
      await silent.close();
    }
  });

  it('runs a command with the payload in its environment and on stdin; exit 0 passes', async () => {
    const out = join(dir, 'out.txt');
    const ok = await runHook(
      {
        command: `echo "$ONEBOX_COMPONENT $ONEBOX_TO_VERSION $ONEBOX_TARGET_URL" > ${out}; cat >> ${out}`,
        timeoutMs: 5000,
      },
      payload,
    );
    expect(ok.ok).toBe(true);
    const written = readFileSync(out, 'utf8').split('\n');
    expect(written[0]).toBe('web 2 http://127.0.0.1:1/v2');
    expect(JSON.parse(written[1]!)).toEqual(payload);
    const bad = await runHook({ command: 'echo smoke test failed >&2; exit 3', timeoutMs: 5000 }, payload);
    expect(bad).toEqual({ ok: false, detail: '"echo smoke test failed >&2; exit 3" exited 3: smoke test failed' });
  });

  it('kills a command (and its children) that outlives its timeout', async () => {
    const started = Date.now();
    const r = await runHook({ command: 'sleep 30 & sleep 30', timeoutMs: 300 }, payload);
    expect(r).toEqual({ ok: false, detail: '"sleep 30 & sleep 30" did not finish within 300 ms' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('hooks in a deployment', () => {
  const clock = new FakeClock();
  let onebox: TestOnebox;
  let ups: TestUpstream[];

  const start = async (hooks: Record<string, unknown>) => {
    ups = await Promise.all([startUpstream(labelled('v1')), startUpstream(labelled('v2'))]);
    onebox = await startTestOnebox(
      { components: [{ name: 'web', route: '/', deployment: { config: 'LambdaAllAtOnce', hooks } }] },
      { clock },
    );
    onebox.plane.publish('web', { url: ups[0]!.url });
    onebox.plane.publish('web', { url: ups[1]!.url });
    onebox.plane.setAlias('web', { version: 1 });
  };
  afterEach(async () => {
    await onebox.close();
    await Promise.all(ups.map((u) => u.close()));
  });

  it('shifts no traffic when beforeAllowTraffic fails, and says why', async () => {
    await start({ beforeAllowTraffic: { command: 'echo not ready; exit 1' } });
    const [d] = onebox.plane.release({ components: [{ component: 'web', version: 2 }] }, 'test');
    expect(d!.state.status).toBe('before-hook');
    expect(onebox.plane.alias('web')).toMatchObject({ version: 1, additional: undefined });
    await onebox.controller.settled();
    const after = onebox.plane.deployment(d!.id);
    expect(after.state.status).toBe('rolled-back');
    expect(after.state.reason).toBe('beforeAllowTraffic hook failed: "echo not ready; exit 1" exited 1: not ready');
    expect(after.events.map((e) => e.weightBp).every((w) => w === 0)).toBe(true);
  });

  it('rolls back after full traffic when afterAllowTraffic fails, and succeeds when it passes', async () => {
    await start({
      beforeAllowTraffic: { command: 'exit 0' },
      afterAllowTraffic: { command: 'test "$ONEBOX_TO_VERSION" = 3' },
    });
    const [d] = onebox.plane.release({ components: [{ component: 'web', version: 2 }] }, 'test');
    await onebox.controller.settled();
    await onebox.controller.settled();
    const failed = onebox.plane.deployment(d!.id);
    expect(failed.events.map((e) => e.type)).toEqual([
      'started',
      'before-hook',
      'before-hook-passed',
      'step',
      'after-hook',
      'rolled-back',
    ]);
    expect(failed.state.reason).toMatch(/^afterAllowTraffic hook failed/);
    expect(onebox.plane.alias('web')).toMatchObject({ version: 1, additional: undefined });

    onebox.plane.publish('web', { url: ups[1]!.url });
    const [again] = onebox.plane.release({ components: [{ component: 'web', version: 3 }] }, 'test');
    await onebox.controller.settled();
    await onebox.controller.settled();
    expect(onebox.plane.deployment(again!.id).state.status).toBe('succeeded');
    expect(onebox.plane.alias('web')).toMatchObject({ version: 3 });
  });
});
