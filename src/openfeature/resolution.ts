import {
  ErrorCode,
  StandardResolutionReasons,
  type FlagValue,
  type FlagValueType,
  type JsonValue,
  type ResolutionDetails,
} from '@openfeature/core';

/**
 * From a onebox assignment to OpenFeature's resolution details, the same for the server and
 * the web provider. The flag key is a component; its variant is the version ("2"); each flag
 * type reads the assignment its own way:
 * - boolean: the user is on the alias's additional (new) version, "in the canary channel";
 * - string: the version, "2"; number: the version, 2;
 * - object: `{ component, version, canary }` (and `entrypoint` where the provider knows it).
 * Nothing here throws: a problem is an error code with the caller's default value, as the
 * spec's requirement 2.2.7 allows ("the provider MUST indicate an error"), and the SDK then
 * runs its error hooks.
 */

/** A user's version of a component, or why there is none. */
export type Assignment =
  | {
      readonly version: number;
      readonly canary: boolean;
      /**
       * Why: STATIC (the alias does not split: everyone has this version), SPLIT (the user's
       * sticky bucket under the split), DEFAULT (a per-request split: no user is assigned the
       * additional version; the gateway draws per request).
       */
      readonly reason: 'STATIC' | 'SPLIT' | 'DEFAULT';
      readonly entrypoint?: string | undefined;
    }
  | { readonly errorCode: ErrorCode; readonly errorMessage: string };

export const notFound = (component: string): Assignment => ({
  errorCode: ErrorCode.FLAG_NOT_FOUND,
  errorMessage: `no component "${component}" in onebox`,
});

export const noLiveVersion = (component: string): Assignment => ({
  errorCode: ErrorCode.GENERAL,
  errorMessage: `component "${component}" has no routable live version`,
});

const TYPE_OF: Record<FlagValueType, string> = {
  boolean: 'boolean',
  string: 'string',
  number: 'number',
  object: 'object',
};

/** The resolution of `component` for a flag of `type`, with the caller's default on any error. */
export function resolve<T extends FlagValue>(
  component: string,
  type: FlagValueType,
  defaultValue: T,
  assignment: Assignment,
): ResolutionDetails<T> {
  if ('errorCode' in assignment) {
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: assignment.errorCode,
      errorMessage: assignment.errorMessage,
    };
  }
  // A caller's default of another type than the one asked for is the caller's mistake, told as such.
  if (typeof defaultValue !== TYPE_OF[type] || (type === 'object' && defaultValue === null)) {
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
      errorMessage: `the default value of a ${type} flag is a ${typeof defaultValue}`,
    };
  }
  const { version, canary, reason, entrypoint } = assignment;
  const object: Record<string, JsonValue> = { component, version, canary };
  if (entrypoint !== undefined) object.entrypoint = entrypoint;
  const value =
    type === 'boolean' ? canary : type === 'string' ? String(version) : type === 'number' ? version : object;
  return {
    value: value as T,
    variant: String(version),
    reason: StandardResolutionReasons[reason],
    flagMetadata: { version, canary },
  };
}
