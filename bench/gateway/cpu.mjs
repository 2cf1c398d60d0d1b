// CPU accounting from /proc, in seconds of user + system time.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;

/** Fields after the command name of /proc/<pid>/stat: [0] is state, [1] ppid, [11] utime. */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

function processes() {
  const procs = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const f = statFields(pid);
      procs.push({ pid: Number(pid), ppid: f[1], ticks: f[11] + f[12] });
    } catch {
      // exited meanwhile
    }
  }
  return procs;
}

function treeTicks(procs, root) {
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) {
      if (tree.has(p.pid) || !tree.has(p.ppid)) continue;
      tree.add(p.pid);
      grew = true;
    }
  }
  return procs.reduce((sum, p) => sum + (tree.has(p.pid) ? p.ticks : 0), 0);
}

/**
 * CPU seconds used so far by each process tree in `roots` (a pid with its descendants,
 * e.g. nginx's master and worker), by this process with its finished children (wrk),
 * and by the whole machine (user + nice + system; interrupts left out).
 */
export function cpuSnapshot(roots) {
  const procs = processes();
  const self = statFields('self');
  const machine = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return {
    trees: roots.map((root) => treeTicks(procs, root) / TICKS),
    self: (self[11] + self[12] + self[13] + self[14]) / TICKS,
    machine: (machine[1] + machine[2] + machine[3]) / TICKS,
  };
}
