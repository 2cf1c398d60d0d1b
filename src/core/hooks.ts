/** A lifecycle hook: an HTTP call or a command, each with a timeout. */
export type HookSpec =
  { readonly url: string; readonly timeoutMs: number } | { readonly command: string; readonly timeoutMs: number };

export interface DeploymentHooks {
  readonly beforeAllowTraffic?: HookSpec | undefined;
  readonly afterAllowTraffic?: HookSpec | undefined;
}

/** Default hook timeout: 5 minutes. */
export const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60_000;
