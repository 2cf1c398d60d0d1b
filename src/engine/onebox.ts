import { join } from 'node:path';
import { systemClock, type Clock, type Version } from '../core/index.js';
import type { OneboxConfig } from '../config/schema.js';
import { AdminServer } from '../admin/admin-server.js';
import { createGateway } from '../gateway/create-gateway.js';
import type { GatewayWorkers } from '../gateway/cluster/gateway-workers.js';
import { routingStateOf } from '../gateway/cluster/routing-state.js';
import { UpstreamPools } from '../gateway/upstream-pools.js';
import { splitListen, urlOf } from '../core/listen-address.js';
import { close, listen } from '../gateway/listen.js';
import { buildSnapshot, rebuildComponent, type RoutingSnapshot } from '../gateway/routing-snapshot.js';
import type { GatewayLogEntry } from '../api/types.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import type { MetricsMark } from '../metrics/version-metrics.js';
import { RecorderPorts } from '../metrics/windows.js';
import { prometheusRegistry } from '../metrics/prometheus.js';
import { openDatabase } from '../store/database.js';
import { PAGE_KEY, storedSecret } from '../store/secrets.js';
import { StateStore } from '../store/state-store.js';
import { resolveAdminTokens } from './admin-token.js';
import { LiveFeed } from './live-feed.js';
import { LocalControlPlane } from './control-plane.js';
import { AliasesService } from './services/aliases.js';
import { InvokeService } from './services/invoke.js';
import { ReleasesService } from './services/releases.js';
import { StatusService } from './services/status.js';
import { VersionsService } from './services/versions.js';
import { Controller, type ControllerDeps } from '../controller/controller.js';
import { runHook, type HookRunner } from '../controller/hook-runner.js';
import { DeploymentStore } from '../store/deployment-store.js';
import { EventConsumer } from '../events/consumer.js';
import { HandlerPool } from '../runtime/handler-pool.js';
import { nodeRuntimesOf } from '../gateway/node-runtimes-of.js';
import { ShadowStore } from '../store/shadow-store.js';
import { Shadows } from './shadows.js';

export interface RunningOnebox {
  readonly gatewayUrl: string;
  readonly adminUrl: string;
  readonly adminToken: string;
  readonly plane: LocalControlPlane;
  readonly controller: Controller<MetricsMark>;
  /** The running shadows (their mirrors and reports). */
  readonly shadows: Shadows;
  readonly metrics: MetricsRecorder;
  /** What the dashboard's event stream sends. */
  readonly feed: LiveFeed;
  /** The gateway's worker processes, when it runs in workers. */
  readonly workers: GatewayWorkers | undefined;
  /** A component consumed from a queue: each record processed by its user's version (src/events). */
  consumer(component: string): EventConsumer;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  /** Folder of the generated admin token file. Default: config.state.dir. */
  readonly tokenDir?: string;
  /** Tests drive `controller.tick()` themselves instead of the interval timer. */
  readonly manualTicks?: boolean;
  readonly runHook?: HookRunner;
  readonly onEvent?: ControllerDeps<unknown>['onEvent'];
  readonly onError?: ControllerDeps<unknown>['onError'];
  readonly onRecover?: ControllerDeps<unknown>['onRecover'];
  /** A running shadow's report could not be saved (kept in memory, tried again later). */
  readonly onShadowError?: (err: Error) => void;
  /** Where handler processes' stdout/stderr go. Default: this process's. */
  readonly handlerOutput?: 'inherit' | 'ignore';
  /** How often the dashboard's live charts get a point, ms. Default 1000. */
  readonly feedIntervalMs?: number;
  /** Gateway worker processes; 0 serves the gateway in this process. Default: config.gateway.workers. */
  readonly workers?: number;
  /** How often each gateway worker reports its metrics, ms. Default 100. */
  readonly workerReportMs?: number;
  /** A gateway worker died and is being replaced. */
  readonly onWorkerExit?: (description: string) => void;
  /**
   * The gateway gave or replaced an answer for a version (a handler error, a module that did
   * not load, an upstream failure...), with why: `onebox serve` prints these.
   */
  readonly onGatewayLog?: (entry: GatewayLogEntry) => void;
}

/** Starts the whole local engine in this process: state, gateway and admin API. */
export async function startOnebox(config: OneboxConfig, options: StartOptions = {}): Promise<RunningOnebox> {
  const clock = options.clock ?? systemClock;
  const adminAt = splitListen(config.admin.listen);
  const adminTokens = resolveAdminTokens(config.admin, adminAt.host, options.tokenDir ?? config.state.dir);
  const db = openDatabase(join(config.state.dir, 'state.db'));
  const store = new StateStore(db, clock);
  store.ensureComponents(config.components.map((c) => c.name));
  const metrics = new MetricsRecorder({ onLog: options.onGatewayLog });

  const pools = new UpstreamPools(config.gateway);
  const runtimes = nodeRuntimesOf(config);
  const handlers = new HandlerPool({ output: options.handlerOutput ?? 'inherit', runtimes });

  let snapshot: RoutingSnapshot | undefined;
  const shadows = new Shadows(new ShadowStore(db), store, clock, (c) => rebuild(c), options.onShadowError);
  const componentsByName = new Map(config.components.map((c) => [c.name, c]));
  const version = (c: string, n: number): Version | undefined => store.findVersion(c, n);
  const gateway = createGateway({
    config,
    // A fixed key from the config (several gateways reading each other's pages), else this state file's own.
    pageKey: config.gateway.pageKey ? Buffer.from(config.gateway.pageKey) : storedSecret(db, PAGE_KEY),
    now: () => clock.now(),
    workers: options.workers,
    snapshot: () => snapshot!,
    // The primary's snapshot decides which versions pages stay pinned to; workers follow it.
    routingState: () =>
      routingStateOf(
        store.aliasRoutings(),
        version,
        shadows.runtimes,
        (c) => snapshot?.components.get(c)?.live?.retained.keys() ?? [],
      ),
    metrics,
    handlers,
    onReport: (report) => {
      if (report.metrics) metrics.absorb(report.metrics);
      for (const shadow of report.shadows) shadows.absorb(shadow);
    },
    reportMs: options.workerReportMs,
    handlerOutput: options.handlerOutput,
    onWorkerExit: options.onWorkerExit,
  });
  const routeSources = { version, dispatcherFor: pools.dispatcherFor, metrics, shadows: shadows.runtimes };
  /** `changed`: the one component whose routing changed (only its entry is rebuilt); else all. */
  const rebuild = (changed?: string): void => {
    const component = changed === undefined ? undefined : componentsByName.get(changed);
    // Built with workers too: it keeps a metrics entry for every routed version, which the
    // workers' reports add to.
    snapshot =
      snapshot && component
        ? rebuildComponent(snapshot, routeSources, component, store.getAlias(component.name))
        : buildSnapshot({ ...routeSources, components: config.components, aliases: store.aliasRoutings() }, snapshot);
    gateway.routingChanged();
  };
  // Every state change rebuilds the gateway's routing snapshot before the call returns.
  rebuild();
  const deployments = new DeploymentStore(db, store);
  const feed: LiveFeed = new LiveFeed({
    metrics,
    // Called only once the admin server runs, after `plane` exists.
    status: () => plane.status(),
    // Wall time even under a test's clock: the charts show real traffic per real second.
    clock: systemClock,
  });
  const recorderPorts = new RecorderPorts(metrics);
  const controller = new Controller<MetricsMark>({
    deployments,
    versions: store,
    metrics: recorderPorts,
    exposure: recorderPorts,
    clock,
    onAliasChange: rebuild,
    runHook: options.runHook ?? runHook,
    onEvent: (e) => {
      options.onEvent?.(e);
      feed.deploymentEvent(e);
    },
    onError: options.onError,
    onRecover: options.onRecover,
  });
  const plane = new LocalControlPlane({
    versions: new VersionsService({
      store,
      stateDir: config.state.dir,
      forgetMetrics: (c, n) => metrics.forget(c, n),
      onChange: rebuild,
      runtimes,
    }),
    aliases: new AliasesService({ store, deployments, onChange: rebuild }),
    releases: new ReleasesService({ config, controller, deployments, store, shadows }),
    invoke: new InvokeService({ store, handlers, draw: Math.random }),
    status: new StatusService({
      components: config.components,
      store,
      deployments,
      controller,
      metrics,
      shadows,
      clock,
    }),
    shadows,
    metrics,
  });

  const prometheus = prometheusRegistry(metrics, () => store.aliasRoutings());
  const admin = new AdminServer({
    plane,
    tokens: adminTokens,
    prometheus: async () => ({ contentType: prometheus.contentType, text: await prometheus.metrics() }),
    feed,
  });
  let g: { port: number; host: string };
  try {
    g = await gateway.listen();
  } catch (err) {
    shadows.close();
    await Promise.all([pools.destroy(), handlers.close()]);
    db.close();
    throw err;
  }
  let a: { port: number; host: string };
  try {
    a = await listen(admin.server, adminAt.port, adminAt.host);
  } catch (err) {
    await gateway.close();
    db.close();
    throw err;
  }

  feed.start(options.feedIntervalMs ?? 1000);
  if (options.manualTicks) controller.resume();
  else controller.start(config.controller.interval);

  return {
    controller,
    gatewayUrl: urlOf(g.host, g.port),
    adminUrl: urlOf(a.host, a.port),
    adminToken: adminTokens[0]!.token,
    plane,
    shadows,
    metrics,
    feed,
    workers: gateway.workers,
    consumer(component) {
      store.listVersions(component); // validates the component name
      return new EventConsumer(
        { snapshot: () => snapshot!, handlers, countFallback: (r) => metrics.countFallback(r) },
        component,
      );
    },
    async close() {
      await controller.stop();
      feed.stop();
      shadows.close();
      await Promise.all([gateway.close(), close(admin.server)]);
      await pools.destroy();
      await handlers.close();
      db.close();
    },
  };
}
