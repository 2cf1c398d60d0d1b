import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toApiGatewayV2Event, type ApiGatewayV2Event } from '../../src/runtime/apigw.js';
import {
  functionArn,
  HandlerPool,
  parseHandlerRef,
  snapshotHandler,
  type FunctionVersion,
  type Timers,
} from '../../src/runtime/index.js';

// Real child processes, forked from the built worker (dist/runtime/worker.js): `npm test` builds first.

let dir: string;
const pools: HandlerPool[] = [];

function pool(options: ConstructorParameters<typeof HandlerPool>[0] = {}): HandlerPool {
  const p = new HandlerPool({ output: 'ignore', ...options });
  pools.push(p);
  return p;
}

function write(rel: string, text: string): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A real 2.0 event, with extra fields the test handlers read. */
function httpEvent(extra: Record<string, unknown> = {}): ApiGatewayV2Event {
  const event = toApiGatewayV2Event({
    method: 'GET',
    rawPath: '/',
    rawQueryString: '',
    headers: [],
    sourceIp: '127.0.0.1',
    requestId: 'r',
    timeEpoch: Date.now(),
  });
  return { ...event, ...extra };
}

/** Timers whose idle stops the test fires itself; other timers are real. */
class ManualIdleTimers implements Timers {
  readonly pending = new Set<{ fn: () => void }>();
  constructor(private readonly idleMs: number) {}
  setTimeout(fn: () => void, ms: number): unknown {
    if (ms !== this.idleMs) return setTimeout(fn, ms);
    const h = { fn };
    this.pending.add(h);
    return h;
  }
  clearTimeout(h: unknown): void {
    if (this.pending.delete(h as { fn: () => void })) return;
    clearTimeout(h as NodeJS.Timeout);
  }
  fireIdle(): number {
    const all = [...this.pending];
    this.pending.clear();
    for (const h of all) h.fn();
    return all.length;
  }
}

let esm: string;
let cjs: string;
let crash: string;
let slow: string;
let throws: string;
let callback: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onebox-runtime-'));
  esm = write(
    'esm/app.mjs',
    `export const handler = async (event, context) => ({
       statusCode: 200,
       headers: { 'content-type': 'application/json' },
       cookies: ['a=1', 'b=2'],
       body: JSON.stringify({
         pid: process.pid,
         path: event.rawPath,
         functionName: context.functionName,
         functionVersion: context.functionVersion,
         invokedFunctionArn: context.invokedFunctionArn,
         awsRequestId: context.awsRequestId,
         memoryLimitInMB: context.memoryLimitInMB,
         remaining: context.getRemainingTimeInMillis(),
         env: process.env.AWS_LAMBDA_FUNCTION_NAME + ':' + process.env.AWS_LAMBDA_FUNCTION_VERSION + ':' + process.env.GREETING,
       }),
     });`,
  );
  cjs = write('cjs/app.cjs', `exports.main = async (event) => 'cjs says ' + event.name;`);
  crash = write(
    'crash.mjs',
    `export const handler = async (event) => { if (event.crash) process.exit(3); return { pid: process.pid }; };`,
  );
  slow = write(
    'slow.mjs',
    `export const handler = (event) => new Promise((r) => setTimeout(() => r({ pid: process.pid }), event.ms));`,
  );
  throws = write('throws.mjs', `export const handler = async () => { throw new TypeError('boom'); };`);
  callback = write(
    'callback.cjs',
    `exports.handler = (event, context, cb) => { setImmediate(() => cb(null, { got: event.n })); };`,
  );
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('handler refs and ARNs', () => {
  it('parses file#export with handler as the default', () => {
    expect(parseHandlerRef('/a/b.mjs#main')).toEqual({ file: '/a/b.mjs', exportName: 'main' });
    expect(parseHandlerRef('/a/b.mjs')).toEqual({ file: '/a/b.mjs', exportName: 'handler' });
    expect(parseHandlerRef('/a#b/c.mjs')).toEqual({ file: '/a#b/c.mjs', exportName: 'handler' });
    expect(functionArn('web', 'live')).toBe('arn:aws:lambda:local:000000000000:function:web:live');
  });
});

describe('HandlerPool', () => {
  it('starts a process on demand, flags the cold start, reuses it warm, and passes context', async () => {
    const p = pool();
    const fn: FunctionVersion = {
      functionName: 'web',
      version: 3,
      handler: esm,
      env: { GREETING: 'hi' },
      timeoutMs: 5000,
    };
    const event = toApiGatewayV2Event({
      method: 'GET',
      rawPath: '/hello',
      rawQueryString: '',
      headers: ['host', 'localhost'],
      sourceIp: '127.0.0.1',
      requestId: 'req-1',
      timeEpoch: Date.now(),
    });
    const first = await p.invokeHttp(fn, event);
    const second = await p.invokeHttp(fn, event, { qualifier: '3', requestId: 'req-2' });
    expect(first.outcome).toBe('success');
    expect(first.coldStart).toBe(true);
    expect(second.coldStart).toBe(false);
    expect(second.pid).toBe(first.pid);
    expect(first.executedVersion).toBe('3');
    const body = JSON.parse(first.response.body.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({
      pid: first.pid,
      path: '/hello',
      functionName: 'web',
      functionVersion: '3',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:web:live',
      awsRequestId: 'req-1',
      memoryLimitInMB: '128',
      env: 'web:3:hi',
    });
    expect(body.remaining).toBeGreaterThan(4000);
    expect(body.remaining).toBeLessThanOrEqual(5000);
    expect(first.response.statusCode).toBe(200);
    expect(first.response.headers.filter((_, i, h) => i % 2 === 1 && h[i - 1] === 'set-cookie')).toEqual([
      'a=1',
      'b=2',
    ]);
    expect(JSON.parse(second.response.body.toString())).toMatchObject({
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:web:3',
      awsRequestId: 'req-2',
    });
    expect(p.instances()).toMatchObject([
      { functionName: 'web', version: '3', pid: first.pid, state: 'ready', invocations: 2 },
    ]);
  });

  it('runs CommonJS modules with a named export and callback-style handlers; each version has its own process', async () => {
    const p = pool();
    const a = await p.invoke({ functionName: 'api', version: 1, handler: `${cjs}#main` }, { name: 'x' });
    expect(a).toMatchObject({ outcome: 'success', payload: 'cjs says x' });
    const b = await p.invoke({ functionName: 'api', version: 2, handler: callback }, { n: 7 });
    expect(b).toMatchObject({ outcome: 'success', payload: { got: 7 }, coldStart: true });
    expect(b.pid).not.toBe(a.pid);
    expect(p.instances()).toHaveLength(2);
  });

  it('answers 502 for a crash, and the next invocation starts a fresh process', async () => {
    const events: string[] = [];
    const p = pool({ onLifecycle: (e) => events.push(`${e.type}:${e.reason}`) });
    const fn: FunctionVersion = { functionName: 'api', version: 1, handler: crash };
    const warm = await p.invoke(fn, {});
    const crashed = await p.invokeHttp(fn, httpEvent({ crash: true }));
    expect(crashed.outcome).toBe('crash');
    expect(crashed.pid).toBe(warm.pid);
    expect(crashed.response.statusCode).toBe(502);
    expect(crashed.error?.errorMessage).toContain('code 3');
    const next = await p.invoke(fn, {});
    expect(next).toMatchObject({ outcome: 'success', coldStart: true });
    expect(next.pid).not.toBe(warm.pid);
    expect(events).toEqual(['start:invocation', 'exit:3', 'start:invocation']);
  });

  it('ends a slow invocation with 504, kills its process, and replaces it', async () => {
    const p = pool();
    const fn: FunctionVersion = { functionName: 'api', version: 1, handler: slow, timeoutMs: 300 };
    const warm = await p.invoke(fn, { ms: 1 });
    const started = Date.now();
    const late = await p.invokeHttp(fn, httpEvent({ ms: 10_000 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(late.outcome).toBe('timeout');
    expect(late.response.statusCode).toBe(504);
    expect(late.error?.errorMessage).toBe('Task timed out after 300 ms');
    await until(() => !alive(warm.pid));
    const next = await p.invoke(fn, { ms: 1 });
    expect(next).toMatchObject({ outcome: 'success', coldStart: true });
    expect(next.pid).not.toBe(warm.pid);
  });

  it('serves concurrent invocations of one version in one process; both wait for the cold start', async () => {
    const p = pool();
    const fn: FunctionVersion = { functionName: 'api', version: 1, handler: slow };
    const [a, b] = await Promise.all([p.invoke(fn, { ms: 50 }), p.invoke(fn, { ms: 50 })]);
    expect(a).toMatchObject({ outcome: 'success', coldStart: true });
    expect(b).toMatchObject({ outcome: 'success', coldStart: true });
    expect(b.pid).toBe(a.pid);
    expect(p.instances()).toMatchObject([{ active: 0, invocations: 2 }]);
  });

  it('answers 500 for a handler error and keeps the process', async () => {
    const p = pool();
    const fn: FunctionVersion = { functionName: 'api', version: 1, handler: throws };
    const a = await p.invokeHttp(fn, httpEvent());
    expect(a.outcome).toBe('function-error');
    expect(a.error).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    expect(a.response.statusCode).toBe(500);
    expect(JSON.parse(a.response.body.toString())).toEqual({ message: 'Internal Server Error' });
    const b = await p.invoke(fn, {});
    expect(b.pid).toBe(a.pid);
    expect(b.coldStart).toBe(false);
  });

  it('answers 502 when the module has no such export or does not exist', async () => {
    const p = pool();
    const missing = await p.invokeHttp({ functionName: 'api', version: 1, handler: `${esm}#nope` }, httpEvent());
    expect(missing.outcome).toBe('init-error');
    expect(missing.error?.errorType).toBe('Runtime.HandlerNotFound');
    expect(missing.response.statusCode).toBe(502);
    const gone = await p.invoke({ functionName: 'api', version: 2, handler: join(dir, 'nothing.mjs') }, {});
    expect(gone.outcome).toBe('init-error');
    expect(p.instances()).toEqual([]);
  });

  it('stops a process after its idle timeout', async () => {
    const timers = new ManualIdleTimers(60_000);
    const events: string[] = [];
    const p = pool({ idleTimeoutMs: 60_000, timers, onLifecycle: (e) => events.push(`${e.type}:${e.reason}`) });
    const fn: FunctionVersion = { functionName: 'api', version: 1, handler: slow };
    const a = await p.invoke(fn, { ms: 1 });
    expect(timers.pending.size).toBe(1);
    // Busy again: the idle timer is cancelled and re-armed after.
    const b = await p.invoke(fn, { ms: 1 });
    expect(b.pid).toBe(a.pid);
    expect(timers.pending.size).toBe(1);
    expect(timers.fireIdle()).toBe(1);
    expect(p.instances()).toEqual([]);
    await until(() => !alive(a.pid));
    expect(events).toEqual(['start:invocation', 'stop:idle', 'exit:SIGTERM']);
    const c = await p.invoke(fn, { ms: 1 });
    expect(c.coldStart).toBe(true);
    expect(c.pid).not.toBe(a.pid);
  });

  it('stops idle processes with real timers too', async () => {
    const p = pool({ idleTimeoutMs: 100 });
    const a = await p.invoke({ functionName: 'api', version: 1, handler: slow }, { ms: 1 });
    await until(() => p.instances().length === 0 && !alive(a.pid));
  });

  it('close() ends every process', async () => {
    const p = pool();
    const a = await p.invoke({ functionName: 'api', version: 1, handler: slow }, { ms: 1 });
    await p.close();
    expect(alive(a.pid)).toBe(false);
    expect((await p.invoke({ functionName: 'api', version: 1, handler: slow }, { ms: 1 })).outcome).toBe('crash');
  });
});

describe('snapshotHandler', () => {
  it('keeps a published version answering the old way after its source changes', async () => {
    const src = write('site/index.mjs', `import { word } from './lib.mjs'; export const handler = async () => word;`);
    write('site/lib.mjs', `export const word = 'old';`);
    const v1 = snapshotHandler(join(dir, 'site'), join(dir, 'state/web/1'));
    expect(v1.file).toBe(join(dir, 'state/web/1/index.mjs'));
    expect(v1.exportName).toBe('handler');
    write('site/lib.mjs', `export const word = 'new';`);
    writeFileSync(src, readFileSync(src, 'utf8'));
    const v2 = snapshotHandler(join(dir, 'site'), join(dir, 'state/web/2'));
    expect(v2.sha256).not.toBe(v1.sha256);

    const p = pool();
    const r1 = await p.invokeHttp({ functionName: 'web', version: 1, handler: v1.handler }, httpEvent());
    const r2 = await p.invokeHttp({ functionName: 'web', version: 2, handler: v2.handler }, httpEvent());
    expect(r1.response.body.toString()).toBe('old');
    expect(r2.response.body.toString()).toBe('new');
    // The fingerprint is of the content: a copy of the snapshot has the same one.
    expect(snapshotHandler(join(dir, 'state/web/1'), join(dir, 'copy')).sha256).toBe(v1.sha256);
  });

  it('copies a single file with its module type and export name, and never overwrites a snapshot', async () => {
    const file = write(
      'bundle/pkg/handler.js',
      `export async function serve() { return { statusCode: 418, body: 'teapot' }; }`,
    );
    write('bundle/pkg/package.json', JSON.stringify({ type: 'module' }));
    const snap = snapshotHandler(`${file}#serve`, join(dir, 'state/api/1'));
    expect(snap.handler).toBe(`${join(dir, 'state/api/1/handler.js')}#serve`);
    expect(JSON.parse(readFileSync(join(dir, 'state/api/1/package.json'), 'utf8'))).toEqual({ type: 'module' });
    writeFileSync(file, `export async function serve() { return 'changed'; }`);
    const p = pool();
    const r = await p.invokeHttp({ functionName: 'api', version: 1, handler: snap.handler }, httpEvent());
    expect(r.response.statusCode).toBe(418);
    expect(() => snapshotHandler(file, join(dir, 'state/api/1'))).toThrow(/already has content/);
    expect(() => snapshotHandler(join(dir, 'missing.mjs'), join(dir, 'state/api/9'))).toThrow(/does not exist/);
  });
});
