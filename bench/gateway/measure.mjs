// One measured load run against a proxy process tree: its CPU from /proc, the load's figures.
import { cpuSnapshot } from './cpu.mjs';

/** Waits (at most `seconds`) until the machine is nearly idle, so runs overlap less with other work. */
export async function waitForQuiet(seconds = 3) {
  for (const until = Date.now() + seconds * 1000; Date.now() < until;) {
    const before = cpuSnapshot([]).machine;
    await new Promise((resolve) => setTimeout(resolve, 500));
    if ((cpuSnapshot([]).machine - before) / 0.5 < 0.2) return;
  }
}

/**
 * One load run after a warm-up. `other` is the CPU (in cores) that neither the proxy, the
 * upstreams nor the load generator used meanwhile: other work on the machine, a warning
 * sign for that run.
 */
export async function measureLoad(load, proxy, upstreams, { warmup, duration }) {
  await waitForQuiet();
  if (warmup > 0) await load.run(proxy.url, warmup);
  const before = cpuSnapshot([proxy.pid, upstreams.pid]);
  const r = await load.run(proxy.url, duration);
  const after = cpuSnapshot([proxy.pid, upstreams.pid]);
  const cpu = after.trees[0] - before.trees[0];
  const upstream = after.trees[1] - before.trees[1];
  const other = Math.max(0, (after.machine - before.machine - cpu - upstream - after.self + before.self) / r.seconds);
  const perRequest = (seconds) => (seconds * 1e6) / r.requests;
  return {
    ...r,
    rps: r.requests / r.seconds,
    cpuUs: perRequest(cpu),
    cores: cpu / r.seconds,
    upstreamUs: perRequest(upstream),
    other,
  };
}
