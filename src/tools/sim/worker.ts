import { parentPort } from 'node:worker_threads';
import { runBatch, type Batch } from './batch.js';

/** Worker thread entry: runs the batches it is sent, answers with their results. */
parentPort?.on('message', (b: Batch) => {
  try {
    parentPort!.postMessage({ ok: true, results: runBatch(b) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
