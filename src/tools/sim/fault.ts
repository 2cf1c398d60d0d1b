import { invalid } from '../../core/errors.js';

/**
 * What is wrong with the new version. Errors: its error rate is `to` where the stable
 * version's is `from`. Latency: every latency times `factor` (`tail: false`), or only the
 * tail stretched so that p99 is `factor` times higher and the median unchanged
 * (`tail: true`). `routes` limits the fault to those routes (all when absent).
 * Cold: nothing is wrong, but the new version starts cold while stable is warm: its first
 * request is `factor` times slower, the excess fading over its first `requests` (to 5%).
 */
export type Fault =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'errors';
      readonly from: number;
      readonly to: number;
      readonly routes?: readonly string[] | undefined;
    }
  | {
      readonly kind: 'latency';
      readonly factor: number;
      readonly tail: boolean;
      readonly routes?: readonly string[] | undefined;
    }
  | { readonly kind: 'cold'; readonly factor: number; readonly requests: number }
  /** Only the browser sees it: a share `to` of the new version's page views fail there (`from` of stable's); every answer is a 200. */
  | { readonly kind: 'browser'; readonly from: number; readonly to: number };

const HELP =
  'expected none, browser:0.5%->5% (page views failing in the browser only), errors:1%->3%, latency:x1.5 (every request slower), p99:x1.5 (tail only, median unchanged), optionally followed by @route,route, or cold:x5:100 (a good version that starts cold)';

/** True when the new version is worse: a rollback is a detection, not a false rollback. */
export const isBad = (f: Fault): boolean => f.kind !== 'none' && f.kind !== 'cold';

/** The new version's latency multiplier on its `i`-th request (from 0) of the release. */
export function coldFactor(f: Fault, i: number): number {
  return f.kind === 'cold' ? 1 + (f.factor - 1) * Math.exp((-3 * i) / f.requests) : 1;
}

function rate(text: string, spec: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  const r = m ? Number(m[1]) / 100 : NaN;
  if (!(r >= 0 && r <= 1)) throw invalid(`fault "${spec}": "${text}" is not a percentage from 0% to 100%; ${HELP}`);
  return r;
}

function factor(text: string, spec: string): number {
  const m = /^x(\d+(?:\.\d+)?)$/.exec(text.trim());
  const k = m ? Number(m[1]) : NaN;
  if (!(k > 0)) throw invalid(`fault "${spec}": "${text}" is not a factor such as x1.5; ${HELP}`);
  return k;
}

/** Parses `none`, `errors:1%->3%`, `latency:x1.5`, `p99:x1.5`, each optionally `@route,route`. */
export function parseFault(spec: string): Fault {
  const [main, where, ...extra] = spec.trim().split('@');
  if (extra.length) throw invalid(`fault "${spec}": more than one @; ${HELP}`);
  const routes = where === undefined ? undefined : where.split(',').map((r) => r.trim());
  if (routes?.some((r) => !r)) throw invalid(`fault "${spec}": empty route name; ${HELP}`);
  const [kind, ...args] = main!.trim().split(':');
  if (kind === 'none' && args.length === 0 && !routes) return { kind: 'none' };
  if (kind === 'errors' && args.length >= 1) {
    const parts = args.join(':').split(/->|:/);
    if (parts.length === 2) return { kind: 'errors', from: rate(parts[0]!, spec), to: rate(parts[1]!, spec), routes };
  }
  if (kind === 'browser' && args.length >= 1 && !routes) {
    const parts = args.join(':').split(/->|:/);
    if (parts.length === 2) return { kind: 'browser', from: rate(parts[0]!, spec), to: rate(parts[1]!, spec) };
  }
  if (kind === 'cold' && args.length === 2 && !routes) {
    const n = Number(args[1]);
    if (!(Number.isInteger(n) && n > 0))
      throw invalid(`fault "${spec}": "${args[1]}" is not a number of requests; ${HELP}`);
    return { kind: 'cold', factor: factor(args[0]!, spec), requests: n };
  }
  if ((kind === 'latency' || kind === 'p99') && args.length === 1) {
    return { kind: 'latency', factor: factor(args[0]!, spec), tail: kind === 'p99', routes };
  }
  throw invalid(`fault "${spec}" is not one the simulator knows; ${HELP}`);
}

const pct = (x: number): string => `${+(x * 100).toFixed(2)}%`;

export function describeFault(f: Fault): string {
  const where = (f.kind === 'errors' || f.kind === 'latency') && f.routes ? ` on ${f.routes.join(', ')} only` : '';
  switch (f.kind) {
    case 'none':
      return 'none (A/A: the new version is identical)';
    case 'errors':
      return `error rate ${pct(f.from)} -> ${pct(f.to)}${where}`;
    case 'latency':
      return f.tail ? `p99 latency x${f.factor}, median unchanged${where}` : `every latency x${f.factor}${where}`;
    case 'browser':
      return `page views failing in the browser ${pct(f.from)} -> ${pct(f.to)}, every answer a 200`;
    case 'cold':
      return `a good version that starts cold: its first request x${f.factor} slower, fading over its first ${f.requests}`;
  }
}
