/**
 * Longest-prefix match of a request path to a component's route. A prefix matches the
 * path itself and anything below it at a segment boundary: `/api` matches `/api` and
 * `/api/users`, not `/apix`.
 */
export interface Routed<T> {
  readonly prefix: string;
  readonly value: T;
}

export class RouteTable<T> {
  private readonly entries: Routed<T>[];

  constructor(entries: Iterable<Routed<T>>) {
    this.entries = [...entries].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /**
   * A table that differs from this one only in one entry's value (`old`, compared by
   * identity, becomes `value`); this one is left unchanged.
   * The entries are already in order, which the (stable, run-detecting) sort checks in O(n).
   */
  replace(old: T, value: T): RouteTable<T> {
    const i = this.entries.findIndex((e) => e.value === old);
    if (i === -1) throw new Error('no route has the value to replace');
    const entries = this.entries.slice();
    entries[i] = { prefix: this.entries[i]!.prefix, value };
    return new RouteTable(entries);
  }

  match(path: string): T | undefined {
    for (const entry of this.entries) {
      const p = entry.prefix;
      if (p === '/') return entry.value;
      if (
        path.startsWith(p) &&
        (path.length === p.length || path.charCodeAt(p.length) === 47 /* / */ || p.endsWith('/'))
      ) {
        return entry.value;
      }
    }
    return undefined;
  }
}

const ROUTE_PREFIX = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** Why a route prefix is invalid, or undefined when it is fine. */
export function routePrefixProblem(prefix: string): string | undefined {
  if (!prefix.startsWith('/')) return 'a path prefix must start with "/"';
  if (!ROUTE_PREFIX.test(prefix)) return 'a path prefix may hold only URL path characters';
  if (prefix.length > 1 && prefix.endsWith('/')) return 'a path prefix other than "/" must not end with "/"';
  return undefined;
}
