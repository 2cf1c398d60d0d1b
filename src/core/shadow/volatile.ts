/**
 * Values that change on every answer by design: timestamps of "now" (ISO 8601, HTTP dates,
 * epoch seconds / milliseconds / microseconds) and UUIDs. They are recognised by their form,
 * so that
 * - two timestamps of the same form are the same value when their difference is no more than
 *   the time between the two answers explains (each answer's [sent, received] window, the
 *   form's precision and a little clock skew): an unchanged `at: new Date().toISOString()` is
 *   no difference at any precision, while an hour's shift, a stale cache or a time zone bug
 *   is one;
 * - a change of form (ISO to epoch, milliseconds to seconds, a UUID to an empty string) is a
 *   difference of its own kind (`changed-format`), which the live version's noise about the
 *   value never hides.
 */

/** The wall-clock window of one answer: when its request went out and its answer was in (epoch ms). */
export interface AnswerWindow {
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
}

/**
 * Clocks of the gateway and of the versions may disagree by this much (ms). Local processes
 * share one clock; on AWS, Lambda hosts are NTP-synchronised to a few milliseconds.
 */
export const CLOCK_SKEW_MS = 5;

/** A recognised form: its name (what `changed-format` compares) and, for a time, its value and precision. */
export interface VolatileForm {
  /** e.g. `iso-time/3/Z`, `epoch-ms`, `http-date`, `uuid-v4`. */
  readonly form: string;
  /** A timestamp's instant (epoch ms); undefined for a UUID. */
  readonly timeMs?: number;
  /** A timestamp's resolution, ms (1000 for whole seconds, 0.001 for microseconds). */
  readonly precisionMs?: number;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const HTTP_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Epoch numbers of instants from 2000 to 2100, by unit: a count in this range reads as a time. */
const EPOCH_UNITS = [
  { form: 'epoch-s', perMs: 1 / 1000, from: 946_684_800, to: 4_102_444_800 },
  { form: 'epoch-ms', perMs: 1, from: 946_684_800_000, to: 4_102_444_800_000 },
  { form: 'epoch-us', perMs: 1000, from: 946_684_800_000_000, to: 4_102_444_800_000_000 },
] as const;

function isoTime(m: RegExpExecArray): VolatileForm | undefined {
  const [, y, mo, d, h, mi, s, fraction = '', zone = ''] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(base)) return undefined;
  let offsetMin = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    offsetMin = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0));
  }
  const fractionMs = fraction ? Number(`0.${fraction}`) * 1000 : 0;
  // The zone's style is part of the form: `Z` to `+00:00` is a change a client may notice.
  const zoneForm = zone === '' ? 'local' : zone === 'Z' || zone === 'z' ? 'Z' : zone.includes(':') ? '+hh:mm' : '+hhmm';
  return {
    form: `iso-time/${fraction.length}/${zoneForm}`,
    timeMs: base + fractionMs - offsetMin * 60_000,
    precisionMs: 1000 / 10 ** fraction.length,
  };
}

/** The volatile form of a JSON value or header value, or undefined for an ordinary value. */
export function volatileForm(value: unknown): VolatileForm | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    for (const unit of EPOCH_UNITS) {
      if (value >= unit.from && value < unit.to) {
        return { form: unit.form, timeMs: value / unit.perMs, precisionMs: 1 / unit.perMs };
      }
    }
    return undefined;
  }
  if (typeof value !== 'string' || value.length < 19 || value.length > 40) return undefined;
  const iso = ISO.exec(value);
  if (iso) return isoTime(iso);
  if (HTTP_DATE.test(value)) return { form: 'http-date', timeMs: Date.parse(value), precisionMs: 1000 };
  const uuid = UUID.exec(value);
  if (uuid) return { form: `uuid-v${uuid[1]!.toLowerCase()}` };
  return undefined;
}

/** What two differing values are to the comparison. */
export type VolatileVerdict =
  /** Not volatile values: compare them as they are. */
  | 'plain'
  /** Timestamps of one form whose difference the answers' timing explains: no difference. */
  | 'same-moment'
  /** Both volatile, of one form, values differ (UUIDs; timestamps too far apart): a value difference. */
  | 'same-form'
  /** A volatile value on one side, another form or an ordinary value on the other. */
  | 'changed-format';

/**
 * Two differing values `a` (the live answer's) and `b` (a copy's), with the windows of the
 * answers they came in (undefined when unknown: timestamps are then only compared by form).
 */
export function compareVolatile(
  a: unknown,
  b: unknown,
  windows: { readonly a?: AnswerWindow | undefined; readonly b?: AnswerWindow | undefined },
): VolatileVerdict {
  const fa = volatileForm(a);
  const fb = volatileForm(b);
  if (!fa && !fb) return 'plain';
  // A number that happens to be in the epoch range on one side only is an ordinary number.
  if (!fa || !fb) return typeof a === 'string' || typeof b === 'string' ? 'changed-format' : 'plain';
  if (fa.form !== fb.form) return 'changed-format';
  if (fa.timeMs === undefined || fb.timeMs === undefined || !windows.a || !windows.b) return 'same-form';
  const slack = Math.max(fa.precisionMs ?? 0, fb.precisionMs ?? 0) + CLOCK_SKEW_MS;
  const earliest = windows.b.sentAtMs - windows.a.receivedAtMs - slack;
  const latest = windows.b.receivedAtMs - windows.a.sentAtMs + slack;
  const d = fb.timeMs - fa.timeMs;
  return d >= earliest && d <= latest ? 'same-moment' : 'same-form';
}
