import { murmur3 } from '../core/murmur3.js';

/** Exact up to this many distinct ids, then a HyperLogLog estimate. */
export const EXACT_LIMIT = 10_000;

/** 2^14 registers: standard error 1.04 / sqrt(16384) = 0.81%, 16 KiB per counter. */
const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
const HASH_SEED = 0x9747b28c;

/**
 * Distinct users seen: exact while small, then bounded memory with a stated error
 * (`standardError`). Counts stay monotonic across the switch.
 */
export class DistinctCounter {
  private exact: Set<string> | undefined = new Set();
  private registers: Uint8Array | undefined;

  add(id: string): void {
    if (this.exact) {
      this.exact.add(id);
      if (this.exact.size > EXACT_LIMIT) this.switchToEstimate();
      return;
    }
    this.addHashed(id);
  }

  private switchToEstimate(): void {
    this.registers = new Uint8Array(M);
    for (const id of this.exact!) this.addHashed(id);
    this.exact = undefined;
  }

  private addHashed(id: string): void {
    const h = murmur3(id, HASH_SEED);
    const index = h >>> (32 - P);
    const rest = (h << P) | (1 << (P - 1)); // sentinel bit bounds the run length
    const rank = Math.clz32(rest) + 1;
    if (rank > this.registers![index]!) this.registers![index] = rank;
  }

  /** True while the count is exact. */
  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /** Relative standard error of `count` (0 while exact). */
  get standardError(): number {
    return this.exact ? 0 : 1.04 / Math.sqrt(M);
  }

  get count(): number {
    if (this.exact) return this.exact.size;
    const regs = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const r = regs[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    // Linear counting is the better estimate well past 2.5 M (Heule et al. 2013 put the
    // crossover near 5 M for p = 14); switching at 2.5 M leaves a visible bias.
    const linear = zeros > 0 ? M * Math.log(M / zeros) : Infinity;
    const estimate = linear <= 3.5 * M ? linear : raw;
    // Never report fewer users than the exact phase had already counted.
    return Math.max(Math.round(estimate), EXACT_LIMIT + 1);
  }
}
