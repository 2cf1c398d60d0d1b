import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateToken, isLoopback } from '../admin/auth.js';

export const TOKEN_ENV = 'ONEBOX_ADMIN_TOKEN';
export const tokenFile = (stateDir: string): string => join(stateDir, 'admin-token');

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
