import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type OneboxConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = input;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Fields whose values are secrets: a problem with one never prints it. */
const SECRETS = new Set(['token', 'testerSecret', 'pageKey']);

/** One line per problem: the field, the value found, what was expected. */
export function formatIssues(input: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = pathText(issue.path);
      return `${issue.keys.map((k) => (where ? `${where}.${k}` : k)).join(', ')}: unknown field`;
    }
    const where = pathText(issue.path) || '(top level)';
    // A token or key is a secret: the message names the field, never its value.
    const value = SECRETS.has(String(issue.path.at(-1))) ? '(hidden)' : describe(valueAt(input, issue.path));
    return `${where} = ${value}: ${issue.message}`;
  });
}

export function parseConfig(input: unknown, source = '(inline)'): OneboxConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(source, formatIssues(input, result.error.issues));
  return result.data;
}

/** Reads a YAML or JSON file (JSON is YAML) and validates it. */
export function loadConfigFile(file: string): OneboxConfig {
  return parseConfig(readConfigInput(file), file);
}

/** The file's document, parsed but not validated (to apply overrides before validation). */
export function readConfigInput(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  const notYaml = (message: string) => new ConfigError(file, [`not valid YAML or JSON: ${message.split('\n')[0]}`]);
  // Warnings too (an unknown tag, say) are the file's problems: said here, not printed by the parser.
  const doc = parseDocument(text, { logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw notYaml(problem.message);
  try {
    return doc.toJS();
  } catch (err) {
    throw notYaml((err as Error).message);
  }
}
