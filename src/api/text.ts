import { basisPointsToPercent, type Alias, type Exposure } from '../core/index.js';
import type { GatewayLogEntry } from './types.js';

/** How the API's answers read as plain text, wherever they are printed (the CLI, the demo). */

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function describeAlias(alias: Alias | undefined | null): string {
  if (!alias) return 'no live version yet';
  const extra = alias.additional;
  if (!extra || extra.weightBp === 0) return `live -> v${alias.version}`;
  const stable = basisPointsToPercent(10_000 - extra.weightBp);
  return `live -> v${alias.version} ${stable}, v${extra.version} ${basisPointsToPercent(extra.weightBp)} (${alias.mode})`;
}

export function bar(weightBp: number, width = 20): string {
  const filled = Math.round((weightBp / 10_000) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** "41 of 400 active users (10.3%)"; "~" marks an estimate or an upper bound. */
export function describeExposure(e: Exposure): string {
  const approx = e.exact ? '' : '~';
  return `${approx}${e.usersOnNew.toLocaleString('en-US')} of ${approx}${e.activeUsers.toLocaleString('en-US')} active users (${(e.share * 100).toFixed(1)}%)`;
}

/**
 * One gateway log entry on one line: `2026-07-10 19:19:05  web:3  POST /items  500
 * handler-error  req 6f1c…  TypeError: boom`; with `stack`, its lines follow, indented.
 */
export function describeLogEntry(e: GatewayLogEntry, stack = false): string {
  const time = new Date(e.at).toISOString().slice(0, 19).replace('T', ' ');
  const line = `${time}  ${e.component}:${e.version}  ${e.method} ${e.path}  ${e.status} ${e.kind}  req ${e.requestId}  ${e.message}`;
  return stack && e.stack?.length ? [line, ...e.stack.slice(1).map((l) => `    ${l.trim()}`)].join('\n') : line;
}
