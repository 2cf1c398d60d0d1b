/**
 * Structural comparison of two JSON documents with typed paths, for shadow traffic:
 * what changed between the live version's answer and the shadow's. Paths are JSONPath-like
 * (`$.user.tags[2]`); `groupPath` turns indices into `[*]` so differences group by field.
 */
export type DifferenceKind = 'changed-value' | 'changed-type' | 'missing' | 'extra' | 'array-size' | 'array-order';

export interface Difference {
  readonly path: string;
  readonly kind: DifferenceKind;
  /** The live (primary) version's value, or its type/size. */
  readonly primary?: unknown;
  /** The shadow's value, or its type/size. */
  readonly shadow?: unknown;
}

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export function jsonType(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as JsonType;
}

/** `$.a[3].b` -> `$.a[*].b` */
export function groupPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[*]');
}

const key = (parent: string, k: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(k) ? `${parent}.${k}` : `${parent}[${JSON.stringify(k)}]`;

/** Differences between `primary` and `shadow`; paths in `ignore` (grouped form) and below are skipped. */
export function diffJson(
  primary: unknown,
  shadow: unknown,
  ignore: ReadonlySet<string> = new Set(),
  limit = 100,
): Difference[] {
  const out: Difference[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= limit || ignore.has(groupPath(path))) return;
    const ta = jsonType(a);
    const tb = jsonType(b);
    if (ta !== tb) {
      out.push({ path, kind: 'changed-type', primary: ta, shadow: tb });
      return;
    }
    if (ta === 'object') {
      const ao = a as Record<string, unknown>;
      const bo = b as Record<string, unknown>;
      for (const k of Object.keys(ao)) {
        const p = key(path, k);
        if (!(k in bo)) {
          if (!ignore.has(groupPath(p))) out.push({ path: p, kind: 'missing', primary: ao[k] });
        } else walk(ao[k], bo[k], p);
      }
      for (const k of Object.keys(bo)) {
        const p = key(path, k);
        if (!(k in ao) && !ignore.has(groupPath(p))) out.push({ path: p, kind: 'extra', shadow: bo[k] });
      }
      return;
    }
    if (ta === 'array') {
      const aa = a as unknown[];
      const ba = b as unknown[];
      if (aa.length !== ba.length) out.push({ path, kind: 'array-size', primary: aa.length, shadow: ba.length });
      else if (aa.length > 1 && !sameOrder(aa, ba) && sameElements(aa, ba)) {
        out.push({ path, kind: 'array-order' });
        return;
      }
      for (let i = 0; i < Math.min(aa.length, ba.length); i++) walk(aa[i], ba[i], `${path}[${i}]`);
      return;
    }
    if (a !== b) out.push({ path, kind: 'changed-value', primary: a, shadow: b });
  };
  walk(primary, shadow, '$');
  return out;
}

function sameOrder(a: unknown[], b: unknown[]): boolean {
  return a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
}

function sameElements(a: unknown[], b: unknown[]): boolean {
  const count = new Map<string, number>();
  for (const x of a) count.set(JSON.stringify(x), (count.get(JSON.stringify(x)) ?? 0) + 1);
  for (const y of b) {
    const k = JSON.stringify(y);
    const n = count.get(k);
    if (!n) return false;
    count.set(k, n - 1);
  }
  return true;
}
