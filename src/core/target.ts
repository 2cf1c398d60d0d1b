/**
 * What a version runs: an HTTP upstream, or a Lambda-style handler module that onebox
 * runs itself. Stored as one string: the URL, or `handler:` followed by JSON.
 */
export type VersionTarget =
  | { readonly kind: 'url'; readonly url: string }
  | {
      readonly kind: 'handler';
      /** `<absolute file>#<export>` inside the state folder's snapshot of the code. */
      readonly handler: string;
      /** Per-invocation timeout, ms (Lambda's default: 3000). */
      readonly timeoutMs: number;
      /** Environment variables, part of the version as in Lambda. Default: none. */
      readonly env?: Readonly<Record<string, string>>;
    };

const HANDLER = 'handler:';

export function parseTarget(target: string): VersionTarget {
  if (!target.startsWith(HANDLER)) return { kind: 'url', url: target };
  const { handler, timeoutMs, env } = JSON.parse(target.slice(HANDLER.length)) as {
    handler: string;
    timeoutMs: number;
    env?: Record<string, string>;
  };
  return env ? { kind: 'handler', handler, timeoutMs, env } : { kind: 'handler', handler, timeoutMs };
}

export function handlerTarget(handler: string, timeoutMs: number, env?: Readonly<Record<string, string>>): string {
  const withEnv = env && Object.keys(env).length ? { handler, timeoutMs, env } : { handler, timeoutMs };
  return `${HANDLER}${JSON.stringify(withEnv)}`;
}
