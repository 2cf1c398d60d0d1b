import { ErrorCode } from '@openfeature/core';
import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import { notFound, noLiveVersion, resolve, type Assignment } from './resolution.js';

export interface OneboxWebProviderOptions {
  /** The gateway's origin, e.g. `https://shop.example`. Default '': the page's own origin. */
  readonly gatewayUrl?: string;
  /** The fetch to ask the gateway with. Default: the global fetch (the browser sends the cookie). */
  readonly fetch?: typeof fetch;
}

/** One component of the gateway's `GET /.onebox/assignment` answer (src/gateway/discovery.ts). */
interface Discovered {
  readonly version: number | null;
  readonly canary: boolean;
  readonly entrypoint: string | null;
  readonly split: boolean;
  readonly perRequest: boolean;
}

/**
 * An OpenFeature web provider backed by the gateway's assignment endpoint: the browser never
 * learns a seed or a weight, nor its identity (the cookie is HttpOnly); it asks the gateway
 * which version of each component it has, and the gateway answers with its own decision for
 * this cookie. Flag key = component; variant = version; the object value carries the
 * version-specific entrypoint. The targetingKey is not read: the cookie is who the user is.
 * Evaluation is synchronous from the last answer, and never throws.
 */
export class OneboxWebProvider implements Provider {
  readonly metadata = { name: 'onebox-web' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private components = new Map<string, Discovered>();
  private readonly fetch: typeof fetch;

  constructor(private readonly options: OneboxWebProviderOptions = {}) {
    // Bound: a browser's fetch called on another object throws "Illegal invocation".
    this.fetch = options.fetch ?? fetch.bind(globalThis);
  }

  /** Asks the gateway once; a failure rejects (the SDK reports PROVIDER_ERROR and serves defaults). */
  async initialize(): Promise<void> {
    await this.refresh();
  }

  /** A new context may be a new user (a login sets the identity header): ask again. */
  async onContextChange(): Promise<void> {
    await this.refresh();
  }

  /**
   * Asks the gateway for this user's assignment again (a page may call it as a release goes
   * on); a changed assignment emits PROVIDER_CONFIGURATION_CHANGED with the components.
   */
  async refresh(): Promise<void> {
    const res = await this.fetch(`${this.options.gatewayUrl ?? ''}/.onebox/assignment`, {
      credentials: 'include',
      headers: { accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`the onebox gateway answered ${res.status} to GET /.onebox/assignment`);
    const body = (await res.json()) as { components?: Record<string, Discovered> };
    if (!body || typeof body.components !== 'object') throw new Error('the onebox assignment answer has no components');
    const before = this.components;
    this.components = new Map(Object.entries(body.components));
    const changed = [...new Set([...before.keys(), ...this.components.keys()])].filter(
      (c) => JSON.stringify(before.get(c)) !== JSON.stringify(this.components.get(c)),
    );
    // The first answer is the provider getting ready, not a change.
    if (before.size && changed.length) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
  }

  private assignment(component: string): Assignment {
    const c = this.components.get(component);
    if (!c) return notFound(component);
    if (c.version === null) return noLiveVersion(component);
    if (!Number.isInteger(c.version))
      return {
        errorCode: ErrorCode.PARSE_ERROR,
        errorMessage: `the gateway's version of ${component} is not a number`,
      };
    const reason = !c.split ? 'STATIC' : c.perRequest ? 'DEFAULT' : 'SPLIT';
    return { version: c.version, canary: c.canary === true, reason, entrypoint: c.entrypoint ?? undefined };
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, _c: EvaluationContext): ResolutionDetails<boolean> {
    return resolve(flagKey, 'boolean', defaultValue, this.assignment(flagKey));
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, _c: EvaluationContext): ResolutionDetails<string> {
    return resolve(flagKey, 'string', defaultValue, this.assignment(flagKey));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, _c: EvaluationContext): ResolutionDetails<number> {
    return resolve(flagKey, 'number', defaultValue, this.assignment(flagKey));
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    _c: EvaluationContext,
  ): ResolutionDetails<T> {
    return resolve(flagKey, 'object', defaultValue, this.assignment(flagKey));
  }
}
