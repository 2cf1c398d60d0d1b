/**
 * How much more data a waiting gate needs: what `onebox status`, the dashboard and the
 * history say while a step waits, and what sizes a step's extension.
 */
export interface Need {
  /** More requests on the new version the gate expects before it can pass, at the rates seen so far. */
  readonly requests: number;
  /** The new version's requests per second in the gate's window (set by whoever measured the window). */
  readonly perSecond?: number | undefined;
  /** `requests` at `perSecond`, ms. */
  readonly ms?: number | undefined;
}

/** The larger of two needs: a gate passes when its slowest part does. Unknown (undefined) wins. */
export function maxNeed(a: Need | undefined, b: Need | undefined): Need | undefined {
  if (!a || !b) return undefined;
  return a.requests >= b.requests ? a : b;
}

/**
 * A pace needs this many requests in the window: fewer (a window just begun, or just
 * restarted) say too little about the traffic to time anything by.
 */
export const MIN_PACE_REQUESTS = 10;

/** The need with the time it takes at the window's pace: `requests` new-version requests in `windowMs`. */
export function paced(need: Need, requests: number, windowMs: number): Need {
  if (requests < MIN_PACE_REQUESTS || !(windowMs > 0)) return need;
  const perSecond = requests / (windowMs / 1000);
  return { ...need, perSecond, ms: (need.requests / perSecond) * 1000 };
}

/** Two significant digits: an estimate, not a count. */
function rough(n: number): string {
  if (n < 100) return String(Math.ceil(n));
  const unit = 10 ** (Math.floor(Math.log10(n)) - 1);
  return (Math.ceil(n / unit) * unit).toLocaleString('en-US');
}

function roughDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${+(s / 3600).toFixed(1)} h`;
}

/** "needs ~420 more requests on v7, ~7 min at 1.0 req/s" */
export function describeNeed(need: Need, label: string): string {
  const head = `needs ~${rough(need.requests)} more request${need.requests === 1 ? '' : 's'} on ${label}`;
  if (need.perSecond === undefined || need.ms === undefined) return head;
  const pace = need.perSecond >= 10 ? need.perSecond.toFixed(0) : need.perSecond.toFixed(1);
  return `${head}, ~${roughDuration(need.ms)} at ${pace} req/s`;
}
