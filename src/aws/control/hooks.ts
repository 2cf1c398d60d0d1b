import { invalid } from '../../core/errors.js';
import type { DeploymentHooks } from '../../core/index.js';
import { runHook, type HookRunner } from '../../controller/hook-runner.js';

/**
 * The longest hook the controller function waits for, ms. The function runs 50 s per
 * invocation and commits after its hooks answer, so a hook must leave it time to write.
 */
export const AWS_HOOK_MAX_TIMEOUT_MS = 30_000;

/**
 * Hooks as the controller function runs them: URL hooks, POSTed with their timeout by the
 * local controller's own runner. A command has no shell to run in a Lambda invocation;
 * releases naming one are refused (checkAwsHooks), so this answer is a last guard.
 */
export const runAwsHook: HookRunner = (spec, payload) =>
  'url' in spec
    ? runHook(spec, payload)
    : Promise.resolve({ ok: false, detail: 'command hooks do not run on the AWS control plane' });

/** A release's hooks for one component, refused (every problem, by field) unless the controller function can run them. */
export function checkAwsHooks(hooks: DeploymentHooks, field: string): string[] {
  const problems: string[] = [];
  for (const name of ['beforeAllowTraffic', 'afterAllowTraffic'] as const) {
    const spec = hooks[name];
    if (!spec) continue;
    if ('command' in spec)
      problems.push(
        `${field}.${name}: command hooks ("${spec.command}") cannot run in the controller Lambda; give a URL hook ({ "url", "timeoutMs" }) on AWS`,
      );
    else if (!/^https?:\/\//.test(spec.url))
      problems.push(`${field}.${name}.url must be an http(s) URL, got "${spec.url}"`);
    if (!(spec.timeoutMs > 0 && spec.timeoutMs <= AWS_HOOK_MAX_TIMEOUT_MS))
      problems.push(
        `${field}.${name}.timeoutMs must be 1 to ${AWS_HOOK_MAX_TIMEOUT_MS} on AWS (the controller function waits for its hooks within one 50 s invocation), got ${spec.timeoutMs}`,
      );
  }
  return problems;
}

/** Throws once with every problem of a release's hooks. */
export function refuseUnrunnableHooks(problems: readonly string[]): void {
  if (problems.length) throw invalid(problems.join('; '));
}
