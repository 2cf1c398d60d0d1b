import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { createParser } from 'eventsource-parser';
import { statusAnswer } from '../api/index.js';
import { aliasAssignments, assignmentOf, changedComponents, type AliasAssignments } from './alias-assignments.js';
import { resolve } from './resolution.js';

export interface OneboxProviderOptions {
  /** The admin API's URL, e.g. `http://127.0.0.1:8081`. */
  readonly adminUrl: string;
  /** An admin token; a read-only one (`admin.tokens[].readOnly: true`) is all the provider needs. */
  readonly token: string;
  /** Wait before reconnecting a dropped event stream, ms. Default 1000. */
  readonly reconnectMs?: number;
  /** The fetch to call the admin API with. Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

/**
 * An OpenFeature server provider backed by onebox: flag key = component, targetingKey = the
 * user's identity (the gateway's `onebox-uid` cookie, or the trusted identity header's value),
 * variant = the version. It decides locally, with core's AliasRouter over the aliases of
 * `GET /v1/status`, so a user gets the version the gateway gives them; it follows the admin
 * API's event stream (`GET /v1/events`: a status on every change and every sample) and emits
 * PROVIDER_CONFIGURATION_CHANGED with the components whose routing changed, PROVIDER_STALE
 * while the stream is down (evaluations go on with the last state), PROVIDER_READY when it is
 * back. Evaluation never throws (see resolution.ts).
 */
export class OneboxProvider implements Provider {
  readonly metadata = { name: 'onebox' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private state: AliasAssignments = new Map();
  private readonly closed = new AbortController();
  private readonly fetch: typeof fetch;

  constructor(private readonly options: OneboxProviderOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /** Reads the status once (a failure rejects: the SDK then reports PROVIDER_ERROR), then follows the stream. */
  async initialize(): Promise<void> {
    const res = await this.fetch(new URL('/v1/status', this.options.adminUrl), {
      headers: { authorization: `Bearer ${this.options.token}` },
      signal: this.closed.signal,
    });
    if (!res.ok) throw new Error(`onebox admin API answered ${res.status} to GET /v1/status`);
    this.state = aliasAssignments(statusAnswer.parse(await res.json()));
    void this.follow();
  }

  async onClose(): Promise<void> {
    this.closed.abort();
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(
      resolve(flagKey, 'boolean', defaultValue, assignmentOf(this.state, flagKey, context.targetingKey)),
    );
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(
      resolve(flagKey, 'string', defaultValue, assignmentOf(this.state, flagKey, context.targetingKey)),
    );
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(
      resolve(flagKey, 'number', defaultValue, assignmentOf(this.state, flagKey, context.targetingKey)),
    );
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return Promise.resolve(
      resolve(flagKey, 'object', defaultValue, assignmentOf(this.state, flagKey, context.targetingKey)),
    );
  }

  /** A status from the stream: the new state, and the flags it changed. */
  private apply(data: string): void {
    let next: AliasAssignments;
    try {
      next = aliasAssignments(statusAnswer.parse(JSON.parse(data)));
    } catch {
      return; // A status this version cannot read changes nothing: the last good state stays.
    }
    const changed = changedComponents(this.state, next);
    this.state = next;
    if (changed.length) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
  }

  /** Follows the event stream until closed, reconnecting after `reconnectMs`. */
  private async follow(): Promise<void> {
    let stale = false;
    while (!this.closed.signal.aborted) {
      try {
        const res = await this.fetch(new URL('/v1/events', this.options.adminUrl), {
          headers: { authorization: `Bearer ${this.options.token}`, accept: 'text/event-stream' },
          signal: this.closed.signal,
        });
        if (!res.ok || !res.body) throw new Error(`GET /v1/events answered ${res.status}`);
        const parser = createParser({
          onEvent: (e) => {
            if (e.event !== 'status') return;
            this.apply(e.data);
            if (stale) {
              stale = false;
              this.events.emit(ProviderEvents.Ready);
            }
          },
        });
        const decoder = new TextDecoder();
        for await (const chunk of res.body) parser.feed(decoder.decode(chunk, { stream: true }));
      } catch {
        // Dropped, refused or closed: said below, and tried again.
      }
      if (this.closed.signal.aborted) return;
      if (!stale) {
        stale = true;
        this.events.emit(ProviderEvents.Stale, { message: 'the onebox event stream is down; using the last state' });
      }
      await new Promise<void>((done) => {
        const timer = setTimeout(done, this.options.reconnectMs ?? 1000);
        this.closed.signal.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
      });
    }
  }
}
