import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { z } from 'zod';
import { endpoints, pathOf, TOKEN_ENV, tokenFile, type AnswerOf, type EndpointName } from '../api/index.js';
import { loadConfigFile } from '../config/load.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface ConnectionOptions {
  readonly adminUrl?: string;
  readonly token?: string;
  /** The onebox config file to read the admin address and token from. */
  readonly file?: string;
}

export const DEFAULT_CONFIG_FILE = 'onebox.yaml';

/**
 * Where the admin API is and how to authenticate: flags, then environment, then the
 * config file (and the token onebox generated in its state folder).
 */
export function resolveConnection(opts: ConnectionOptions): { url: string; token: string | undefined } {
  const configFile = opts.file ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const config = configFile ? loadConfigFile(configFile) : undefined;
  const listen = config?.admin.listen ?? '127.0.0.1:8081';
  const url = (opts.adminUrl ?? (process.env.ONEBOX_ADMIN_URL || undefined) ?? `http://${listen}`).replace(/\/$/, '');
  const file = tokenFile(config?.state.dir ?? '.onebox');
  const token =
    opts.token ??
    (process.env[TOKEN_ENV] || undefined) ??
    config?.admin.token ??
    (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  return { url, token };
}

/** Who is acting, for the release history: `<user>@cli`. */
export function actor(): string {
  let user = 'someone';
  try {
    user = userInfo().username.replace(/[^\w.-]/g, '') || user;
  } catch {
    /* no passwd entry: keep the default */
  }
  return `${user.slice(0, 40)}@cli`;
}

/** The admin API over HTTP, endpoint by endpoint (src/api/endpoints.ts), answers parsed, never cast. */
export class AdminClient {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
  ) {}

  async call<N extends EndpointName>(
    name: N,
    params: Readonly<Record<string, string | number>> = {},
    body?: unknown,
    query?: Readonly<Record<string, string | number | undefined>>,
  ): Promise<AnswerOf<N>> {
    const endpoint = endpoints[name];
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) search.set(k, String(v));
    const path = pathOf(endpoint, params) + (search.size ? `?${search}` : '');
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method: endpoint.method,
        headers: {
          'x-onebox-actor': actor(),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the onebox admin API at ${this.url} (${cause}); is \`onebox serve\` running?`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError(`admin API answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const message = (json as { error?: { message?: string } }).error?.message ?? `HTTP ${res.status}`;
      if (res.status === 401) throw new CliError(`${message}: pass --token or set ${TOKEN_ENV}`);
      throw new CliError(message);
    }
    const answer = (endpoint.answer as z.ZodType<AnswerOf<N>>).safeParse(json);
    if (!answer.success) {
      const problem = answer.error.issues[0]!;
      throw new CliError(
        `the admin API's answer to ${endpoint.method} ${path} is not what this CLI reads (${problem.path.join('.') || 'answer'}: ${problem.message}); are the CLI and \`onebox serve\` the same version?`,
      );
    }
    return answer.data;
  }
}
