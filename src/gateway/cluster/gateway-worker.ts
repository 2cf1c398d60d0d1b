import { configuredBrowserSignals } from '../beacon.js';
import { configuredGatewayOptions, Gateway } from '../gateway.js';
import { UpstreamPools } from '../upstream-pools.js';
import { splitListen } from '../../core/listen-address.js';
import { WorkerMetrics } from '../../metrics/worker-metrics.js';
import { HandlerPool } from '../../runtime/handler-pool.js';
import { nodeRuntimesOf } from '../node-runtimes-of.js';
import type { FromWorker, ToWorker } from './messages.js';
import { WorkerRouting } from './routing-state.js';

/**
 * A gateway worker process (`onebox serve --workers N`): the gateway alone, on the port
 * the cluster shares, routing by the state the primary sends and reporting what it
 * recorded every `reportMs`. The controller, the admin API and the state file stay in the
 * primary.
 */
const send = (message: FromWorker): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected) resolve();
    else process.send!(message, undefined, {}, () => resolve());
  });

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { config } = message;
  const metrics = new WorkerMetrics();
  const pools = new UpstreamPools(config.gateway);
  const routing = new WorkerRouting(config.components, pools.dispatcherFor, metrics, message.state);
  const handlers = new HandlerPool({ output: message.handlerOutput, runtimes: nodeRuntimesOf(config) });
  const gateway = new Gateway({
    handlers,
    snapshot: () => routing.snapshot,
    metrics,
    ...configuredGatewayOptions(config.gateway),
    browser: configuredBrowserSignals(config, Buffer.from(message.browserKey, 'base64'), metrics),
  });
  const report = async (): Promise<void> => {
    const r = routing.drain();
    if (r) await send({ type: 'report', report: r });
  };
  const timer = setInterval(() => void report(), message.reportMs);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await gateway.close();
    await report();
    await Promise.all([pools.destroy(), handlers.close()]);
    process.disconnect?.();
  };
  process.on('message', (m: ToWorker) => {
    if (m.type === 'routing') {
      routing.apply(m.state);
      gateway.routingChanged();
    } else if (m.type === 'stop') void stop();
  });
  // The primary is gone: nobody reads the reports or sends the routing any more.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));

  const at = splitListen(config.gateway.listen);
  const address = await gateway.listen(at.port, at.host);
  await send({ type: 'ready', ...address });
}

process.once('message', (m: ToWorker) => {
  if (m.type !== 'start') throw new Error(`a gateway worker must start first, got "${m.type}"`);
  start(m).catch(async (err: Error) => {
    await send({ type: 'failed', message: err.message });
    process.exit(1);
  });
});

// The primary owns the workers' lifecycle: Ctrl-C or a service manager signals the whole
// process group, and a worker that died of it first would be replaced during the shutdown.
// The primary's stop message, or its going away (disconnect), ends a worker.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);

void send({ type: 'waiting' });
