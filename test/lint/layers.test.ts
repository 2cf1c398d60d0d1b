import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../../scripts/layers.mjs';

const REPO = resolve(import.meta.dirname, '../..');

/** Lints one planted source text as if it were the file at `path` (nothing is written). */
async function lint(path: string, text: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO });
  const [result] = await eslint.lintText(text, { filePath: resolve(REPO, path) });
  return result!.messages.filter((m) => m.ruleId?.endsWith('no-restricted-imports')).map((m) => m.message);
}

describe('the layer graph (scripts/layers.mjs)', () => {
  it('has no cycle: its folders can be put in an order where each imports only earlier ones', () => {
    const order: string[] = [];
    const left = new Map(Object.entries(LAYERS));
    while (left.size) {
      const ready = [...left].filter(([, deps]) => deps.every((d) => order.includes(d)));
      expect(ready.map(([n]) => n), `a cycle among ${[...left.keys()].join(', ')}`).not.toEqual([]);
      for (const [name] of ready) {
        order.push(name);
        left.delete(name);
      }
    }
    expect(order[0]).toBe('core');
  });

  it('names only folders that exist, and every folder of src is a layer', async () => {
    const { readdirSync } = await import('node:fs');
    const folders = readdirSync(resolve(REPO, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(folders).toEqual(Object.keys(LAYERS).sort());
  });

  it('fails a planted import against the graph, at any depth, type-only imports too', async () => {
    expect(await lint('src/core/planted.ts', "import { startOnebox } from '../engine/onebox.js';\n")).toEqual([
      expect.stringMatching(/src\/core may import only nothing else of onebox/),
    ]);
    expect(
      await lint('src/gateway/cluster/planted.ts', "import type { Controller } from '../../controller/controller.js';\n"),
    ).toEqual([expect.stringMatching(/src\/gateway may import only core, api, config, metrics, runtime/)]);
    expect(await lint('src/admin/planted.ts', "import { Gateway } from '../gateway/gateway.js';\n")).toHaveLength(1);
    expect(await lint('src/engine/planted.ts', "import { simulate } from '../tools/sim/cli.js';\n")).toHaveLength(1);
  });

  it('keeps core pure: no node: module, no library', async () => {
    expect(await lint('src/core/planted.ts', "import { randomBytes } from 'node:crypto';\n")).toEqual([
      expect.stringMatching(/src\/core is pure/),
    ]);
    expect(await lint('src/core/shadow/planted.ts', "import { z } from 'zod';\n")).toHaveLength(1);
  });

  it('lets an allowed import through', async () => {
    expect(await lint('src/engine/planted.ts', "import { Gateway } from '../gateway/gateway.js';\n")).toEqual([]);
    expect(await lint('src/cli/commands/planted.ts', "import { endpoints } from '../../api/index.js';\n")).toEqual([]);
  });
});
