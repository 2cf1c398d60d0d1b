/**
 * What a component may be called: Lambda's rule for a function name (letters of both cases,
 * digits, hyphens and underscores, 1 to 64 characters), so a component can carry the name of
 * the function it stands for (seed 002's `TrafficShiftDemo`). Names are case-sensitive, as
 * Lambda's are. One source for the config schema, the admin API's paths and the CLI.
 */
export const COMPONENT_NAME_PATTERN = '[A-Za-z0-9_-]{1,64}';

export const COMPONENT_NAME = new RegExp(`^${COMPONENT_NAME_PATTERN}$`);

export const COMPONENT_NAME_RULE =
  'expected 1 to 64 letters, digits, hyphens or underscores (as a Lambda function name)';

export function isComponentName(name: string): boolean {
  return COMPONENT_NAME.test(name);
}
