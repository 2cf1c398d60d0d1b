import { basisPointsToPercent, type Alias, type Exposure } from '../core/index.js';

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
