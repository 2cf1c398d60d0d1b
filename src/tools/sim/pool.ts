import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runBatch, type Batch } from './batch.js';
import type { RunResult } from './runner.js';

const WORKER = new URL('./worker.js', import.meta.url);

/** Worker threads when the compiled worker is there (not under a TS test runner). */
export function canUseWorkers(): boolean {
  return WORKER.protocol === 'file:' && existsSync(fileURLToPath(WORKER));
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Runs batches on up to `workers` threads (in this thread when 1 or when workers are not
 * available). Results come back in batch order; each run is the same wherever it ran.
 */
export async function runBatches(batches: readonly Batch[], workers: number): Promise<RunResult[][]> {
  if (workers <= 1 || batches.length <= 1 || !canUseWorkers()) return batches.map(runBatch);
  const results: RunResult[][] = new Array<RunResult[]>(batches.length);
  let next = 0;
  const threads = Array.from({ length: Math.min(workers, batches.length) }, () => new Worker(WORKER));
  try {
    await Promise.all(
      threads.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (next >= batches.length) return resolve();
              const i = next++;
              w.once('message', (m: { ok: true; results: RunResult[] } | { ok: false; error: string }) => {
                if (!m.ok) return reject(new Error(m.error));
                results[i] = m.results;
                send();
              });
              w.postMessage(batches[i]);
            };
            w.once('error', reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
  return results;
}

/** Splits `runs` runs from `firstRun` into batches of about `size`. */
export function split(spec: Batch['spec'], seed: number, firstRun: number, runs: number, size: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < runs; i += size) out.push({ spec, seed, firstRun: firstRun + i, runs: Math.min(size, runs - i) });
  return out;
}
