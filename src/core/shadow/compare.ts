import { diffJson, groupPath, type DifferenceKind } from './json-diff.js';
import type { ShadowPolicy } from './policy.js';

/**
 * The comparison of two answers to one request (the live version's and the shadow's, or
 * the live version's and its own second copy's, the noise): status, compared headers, and
 * the body as JSON (typed paths) or as text.
 */

/** At most this many differing JSON fields are listed per comparison. */
const MAX_DIFFERENCES = 100;

/** One captured answer: status, headers (lowercased) and the body text (under the cap). */
export interface CapturedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly latencyUs: number;
}

/** What a difference is about: a status, a header, a non-JSON body, or a JSON field's kind of change. */
export type FieldDiffKind = DifferenceKind | 'status' | 'header' | 'text';

/** Parsed bodies, so the live answer is parsed once though compared twice (shadow, noise). */
const parsed = new WeakMap<CapturedResponse, { ok: true; value: unknown } | { ok: false }>();

function parseJson(r: CapturedResponse): { ok: true; value: unknown } | { ok: false } {
  let result = parsed.get(r);
  if (result) return result;
  if (!r.headers['content-type']?.includes('json') && !/^\s*[[{]/.test(r.body)) result = { ok: false };
  else {
    try {
      result = { ok: true, value: JSON.parse(r.body) };
    } catch {
      result = { ok: false };
    }
  }
  parsed.set(r, result);
  return result;
}

export interface FieldDiff {
  readonly field: string;
  readonly kind: FieldDiffKind;
  readonly path: string;
  readonly primary: unknown;
  readonly shadow: unknown;
}

/** Every difference between two answers: status, compared headers, body (JSON or text). */
export function compareResponses(
  a: CapturedResponse,
  b: CapturedResponse,
  policy: Pick<ShadowPolicy, 'ignorePaths'>,
  ignoredHeaders: ReadonlySet<string>,
): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (a.status !== b.status)
    out.push({ field: 'status', kind: 'status', path: 'status', primary: a.status, shadow: b.status });
  const names = new Set([...Object.keys(a.headers), ...Object.keys(b.headers)]);
  for (const name of names) {
    if (ignoredHeaders.has(name)) continue;
    if (a.headers[name] !== b.headers[name]) {
      out.push({
        field: `header ${name}`,
        kind: 'header',
        path: `header ${name}`,
        primary: a.headers[name],
        shadow: b.headers[name],
      });
    }
  }
  // Identical bytes need no parsing: the common case for a shadow that behaves.
  if (a.body === b.body) return out;
  const ja = parseJson(a);
  const jb = parseJson(b);
  if (ja.ok && jb.ok) {
    for (const d of diffJson(ja.value, jb.value, new Set(policy.ignorePaths), MAX_DIFFERENCES)) {
      out.push({ field: groupPath(d.path), kind: d.kind, path: d.path, primary: d.primary, shadow: d.shadow });
    }
  } else if (a.body !== b.body) {
    out.push({ field: 'body', kind: 'text', path: 'body', primary: a.body, shadow: b.body });
  }
  return out;
}
