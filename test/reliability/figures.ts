/** Knobs and the one line of figures each reliability suite prints. */

/** A positive integer from the environment, else `fallback`; a bad value is an error, not a silent default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${raw}: expected a whole number >= 0`);
  return n;
}

export interface Figures {
  /** Inputs tried (requests, kills, documents...). */
  tries: number;
  /** Tries that broke a rule of the suite. */
  failures: number;
  /** Events or requests lost (never answered, never recorded). */
  lost: number;
}

/** Prints `reliability <suite>: tries=.. failures=.. lost=.. <details>` and returns it. */
export function report(suite: string, f: Figures, details: Record<string, string | number> = {}): string {
  const extra = Object.entries(details)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const line = `reliability ${suite}: tries=${f.tries} failures=${f.failures} lost=${f.lost}${extra ? ` ${extra}` : ''}`;
  console.log(line);
  return line;
}

/** Counts of each distinct value, as `a:3,b:1` (sorted by key). */
export function tally(values: Iterable<string | number>): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}:${n}`)
    .join(',');
}
