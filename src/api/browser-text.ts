import { BROWSER_ERROR_KINDS } from '../core/index.js';
import { table } from './text.js';
import type { BrowserSnapshot, VersionMetricsSnapshot } from './types.js';

/** "3 error, 1 resource" (kinds with none left out); "none" when there are none. */
export function describeBrowserErrors(b: BrowserSnapshot): string {
  const parts = BROWSER_ERROR_KINDS.filter((k) => b.errors[k] > 0).map((k) => `${b.errors[k]} ${k}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** "12 of 36 users (33.3%)": the users with a browser error, as the browser gate counts them. */
export function describeBrowserUsers(b: BrowserSnapshot): string {
  const share = b.users ? (b.errorUsers / b.users) * 100 : 0;
  return `${b.errorUsers.toLocaleString('en-US')} of ${b.users.toLocaleString('en-US')} users (${share.toFixed(1)}%)`;
}

/** The browser signals of the versions that have any, as a table (empty when none has). */
export function browserTable(metrics: readonly VersionMetricsSnapshot[]): string {
  const rows = [['VERSION', 'PAGE VIEWS', 'USERS WITH A BROWSER ERROR', 'ERRORS', 'WORST PAGE']];
  for (const m of [...metrics].sort((a, b) => a.version - b.version)) {
    const b = m.browser;
    if (!b) continue;
    const worst = b.pages[0];
    rows.push([
      `v${m.version}`,
      String(b.pageViews),
      describeBrowserUsers(b),
      describeBrowserErrors(b),
      worst ? `${worst.path} (${worst.errors} errors in ${worst.views} views)` : '',
    ]);
  }
  return rows.length > 1 ? table(rows) : '';
}
