import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { Command } from 'commander';
import { NODE_RUNTIMES, runtimeMajor } from '../../src/core/index.js';
import { buildProgram } from '../../src/cli/program.js';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { labelled, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** Every leaf command's full name, as a user types it: `shadow start`, `status`. */
function leafCommands(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return c.commands.length ? leafCommands(c, `${name} `) : [name];
  });
}

/** The whole stdout is exactly one JSON document (a line of text before or after it fails). */
function oneDocument(r: CliResult, what: string): unknown {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what} --json printed more than one JSON document:\n${r.stdout}`);
  }
}

const ownMajor = Number(process.versions.node.split('.')[0]);
const otherRuntime = NODE_RUNTIMES.find((r) => runtimeMajor(r) !== ownMajor)!;

describe('every command takes --json and prints one JSON document on stdout', () => {
  let dir: string;
  let serve: ChildProcess;
  let started: { gateway: string; admin: string };
  let serveStderr = '';
  const ups: TestUpstream[] = [];
  /** Commands run so far, checked against the program's command list at the end. */
  const covered = new Set<string>();
  let admin: string[];

  const json = async (name: string, ...args: string[]): Promise<unknown> => {
    covered.add(name);
    // The simulator runs here, with no onebox to connect to.
    const connection = name === 'simulate' ? [] : admin;
    const r = await runCli([...name.split(' '), ...args, '--json', ...connection], { cwd: dir });
    return oneDocument(r, name);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-json-'));
    for (const label of ['v1', 'v2', 'v3']) ups.push(await startUpstream(labelled(label)));
    writeFileSync(join(dir, 'fn.mjs'), 'export const handler = async (event) => ({ hello: event.name ?? "world" });\n');
    writeFileSync(
      join(dir, 'onebox.yaml'),
      [
        `gateway: { listen: 127.0.0.1:0, testerSecret: ${'t'.repeat(32)} }`,
        'admin: { listen: 127.0.0.1:0 }',
        'components:',
        '  - { name: web, route: / }',
        // Seed 002's function name: Lambda's rule, both cases.
        '  - { name: TrafficShiftDemo, route: /shift }',
      ].join('\n'),
    );
    serve = spawn(process.execPath, [CLI, 'serve', '--json'], {
      cwd: dir,
      env: { ...process.env, ONEBOX_ADMIN_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serve.stderr!.on('data', (c: Buffer) => (serveStderr += c.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out);
      });
      serve.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${serveStderr}`)));
    });
    started = JSON.parse(firstLine) as typeof started;
    admin = ['--admin-url', started.admin];
    covered.add('serve');
  });

  afterAll(async () => {
    serve?.kill('SIGTERM');
    await Promise.all(ups.map((u) => u.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve --json: where it listens on stdout, the rest on stderr', async () => {
    expect(started).toMatchObject({ gateway: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), workers: 0 });
    await expect.poll(() => serveStderr).toContain('onebox gateway');
  });

  // About twenty CLI processes each: generous timeouts for a loaded 2-core machine.
  it('versions, aliases, deployments, shadows, logs and invoke', { timeout: 180_000 }, async () => {
    for (const u of ups) expect(await json('publish', 'web', '--url', u.url)).toMatchObject({ component: 'web' });
    expect(await json('alias', 'web', '--version', '1')).toMatchObject({ version: 1 });
    expect(await json('versions', 'web')).toMatchObject({ versions: [{ number: 1 }, { number: 2 }, { number: 3 }] });
    expect(await json('status')).toMatchObject({ components: expect.any(Array) });
    expect(await json('tester-token', 'web', '1')).toMatchObject({
      component: 'web',
      version: 1,
      token: expect.any(String),
    });

    expect(await json('deploy', 'web', '2', '--config', 'canary:10%:1h')).toMatchObject({ deployments: [{}] });
    expect(await json('pause', 'web')).toMatchObject({ state: { status: 'paused' } });
    expect(await json('resume', 'web')).toMatchObject({ state: { status: 'in-progress' } });
    expect(await json('promote', 'web')).toMatchObject({ state: { component: 'web' } });
    expect(await json('rollback', 'web')).toMatchObject({ state: { status: 'rolled-back' } });
    expect(await json('release', '--set', 'web=2', '--config', 'web=canary:10%:1h')).toMatchObject({
      release: expect.any(String),
    });
    expect(await json('stop', 'web')).toMatchObject({ state: { component: 'web' } });
    expect(await json('history', 'web')).toMatchObject({ releases: expect.any(Array) });

    expect(await json('shadow start', 'web', '3')).toMatchObject({ shadow: { version: 3 } });
    await request(`${started.gateway}/x`).then((r) => r.body.text());
    expect(await json('shadow report', 'web')).toMatchObject({ report: expect.any(Object) });
    expect(await json('shadow stop', 'web')).toBeDefined();
    expect(await json('logs', 'web')).toMatchObject({ logs: expect.any(Array) });
    expect(await json('retire', 'web', '3')).toMatchObject({ number: 3, retiredAt: expect.any(String) });
  });

  it(
    'walks seed 002 with its function name: publish twice, a weighted alias per request, delete, publish again',
    { timeout: 120_000 },
    async () => {
      const fn = join(dir, 'fn.mjs');
      const published = await runCli(
        ['publish', 'TrafficShiftDemo', '--handler', fn, '--runtime', otherRuntime, '--json', ...admin],
        { cwd: dir },
      );
      expect(oneDocument(published, 'publish')).toMatchObject({ component: 'TrafficShiftDemo', number: 1 });
      // Said on stderr, so that stdout keeps one document: this Node is not the declared runtime's.
      expect(published.stderr).toContain(
        `TrafficShiftDemo v1 declares ${otherRuntime} but runs here on Node ${process.version}`,
      );
      await json('publish', 'TrafficShiftDemo', '--handler', fn);
      await json('alias', 'TrafficShiftDemo', '--version', '1', '--weight', '2=0.3', '--routing', 'request');

      const listing = await runCli(['versions', 'TrafficShiftDemo', ...admin], { cwd: dir });
      expect(listing.stdout).toMatch(
        new RegExp(`1\\s+handler \\S+fn\\.mjs#handler, ${otherRuntime.replace('.', '\\.')}, timeout 3s\\s+live\\b`),
      );
      expect(listing.stdout).not.toContain('{');

      const invoked = (await json('invoke', 'TrafficShiftDemo', '--payload', writePayload(dir))) as Record<
        string,
        unknown
      >;
      expect(invoked).toMatchObject({ StatusCode: 200, Payload: { hello: 'seed' } });
      expect(['1', '2']).toContain(invoked.ExecutedVersion);

      await json('alias', 'TrafficShiftDemo', '--version', '1');
      expect(await json('delete-version', 'TrafficShiftDemo', '2')).toEqual({
        deleted: { component: 'TrafficShiftDemo', version: 2 },
      });
      // As Lambda: a deleted version's number is never given again.
      expect(await json('publish', 'TrafficShiftDemo', '--handler', fn)).toMatchObject({ number: 3 });
    },
  );

  it('simulate --json in each mode: the run, --replay and --list', { timeout: 60_000 }, async () => {
    const sim = ['--scenario', 'aa', '--gate', 'judge', '--routing', 'sticky', '--seed', '7'];
    expect(await json('simulate', ...sim, '--runs', '2', '--workers', '1')).toMatchObject({ seed: 7, releases: 2 });
    expect(await json('simulate', ...sim, '--replay', '1')).toMatchObject({
      releases: [{ seed: 7, run: 1, events: expect.any(Array), status: expect.any(String) }],
    });
    expect(await json('simulate', '--list')).toMatchObject({
      scenarios: expect.arrayContaining([expect.objectContaining({ name: 'aa' })]),
    });
  });

  it('status refuses --watch with --json, saying what to do instead', async () => {
    const r = await runCli(['status', '--watch', '--json', ...admin], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--watch redraws a screen/);
  });

  it('demo --json: the summary alone on stdout, the story on stderr', { timeout: 240_000 }, async () => {
    covered.add('demo');
    const r = await new Promise<CliResult>((resolve) => {
      const child = spawn(
        process.execPath,
        [CLI, 'demo', '--json', '--speed', '120', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
    expect(oneDocument(r, 'demo')).toMatchObject({ deployments: expect.any(Array), pages: expect.any(Object) });
    expect(r.stderr).toContain('1. Build.');
  });

  it('covers every command the program has', () => {
    expect([...covered].sort()).toEqual(
      leafCommands(buildProgram())
        .filter((c) => c !== 'help')
        .sort(),
    );
  });
});

function writePayload(dir: string): string {
  const file = join(dir, 'payload.json');
  writeFileSync(file, JSON.stringify({ name: 'seed' }));
  return file;
}
