import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { TOKEN_ENV, tokenFile } from '../api/index.js';
import { generateToken, isLoopback, type NamedToken } from '../admin/auth.js';
import { ADMIN_TOKEN_NAME } from '../config/schema.js';

/**
 * The admin token: from config, else ONEBOX_ADMIN_TOKEN, else (loopback only) the one
 * kept in the state folder, created on first start with owner-only permissions.
 */
export function resolveAdminToken(configured: string | undefined, adminHost: string, stateDir: string): string {
  const token = configured ?? (process.env[TOKEN_ENV] || undefined);
  if (token) return token;
  if (!isLoopback(adminHost)) {
    throw new Error(
      `admin.listen is ${adminHost}, not a loopback address: set admin.token or ${TOKEN_ENV} to expose the admin API`,
    );
  }
  const file = tokenFile(stateDir);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(stateDir, { recursive: true });
  const fresh = generateToken();
  writeFileSync(file, `${fresh}\n`, { mode: 0o600 });
  return fresh;
}

/**
 * Every token the admin API accepts, with the name the history records: the single
 * token named "admin" (as resolveAdminToken finds it; not generated when named tokens
 * are configured and neither admin.token nor ONEBOX_ADMIN_TOKEN is set), then the named
 * ones. The first is the one `onebox serve` reports.
 */
export function resolveAdminTokens(
  admin: { readonly token?: string | undefined; readonly tokens: readonly NamedToken[] },
  adminHost: string,
  stateDir: string,
): NamedToken[] {
  const single = admin.token ?? (process.env[TOKEN_ENV] || undefined);
  if (!single && admin.tokens.length) return [...admin.tokens];
  const named = admin.tokens.find((t) => t.name === ADMIN_TOKEN_NAME || t.token === single);
  if (named) {
    throw new Error(
      `admin.tokens has "${named.name}", which clashes with the ${TOKEN_ENV} token (named "${ADMIN_TOKEN_NAME}"): rename it or give it another token`,
    );
  }
  return [{ name: ADMIN_TOKEN_NAME, token: resolveAdminToken(single, adminHost, stateDir) }, ...admin.tokens];
}
