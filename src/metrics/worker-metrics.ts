import type { FallbackCounter, VersionRecorders } from './recorder.js';
import { VersionBuffer, type VersionDelta } from './version-delta.js';

/** A gateway worker's report: everything it recorded since the previous one. */
export interface MetricsDelta {
  readonly versions: readonly VersionDelta[];
  readonly fallbacks: readonly (readonly [string, number])[];
}

/**
 * The metrics of a gateway worker process. It keeps only what it recorded since its last
 * report; the primary adds the reports up, so alarms, the judge and exposure see every
 * worker's traffic as one.
 */
export class WorkerMetrics implements VersionRecorders, FallbackCounter {
  private readonly buffers = new Map<string, VersionBuffer>();
  private fallbacks = new Map<string, number>();

  forVersion(component: string, version: number): VersionBuffer {
    const key = `${component}\0${version}`;
    let buffer = this.buffers.get(key);
    if (!buffer) this.buffers.set(key, (buffer = new VersionBuffer(component, version)));
    return buffer;
  }

  countFallback(reason: string): void {
    this.fallbacks.set(reason, (this.fallbacks.get(reason) ?? 0) + 1);
  }

  /** Everything since the last drain, or undefined when nothing happened. */
  drain(): MetricsDelta | undefined {
    const versions: VersionDelta[] = [];
    for (const buffer of this.buffers.values()) {
      const delta = buffer.drain();
      if (delta) versions.push(delta);
    }
    if (versions.length === 0 && this.fallbacks.size === 0) return undefined;
    const fallbacks = [...this.fallbacks];
    this.fallbacks = new Map();
    return { versions, fallbacks };
  }

  /** Drops the (drained) buffers of versions no longer routed, so releases do not pile up. */
  keepOnly(routed: (component: string, version: number) => boolean): void {
    for (const [key, buffer] of this.buffers) {
      if (buffer.requests === 0 && !routed(buffer.component, buffer.version)) this.buffers.delete(key);
    }
  }
}
