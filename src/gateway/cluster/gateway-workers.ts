import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { OneboxConfig } from '../../config/schema.js';
import { builtScript } from '../../runtime/built-script.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { RoutingState, WorkerReport } from './routing-state.js';

export interface GatewayWorkersOptions {
  readonly count: number;
  readonly config: OneboxConfig;
  /** The routing state now; sent to each worker as it starts. */
  readonly state: () => RoutingState;
  readonly onReport: (report: WorkerReport) => void;
  /** How often each worker reports what it recorded, ms: alarms see its traffic at most this late. Default 100. */
  readonly reportMs?: number;
  /** Where handler processes' output goes. Default: this process's. */
  readonly handlerOutput?: 'inherit' | 'ignore';
  /** A running worker died; another takes its place. */
  readonly onWorkerExit?: (description: string) => void;
  /** The page tokens' key, shared by all workers (see PageTokens). */
  readonly browserKey: Buffer;
}

/** How long a stopping worker may take to finish before it is killed, ms. */
const STOP_GRACE_MS = 5000;

/**
 * The primary's side of `onebox serve --workers N`: N gateway processes sharing the
 * gateway's port (node:cluster hands them connections in turn). Each routes by the state
 * this process sends on every change and reports its metrics back; a worker that dies is
 * replaced, and one that cannot start fails the start.
 */
export class GatewayWorkers {
  /** Workers that were sent their start message (and so take routing messages). */
  private readonly workers = new Set<Worker>();
  private stopping = false;

  constructor(private readonly options: GatewayWorkersOptions) {}

  /** Starts every worker; resolves with the address they listen on. */
  async start(): Promise<{ host: string; port: number }> {
    cluster.setupPrimary({
      exec: builtScript('gateway/cluster/gateway-worker.js'),
      // Not this process's flags (a test runner's, a debugger's): a worker is a plain node.
      execArgv: ['--enable-source-maps'],
      serialization: 'advanced',
    });
    try {
      const addresses = await Promise.all(Array.from({ length: this.options.count }, () => this.fork()));
      return addresses[0]!;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  get size(): number {
    return this.workers.size;
  }

  /** The process ids of the running workers. */
  pids(): number[] {
    return [...this.workers].map((w) => w.process.pid!);
  }

  private fork(): Promise<{ host: string; port: number }> {
    const worker = cluster.fork();
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'report') this.options.onReport(m.report);
        else if (m.type === 'waiting') {
          this.workers.add(worker);
          this.send(worker, {
            type: 'start',
            config: this.options.config,
            state: this.options.state(),
            reportMs: this.options.reportMs ?? 100,
            handlerOutput: this.options.handlerOutput ?? 'inherit',
            browserKey: this.options.browserKey.toString('base64'),
          });
        } else if (m.type === 'ready') {
          listening = true;
          resolve({ host: m.host, port: m.port });
        } else reject(new Error(`a gateway worker could not start: ${m.message}`));
      });
      worker.on('exit', (code, signal) => {
        this.workers.delete(worker);
        if (!listening) {
          reject(new Error(`a gateway worker exited before listening (code ${code}, signal ${signal})`));
          return;
        }
        if (this.stopping) return;
        this.options.onWorkerExit?.(
          `gateway worker ${worker.process.pid} exited (code ${code}, signal ${signal}); starting another`,
        );
        this.fork().catch((err: Error) => this.options.onWorkerExit?.(err.message));
      });
    });
  }

  private send(worker: Worker, message: ToWorker): void {
    // A worker that just died has no channel; its replacement gets the state as it starts.
    if (worker.isConnected()) worker.send(message);
  }

  /** Sends the new routing state to every worker. */
  broadcast(state: RoutingState): void {
    for (const worker of this.workers) this.send(worker, { type: 'routing', state });
  }

  /** Each worker stops serving, sends its last report and exits. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers].map(async (worker) => {
        const exited = once(worker, 'exit');
        this.send(worker, { type: 'stop' });
        const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
