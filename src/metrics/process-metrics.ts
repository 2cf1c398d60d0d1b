import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * prom-client's standard process metrics: `process_resident_memory_bytes`, CPU, open file
 * descriptors, `nodejs_heap_size_used_bytes`, `nodejs_active_handles_total`,
 * `nodejs_active_resources_total`, event loop lag, GC durations. What a soak or an operator
 * watches for leaks.
 *
 * One registry per process, shared by every onebox in it (tests and embedders start several):
 * these describe the process, not one onebox, and collecting them starts an event-loop-delay
 * monitor and a GC observer that are never stopped, so a registry per onebox would add a pair
 * each time.
 */
export function processMetricsRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
