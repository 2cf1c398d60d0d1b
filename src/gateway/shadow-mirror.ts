import { setPriority } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import {
  normalizeEndpoint,
  ShadowReport,
  ShadowSelection,
  type CapturedResponse,
  type ShadowPolicy,
  type ShadowReportData,
} from '../core/shadow/index.js';
import { HandlerPool } from '../runtime/handler-pool.js';
import type { InstanceInfo, LifecycleEvent } from '../runtime/instance.js';
import { sendCopy, type CopyOutcome, type MirrorRequest } from './shadow-copy.js';
import type { Target } from './target.js';

export type { MirrorRequest } from './shadow-copy.js';

/**
 * The niceness of a shadow's handler processes: below live's, so that on a busy host the
 * shadow's work (its cold starts after a timeout kills a hung process, above all) waits for
 * the live version's instead of taking its CPU.
 */
export const SHADOW_HANDLER_NICENESS = 10;

function lowerPriority(event: LifecycleEvent): void {
  if (event.type !== 'start' || event.pid === undefined) return;
  try {
    setPriority(event.pid, SHADOW_HANDLER_NICENESS);
  } catch {
    // Already gone, or not allowed here: the shadow then runs at live's priority.
  }
}

/**
 * The gateway's side of shadow traffic: the I/O. Which requests are copied, how answers
 * are compared and how a report adds up are core's (ShadowSelection, compareResponses,
 * ShadowReport); here the copies are sent, the answers captured, and the report fed.
 *
 * Diffy's triple, under the same conditions: the user's answer is the primary; once it is
 * in, two copies of the request go out in the same tick with the same headers and body, the
 * candidate to the shadow and the reference to the version that served the user. The live
 * version's noise (reference against primary) is then measured exactly as the shadow's
 * difference (candidate against primary) is, and neither copy ever competes with the user's
 * own request.
 */

/**
 * A shadow run on one component: its policy, its report, what is in flight, and the handler
 * processes of its copies (its own pool: a slow or crashing shadow handler never holds a live
 * one). `stored` is the report saved so far (after a restart), to go on with.
 */
export class ShadowRuntime {
  inFlight = 0;
  readonly report: ShadowReport;
  private readonly selection: ShadowSelection;
  private pool: HandlerPool | undefined;
  /** Alternates which copy is sent first, so neither is always a little ahead. */
  private flip = false;

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

  /**
   * Starts a copy of a request served by `live` for the `shadow` version, or counts a drop
   * when too many are in flight. `request.headers` are the origin request's; the policy's
   * dropped headers are taken out here.
   */
  begin(request: MirrorRequest, shadow: Target, live: Target): Mirror | undefined {
    this.report.data.counters.mirrored++;
    if (this.inFlight >= this.policy.maxInFlight) {
      this.report.data.counters.droppedInFlight++;
      return undefined;
    }
    this.inFlight++;
    const copied = { ...request, headers: this.selection.copiedHeaders(request.headers) };
    return new Mirror(this, copied, shadow, live);
  }

  /** The shadow's handler pool, started on the first handler copy. */
  handlers = (): HandlerPool => (this.pool ??= new HandlerPool({ output: 'ignore', onLifecycle: lowerPriority }));

  /** The shadow's running handler processes (none before its first handler copy). */
  handlerProcesses(): InstanceInfo[] {
    return this.pool?.instances() ?? [];
  }

  /** Whether the reference copy goes first this time. */
  referenceFirst(): boolean {
    this.flip = !this.flip;
    return this.flip;
  }

  /** Stops the shadow's handler processes (the shadow stopped or changed). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}

/**
 * One mirrored request. The primary exchange feeds it copies of the request body and of
 * the live answer (up to the cap) and never waits for it; the copies go out once both are
 * in, and the comparison runs when every answer is back.
 */
export class Mirror {
  private requestBody: Buffer[] = [];
  private requestBytes = 0;
  private requestDone = false;
  private primaryBody: Buffer[] = [];
  private primaryBytes = 0;
  private primaryHeaders: Record<string, string> = {};
  private primaryStatus = 0;
  private primary: CapturedResponse | undefined;
  private readonly sentAtMs = Date.now();
  private skipped = false;
  private finished = false;

  constructor(
    private readonly runtime: ShadowRuntime,
    private readonly request: MirrorRequest,
    private readonly shadow: Target,
    private readonly live: Target,
  ) {}

  private get cap(): number {
    return this.runtime.policy.bodyCapBytes;
  }

  /** A pass-through for the request body that keeps a copy up to the cap. */
  tee(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        this.requestChunk(chunk);
        done(null, chunk);
      },
      flush: (done: TransformCallback) => {
        this.requestEnd();
        done();
      },
    });
  }

  requestChunk(chunk: Buffer): void {
    if (this.skipped) return;
    this.requestBytes += chunk.length;
    if (this.requestBytes > this.cap) this.skip();
    else this.requestBody.push(chunk);
  }

  /** The whole request body is in (or there is none). */
  requestEnd(): void {
    this.requestDone = true;
  }

  /** The live answer's status and headers as the version sent them (before the gateway adds its own). */
  primaryStart(status: number, flatHeaders: readonly string[]): void {
    this.primaryStatus = status;
    const h = this.primaryHeaders;
    for (let i = 0; i < flatHeaders.length; i += 2) {
      const name = flatHeaders[i]!.toLowerCase();
      const value = flatHeaders[i + 1]!;
      h[name] = h[name] === undefined ? value : `${h[name]}, ${value}`;
    }
  }

  primaryChunk(chunk: Buffer): void {
    if (this.skipped) return;
    this.primaryBytes += chunk.length;
    if (this.primaryBytes > this.cap) this.skip();
    else this.primaryBody.push(chunk);
  }

  /** The live answer is complete: the copies go out now. */
  primaryEnd(latencyUs: number): void {
    if (this.finished) return;
    if (!this.requestDone) {
      // The live version answered before the request body was in (e.g. a 401 or 413): no copy.
      this.incomplete();
      return;
    }
    if (this.skipped) return this.release();
    this.primary = {
      status: this.primaryStatus,
      headers: this.primaryHeaders,
      body: Buffer.concat(this.primaryBody).toString('utf8'),
      latencyUs,
      window: { sentAtMs: this.sentAtMs, receivedAtMs: Date.now() },
    };
    this.primaryBody = [];
    void this.sendCopies();
  }

  /** The live answer failed or the client left: there is nothing to compare with. */
  primaryError(): void {
    if (!this.finished && !this.primary) this.incomplete();
  }

  private incomplete(): void {
    this.runtime.report.data.counters.primaryIncomplete++;
    this.release();
  }

  private skip(): void {
    if (this.skipped) return;
    this.skipped = true;
    this.runtime.report.data.counters.skippedBodyCap++;
    this.requestBody = [];
    this.primaryBody = [];
  }

  private release(): void {
    if (this.finished) return;
    this.finished = true;
    this.requestBody = [];
    this.runtime.inFlight--;
  }

  private async sendCopies(): Promise<void> {
    const { runtime, request } = this;
    const { policy, report } = runtime;
    const body = this.requestBody.length ? Buffer.concat(this.requestBody) : undefined;
    const limits = { timeoutMs: policy.timeoutMs, bodyCapBytes: policy.bodyCapBytes };
    const copy = (target: Target): Promise<CopyOutcome> => sendCopy(target, request, body, limits, runtime.handlers);
    let candidate: Promise<CopyOutcome>;
    let reference: Promise<CopyOutcome | undefined> = Promise.resolve(undefined);
    // Both in this tick; which one leaves first alternates.
    if (policy.noise && runtime.referenceFirst()) {
      reference = copy(this.live);
      candidate = copy(this.shadow);
    } else {
      candidate = copy(this.shadow);
      if (policy.noise) reference = copy(this.live);
    }
    const [shadowed, referenced] = await Promise.all([candidate, reference]);
    this.release();
    const counters = report.data.counters;
    if ('failure' in shadowed) {
      if (shadowed.failure === 'timeout') counters.shadowTimeouts++;
      else if (shadowed.failure === 'error') counters.shadowErrors++;
      else this.skip();
      return;
    }
    if (referenced && 'failure' in referenced && referenced.failure === 'too-large') return this.skip();
    const secondary = referenced && 'answer' in referenced ? referenced.answer : undefined;
    try {
      report.add(normalizeEndpoint(request.method, request.url), this.primary!, shadowed.answer, secondary);
    } catch {
      // A comparison must never take the process down; the copy is simply not counted.
    }
  }
}
