// Small helpers shared by the benchmarks' run.mjs files.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const row = (cells) => `| ${cells.join(' | ')} |`;

/** A command-line option that must be a positive whole number; exits with usage code 2 if not. */
export function positiveInt(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive whole number, got "${value}"`);
    process.exit(2);
  }
  return n;
}

/** The commit measured, and whether the work tree differed from it. */
export function measuredCommit() {
  const git = (...args) => spawnSync('git', args, { encoding: 'utf8' }).stdout?.trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  if (!commit) return 'not a git checkout';
  return git('status', '--porcelain', '--', 'src') ? `${commit} with uncommitted changes in src/` : commit;
}

/**
 * The command that produced a report: `npm run <script> -- <args>`, or the whole-suite
 * command when bench/run.mjs started this benchmark (it sets ONEBOX_BENCH_COMMAND).
 */
export function commandLine(script) {
  if (process.env.ONEBOX_BENCH_COMMAND) return process.env.ONEBOX_BENCH_COMMAND;
  const args = process.argv.slice(2);
  return `npm run ${script}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

/** Writes a bench's printed lines to its docs file (`--out`), when one is given. */
export function writeReport(out, lines) {
  if (!out) return;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`(written to ${out})`);
}
