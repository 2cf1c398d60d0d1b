/**
 * The Lambda aliases each component's versions are addressed by, each with its own origin:
 * `stable` serves everyone outside the split, `canary` the split's users. CloudFormation
 * creates them; the controller moves them.
 */
export const STABLE_ALIAS = 'stable';
export const CANARY_ALIAS = 'canary';
