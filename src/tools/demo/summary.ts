import { basisPointsToPercent, formatDuration } from '../../core/index.js';
import { describeExposure, table } from '../../api/index.js';
import type { DemoSummary } from './run-demo.js';

const n = (x: number): string => x.toLocaleString('en-US');
const RESULT: Record<string, string> = { succeeded: 'reached 100%', 'rolled-back': 'rolled back' };

/** The demo's closing table and the facts it proves. */
export function formatSummary(s: DemoSummary): string {
  const rows = [
    [
      'release',
      'component',
      'change',
      'config',
      'result',
      'release time',
      'steps passed (undecided)',
      'users on the new version',
      'its requests (5xx)',
    ],
    ...s.deployments.map((d) => [
      d.release,
      d.component,
      `v${d.fromVersion} -> v${d.toVersion}`,
      d.config,
      RESULT[d.status] ?? d.status,
      formatDuration(d.releaseMs),
      `${d.stepsPassed} (${d.stepsUndecided})`,
      d.exposure ? describeExposure(d.exposure) : '-',
      `${n(d.newVersionRequests)} (${n(d.newVersionErrors)})`,
    ]),
  ];
  const p = s.pages;
  const perVersion = [...p.byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([v, c]) => `web v${v}: ${n(c.ok + c.error + c.broken)} pages, ${n(c.error)} errors`)
    .join('; ');
  const radius = (b: DemoSummary['bad']): string =>
    `Blast radius of v${b.version}: ${n(b.usersExposed)} of ${n(p.users)} users saw it ` +
    `(${((b.usersExposed / p.users) * 100).toFixed(1)}%), ${n(b.outsidePartition)} of them outside its one-box ` +
    `partition (${basisPointsToPercent(b.oneBoxShareBp)} of users: ${n(b.partitionUsers)} here).`;
  const lines = [
    'Summary',
    table(rows),
    '',
    `Pages: ${n(p.pages)} page views by ${n(p.users)} users; ${perVersion}.`,
    `Broken pages (an asset missing, HTML of another version than its tab's, or an API answer the page cannot use): ${n(p.broken)}.` +
      (p.brokenSamples.length ? ` e.g. ${p.brokenSamples.map((x) => `${x.path}: ${x.reason}`).join('; ')}` : ''),
    `Tabs kept open: ${n(p.navigations)} client-side navigations, across releases too, each served by its tab's ` +
      `version (skew protection, no skew guard in the pages); reloads: ${n(p.reloads.length)}.`,
    radius(s.bad),
    radius(s.browserBad),
    `Took ${formatDuration(s.elapsedMs)} at ${s.speed}x.`,
  ];
  return lines.join('\n');
}
