import { isWatched, type BrowserWindow, type DeploymentRecord } from '../../core/index.js';
import { seriesKey } from './series-windows.js';
import type { UserCounter } from './user-counts.js';

/** A version's browser window as read before the tick: its users from `from` (the step's start) to now. */
export interface ReadBrowserWindow {
  readonly from: number;
  readonly window: BrowserWindow;
}

/**
 * The browser gate's windows of each watched deployment whose component has a BrowserBeacon:
 * both versions' users over the step's window (the controller's marks on AWS are the step's
 * start, so the windows are the ones the local engine's recorder gives the gate), one pair of
 * Logs Insights queries per deployment, all in parallel. A window that could not be read in
 * time is absent: the gate then reads no users, and the browser alarm waits for them (as
 * locally before any page reported); it never passes for want of data, and a failed query
 * never fails the tick.
 */
export async function readBrowserWindows(
  users: UserCounter,
  records: readonly DeploymentRecord[],
  logGroupOf: (component: string) => string | undefined,
  now: number,
): Promise<Map<string, ReadBrowserWindow>> {
  const reads = records.flatMap((r) => {
    const s = r.state;
    const logGroup = logGroupOf(s.component);
    if (!isWatched(s.status) || s.step < 0 || !logGroup || !r.gates.browser) return [];
    const request = { component: s.component, versions: [s.fromVersion, s.toVersion], from: s.stepStartedAt, to: now };
    return [
      users
        .countBrowser(logGroup, request)
        .catch(() => undefined)
        .then((windows) => ({ request, windows })),
    ];
  });
  const out = new Map<string, ReadBrowserWindow>();
  for (const { request, windows } of await Promise.all(reads))
    for (const [version, window] of windows ?? [])
      out.set(seriesKey(request.component, version), { from: request.from, window });
  return out;
}
