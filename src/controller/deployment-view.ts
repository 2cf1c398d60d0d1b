import {
  allowedActions,
  describeNeed,
  describePlan,
  holdRemainingMs,
  isHolding,
  type Alias,
  type DeploymentRecord,
  type GateVerdict,
} from '../core/index.js';
import type { DeploymentView } from '../api/index.js';
import type { Controller } from './controller.js';

/**
 * A deployment as `onebox status` and the dashboard show it, with its gate read now: the
 * same view for the local engine and the AWS control plane.
 */
export function deploymentView<Mark>(
  record: DeploymentRecord,
  controller: Controller<Mark>,
  alias: Alias | undefined,
  now: number,
): DeploymentView {
  const s = record.state;
  const parts = controller.stepGate(record);
  const gate = parts?.verdict;
  return {
    ...record,
    plan: describePlan(s.plan),
    holdRemainingMs: holdRemainingMs(s, now),
    gate,
    waiting: gate?.need && describeNeed(gate.need, `v${s.toVersion}`),
    gateParts: parts && { alarms: parts.alarms, judge: parts.judge && withoutFindings(parts.judge) },
    exposure: controller.exposure(record),
    holding: isHolding(s.status),
    actions: allowedActions(s.status, alias?.version === s.toVersion && !alias.additional),
  };
}

/** A judge verdict as the status view shows it: its findings are already in the sentence. */
function withoutFindings({ findings: _, ...verdict }: GateVerdict & { findings: unknown }): GateVerdict {
  return verdict;
}
