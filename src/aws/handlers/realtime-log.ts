/**
 * CloudFront real-time log records, as the shadow comparer reads them from Kinesis: each
 * record's data is one tab-separated line of the configured fields, in the configured order;
 * `-` stands for an empty value. `cs-headers` is URL-encoded `Name:value` lines (newline,
 * `%0A`, between them) and is cut at CloudFront's limit, so a last header shorter than
 * `cs-headers-count` says is dropped rather than replayed cut.
 */

/** The fields the shadow's real-time log configuration asks for, in this order. */
export const SHADOW_LOG_FIELDS = [
  'timestamp',
  'x-edge-request-id',
  'cs-method',
  'cs-uri-stem',
  'cs-uri-query',
  'sc-status',
  'cs-headers-count',
  'cs-headers',
] as const;

/** One viewer request, as a real-time log record gives it. */
export interface LoggedRequest {
  /** When CloudFront answered, epoch ms. */
  readonly at: number;
  readonly requestId: string;
  readonly method: string;
  /** Path and query, origin-form. */
  readonly url: string;
  /** The viewer's status (what CloudFront answered). */
  readonly status: number;
  /** Flat [name, value, ...], lowercase names, repeated ones kept. */
  readonly headers: string[];
}

const empty = (v: string | undefined): string => (v === undefined || v === '-' ? '' : v);

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return text;
  }
}

/** The headers of `cs-headers`, the last one dropped when the field was cut short. */
export function parseLoggedHeaders(field: string, count: number): string[] {
  const lines = field === '' ? [] : field.split(/%0A/i).filter((l) => l !== '');
  const out: string[] = [];
  for (const line of lines) {
    const text = decode(line);
    const colon = text.indexOf(':');
    if (colon <= 0) continue;
    out.push(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
  }
  if (Number.isFinite(count) && out.length / 2 < count && out.length > 0) out.splice(-2, 2);
  return out;
}

/** A record's line as a request, or undefined when it is not one of ours (other fields, too few). */
export function parseLoggedRequest(
  line: string,
  fields: readonly string[] = SHADOW_LOG_FIELDS,
): LoggedRequest | undefined {
  const values = line.replace(/\n$/, '').split('\t');
  if (values.length < fields.length) return undefined;
  const get = (name: string): string => empty(values[fields.indexOf(name)]);
  const method = get('cs-method');
  const stem = get('cs-uri-stem');
  if (!method || !stem.startsWith('/')) return undefined;
  const query = get('cs-uri-query');
  // `timestamp` is seconds with milliseconds, e.g. 1606168856.173.
  const at = Math.round(Number(get('timestamp')) * 1000);
  return {
    at: Number.isFinite(at) ? at : 0,
    requestId: get('x-edge-request-id'),
    method,
    url: query ? `${stem}?${query}` : stem,
    status: Number(get('sc-status')) || 0,
    headers: parseLoggedHeaders(get('cs-headers'), Number(get('cs-headers-count'))),
  };
}
