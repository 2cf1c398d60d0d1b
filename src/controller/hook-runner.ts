import { spawn } from 'node:child_process';
import { request } from 'undici';
import type { HookSpec } from '../core/index.js';

export interface HookPayload {
  readonly deploymentId: string;
  readonly hook: 'beforeAllowTraffic' | 'afterAllowTraffic';
  readonly component: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  /** Reaches the new version directly, bypassing the alias. */
  readonly targetUrl: string;
}

export interface HookResult {
  readonly ok: boolean;
  readonly detail: string;
}

export type HookRunner = (spec: HookSpec, payload: HookPayload) => Promise<HookResult>;

const MAX_DETAIL = 300;

async function runHttp(url: string, timeoutMs: number, payload: HookPayload): Promise<HookResult> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = (await res.body.text()).slice(0, MAX_DETAIL);
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return { ok, detail: `HTTP ${res.statusCode}${text ? `: ${text}` : ''}` };
  } catch (err) {
    const e = err as Error & { code?: string };
    const timedOut =
      e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
    return {
      ok: false,
      detail: timedOut ? `no answer from ${url} within ${timeoutMs} ms` : `${url}: ${e.code ?? e.message}`,
    };
  }
}

function runCommand(command: string, timeoutMs: number, payload: HookPayload): Promise<HookResult> {
  return new Promise((resolve) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ONEBOX_DEPLOYMENT_ID: payload.deploymentId,
        ONEBOX_HOOK: payload.hook,
        ONEBOX_COMPONENT: payload.component,
        ONEBOX_FROM_VERSION: String(payload.fromVersion),
        ONEBOX_TO_VERSION: String(payload.toVersion),
        ONEBOX_TARGET_URL: payload.targetUrl,
      },
      detached: true,
    });
    let output = '';
    const keep = (c: Buffer): void => {
      if (output.length < MAX_DETAIL) output += c.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(payload));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: a shell's children must not outlive the hook.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: `could not run "${command}": ${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const tail = output.trim().slice(0, MAX_DETAIL);
      if (timedOut) resolve({ ok: false, detail: `"${command}" did not finish within ${timeoutMs} ms` });
      else resolve({ ok: code === 0, detail: `"${command}" exited ${code}${tail ? `: ${tail}` : ''}` });
    });
  });
}

/** Runs a hook: an HTTP POST of the payload (2xx passes) or a command (exit 0 passes). */
export const runHook: HookRunner = (spec, payload) =>
  'url' in spec ? runHttp(spec.url, spec.timeoutMs, payload) : runCommand(spec.command, spec.timeoutMs, payload);
