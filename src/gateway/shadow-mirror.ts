import { Transform, type TransformCallback } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import {
  normalizeEndpoint,
  ShadowReport,
  ShadowSelection,
  type CapturedResponse,
  type ShadowPolicy,
  type ShadowReportData,
} from '../core/shadow/index.js';

/**
 * The gateway's side of shadow traffic: the I/O. Which requests are copied, how answers
 * are compared and how a report adds up are core's (ShadowSelection, compareResponses,
 * ShadowReport); here the copies are sent, the answers captured, and the report fed.
 */

/** Where a copy goes: the shadow version, or the live version again (the noise copy). */
export interface MirrorTarget {
  readonly dispatcher: Dispatcher;
  readonly origin: string;
  readonly basePath: string;
}

/**
 * A shadow run on one component: its policy, its report, and what is in flight. `stored`
 * is the report saved so far (after a restart), to go on with.
 */
export class ShadowRuntime {
  inFlight = 0;
  readonly report: ShadowReport;
  private readonly selection: ShadowSelection;

  constructor(
    readonly component: string,
    readonly policy: ShadowPolicy,
    stored?: ShadowReportData,
  ) {
    this.report = new ShadowReport(component, policy, stored);
    this.selection = new ShadowSelection(component, policy);
  }

  /** Whether this request is mirrored: method allowed, user in the (sticky) share. */
  wants(method: string, userId: string): boolean {
    return this.selection.wants(method, userId);
  }

  /** Starts a copy, or counts a drop when too many are in flight. */
  begin(
    method: string,
    url: string,
    headers: readonly string[],
    shadow: MirrorTarget,
    live: MirrorTarget,
  ): Mirror | undefined {
    this.report.data.counters.mirrored++;
    if (this.inFlight >= this.policy.maxInFlight) {
      this.report.data.counters.droppedInFlight++;
      return undefined;
    }
    this.inFlight++;
    return new Mirror(this, method, url, this.selection.copiedHeaders(headers), shadow, live);
  }
}

class BodyTooLarge extends Error {}

/**
 * One mirrored request. The primary exchange feeds it copies of the request body and of
 * the live answer (up to the cap) and never waits for it; the copies go out once the
 * request body is in, and the comparison runs when every answer is back.
 */
export class Mirror {
  private requestBody: Buffer[] = [];
  private requestBytes = 0;
  private primaryBody: Buffer[] = [];
  private primaryBytes = 0;
  private primary: CapturedResponse | undefined;
  private primaryHeaders: Record<string, string> = {};
  private primaryStatus = 0;
  private skipped = false;
  private primaryFailed = false;
  private sent = false;
  private answers: Promise<[CapturedResponse | undefined, CapturedResponse | undefined]> | undefined;

  constructor(
    private readonly runtime: ShadowRuntime,
    private readonly method: string,
    private readonly url: string,
    private readonly headers: string[],
    private readonly shadow: MirrorTarget,
    private readonly live: MirrorTarget,
  ) {}

  private get cap(): number {
    return this.runtime.policy.bodyCapBytes;
  }

  /** A pass-through for the request body that keeps a copy up to the cap. */
  tee(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        this.requestBytes += chunk.length;
        if (this.requestBytes > this.cap) this.skip();
        else this.requestBody.push(chunk);
        done(null, chunk);
      },
      flush: (done: TransformCallback) => {
        this.send();
        done();
      },
    });
  }

  /** The request has no body: the copies can go now. */
  send(): void {
    if (this.sent) return;
    this.sent = true;
    if (this.skipped) return this.release();
    const body = this.requestBody.length ? Buffer.concat(this.requestBody) : undefined;
    this.requestBody = [];
    const noise = this.runtime.policy.noise ? this.call(this.live, body) : Promise.resolve(undefined);
    this.answers = Promise.all([this.call(this.shadow, body, true), noise]);
    void this.answers.then(() => this.release());
    this.compareWhenReady();
  }

  primaryStart(status: number, flatHeaders: readonly string[]): void {
    this.primaryStatus = status;
    for (let i = 0; i < flatHeaders.length; i += 2)
      this.primaryHeaders[flatHeaders[i]!.toLowerCase()] = flatHeaders[i + 1]!;
  }

  primaryChunk(chunk: Buffer): void {
    if (this.skipped) return;
    this.primaryBytes += chunk.length;
    if (this.primaryBytes > this.cap) this.skip();
    else this.primaryBody.push(chunk);
  }

  primaryEnd(latencyUs: number): void {
    if (!this.sent) {
      // The live version answered before the request body was in (e.g. a 401 or 413): no copy.
      this.abandon();
      return;
    }
    this.primary = {
      status: this.primaryStatus,
      headers: this.primaryHeaders,
      body: Buffer.concat(this.primaryBody).toString('utf8'),
      latencyUs,
    };
    this.primaryBody = [];
    this.compareWhenReady();
  }

  /** The live answer failed or the client left: there is nothing to compare with. */
  primaryError(): void {
    if (!this.primaryFailed) this.runtime.report.data.counters.primaryIncomplete++;
    this.primaryFailed = true;
    // A body that never finished would otherwise hold its in-flight slot for good.
    if (!this.sent) {
      this.sent = true;
      this.release();
    }
  }

  private abandon(): void {
    this.sent = true;
    if (!this.primaryFailed) this.runtime.report.data.counters.primaryIncomplete++;
    this.primaryFailed = true;
    this.release();
  }

  private skip(): void {
    if (this.skipped) return;
    this.skipped = true;
    this.runtime.report.data.counters.skippedBodyCap++;
    this.requestBody = [];
    this.primaryBody = [];
  }

  private released = false;
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.runtime.inFlight--;
  }

  private compareWhenReady(): void {
    if (!this.primary || !this.answers) return;
    const primary = this.primary;
    void this.answers.then(([shadow, secondary]) => {
      if (this.skipped || this.primaryFailed || !shadow) return;
      try {
        this.runtime.report.add(normalizeEndpoint(this.method, this.url), primary, shadow, secondary);
      } catch {
        // A comparison must never take the process down; the copy is simply not counted.
      }
    });
  }

  private async call(
    target: MirrorTarget,
    body: Buffer | undefined,
    isShadow = false,
  ): Promise<CapturedResponse | undefined> {
    const { timeoutMs } = this.runtime.policy;
    const started = performance.now();
    const counters = this.runtime.report.data.counters;
    try {
      const res = await request(`${target.origin}${target.basePath}${this.url}`, {
        dispatcher: target.dispatcher,
        method: this.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body,
        // undici's own timeouts bound the copy (an AbortSignal timer per copy costs more).
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.cap) {
          res.body.destroy();
          throw new BodyTooLarge();
        }
        chunks.push(chunk);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      return {
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        latencyUs: (performance.now() - started) * 1000,
      };
    } catch (err) {
      if (err instanceof BodyTooLarge) this.skip();
      else if (isShadow) {
        const e = err as Error & { code?: string };
        if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT')
          counters.shadowTimeouts++;
        else counters.shadowErrors++;
      }
      return undefined;
    }
  }
}
