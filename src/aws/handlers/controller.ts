import { OneboxError } from '../../core/index.js';
import { AwsControlPlane, type ControlPlaneDeps, type InvocationResult } from '../control/engine.js';
import { controllerEvent } from '../control/requests.js';

/** What the controller function answers: the invocation's result, or why it refused. */
export type ControllerAnswer =
  | ({ readonly ok: true } & InvocationResult)
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/**
 * The controller Lambda: EventBridge Scheduler invokes it every minute with
 * `{ "action": "tick" }`; the CLI and the release custom resource with a release, a
 * command or a published version. A refused request (bad input, a conflict, a tick that
 * lost to another) answers `ok: false` with the code the local admin API would use; an
 * AWS failure throws, so Lambda reports it and the schedule's next tick tries again.
 */
export function createControllerHandler(deps: ControlPlaneDeps): (event: unknown) => Promise<ControllerAnswer> {
  const plane = new AwsControlPlane(deps);
  return async (event) => {
    const parsed = controllerEvent.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.join('.') || 'event';
      return { ok: false, error: { code: 'invalid', message: `${where}: ${issue.message}` } };
    }
    try {
      return { ok: true, ...(await plane.handle(parsed.data)) };
    } catch (err) {
      if (err instanceof OneboxError) return { ok: false, error: { code: err.code, message: err.message } };
      throw err;
    }
  };
}
