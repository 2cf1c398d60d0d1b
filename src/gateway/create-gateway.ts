import type { OneboxConfig } from '../config/schema.js';
import { splitListen } from '../core/listen-address.js';
import type { FallbackCounter } from '../metrics/recorder.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import { configuredBrowserSignals } from './beacon.js';
import { GatewayWorkers } from './cluster/gateway-workers.js';
import type { RoutingState, WorkerReport } from './cluster/routing-state.js';
import { configuredGatewayOptions, Gateway } from './gateway.js';
import type { RoutingSnapshot } from './routing-snapshot.js';

export interface CreateGatewayOptions {
  readonly config: OneboxConfig;
  /** Gateway worker processes; 0 serves the gateway in this process. Default: config.gateway.workers. */
  readonly workers?: number;
  /** In this process: the routing snapshot, read once per request. */
  readonly snapshot: () => RoutingSnapshot;
  /** In workers: the routing state now, sent to each worker as it starts and on `routingChanged()`. */
  readonly routingState: () => RoutingState;
  /**
   * The key that signs page tokens (browser signals' attribution and skew protection's
   * pins), shared by every worker. The engine keeps it in the state file, so a page served
   * before a restart still reports and stays pinned after it.
   */
  readonly pageKey: Buffer;
  /** In this process: the time for beacon limits, ms (the engine's clock). Default Date.now. */
  readonly now?: () => number;
  /** In this process: where fallbacks are counted. */
  readonly metrics: FallbackCounter;
  /** In this process: runs handler versions (each worker has its own pool). */
  readonly handlers: HandlerPool;
  /** In workers: what a worker recorded since its last report (metrics, shadow reports). */
  readonly onReport: (report: WorkerReport) => void;
  /** How often each worker reports, ms. Default 100 (see GatewayWorkersOptions). */
  readonly reportMs?: number;
  /** Where workers' handler processes' output goes. Default: this process's. */
  readonly handlerOutput?: 'inherit' | 'ignore';
  /** A worker died and is being replaced. */
  readonly onWorkerExit?: (description: string) => void;
}

/** The local edge as the composition root runs it, in this process or in N workers alike. */
export interface RunningGateway {
  /** Serves on config.gateway.listen; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }>;
  /**
   * The routing changed: workers are sent the new state (in this process the next request
   * reads the snapshot); upgraded connections to versions no longer routed are closed.
   */
  routingChanged(): void;
  close(): Promise<void>;
  /** The worker processes, when the gateway runs in workers. */
  readonly workers: GatewayWorkers | undefined;
}

/** The gateway of `onebox serve`: in this process, or in `workers` processes sharing its port. */
export function createGateway(options: CreateGatewayOptions): RunningGateway {
  const { config } = options;
  const count = options.workers ?? config.gateway.workers;
  const browserKey = options.pageKey;
  if (count > 0) {
    const workers = new GatewayWorkers({
      count,
      config,
      state: options.routingState,
      onReport: options.onReport,
      reportMs: options.reportMs,
      handlerOutput: options.handlerOutput,
      onWorkerExit: options.onWorkerExit,
      browserKey,
    });
    return {
      workers,
      listen: () => workers.start(),
      routingChanged: () => workers.broadcast(options.routingState()),
      close: () => workers.stop(),
    };
  }
  const gateway = new Gateway({
    handlers: options.handlers,
    snapshot: options.snapshot,
    metrics: options.metrics,
    ...configuredGatewayOptions(config.gateway),
    browser: configuredBrowserSignals(config, browserKey, options.metrics, options.now),
  });
  const at = splitListen(config.gateway.listen);
  return {
    workers: undefined,
    listen: () => gateway.listen(at.port, at.host),
    routingChanged: () => gateway.routingChanged(),
    close: () => gateway.close(),
  };
}
