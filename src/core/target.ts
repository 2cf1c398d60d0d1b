/** The Lambda Node.js runtimes a handler version may declare (Lambda's identifiers). */
export const NODE_RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;
export type NodeRuntime = (typeof NODE_RUNTIMES)[number];

/** The major Node.js version a runtime identifier names: `nodejs24.x` → 24. */
export function runtimeMajor(runtime: NodeRuntime): number {
  return Number(runtime.slice('nodejs'.length, -'.x'.length));
}

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
      /** The Lambda runtime it is written for. Default: none declared (onebox's own Node). */
      readonly runtime?: NodeRuntime;
    };

export type HandlerTarget = Omit<Extract<VersionTarget, { kind: 'handler' }>, 'kind'>;

const HANDLER = 'handler:';

export function parseTarget(target: string): VersionTarget {
  if (!target.startsWith(HANDLER)) return { kind: 'url', url: target };
  const { handler, timeoutMs, env, runtime } = JSON.parse(target.slice(HANDLER.length)) as HandlerTarget;
  return { kind: 'handler', handler, timeoutMs, ...(env && { env }), ...(runtime && { runtime }) };
}

/** The stored form of a handler target; empty env and an undeclared runtime are left out. */
export function handlerTarget({ handler, timeoutMs, env, runtime }: HandlerTarget): string {
  const stored = {
    handler,
    timeoutMs,
    ...(env && Object.keys(env).length > 0 && { env }),
    ...(runtime && { runtime }),
  };
  return `${HANDLER}${JSON.stringify(stored)}`;
}
