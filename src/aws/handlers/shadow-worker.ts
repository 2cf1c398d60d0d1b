import type { ShadowCopy } from '../edge/shadow-copy.js';
import { emfLine, type MetricValue } from '../metrics.js';
import { NOT_REPLAYED } from './not-replayed.js';

export interface ShadowWorkerSettings {
  /** Base URL of the shadow origin, e.g. https://abc.execute-api.eu-west-1.amazonaws.com. */
  readonly shadowUrl: string;
  /** Longest wait for the shadow's answer, ms. */
  readonly timeoutMs: number;
  /** Names the shadow in metrics (dimension `Shadow`). */
  readonly name: string;
  /** CloudWatch namespace. */
  readonly namespace: string;
  readonly fetch?: typeof fetch;
  readonly write?: (line: string) => void;
  readonly now?: () => number;
  readonly elapsed?: () => number;
}

/**
 * The shadow worker (a regional Lambda invoked asynchronously by the edge): replays the
 * copy against the shadow origin and records what the shadow did, per shadow, as EMF
 * metrics (ShadowRequests, ShadowErrors for a 5xx, a network error or a timeout,
 * ShadowLatency). Its answer goes nowhere else: no viewer ever sees it.
 */
export function createShadowWorker(settings: ShadowWorkerSettings) {
  const doFetch = settings.fetch ?? fetch;
  const write = settings.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const now = settings.now ?? Date.now;
  const elapsed = settings.elapsed ?? (() => performance.now());
  const base = settings.shadowUrl.replace(/\/$/, '');
  return async (copy: ShadowCopy): Promise<{ status: number }> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(copy.headers)) if (!NOT_REPLAYED.has(name)) headers[name] = value;
    const url = `${base}${copy.uri}${copy.querystring ? `?${copy.querystring}` : ''}`;
    const started = elapsed();
    let status = 0;
    try {
      const response = await doFetch(url, {
        method: copy.method,
        headers,
        body: copy.body === undefined ? undefined : Buffer.from(copy.body, 'base64'),
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      status = response.status;
      await response.arrayBuffer(); // read to the end: latency includes the body
    } catch (err) {
      console.log(`onebox-shadow: ${copy.method} ${copy.uri} failed: ${String(err)}`);
    }
    const metrics: MetricValue[] = [
      { name: 'ShadowRequests', value: 1, unit: 'Count' },
      { name: 'ShadowErrors', value: status === 0 || status >= 500 ? 1 : 0, unit: 'Count' },
      { name: 'ShadowLatency', value: Math.round((elapsed() - started) * 100) / 100, unit: 'Milliseconds' },
    ];
    write(emfLine(settings.namespace, { Shadow: settings.name }, metrics, now()));
    return { status };
  };
}
