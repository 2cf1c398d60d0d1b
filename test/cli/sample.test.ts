import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runCli, startServe } from '../helpers/cli.js';

describe('onebox serve --sample (the quick start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onebox-sample-'));
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  afterAll(() => {
    serve?.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts two versions, splits them 80/20 per user and proves it', async () => {
    serve = await startServe(['--sample', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'], { cwd: dir });
    await expect.poll(() => serve!.output(), { timeout: 20_000 }).toMatch(/Self-check: .*\n/);
    const line =
      /Self-check: 1000 new users, 5 requests each: ([\d.]+)% on v2, (\d+) users switched version, (\d+) broken pages/.exec(
        serve.output(),
      );
    expect(line).not.toBeNull();
    expect(Number(line![1])).toBeGreaterThan(16);
    expect(Number(line![1])).toBeLessThan(24);
    expect(line![2]).toBe('0');
    expect(line![3]).toBe('0');

    const res = await request(`${serve.gatewayUrl}/`);
    expect(String(res.headers['x-onebox-version'])).toMatch(/^web:[12]$/);
    await res.body.dump();
    // The CLI finds the sample's token in .onebox/ without being told.
    const status = await runCli(['status', '--admin-url', serve.adminUrl], { cwd: dir });
    expect(status.stdout).toContain('web (/)  live -> v1 80%, v2 20% (sticky)');
    // The dashboard, served by the built CLI from dist/ with its vendored chart module.
    const dashboard = /onebox dashboard (\S+)/.exec(serve.output())![1]!;
    expect(dashboard).toBe(`${serve.adminUrl}/`);
    for (const [path, type] of [
      ['', 'text/html'],
      ['assets/app.js', 'text/javascript'],
      ['assets/vendor/uplot.js', 'text/javascript'],
    ] as const) {
      const page = await request(`${dashboard}${path}`);
      expect(page.statusCode, path).toBe(200);
      expect(String(page.headers['content-type'])).toContain(type);
      await page.body.dump();
    }
  });
});
