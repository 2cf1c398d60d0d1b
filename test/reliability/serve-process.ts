import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startServe } from '../helpers/cli.js';

export const RELIABILITY_TOKEN = 'reliability-token-0123456789';

export interface ServeProcessOptions {
  /** More keys of both components' `deployment` maps, as YAML flow pairs (`onInconclusive: proceed`). */
  readonly deployment?: string;
  /** More keys of the `gateway` map, as YAML flow pairs (`workers: 2`). */
  readonly gateway?: string;
  /** More environment for the child (e.g. NODE_OPTIONS). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A real `onebox serve` child process (so a crash shows as an exit, not as a dead test
 * worker) with `backend` at /api and `frontend` at /, each with the given upstream as v1
 * and v2, v1 live.
 */
export async function startServeProcess(
  upstreams: { v1: string; v2: string },
  extraYaml: string[] = [],
  options: ServeProcessOptions = {},
): Promise<{
  gatewayUrl: string;
  adminUrl: string;
  /** The child's process id. */
  pid: number;
  /** Exit code/signal if the process died, else undefined. */
  exited: () => string | undefined;
  output: () => string;
  admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string }>;
  close: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'onebox-reliability-'));
  const more = options.deployment ? `, ${options.deployment}` : '';
  const gateway = options.gateway ? `, ${options.gateway}` : '';
  writeFileSync(
    join(dir, 'onebox.yaml'),
    [
      `gateway: { listen: "127.0.0.1:0", identityHeader: x-user-id, trustProxy: true, headersTimeoutMs: 2000, bodyTimeoutMs: 2000${gateway} }`,
      `admin: { listen: "127.0.0.1:0", token: "${RELIABILITY_TOKEN}" }`,
      'controller: { interval: 100ms }',
      ...extraYaml,
      'components:',
      `  - { name: backend, route: /api, deployment: { config: "linear:50%:1s", alarms: { minRequests: 5 }, judge: { enabled: false }${more} } }`,
      `  - { name: frontend, route: /, deployment: { config: "onebox:20%:1s", alarms: { minRequests: 5 }, judge: { enabled: false }${more} } }`,
      '',
    ].join('\n'),
  );
  const served = await startServe([], { cwd: dir, env: options.env });
  let exit: string | undefined;
  served.child.on('exit', (code, signal) => (exit = `exit code ${code} signal ${signal}`));
  const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> => {
    const res = await request(`${served.adminUrl}${path}`, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${RELIABILITY_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    return { status: res.statusCode, text: await res.body.text() };
  };
  for (const c of ['backend', 'frontend']) {
    for (const url of [upstreams.v1, upstreams.v2]) await admin('POST', `/v1/components/${c}/versions`, { url });
    await admin('PUT', `/v1/components/${c}/alias`, { version: 1 });
  }
  return {
    gatewayUrl: served.gatewayUrl,
    adminUrl: served.adminUrl,
    pid: served.child.pid!,
    exited: () => exit,
    output: served.output,
    admin,
    async close() {
      if (exit === undefined) {
        const done = once(served.child, 'exit');
        served.child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
