import type { KinesisStreamEvent } from 'aws-lambda';
import { readBaggageIdentity } from '../../core/baggage.js';
import { resolveIdentity } from '../../core/identity.js';
import {
  normalizeEndpoint,
  ShadowReport,
  ShadowSelection,
  type CapturedResponse,
  type ShadowPolicy,
  type ShadowReportData,
} from '../../core/shadow/index.js';
import { parseLoggedRequest, SHADOW_LOG_FIELDS, type LoggedRequest } from './realtime-log.js';
import { NOT_REPLAYED } from './not-replayed.js';

/**
 * The shadow on AWS, off the viewer's path entirely: CloudFront writes a real-time log
 * record of each viewer request to Kinesis (no function runs for it, nothing waits), and this
 * regional Lambda, fed by the stream, replays the chosen requests as Diffy does and as the
 * local gateway's mirror does: the live version once (the primary), then, together, the
 * shadow (the candidate) and the live version again (the reference), with the same headers.
 * The answers go to the same ShadowReport (core) as locally, so the same comparison, noise
 * cancellation and summary; what each batch added is handed to `save`.
 *
 * Only what a log record carries can be replayed: the method, the URL and the headers (no
 * body), which is why only body-less methods are mirrored.
 */

export interface ShadowComparerSettings {
  readonly component: string;
  /** Base URL of the live version's origin, e.g. the stable alias's function URL. */
  readonly liveUrl: string;
  /** Base URL of the shadow version's origin. */
  readonly shadowUrl: string;
  /** The local engine's policy (version, share, methods, dropHeaders, caps, noise, ignores). */
  readonly policy: ShadowPolicy;
  /** Lowercase identity header, or '' for the cookie alone. */
  readonly identityHeader: string;
  /** The real-time log configuration's fields, in order. Default SHADOW_LOG_FIELDS. */
  readonly fields?: readonly string[];
  /** Where what a batch added to the report goes (the control plane's store). */
  readonly save: (delta: ShadowReportData) => Promise<void> | void;
  readonly fetch?: typeof fetch;
}

/** Not compared: what fetch itself changes on the way (it decodes bodies, so their lengths differ). */
const HOP_BY_HOP_ANSWER = new Set(['connection', 'keep-alive', 'transfer-encoding']);

export function createShadowComparer(settings: ShadowComparerSettings) {
  const { policy } = settings;
  const doFetch = settings.fetch ?? fetch;
  const selection = new ShadowSelection(settings.component, policy);
  const fields = settings.fields ?? SHADOW_LOG_FIELDS;
  const base = (url: string): string => url.replace(/\/$/, '');
  const live = base(settings.liveUrl);
  const shadow = base(settings.shadowUrl);

  const call = async (
    origin: string,
    req: LoggedRequest,
    headers: string[],
  ): Promise<CapturedResponse | 'timeout' | 'error' | 'too-large'> => {
    const sentAtMs = Date.now();
    const started = performance.now();
    try {
      const res = await doFetch(`${origin}${req.url}`, {
        method: req.method,
        headers: pairs(headers),
        redirect: 'manual',
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > policy.bodyCapBytes) return 'too-large';
      const answerHeaders: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        if (!HOP_BY_HOP_ANSWER.has(name)) answerHeaders[name] = value;
      });
      return {
        status: res.status,
        headers: answerHeaders,
        body: body.toString('utf8'),
        latencyUs: (performance.now() - started) * 1000,
        window: { sentAtMs, receivedAtMs: Date.now() },
      };
    } catch (err) {
      return (err as Error).name === 'TimeoutError' ? 'timeout' : 'error';
    }
  };

  /** One request: primary, then candidate and reference together; its comparison added to `report`. */
  const replay = async (report: ShadowReport, req: LoggedRequest, headers: string[]): Promise<void> => {
    const counters = report.data.counters;
    const primary = await call(live, req, headers);
    if (typeof primary === 'string') {
      if (primary === 'too-large') counters.skippedBodyCap++;
      else counters.primaryIncomplete++;
      return;
    }
    const [candidate, reference] = await Promise.all([
      call(shadow, req, headers),
      policy.noise ? call(live, req, headers) : Promise.resolve(undefined),
    ]);
    if (candidate === 'timeout') counters.shadowTimeouts++;
    else if (candidate === 'error') counters.shadowErrors++;
    if (candidate === 'too-large' || reference === 'too-large') counters.skippedBodyCap++;
    if (typeof candidate === 'string' || reference === 'too-large') return;
    const secondary = typeof reference === 'string' ? undefined : reference;
    report.add(normalizeEndpoint(req.method, req.url), primary, candidate, secondary);
  };

  return async (event: KinesisStreamEvent): Promise<{ batchItemFailures: [] }> => {
    const report = new ShadowReport(settings.component, policy);
    const chosen: { req: LoggedRequest; headers: string[] }[] = [];
    for (const record of event.Records) {
      const req = parseLoggedRequest(Buffer.from(record.kinesis.data, 'base64').toString('utf8'), fields);
      if (!req) continue;
      const header = (name: string): string | undefined => {
        for (let i = 0; i < req.headers.length; i += 2) if (req.headers[i] === name) return req.headers[i + 1];
        return undefined;
      };
      const identity = resolveIdentity({
        header: settings.identityHeader ? header(settings.identityHeader) : undefined,
        cookie: header('cookie'),
        baggage: readBaggageIdentity(header('baggage')),
      });
      // A first visit has no identity yet (the edge mints it): chosen per request then.
      if (!selection.wants(req.method, identity?.id ?? req.requestId)) continue;
      report.data.counters.mirrored++;
      const copied = selection.copiedHeaders(req.headers);
      const headers: string[] = [];
      for (let i = 0; i + 1 < copied.length; i += 2) {
        if (!NOT_REPLAYED.has(copied[i]!)) headers.push(copied[i]!, copied[i + 1]!);
      }
      chosen.push({ req, headers });
    }
    // At most maxInFlight replays at once, as locally; the batch waits for all (no copy is dropped here).
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < chosen.length) {
        const { req, headers } = chosen[next++]!;
        await replay(report, req, headers);
      }
    };
    await Promise.all(Array.from({ length: Math.min(policy.maxInFlight, chosen.length) }, lane));
    if (report.data.counters.mirrored > 0) await settings.save(report.drain());
    return { batchItemFailures: [] };
  };
}

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
