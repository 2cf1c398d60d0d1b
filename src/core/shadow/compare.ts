import { diffJson, groupPath, type DifferenceKind } from './json-diff.js';
import type { ShadowPolicy } from './policy.js';
import { compareVolatile, type AnswerWindow } from './volatile.js';

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
  /**
   * When its request went out and its answer was in (wall clock): what lets a timestamp of
   * "now" in two answers be told apart from a changed one. Undefined: timestamps are compared
   * by form only.
   */
  readonly window?: AnswerWindow | undefined;
}

/**
 * What a difference is about: a status, a header, a non-JSON body, a JSON field's kind of
 * change, or a volatile value (a timestamp, a UUID) that changed form.
 */
export type FieldDiffKind = DifferenceKind | 'status' | 'header' | 'text' | 'changed-format';

/**
 * Changes of shape are counted apart from changes of value, under `<path> (type)` and
 * `<path> (format)`: a field whose value the live version changes on every answer (a counter,
 * a request id) is noise as a value, but the live version never changes its type or form, so
 * a shadow that does is reported whatever the value's noise.
 */
function fieldOf(path: string, kind: FieldDiffKind): string {
  const grouped = groupPath(path);
  if (kind === 'changed-type') return `${grouped} (type)`;
  if (kind === 'changed-format') return `${grouped} (format)`;
  return grouped;
}

/** Response headers never compared whatever the policy: the gateway's own (x-onebox-*). */
const GATEWAY_HEADER_PREFIX = 'x-onebox-';

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
  const windows = { a: a.window, b: b.window };
  const names = new Set([...Object.keys(a.headers), ...Object.keys(b.headers)]);
  for (const name of names) {
    if (ignoredHeaders.has(name) || name.startsWith(GATEWAY_HEADER_PREFIX)) continue;
    const [va, vb] = [a.headers[name], b.headers[name]];
    if (va === vb) continue;
    const verdict = va !== undefined && vb !== undefined ? compareVolatile(va, vb, windows) : 'plain';
    if (verdict === 'same-moment') continue;
    const field = `header ${name}${verdict === 'changed-format' ? ' (format)' : ''}`;
    out.push({ field, kind: 'header', path: `header ${name}`, primary: va, shadow: vb });
  }
  // Identical bytes need no parsing: the common case for a shadow that behaves.
  if (a.body === b.body) return out;
  const ja = parseJson(a);
  const jb = parseJson(b);
  if (ja.ok && jb.ok) {
    for (const d of diffJson(ja.value, jb.value, new Set(policy.ignorePaths), MAX_DIFFERENCES)) {
      let kind: FieldDiffKind = d.kind;
      if (kind === 'changed-value') {
        const verdict = compareVolatile(d.primary, d.shadow, windows);
        if (verdict === 'same-moment') continue;
        if (verdict === 'changed-format') kind = 'changed-format';
      }
      out.push({ field: fieldOf(d.path, kind), kind, path: d.path, primary: d.primary, shadow: d.shadow });
    }
  } else if (a.body !== b.body) {
    out.push({ field: 'body', kind: 'text', path: 'body', primary: a.body, shadow: b.body });
  }
  return out;
}
