import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { TOKEN_ENV, tokenFile } from '../app/admin-token.js';
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
function actor(): string {
  let user = 'someone';
  try {
    user = userInfo().username.replace(/[^\w.-]/g, '') || user;
  } catch {
    /* no passwd entry: keep the default */
  }
  return `${user.slice(0, 40)}@cli`;
}

export class AdminClient {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
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
    return json as T;
  }
}
