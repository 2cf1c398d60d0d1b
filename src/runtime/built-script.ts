import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This module's path: `<dist or src>/runtime/built-script.(js|ts)`. */
const here = fileURLToPath(import.meta.url);
/** dist/ once built; src/ when running from the TypeScript sources (tests). */
const root = dirname(dirname(here));

/**
 * The path of a script that runs in a child process, named by its place under dist/
 * (e.g. `runtime/worker.js`): in the built tree once built; from dist/ when running from
 * the TypeScript sources (tests), since node cannot fork a .ts file.
 */
export function builtScript(distPath: string): string {
  return here.endsWith('.js') ? join(root, distPath) : resolve(root, '../dist', distPath);
}
