// Cost of recording one request in onebox's per-version metrics, against the usual way to
// instrument a Node service: prom-client's labelled Counter + Histogram. CPU time per
// record, medians of several rounds. Run: npm run bench:metrics
import { Counter, Histogram, Registry } from 'prom-client';
import { VersionMetrics } from '../../dist/metrics/version-metrics.js';
import { ExposureTracker } from '../../dist/metrics/exposure.js';

const RECORDS = 1_000_000;
const ROUNDS = Number(process.argv[2] ?? 5);
const users = Array.from({ length: 50_000 }, (_, i) => `user-${i}-${'x'.repeat(12)}`);
const latencies = Float64Array.from({ length: 4096 }, (_, i) => 500 + ((i * 7919) % 20_000));

function cpuMicros(fn) {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return d.user + d.system;
}

function onebox() {
  const m = new VersionMetrics('web', 2, [new ExposureTracker('d1', 2)]);
  return cpuMicros(() => {
    for (let i = 0; i < RECORDS; i++)
      m.record(i % 97 === 0 ? 500 : 200, latencies[i & 4095], 'response', users[i % users.length]);
  });
}

function promClient() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'requests_total',
    help: 'x',
    labelNames: ['component', 'version', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'latency_seconds',
    help: 'x',
    labelNames: ['component', 'version'],
    registers: [registry],
  });
  return cpuMicros(() => {
    for (let i = 0; i < RECORDS; i++) {
      requests.inc({ component: 'web', version: '2', status: i % 97 === 0 ? '500' : '200' });
      latency.observe({ component: 'web', version: '2' }, latencies[i & 4095] / 1e6);
    }
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results = { onebox: [], 'prom-client': [] };
onebox();
promClient(); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  results.onebox.push(onebox() / RECORDS);
  results['prom-client'].push(promClient() / RECORDS);
}
const ob = median(results.onebox);
const pc = median(results['prom-client']);
console.log(`metrics recording, CPU per request (median of ${ROUNDS} rounds of ${RECORDS.toLocaleString('en-US')}):`);
console.log(
  `  onebox VersionMetrics.record (counters, HdrHistogram, log buckets, distinct users, 1 exposure tracker): ${ob.toFixed(3)} µs`,
);
console.log(
  `  prom-client labelled Counter.inc + Histogram.observe (no user counting):                            ${pc.toFixed(3)} µs`,
);
console.log(
  `  ratio onebox / prom-client: ${(ob / pc).toFixed(2)}   goal: onebox <= 2 µs -> ${ob <= 2 ? 'met' : 'MISSED'}`,
);
