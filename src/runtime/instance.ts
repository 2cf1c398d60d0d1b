import { fork, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { parseHandlerRef, type FunctionVersion } from './function-version.js';
import type { HandlerErrorData, WorkerMessage } from './protocol.js';

export interface InstanceInfo {
  readonly functionName: string;
  readonly version: string;
  readonly pid: number | undefined;
  readonly state: 'starting' | 'ready';
  /** Invocations waiting for or running in this process. */
  readonly active: number;
  /** Invocations this process has been given. */
  readonly invocations: number;
}

export interface LifecycleEvent {
  readonly type: 'start' | 'stop' | 'exit';
  readonly functionName: string;
  readonly version: string;
  readonly pid: number | undefined;
  /** stop: idle | timeout | init-error | close; exit: the exit code or signal. */
  readonly reason: string;
}

/** How a process's start ended. */
export type InitResult =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: HandlerErrorData }
  | { readonly type: 'exit'; readonly error: HandlerErrorData };

/** Ends one invocation waiting for its process's answer. */
export type Settle = (message: WorkerMessage | { type: 'exit'; error: HandlerErrorData }) => void;

/** One process hosting one version. */
export class Instance {
  state: 'starting' | 'ready' | 'dead' = 'starting';
  active = 0;
  invocations = 0;
  idleTimer: unknown;
  readonly inflight = new Map<number, Settle>();
  readonly ready: Promise<InitResult>;
  private resolveReady!: (r: InitResult) => void;
  exited = false;
  readonly exitedPromise: Promise<void>;

  constructor(
    readonly key: string,
    readonly fn: FunctionVersion,
    readonly child: ChildProcess,
  ) {
    this.ready = new Promise((r) => (this.resolveReady = r));
    this.exitedPromise = new Promise((r) => child.once('exit', () => r()));
  }

  settleInit(r: InitResult): void {
    this.resolveReady(r);
  }
}

/**
 * Starts the process that hosts `fn`: the worker script loads its module, with the
 * Lambda-style environment (and nothing of this process's but PATH) and V8's heap limited
 * to the version's memory.
 */
export function forkHandlerProcess(
  workerPath: string,
  fn: FunctionVersion,
  where: { readonly execPath: string; readonly region: string; readonly output: 'inherit' | 'ignore' },
): ChildProcess {
  const { file, exportName } = parseHandlerRef(fn.handler);
  const abs = resolve(file);
  const memory = fn.memoryLimitInMB ?? 128;
  const { execPath, region, output } = where;
  return fork(workerPath, [abs, exportName], {
    execPath,
    cwd: dirname(abs),
    execArgv: [`--max-old-space-size=${memory}`, '--enable-source-maps'],
    stdio: ['ignore', output, output, 'ipc'],
    serialization: 'json',
    env: {
      PATH: process.env.PATH ?? '',
      TZ: 'UTC',
      LANG: 'en_US.UTF-8',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // Lambda's own value names the runtime (AWS_Lambda_nodejs24.x); SDKs read it.
      AWS_EXECUTION_ENV: fn.runtime ? `AWS_Lambda_${fn.runtime}` : 'onebox',
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: String(fn.version),
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory),
      LAMBDA_TASK_ROOT: dirname(abs),
      ...fn.env,
    },
  });
}
