import { Pool, type Dispatcher } from 'undici';
import type { OneboxConfig } from '../config/schema.js';

/** One keep-alive connection pool per upstream origin, made on first use. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly gateway: OneboxConfig['gateway']) {}

  readonly dispatcherFor = (origin: string): Dispatcher => {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connectTimeout: this.gateway.connectTimeoutMs,
        headersTimeout: this.gateway.headersTimeoutMs,
        bodyTimeout: this.gateway.bodyTimeoutMs,
        keepAliveTimeout: 30_000,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  };

  async destroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
  }
}
