import { randomUUID } from 'node:crypto';
import type { ApiGatewayV2Event } from './apigw.js';
import type { ResultOptions } from './apigw-result.js';
import { builtScript } from './built-script.js';
import { functionArn, type FunctionVersion } from './function-version.js';
import { forkHandlerProcess, Instance, type InstanceInfo, type LifecycleEvent } from './instance.js';
import {
  httpResponseOf,
  type HttpInvocationResult,
  type InvocationOutcome,
  type InvocationResult,
  type InvokeOptions,
} from './invocation.js';
import type { HandlerErrorData, ParentMessage, WorkerMessage } from './protocol.js';
import { LAMBDA_RESPONSE_LIMIT, responseBytesNearLimit, responseTooLargeError } from './lambda-limits.js';
import { globalTimers, type Timers } from './timers.js';
import { NodeRuntimes } from './node-runtimes.js';

export interface HandlerPoolOptions {
  /** A process with nothing to do for this long is stopped. Default 300000 (5 minutes). */
  readonly idleTimeoutMs?: number;
  /** Time allowed for loading the module. Default 10000 (Lambda's init limit). */
  readonly initTimeoutMs?: number;
  /** Timers for timeouts and idle stops (tests may inject their own). Default: the global ones. */
  readonly timers?: Timers;
  /** The worker script. Default: worker.js beside this module (from sources: dist/runtime/worker.js). */
  readonly workerPath?: string;
  /** The handlers' stdout and stderr. Default `inherit`. */
  readonly output?: 'inherit' | 'ignore';
  /** Region and account in invokedFunctionArn. Default `local`, `000000000000`. */
  readonly region?: string;
  readonly accountId?: string;
  readonly onLifecycle?: (event: LifecycleEvent) => void;
  /** The Node binary for each declared runtime. Default: onebox's own Node for all (mismatches said). */
  readonly runtimes?: NodeRuntimes;
}

/**
 * Runs handler versions, each in its own child process: started on the first invocation,
 * reused while warm, stopped after `idleTimeoutMs` without work. A timeout kills the
 * process; a crash ends it; either way the next invocation starts a fresh one. Concurrent
 * invocations of one version share its process (a Node.js event loop serves them all).
 */
export class HandlerPool {
  private readonly live = new Map<string, Instance>();
  private readonly all = new Set<Instance>();
  private readonly timers: Timers;
  private readonly idleTimeoutMs: number;
  private readonly initTimeoutMs: number;
  private readonly workerPath: string;
  private readonly runtimes: NodeRuntimes;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: HandlerPoolOptions = {}) {
    this.timers = options.timers ?? globalTimers;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
    this.initTimeoutMs = options.initTimeoutMs ?? 10_000;
    this.workerPath = options.workerPath ?? builtScript('runtime/worker.js');
    this.runtimes = options.runtimes ?? new NodeRuntimes();
  }

  /** Invokes a version with any event, as `aws lambda invoke` does. Never rejects. */
  invoke(fn: FunctionVersion, event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    const started = performance.now();
    const requestId = options.requestId ?? randomUUID();
    const executedVersion = String(fn.version);
    if (this.closed) {
      return Promise.resolve({
        outcome: 'crash',
        error: { errorType: 'Runtime.PoolClosed', errorMessage: 'the handler pool is closed' },
        coldStart: false,
        pid: undefined,
        requestId,
        executedVersion,
        durationMs: 0,
      });
    }
    const key = `${fn.functionName}:${executedVersion}`;
    let inst = this.live.get(key);
    if (!inst || inst.state === 'dead') inst = this.start(key, fn);
    const coldStart = inst.state === 'starting';
    const instance = inst;
    instance.active++;
    instance.invocations++;
    if (instance.idleTimer !== undefined) {
      this.timers.clearTimeout(instance.idleTimer);
      instance.idleTimer = undefined;
    }

    return new Promise<InvocationResult>((resolveResult) => {
      let done = false;
      let timer: unknown;
      const finish = (
        outcome: InvocationOutcome,
        extra: { payload?: unknown; error?: HandlerErrorData } = {},
      ): void => {
        if (done) return;
        done = true;
        if (timer !== undefined) this.timers.clearTimeout(timer);
        instance.active--;
        resolveResult({
          outcome,
          ...extra,
          coldStart,
          pid: instance.child.pid,
          requestId,
          executedVersion,
          durationMs: performance.now() - started,
        });
        this.afterInvocation(instance);
      };

      void instance.ready.then((init) => {
        if (init.type !== 'ready') {
          finish(init.type === 'exit' ? 'crash' : 'init-error', { error: init.error });
          return;
        }
        if (instance.state === 'dead') {
          finish('crash', { error: { errorType: 'Runtime.ExitError', errorMessage: 'the handler process ended' } });
          return;
        }
        const id = this.nextId++;
        const timeoutMs = fn.timeoutMs ?? 3000;
        instance.inflight.set(id, (m) => {
          instance.inflight.delete(id);
          if (m.type === 'result') {
            const size = responseBytesNearLimit(m.payload);
            if (size !== undefined && size > LAMBDA_RESPONSE_LIMIT) {
              finish('function-error', { error: responseTooLargeError(size) });
              return;
            }
            let payload: unknown;
            try {
              payload = JSON.parse(m.payload) as unknown;
            } catch {
              payload = m.payload;
            }
            finish('success', { payload });
          } else if (m.type === 'error' || m.type === 'exit') {
            finish(m.type === 'error' ? 'function-error' : 'crash', { error: m.error });
          }
        });
        timer = this.timers.setTimeout(() => {
          instance.inflight.delete(id);
          finish('timeout', {
            error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeoutMs} ms` },
          });
          this.stop(instance, 'timeout', 'SIGKILL');
        }, timeoutMs);
        const message: ParentMessage = {
          type: 'invoke',
          id,
          event,
          context: {
            functionName: fn.functionName,
            functionVersion: executedVersion,
            invokedFunctionArn: functionArn(fn.functionName, options.qualifier ?? 'live', this.options),
            awsRequestId: requestId,
            memoryLimitInMB: String(fn.memoryLimitInMB ?? 128),
            deadline: Date.now() + timeoutMs,
          },
        };
        try {
          instance.child.send(message, (err) => {
            if (err)
              instance.inflight.get(id)?.({
                type: 'exit',
                error: { errorType: 'Runtime.ExitError', errorMessage: err.message },
              });
          });
        } catch (err) {
          instance.inflight.get(id)?.({
            type: 'exit',
            error: { errorType: 'Runtime.ExitError', errorMessage: (err as Error).message },
          });
        }
      });
    });
  }

  /** Invokes a version with an HTTP API 2.0 event and maps the outcome to an HTTP response. */
  async invokeHttp(
    fn: FunctionVersion,
    event: ApiGatewayV2Event,
    options: InvokeOptions & ResultOptions = {},
  ): Promise<HttpInvocationResult> {
    const result = await this.invoke(fn, event, {
      ...options,
      requestId: options.requestId ?? event.requestContext.requestId,
    });
    return { ...result, response: httpResponseOf(result, options) };
  }

  /** The running processes. */
  instances(): InstanceInfo[] {
    return [...this.live.values()]
      .filter((i) => i.state !== 'dead')
      .map((i) => ({
        functionName: i.fn.functionName,
        version: String(i.fn.version),
        pid: i.child.pid,
        state: i.state as 'starting' | 'ready',
        active: i.active,
        invocations: i.invocations,
      }));
  }

  /** Stops a version's process, if one runs (e.g. when the version is retired). */
  async stopVersion(functionName: string, version: number | string): Promise<void> {
    const inst = this.live.get(`${functionName}:${version}`);
    if (!inst) return;
    this.stop(inst, 'close', 'SIGTERM');
    await inst.exitedPromise;
  }

  /** Stops every process and refuses new invocations. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.all];
    for (const inst of all) this.stop(inst, 'close', 'SIGTERM');
    await Promise.all(all.map((i) => i.exitedPromise));
  }

  private start(key: string, fn: FunctionVersion): Instance {
    const child = forkHandlerProcess(this.workerPath, fn, {
      execPath: this.runtimes.choose(fn.runtime).execPath,
      region: this.options.region ?? 'local',
      output: this.options.output ?? 'inherit',
    });
    const inst = new Instance(key, fn, child);
    this.live.set(key, inst);
    this.all.add(inst);
    this.emit('start', inst, 'invocation');

    const initTimer = this.timers.setTimeout(() => {
      if (inst.state !== 'starting') return;
      inst.settleInit({
        type: 'init-error',
        error: {
          errorType: 'Runtime.InitTimeout',
          errorMessage: `init did not finish within ${this.initTimeoutMs} ms`,
        },
      });
      this.stop(inst, 'init-error', 'SIGKILL');
    }, this.initTimeoutMs);

    child.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'ready':
          this.timers.clearTimeout(initTimer);
          if (inst.state === 'starting') inst.state = 'ready';
          inst.settleInit({ type: 'ready' });
          return;
        case 'init-error':
          this.timers.clearTimeout(initTimer);
          inst.settleInit(m);
          this.stop(inst, 'init-error', 'SIGKILL');
          return;
        case 'result':
        case 'error':
          inst.inflight.get(m.id)?.(m);
          return;
      }
    });
    child.on('error', () => {
      // Spawn or IPC failure: 'exit' follows (or the process never ran); handled there.
    });
    child.once('exit', (code, signal) => {
      this.timers.clearTimeout(initTimer);
      if (inst.idleTimer !== undefined) this.timers.clearTimeout(inst.idleTimer);
      inst.exited = true;
      const reason = signal ?? String(code);
      const error: HandlerErrorData = {
        errorType: 'Runtime.ExitError',
        errorMessage: `the handler process exited (${signal ? `signal ${signal}` : `code ${code}`})`,
      };
      this.retire(inst);
      inst.settleInit({ type: 'exit', error });
      for (const settle of [...inst.inflight.values()]) settle({ type: 'exit', error });
      inst.inflight.clear();
      this.all.delete(inst);
      this.emit('exit', inst, reason);
    });
    return inst;
  }

  private afterInvocation(inst: Instance): void {
    if (inst.active > 0 || inst.state !== 'ready' || this.closed) return;
    inst.idleTimer = this.timers.setTimeout(() => {
      inst.idleTimer = undefined;
      if (inst.active === 0) this.stop(inst, 'idle', 'SIGTERM');
    }, this.idleTimeoutMs);
  }

  /** Takes the instance out of service at once; the process ends shortly after. */
  private stop(inst: Instance, reason: string, signal: NodeJS.Signals): void {
    const wasAlive = inst.state !== 'dead';
    this.retire(inst);
    if (inst.idleTimer !== undefined) {
      this.timers.clearTimeout(inst.idleTimer);
      inst.idleTimer = undefined;
    }
    if (wasAlive) this.emit('stop', inst, reason);
    if (!inst.exited) inst.child.kill(signal);
  }

  private retire(inst: Instance): void {
    inst.state = 'dead';
    if (this.live.get(inst.key) === inst) this.live.delete(inst.key);
  }

  private emit(type: LifecycleEvent['type'], inst: Instance, reason: string): void {
    this.options.onLifecycle?.({
      type,
      functionName: inst.fn.functionName,
      version: String(inst.fn.version),
      pid: inst.child.pid,
      reason,
    });
  }
}
