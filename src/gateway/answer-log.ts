import type { Target } from './target.js';

/** The path of a request target, without its query (which may carry secrets), at most 200 characters. */
export const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)).slice(0, 200);
};

/** What one log entry says, beside the version and the time. */
export interface AnswerFacts {
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  /** The status the client got. */
  readonly status: number;
  /** See GatewayLogEntry.kind. */
  readonly kind: string;
  readonly message: string;
  readonly stack?: readonly string[] | undefined;
}

/** How many lines of a handler error's stack an entry keeps. */
const STACK_LINES = 10;

/**
 * Records why the gateway gave or replaced an answer for `target`'s version, in that
 * version's log (its answer is recorded in its metrics separately).
 */
export function logAnswer(target: Target, facts: AnswerFacts): void {
  target.metrics.log({
    at: Date.now(),
    component: target.component,
    version: target.version,
    requestId: facts.requestId,
    method: facts.method,
    path: pathOf(facts.url),
    status: facts.status,
    kind: facts.kind,
    message: facts.message,
    ...(facts.stack?.length ? { stack: facts.stack.slice(0, STACK_LINES) } : {}),
  });
}
