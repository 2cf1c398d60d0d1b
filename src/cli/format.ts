import { basisPointsToPercent, formatDuration, parseTarget, type Alias, type Version } from '../core/index.js';
import { bar, browserTable, describeAlias, describeExposure, table } from '../api/index.js';
import type { ComponentStatus, DeploymentView, ReleaseHistory } from '../api/index.js';
import type { ShadowSummary } from '../core/shadow/index.js';

/** What a version runs, for people: its URL, or its handler with runtime, timeout and how many variables. */
export function describeTarget(stored: string): string {
  const target = parseTarget(stored);
  if (target.kind === 'url') return target.url;
  const env = Object.keys(target.env ?? {}).length;
  return [
    `handler ${target.handler}`,
    target.runtime,
    `timeout ${formatDuration(target.timeoutMs)}`,
    env ? `${env} env var${env === 1 ? '' : 's'}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
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
    rows.push([
      String(v.number),
      describeTarget(v.target),
      state,
      v.createdAt.slice(0, 19).replace('T', ' '),
      v.description ?? '',
    ]);
  }
  return table(rows);
}

export function formatStatus(components: readonly ComponentStatus[]): string {
  const out: string[] = [];
  for (const c of components) {
    out.push(`${c.name} (${c.route})  ${describeAlias(c.alias)}`);
    if (c.deployment) out.push(...formatDeployment(c.deployment).map((l) => `  ${l}`));
    else if (c.alias?.additional) out.push(`  new version weight ${bar(c.alias.additional.weightBp)}`);
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
    const browser = browserTable(c.metrics);
    if (browser) out.push(browser.replace(/^/gm, '  '));
    out.push('');
  }
  return out.join('\n').trimEnd();
}

const time = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

export function formatDeployment(d: DeploymentView): string[] {
  const s = d.state;
  const step = s.step >= 0 ? `step ${s.step + 1} of ${s.plan.length}` : 'not started';
  const lines = [
    `deployment ${d.id}  v${s.fromVersion} -> v${s.toVersion}  ${s.status}  ${step}  ${bar(s.weightBp)} ${basisPointsToPercent(s.weightBp)}`,
    `plan: ${d.plan}`,
  ];
  const facts: string[] = [];
  if (d.holdRemainingMs > 0)
    facts.push(`${s.status === 'baking' ? 'bake' : 'hold'}: ${formatDuration(d.holdRemainingMs)} left`);
  if (d.gate) facts.push(`gate ${d.gate.result}: ${d.gate.sentence}`);
  if (d.waiting) facts.push(`the gate ${d.waiting}`);
  if (d.exposure) facts.push(`users on v${s.toVersion}: ${describeExposure(d.exposure)}`);
  lines.push(facts.join('   '));
  if (s.reason) lines.push(`why: ${s.reason}`);
  return lines;
}

export function formatHistory(releases: readonly ReleaseHistory[]): string {
  if (releases.length === 0) return 'no releases yet';
  const out: string[] = [];
  for (const r of releases) {
    out.push(`release ${r.id}  ${time(r.createdAt)}  by ${r.by}`);
    for (const d of r.deployments) {
      const s = d.state;
      out.push(`  ${s.component} v${s.fromVersion} -> v${s.toVersion}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`);
      if (d.exposure) out.push(`    blast radius: ${describeExposure(d.exposure)}`);
      for (const e of d.events) out.push(`    ${time(e.at)}  ${e.sentence}`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export function formatShadowReport(r: ShadowSummary): string {
  const c = r.counters;
  const lines = [
    `${r.component} shadow v${r.version}: ${r.clean ? 'clean' : 'differences found'}`,
    `mirrored ${c.mirrored}, compared ${c.compared}; dropped at the in-flight cap ${c.droppedInFlight}, skipped over the body cap ${c.skippedBodyCap}, shadow errors ${c.shadowErrors}, timeouts ${c.shadowTimeouts}`,
  ];
  for (const e of r.endpoints) {
    lines.push(
      '',
      `${e.endpoint}: ${e.compared} compared, ${e.differed} differed; latency p50 ${e.latency.primary.p50Ms} -> ${e.latency.shadow.p50Ms} ms, p99 ${e.latency.primary.p99Ms} -> ${e.latency.shadow.p99Ms} ms`,
    );
    for (const f of e.fields.slice(0, 10)) {
      lines.push(
        `  ${f.path}: ${f.differed} differed${f.noise ? ` (noise ~${f.noise})` : ''} ${JSON.stringify(f.kinds)}`,
      );
      for (const s of f.samples.slice(0, 2) as { path: string; primary: string; shadow: string }[]) {
        lines.push(`    ${s.path}: ${s.primary} -> ${s.shadow}`);
      }
    }
    if (e.noiseOnly.length) lines.push(`  noise only: ${e.noiseOnly.join(', ')}`);
  }
  return lines.join('\n');
}
