import type { Dispatcher } from 'undici';
import { parseTarget, type Version } from '../core/index.js';
import type { VersionRecorders } from '../metrics/recorder.js';
import type { VersionRecorder } from '../metrics/version-metrics.js';
import type { FunctionVersion } from '../runtime/function-version.js';

/** What every routable version has: its number and where its answers are counted. */
interface TargetBase {
  readonly component: string;
  readonly version: number;
  readonly metrics: VersionRecorder;
  /** Value of the x-onebox-version response header: `<component>:<n>`. */
  readonly debugHeader: string;
}

/** A version served by an HTTP upstream, proxied to (shadow copies need one). */
export interface HttpTarget extends TargetBase {
  readonly kind: 'http';
  /** The upstream origin's connection pool. */
  readonly dispatcher: Dispatcher;
  /** Origin, e.g. http://127.0.0.1:9001. */
  readonly origin: string;
  /** Path prefix of the target URL, '' when the target is an origin. */
  readonly basePath: string;
}

/** A version served by a handler module, run by the gateway's handler pool. */
export interface HandlerTarget extends TargetBase {
  readonly kind: 'handler';
  readonly fn: FunctionVersion;
}

/** A routable version: where to send requests and where to count them. */
export type Target = HttpTarget | HandlerTarget;

/** What making a target reads. */
export interface TargetSources {
  readonly dispatcherFor: (origin: string) => Dispatcher;
  readonly metrics: VersionRecorders;
}

/** A version's raw target, kept to tell whether a previous Target still fits it. */
const targetSource = new WeakMap<Target, string>();

/**
 * The target of a published version. Published versions do not change: `previous` (the
 * last snapshot's target for the same version) is reused while the version still points
 * where it did, so its pool and metrics stay the same objects.
 */
export function targetOf(sources: TargetSources, v: Version, previous: Target | undefined): Target {
  if (previous && previous.version === v.number && targetSource.get(previous) === v.target) return previous;
  const target = newTarget(sources, v);
  targetSource.set(target, v.target);
  return target;
}

function newTarget(sources: TargetSources, v: Version): Target {
  const metrics = sources.metrics.forVersion(v.component, v.number);
  const debugHeader = `${v.component}:${v.number}`;
  const target = parseTarget(v.target);
  if (target.kind === 'handler') {
    const fn: FunctionVersion = {
      functionName: v.component,
      version: v.number,
      handler: target.handler,
      timeoutMs: target.timeoutMs,
      env: target.env,
      runtime: target.runtime,
    };
    return { kind: 'handler', component: v.component, version: v.number, metrics, debugHeader, fn };
  }
  const url = new URL(target.url);
  const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return {
    kind: 'http',
    component: v.component,
    version: v.number,
    metrics,
    debugHeader,
    dispatcher: sources.dispatcherFor(url.origin),
    origin: url.origin,
    basePath,
  };
}
