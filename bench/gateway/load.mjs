// The load generator: wrk with a Lua script that sends a fixed set of onebox-uid cookies
// round-robin, or autocannon (in this process) when wrk is not installed.
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Prints one JSON line from wrk's done() hook; latencies are in microseconds. */
function wrkScript(cookies) {
  return `local cookies = { ${cookies.map((c) => `"${c}"`).join(', ')} }
local requests = {}
local n = 0

function init(args)
  for i, cookie in ipairs(cookies) do
    requests[i] = wrk.format("GET", "/", { ["cookie"] = cookie })
  end
end

function request()
  n = n % #requests + 1
  return requests[n]
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
`;
}

/**
 * Returns { name, version, run(url, seconds) } where run resolves with
 * { requests, seconds, p50Ms, p99Ms, errors }. `errors` counts non-2xx answers too.
 */
export async function loadGenerator({ dir, cookies, connections, threads }) {
  const wrk = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (!wrk.error) {
    const script = join(dir, 'cookies.lua');
    writeFileSync(script, wrkScript(cookies));
    return {
      name: 'wrk',
      version: /wrk \S+/.exec(wrk.stdout + wrk.stderr)?.[0] ?? 'wrk',
      async run(url, seconds) {
        const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, url];
        const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
        const r = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{"requests"')));
        return {
          requests: r.requests,
          seconds: r.durationUs / 1e6,
          p50Ms: r.p50Us / 1000,
          p99Ms: r.p99Us / 1000,
          errors: r.errors,
        };
      },
    };
  }
  const { default: autocannon } = await import('autocannon');
  let n = 0;
  const setupRequest = (req) => ({ ...req, headers: { ...req.headers, cookie: cookies[n++ % cookies.length] } });
  return {
    name: 'autocannon',
    version: 'autocannon (in-process; wrk not found)',
    async run(url, seconds) {
      const r = await autocannon({ url, connections, duration: seconds, requests: [{ setupRequest }] });
      return {
        requests: r.requests.total,
        seconds: r.duration,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
      };
    },
  };
}
