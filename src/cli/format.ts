import { basisPointsToPercent, type Alias, type Version } from '../core/index.js';
import type { ComponentStatus } from '../app/control-plane.js';

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
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

export function formatVersions(versions: readonly Version[], alias: Alias | undefined | null): string {
  const rows = [['VERSION', 'TARGET', 'STATE', 'CREATED', 'DESCRIPTION']];
  for (const v of versions) {
    const state = v.retiredAt
      ? 'retired'
      : alias?.version === v.number
        ? 'live'
        : alias?.additional?.version === v.number
          ? `live ${basisPointsToPercent(alias.additional.weightBp)}`
          : 'published';
    rows.push([String(v.number), v.target, state, v.createdAt.slice(0, 19).replace('T', ' '), v.description ?? '']);
  }
  return table(rows);
}

export function formatStatus(components: readonly ComponentStatus[]): string {
  const out: string[] = [];
  for (const c of components) {
    out.push(`${c.name} (${c.route})  ${describeAlias(c.alias)}`);
    if (c.alias?.additional) out.push(`  new version weight ${bar(c.alias.additional.weightBp)}`);
    const rows = [['VERSION', 'REQUESTS', '5XX', 'UPSTREAM ERR', 'TIMEOUTS', 'P50 MS', 'P99 MS', 'USERS']];
    for (const m of [...c.metrics].sort((a, b) => a.version - b.version)) {
      rows.push([
        `v${m.version}`,
        String(m.requests),
        String(m.errors5xx),
        String(m.upstreamErrors),
        String(m.upstreamTimeouts),
        m.latencyMs.p50.toFixed(2),
        m.latencyMs.p99.toFixed(2),
        `${m.usersExact ? '' : '~'}${m.users}`,
      ]);
    }
    if (rows.length > 1) out.push(table(rows).replace(/^/gm, '  '));
    out.push('');
  }
  return out.join('\n').trimEnd();
}
