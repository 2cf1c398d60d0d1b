import { InvalidArgumentError } from 'commander';
import { COMPONENT_NAME_PATTERN, parseDuration } from '../core/index.js';

/** Parsers of the option values the commands share; each refusal quotes the value and the form expected. */

/** `--weight 2=0.2`: Lambda's AdditionalVersionWeights, one version. */
export function parseWeight(value: string): Record<string, number> {
  const m = /^([1-9]\d*)=(\d*\.?\d+)$/.exec(value);
  const weight = m ? Number(m[2]) : NaN;
  if (!m || !(weight >= 0 && weight <= 1)) {
    throw new InvalidArgumentError(`expected VERSION=WEIGHT with a weight from 0 to 1 (e.g. 2=0.2), got "${value}"`);
  }
  return { [m[1]!]: weight };
}

export function collectSet(value: string, acc: [string, number][]): [string, number][] {
  const m = new RegExp(`^(${COMPONENT_NAME_PATTERN})=([1-9]\\d*)$`).exec(value);
  if (!m) throw new InvalidArgumentError(`expected COMPONENT=VERSION (e.g. backend=4), got "${value}"`);
  return [...acc, [m[1]!, Number(m[2])]];
}

export function collectAfter(value: string, acc: [string, string][]): [string, string][] {
  const m = new RegExp(`^(${COMPONENT_NAME_PATTERN}):(${COMPONENT_NAME_PATTERN})$`).exec(value);
  if (!m) throw new InvalidArgumentError(`expected COMPONENT:BEFORE (e.g. frontend:backend), got "${value}"`);
  return [...acc, [m[1]!, m[2]!]];
}

export function collectEnv(value: string, acc: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
  if (!m) throw new InvalidArgumentError(`expected KEY=VALUE with a variable name as KEY, got "${value}"`);
  return { ...acc, [m[1]!]: m[2]! };
}

export function collectPair(value: string, acc: [string, string][]): [string, string][] {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError(`expected COMPONENT=SPEC, got "${value}"`);
  return [...acc, [value.slice(0, at), value.slice(at + 1)]];
}

const ALARM_KEYS: Record<string, string> = {
  'error-rate': 'maxErrorRate',
  p50: 'maxP50Ms',
  p90: 'maxP90Ms',
  p99: 'maxP99Ms',
  'min-requests': 'minRequests',
};

export function collectAlarm(value: string, acc: Record<string, number>): Record<string, number> {
  const m = /^([a-z0-9-]+)=(.+)$/.exec(value);
  const key = m && ALARM_KEYS[m[1]!];
  if (!m || !key)
    throw new InvalidArgumentError(`expected one of ${Object.keys(ALARM_KEYS).join(', ')} =VALUE, got "${value}"`);
  const raw = m[2]!;
  let n: number;
  if (key === 'maxErrorRate') n = raw.endsWith('%') ? Number(raw.slice(0, -1)) / 100 : Number(raw);
  else if (key === 'minRequests') n = Number(raw);
  else {
    const ms = parseDuration(raw.endsWith('ms') || /[smh]$/.test(raw) ? raw : `${raw}ms`);
    n = ms === undefined ? NaN : ms;
  }
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`alarm ${m[1]} needs a number, got "${raw}"`);
  return { ...acc, [key]: n };
}

export const emptyToUndefined = <T extends object>(o: T): T | undefined => (Object.keys(o).length ? o : undefined);
