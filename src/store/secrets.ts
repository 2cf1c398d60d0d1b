import { randomBytes } from 'node:crypto';
import { prepare, type Db } from './database.js';

/** The page key's name in the secrets table: it signs the gateway's page tokens (src/gateway/page-token.ts). */
export const PAGE_KEY = 'page-key';

/**
 * The secret `name` of this state file: made of 32 random bytes the first time it is asked
 * for, then the same on every start. The first writer wins (INSERT OR IGNORE), so two
 * processes opening one file at once agree on it.
 */
export function storedSecret(db: Db, name: string, now: number = Date.now()): Buffer {
  prepare(db, 'INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)').run(
    name,
    randomBytes(32),
    now,
  );
  const row = prepare(db, 'SELECT value FROM secrets WHERE name = ?').get(name) as { value: Buffer };
  return row.value;
}
