import type { AliasRouting } from './routing.js';
import type { DeploymentStatus } from './deployment-status.js';
import type { ErrorCode } from './errors.js';
import type { Version } from './model.js';

/**
 * A release: deployments of several components with an order (`after`). Its rules are
 * decided here, the same for every engine: what makes a release invalid, and which of its
 * deployments start or are skipped as the others end.
 */

/** Seed 000's recipe: backends shift linearly with alarms, then the frontend one-box bakes, then everyone. */
export const RECIPES = {
  'prod-one-box': {
    /** Every component of the release but the frontend, in parallel. */
    backend: 'LambdaLinear10PercentEvery1Minute',
    /** The component routed at "/", after all the backends. */
    frontend: 'onebox:20%:10m',
  },
} as const;

export type RecipeName = keyof typeof RECIPES;
export const RECIPE_NAMES = Object.keys(RECIPES) as RecipeName[];

/** One component of a release, as far as its rules are concerned. */
export interface ReleasePart {
  readonly component: string;
  readonly version: number;
  readonly after: readonly string[];
}

/** A problem with a release: the request's (`invalid`, `not_found`) or the state's (`conflict`). */
export interface ReleaseIssue {
  readonly code: Exclude<ErrorCode, 'unauthorized'>;
  readonly message: string;
}

/** What validating a release reads of the current state. */
export interface ReleaseState {
  readonly alias: (component: string) => AliasRouting | undefined;
  readonly version: (component: string, number: number) => Version | undefined;
}

/** Every problem of a release (empty when it may be recorded), not only the first. */
export function validateRelease(parts: readonly ReleasePart[], state: ReleaseState): ReleaseIssue[] {
  const issues: ReleaseIssue[] = [];
  const invalid = (message: string): number => issues.push({ code: 'invalid', message });
  const conflict = (message: string): number => issues.push({ code: 'conflict', message });
  const notFound = (message: string): number => issues.push({ code: 'not_found', message });
  if (parts.length === 0) invalid('a release needs at least one component');
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.component)) invalid(`${p.component} appears twice in the release`);
    names.add(p.component);
  }
  for (const p of parts) {
    for (const a of p.after) {
      if (!names.has(a)) invalid(`${p.component} is to go after ${a}, which is not in this release`);
    }
  }
  const cycle = findCycle(parts);
  if (cycle) invalid(`release order has a cycle: ${cycle.join(' -> ')}`);
  for (const p of parts) {
    const target = state.version(p.component, p.version);
    const alias = state.alias(p.component);
    if (!target) notFound(`component "${p.component}" has no version ${p.version}`);
    else if (target.retiredAt)
      conflict(`${p.component} version ${p.version} is retired and can never serve traffic again`);
    if (!alias)
      conflict(`${p.component} has no live version yet; point its alias at a first version with \`onebox alias\``);
    else if (alias.version === p.version && !alias.additional) conflict(`${p.component} v${p.version} is already live`);
  }
  return issues;
}

/** The first cycle of the release order, as the path that closes it, or undefined. */
function findCycle(parts: readonly ReleasePart[]): string[] | undefined {
  const after = new Map(parts.map((p) => [p.component, p.after]));
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (c: string, path: string[]): string[] | undefined => {
    if (done.has(c)) return undefined;
    if (visiting.has(c)) return [...path, c];
    visiting.add(c);
    for (const a of after.get(c) ?? []) {
      const found = visit(a, [...path, c]);
      if (found) return found;
    }
    visiting.delete(c);
    done.add(c);
    return undefined;
  };
  for (const p of parts) {
    const found = visit(p.component, []);
    if (found) return found;
  }
  return undefined;
}

/** One of a release's deployments, as far as its order is concerned. */
export interface ReleaseMember {
  readonly component: string;
  readonly toVersion: number;
  readonly status: DeploymentStatus;
  readonly after: readonly string[];
}

/** What the release does next with one of its waiting deployments. */
export type ReleaseStep =
  | { readonly kind: 'start'; readonly component: string }
  | { readonly kind: 'skip'; readonly component: string; readonly reason: string };

const FAILED: readonly DeploymentStatus[] = ['rolled-back', 'stopped', 'skipped'];

/**
 * The waiting (`created`) deployments that can move: started once every component before
 * them succeeded, skipped as soon as one of them did not.
 */
export function nextInRelease(members: readonly ReleaseMember[]): ReleaseStep[] {
  const byComponent = new Map(members.map((m) => [m.component, m]));
  const steps: ReleaseStep[] = [];
  for (const m of members) {
    if (m.status !== 'created') continue;
    const before = m.after.flatMap((c) => byComponent.get(c) ?? []);
    const failed = before.find((b) => FAILED.includes(b.status));
    if (failed) {
      const how = failed.status === 'skipped' ? 'never started' : failed.status;
      steps.push({ kind: 'skip', component: m.component, reason: `${failed.component} v${failed.toVersion} ${how}` });
    } else if (before.every((b) => b.status === 'succeeded')) {
      steps.push({ kind: 'start', component: m.component });
    }
  }
  return steps;
}
