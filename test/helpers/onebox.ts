import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnebox, type RunningOnebox, type StartOptions } from '../../src/engine/onebox.js';
import { parseConfig } from '../../src/config/load.js';
import type { OneboxConfigInput } from '../../src/config/schema.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface TestOnebox extends RunningOnebox {
  readonly dir: string;
}

/** A real onebox on ephemeral loopback ports with its state in a fresh temp folder. */
export async function startTestOnebox(
  overrides: Partial<OneboxConfigInput> = {},
  options: StartOptions & { dir?: string } = {},
): Promise<TestOnebox> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'onebox-test-'));
  const config = parseConfig({
    components: [{ name: 'web', route: '/' }],
    ...overrides,
    gateway: { listen: '127.0.0.1:0', ...overrides.gateway },
    admin: { listen: '127.0.0.1:0', token: TEST_TOKEN, ...overrides.admin },
    state: { dir },
  });
  const running = await startOnebox(config, { manualTicks: true, ...options });
  return {
    ...running,
    dir,
    async close() {
      await running.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
