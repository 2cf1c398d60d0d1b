import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of a script that runs in a child process, e.g. `runtime/worker.js`: beside the
 * calling module once built; from dist/ when the caller runs from the TypeScript sources
 * (tests), since node cannot fork a .ts file.
 */
export function builtScript(callerUrl: string, distPath: string): string {
  const here = fileURLToPath(callerUrl);
  const beside = join(dirname(here), basename(distPath));
  if (here.endsWith('.js') || existsSync(beside)) return beside;
  return resolve(dirname(here), '../../dist', distPath);
}
