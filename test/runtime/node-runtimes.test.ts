import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_RUNTIMES, runtimeMajor, type NodeRuntime } from '../../src/core/index.js';
import { HandlerPool } from '../../src/runtime/index.js';
import { NodeRuntimes } from '../../src/runtime/node-runtimes.js';

const ownMajor = Number(process.versions.node.split('.')[0]);
/** A runtime whose major is not the Node running these tests (there always is one). */
const otherRuntime = NODE_RUNTIMES.find((r) => runtimeMajor(r) !== ownMajor)!;
/**
 * A Node 24 binary, when the machine has one besides the Node running the tests:
 * scripts/test-on-node.sh (which .ci/run calls) sets it.
 */
const node24 = ownMajor === 24 ? process.execPath : process.env.ONEBOX_TEST_NODE24;

describe('NodeRuntimes: which Node a declared runtime runs on', () => {
  it('runs an undeclared runtime, and one of its own major, on onebox’s Node without a note', () => {
    const runtimes = new NodeRuntimes();
    expect(runtimes.choose(undefined)).toEqual({ execPath: process.execPath, nodeVersion: process.version });
    const own = NODE_RUNTIMES.find((r) => runtimeMajor(r) === ownMajor);
    if (own) expect(runtimes.choose(own).mismatch).toBeUndefined();
  });

  it('says when a declared runtime has no Node of its major here, and how to give it one', () => {
    const choice = new NodeRuntimes().choose(otherRuntime);
    expect(choice.execPath).toBe(process.execPath);
    expect(choice.mismatch).toBe(
      `declares ${otherRuntime} but runs here on Node ${process.version}: set runtimes.${otherRuntime} in the config to a Node ${runtimeMajor(otherRuntime)} binary`,
    );
  });

  it('refuses a configured binary of another major, a relative path and a missing file, naming the field', () => {
    expect(() => new NodeRuntimes({ [otherRuntime]: process.execPath })).toThrow(
      `runtimes.${otherRuntime} = ${JSON.stringify(process.execPath)}: that binary is Node ${process.version}, not Node ${runtimeMajor(otherRuntime)}`,
    );
    expect(() => new NodeRuntimes({ 'nodejs24.x': 'bin/node' })).toThrow(
      'runtimes.nodejs24.x = "bin/node": expected the absolute path of a node binary',
    );
    expect(() => new NodeRuntimes({ 'nodejs24.x': '/nonexistent/node' })).toThrow(
      /runtimes\.nodejs24\.x = "\/nonexistent\/node": cannot run it/,
    );
  });
});

describe.skipIf(!node24)('a handler declaring nodejs24.x runs on the configured Node 24', () => {
  let dir: string;
  let pool: HandlerPool;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'onebox-node24-'));
    writeFileSync(
      join(dir, 'index.mjs'),
      'export const handler = async () => ({ node: process.version, env: process.env.AWS_EXECUTION_ENV });\n',
    );
    pool = new HandlerPool({ output: 'ignore', runtimes: new NodeRuntimes({ 'nodejs24.x': node24! }) });
  });
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('and one declaring nothing runs on onebox’s own Node', async () => {
    const invoke = async (runtime: NodeRuntime | undefined, version: number) => {
      const r = await pool.invoke({ functionName: 'fn', version, handler: join(dir, 'index.mjs'), runtime }, {});
      expect(r.outcome).toBe('success');
      return r.payload as { node: string; env: string };
    };
    const declared = await invoke('nodejs24.x', 1);
    expect(declared.node).toMatch(/^v24\./);
    expect(declared.env).toBe('AWS_Lambda_nodejs24.x');
    const plain = await invoke(undefined, 2);
    expect(plain).toEqual({ node: process.version, env: 'onebox' });
  });
});
