import { isBad } from './fault.js';
import type { RunResult } from './runner.js';
import { describeGate, describeScenario, type Scenario } from './scenario.js';

/** What many releases of one scenario (one gate, one routing mode) came to. */
export interface ScenarioReport {
  readonly scenario: string;
  readonly gate: string;
  readonly routing: string;
  /** True when the new version is bad: a rollback is a detection, not a false rollback. */
  readonly bad: boolean;
  readonly seed: number;
  /** Run indexes: first .. first + runs - 1. */
  readonly firstRun: number;
  readonly runs: number;
  readonly rollbacks: number;
  /** Rollbacks by what failed ('alarm', 'errors', 'latency-tail', 'latency-rank', 'inconclusive'). */
  readonly causes: Readonly<Record<string, number>>;
  /** Releases that ended on the inconclusive policy, rolled back or let through. */
  readonly undecided: number;
  /** Steps, over all releases, that ended on the inconclusive policy. */
  readonly undecidedSteps: number;
  /** Releases that reached 100% with every step passed on evidence (none undecided). */
  readonly passedOnEvidence: number;
  /** Over releases whose gate read pass at some point: virtual time and new-version requests until it first did. */
  readonly toPass: { readonly runs: number; readonly timeMs: Quantiles; readonly newRequests: Quantiles } | undefined;
  /** Users the new version served, as a share of the users active while the release ran. */
  readonly exposedShare: Quantiles;
  readonly exposedUsers: Quantiles;
  readonly activeUsers: Quantiles;
  /** Over rolled-back releases only: virtual time and new-version requests until the rollback. */
  readonly detection: { readonly timeMs: Quantiles; readonly newRequests: Quantiles } | undefined;
  /** Runs whose outcome was the wrong one (false rollbacks, or bad releases let through), for replay. */
  readonly wrongRuns: readonly number[];
}

export interface Quantiles {
  readonly median: number;
  readonly p95: number;
}

/** Nearest-rank quantiles (0 for no data). */
export function quantiles(values: readonly number[]): Quantiles {
  if (values.length === 0) return { median: 0, p95: 0 };
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
  return { median: at(0.5), p95: at(0.95) };
}

export function summarize(s: Scenario, seed: number, results: readonly RunResult[]): ScenarioReport {
  const bad = isBad(s.fault);
  const rolledBack = results.filter((r) => r.status === 'rolled-back');
  const passed = results.filter((r) => r.passedAtMs !== undefined);
  const causes: Record<string, number> = {};
  for (const r of rolledBack) causes[r.cause] = (causes[r.cause] ?? 0) + 1;
  return {
    scenario: s.name,
    gate: s.gate.label,
    routing: s.routing,
    bad,
    seed,
    firstRun: results.length ? Math.min(...results.map((r) => r.run)) : 0,
    runs: results.length,
    rollbacks: rolledBack.length,
    causes,
    undecided: results.filter((r) => r.inconclusive).length,
    undecidedSteps: results.reduce((n, r) => n + r.stepsUndecided, 0),
    passedOnEvidence: results.filter((r) => r.status === 'succeeded' && r.stepsUndecided === 0).length,
    // A release whose gate never read pass counts as never (Infinity): the quantiles stay honest.
    toPass: passed.length
      ? {
          runs: passed.length,
          timeMs: quantiles(results.map((r) => r.passedAtMs ?? Infinity)),
          newRequests: quantiles(results.map((r) => r.passedAtRequests ?? Infinity)),
        }
      : undefined,
    exposedShare: quantiles(results.map((r) => (r.activeUsers ? r.exposedUsers / r.activeUsers : 0))),
    exposedUsers: quantiles(results.map((r) => r.exposedUsers)),
    activeUsers: quantiles(results.map((r) => r.activeUsers)),
    detection: rolledBack.length
      ? {
          timeMs: quantiles(rolledBack.map((r) => r.durationMs)),
          newRequests: quantiles(rolledBack.map((r) => r.newRequests)),
        }
      : undefined,
    wrongRuns: results.filter((r) => (r.status === 'rolled-back') !== bad).map((r) => r.run),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (ms: number): string =>
  ms < 60_000
    ? `${+(ms / 1000).toFixed(1)}s`
    : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;

/** Lays rows out in columns; the first row is the header. */
export function table(rows: readonly (readonly string[])[], indent = ''): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

export function rollbackCell(r: ScenarioReport): string {
  return `${r.bad ? 'caught' : 'false'} ${int(r.rollbacks)} (${pct(r.rollbacks / Math.max(1, r.runs))})`;
}

export function causeCell(r: ScenarioReport): string {
  return (
    Object.entries(r.causes)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || '-'
  );
}

/** One scenario's block: its description, one row per gate and routing mode, the exposure comparison. */
export function formatScenario(
  scenarios: readonly Scenario[],
  reports: readonly ScenarioReport[],
  replayCommand?: (r: ScenarioReport, run: number) => string,
): string {
  const first = scenarios[0]!;
  const gates = [...new Map(scenarios.map((s) => [s.gate.label, s])).values()];
  const rows: string[][] = [
    [
      'gate',
      'routing',
      'releases',
      'rolled back',
      'what failed',
      'undecided',
      'exposed med',
      'p95',
      'detection time',
      'new-version requests',
    ],
  ];
  for (const r of reports) {
    rows.push([
      r.gate,
      r.routing === 'request' ? 'per-request' : r.routing,
      int(r.runs),
      rollbackCell(r),
      causeCell(r),
      int(r.undecided),
      pct(r.exposedShare.median),
      pct(r.exposedShare.p95),
      r.detection ? secs(r.detection.timeMs.median) : '-',
      r.detection ? int(r.detection.newRequests.median) : '-',
    ]);
  }
  const lines = [describeScenario(first), ...gates.map((s) => `gate ${describeGate(s)}`), '', table(rows, '  ')];
  for (const g of gates) {
    const sticky = reports.find((r) => r.gate === g.gate.label && r.routing === 'sticky');
    const request = reports.find((r) => r.gate === g.gate.label && r.routing === 'request');
    if (sticky && request) {
      lines.push(
        `  users exposed (${g.gate.label}): sticky ${pct(sticky.exposedShare.median)} (p95 ${pct(sticky.exposedShare.p95)}) vs per-request ${pct(request.exposedShare.median)} (p95 ${pct(request.exposedShare.p95)}) of active users; median ${int(sticky.exposedUsers.median)} vs ${int(request.exposedUsers.median)} users of ${int(sticky.activeUsers.median)} active`,
      );
    }
  }
  const wrong = reports.filter((r) => r.wrongRuns.length);
  for (const r of wrong) {
    const what = r.bad ? 'let through' : 'rolled back';
    const runs = r.wrongRuns.slice(0, 5).join(', ') + (r.wrongRuns.length > 5 ? ', ...' : '');
    const how = replayCommand ? `; replay: ${replayCommand(r, r.wrongRuns[0]!)}` : '';
    lines.push(`  ${r.gate}/${r.routing === 'request' ? 'per-request' : 'sticky'} ${what}: runs ${runs}${how}`);
  }
  return lines.join('\n');
}

export { pct, secs, int };
