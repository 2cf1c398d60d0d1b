import type { NodeRuntime } from '../core/index.js';

/** A function version as the handler pool runs it, named as Lambda names it. */

/** One published version of a function (a component), runnable by the pool. */
export interface FunctionVersion {
  /** The component's name: Lambda's function name. */
  readonly functionName: string;
  readonly version: number | string;
  /** `file#exportName`, default export name `handler`; the file is an ESM or CJS module. */
  readonly handler: string;
  /** Per-invocation timeout, counted from when the invocation reaches a ready process. Default 3000 (Lambda's). */
  readonly timeoutMs?: number;
  /** context.memoryLimitInMB and the process's V8 heap limit. Default 128 (Lambda's). */
  readonly memoryLimitInMB?: number;
  /** Environment of the handler's process, on top of the Lambda-style variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** The Lambda runtime it declares; picks the Node it runs on (see NodeRuntimes). Default: onebox's Node. */
  readonly runtime?: NodeRuntime;
}

/** Splits `file#exportName` (default export name `handler`). */
export function parseHandlerRef(ref: string): { file: string; exportName: string } {
  const hash = ref.lastIndexOf('#');
  if (hash === -1 || ref.slice(hash + 1).includes('/')) return { file: ref, exportName: 'handler' };
  return { file: ref.slice(0, hash), exportName: ref.slice(hash + 1) || 'handler' };
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` */
export function functionArn(
  functionName: string,
  qualifier?: string,
  where: { region?: string; accountId?: string } = {},
): string {
  const base = `arn:aws:lambda:${where.region ?? 'local'}:${where.accountId ?? '000000000000'}:function:${functionName}`;
  return qualifier ? `${base}:${qualifier}` : base;
}
