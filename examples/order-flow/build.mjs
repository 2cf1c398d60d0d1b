// Bundles each handler of the order flow into its own folder (as a Lambda deployment
// package is built), resolving `onebox/events` to this checkout's source.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
export const HANDLERS = ['api-v1', 'api-v2', 'fulfil-v1', 'fulfil-v2', 'notify'];

/** Bundles every handler under `outDir`; returns each one's folder by name. */
export async function buildOrderFlow(outDir) {
  const dirs = {};
  await Promise.all(
    HANDLERS.map(async (name) => {
      const dir = join(outDir, name);
      mkdirSync(dir, { recursive: true });
      await build({
        entryPoints: [join(here, 'src', `${name}.mjs`)],
        outfile: join(dir, 'index.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        alias: { 'onebox/events': join(here, '../../src/events/index.ts') },
        logLevel: 'silent',
      });
      dirs[name] = dir;
    }),
  );
  return dirs;
}
