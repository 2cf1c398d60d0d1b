import { InvalidArgumentError, type Command } from 'commander';
import { runDemo, type DemoSummary } from '../../tools/demo/run-demo.js';
import { positiveInt } from '../common.js';

function speedOf(value: string): number {
  const speed = Number(value);
  if (!(speed >= 1 && speed <= 600)) throw new InvalidArgumentError(`--speed must be from 1 to 600, got "${value}"`);
  return speed;
}

/** What the demo must show; each failed check is a sentence. */
export function demoProblems(s: DemoSummary): string[] {
  const problems: string[] = [];
  for (const d of s.deployments) {
    const expected = d.release === 'v3' || d.release === 'v4' ? 'rolled-back' : 'succeeded';
    if (d.status !== expected) problems.push(`${d.component} ${d.release} ended ${d.status}, expected ${expected}`);
  }
  if (s.pages.broken) problems.push(`${s.pages.broken} broken pages`);
  if (s.pages.reloads.length) problems.push(`${s.pages.reloads.length} pages reloaded`);
  for (const b of [s.bad, s.browserBad])
    if (b.outsidePartition) problems.push(`${b.outsidePartition} users outside the one-box saw v${b.version}`);
  return problems;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole story on this machine: build a demo shop, publish v1, then release a good v2, a bad v3 and a v4 bad only in the browser to simulated users',
    )
    .option('--speed <n>', 'time compression of holds and bakes (default 20: a minute takes 3 s)', speedOf)
    .option('--users <n>', 'simulated browsers (default 300)', positiveInt('--users'))
    .option('--listen <host:port>', 'gateway address (default 127.0.0.1:8080)')
    .option('--admin-listen <host:port>', 'admin API address (default 127.0.0.1:8081)')
    .option('--json', 'print the summary as one JSON document on stdout (the story goes to stderr)')
    .action(async (opts: { speed?: number; users?: number; listen?: string; adminListen?: string; json?: boolean }) => {
      const summary = await runDemo({
        speed: opts.speed,
        users: opts.users,
        listen: opts.listen,
        adminListen: opts.adminListen,
        // With --json the story goes to stderr, so stdout holds the summary alone.
        output: opts.json ? process.stderr : process.stdout,
      });
      if (opts.json) console.log(JSON.stringify(summary, jsonReplacer));
      const problems = demoProblems(summary);
      if (problems.length) {
        console.error(`onebox demo: it did not go as it should: ${problems.join('; ')}`);
        process.exitCode = 1;
      }
    });
}

/** Maps and sets as JSON arrays and objects. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}
