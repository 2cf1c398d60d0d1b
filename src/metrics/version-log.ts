import type { GatewayLogEntry } from '../api/types.js';

/** How many of a version's recent failure answers are kept (older ones make room). */
export const VERSION_LOG_CAPACITY = 100;

/**
 * A version's most recent gateway log entries, oldest first: a ring of fixed size, so that a
 * version failing on every request costs the same memory as one failing once.
 */
export class VersionLog {
  private readonly ring: (GatewayLogEntry | undefined)[] = new Array<GatewayLogEntry | undefined>(VERSION_LOG_CAPACITY);
  private next = 0;
  private size = 0;

  push(entry: GatewayLogEntry): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % VERSION_LOG_CAPACITY;
    if (this.size < VERSION_LOG_CAPACITY) this.size++;
  }

  /** The entries kept, oldest first. */
  entries(): GatewayLogEntry[] {
    const out: GatewayLogEntry[] = [];
    const first = (this.next - this.size + VERSION_LOG_CAPACITY) % VERSION_LOG_CAPACITY;
    for (let i = 0; i < this.size; i++) out.push(this.ring[(first + i) % VERSION_LOG_CAPACITY]!);
    return out;
  }
}
