import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OneboxError } from '../../src/core/errors.js';
import type { Clock } from '../../src/core/model.js';
import { migrate, openDatabase, type Db } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { StateStore } from '../../src/store/state-store.js';

class FakeClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

/** Runs `fn` and returns the OneboxError it throws, failing the test if it does not. */
function caught(fn: () => unknown): OneboxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OneboxError);
    return err as OneboxError;
  }
  throw new Error('expected a OneboxError, nothing was thrown');
}

let dir: string;
let file: string;
let clock: FakeClock;
const open: Db[] = [];

function openStore(): { db: Db; store: StateStore } {
  const db = openDatabase(file);
  open.push(db);
  const store = new StateStore(db, clock);
  store.ensureComponents(['api', 'web']);
  return { db, store };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'onebox-store-'));
  file = join(dir, 'nested', 'state.db'); // openDatabase creates the folder
  clock = new FakeClock(T0);
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('creates the file (and its folder) in WAL mode with foreign keys on', () => {
    const { db } = openStore();
    expect(existsSync(file)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });

  it('is idempotent on reopen: migrations are not re-run and data survives', () => {
    const schemaOf = (db: Db): unknown[] =>
      db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
    const first = openStore();
    first.store.publish('api', 'http://127.0.0.1:9001');
    const schema = schemaOf(first.db);
    expect(schema.map((s) => (s as { name: string }).name)).toEqual(
      expect.arrayContaining(['aliases', 'components', 'versions']),
    );
    first.db.close();
    const second = openStore();
    expect(second.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(second.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaOf(second.db)).toEqual(schema);
    expect(second.store.listVersions('api').map((v) => v.number)).toEqual([1]);
    // Running migrate again by hand is a no-op too.
    expect(() => migrate(second.db)).not.toThrow();
    expect(schemaOf(second.db)).toEqual(schema);
    expect(second.store.listVersions('api').map((v) => v.number)).toEqual([1]);
  });

  it('refuses a file written by a newer onebox, naming both schema versions', () => {
    const { db } = openStore();
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(
      `state file schema version ${MIGRATIONS.length + 1} is newer than this onebox understands (${MIGRATIONS.length}); upgrade onebox`,
    );
  });
});

describe('StateStore: versions', () => {
  it("numbers versions 1, 2, 3 per component, independently, with the clock's time", () => {
    const { store } = openStore();
    const v1 = store.publish('api', 'http://127.0.0.1:9001', 'first');
    clock.ms += 1000;
    const v2 = store.publish('api', 'http://127.0.0.1:9002');
    const w1 = store.publish('web', 'http://127.0.0.1:9101');
    const v3 = store.publish('api', 'http://127.0.0.1:9003/base');
    expect(v1).toEqual({
      component: 'api',
      number: 1,
      target: 'http://127.0.0.1:9001',
      description: 'first',
      createdAt: '2025-01-02T03:04:05.678Z',
      retiredAt: undefined,
    });
    expect(v2).toMatchObject({ number: 2, description: undefined, createdAt: '2025-01-02T03:04:06.678Z' });
    expect(w1.number).toBe(1);
    expect(v3).toMatchObject({ number: 3, target: 'http://127.0.0.1:9003/base' });
    expect(store.listVersions('api').map((v) => v.number)).toEqual([1, 2, 3]);
    expect(store.listVersions('web').map((v) => v.number)).toEqual([1]);
  });

  it('never reuses a number after delete, even the latest one, and even after reopening the file', () => {
    const first = openStore();
    for (let i = 1; i <= 3; i++) first.store.publish('api', `http://127.0.0.1:900${i}`);
    first.store.deleteVersion('api', 3);
    first.store.deleteVersion('api', 2);
    expect(first.store.listVersions('api').map((v) => v.number)).toEqual([1]);
    expect(first.store.publish('api', 'http://127.0.0.1:9004').number).toBe(4);
    first.store.deleteVersion('api', 4);
    first.db.close();

    const second = openStore();
    second.store.ensureComponents(['api']); // config reload must not reset the counter
    expect(second.store.publish('api', 'http://127.0.0.1:9005').number).toBe(5);
    expect(second.store.listVersions('api').map((v) => v.number)).toEqual([1, 5]);
    expect(second.store.findVersion('api', 4)).toBeUndefined();
  });

  it('publishing to an unknown component fails with not_found and names the known ones', () => {
    const { store } = openStore();
    const err = caught(() => store.publish('nope', 'http://127.0.0.1:1'));
    expect(err.code).toBe('not_found');
    expect(err.message).toBe('unknown component "nope" (known: api, web)');
  });

  it('getVersion / deleteVersion of a missing version fail with not_found', () => {
    const { store } = openStore();
    expect(caught(() => store.getVersion('api', 9))).toMatchObject({
      code: 'not_found',
      message: 'component "api" has no version 9',
    });
    expect(caught(() => store.deleteVersion('api', 9)).code).toBe('not_found');
    expect(store.findVersion('api', 9)).toBeUndefined();
  });

  it('retire stamps the time once; retiring again is a no-op', () => {
    const { store } = openStore();
    store.publish('api', 'http://127.0.0.1:9001');
    store.publish('api', 'http://127.0.0.1:9002');
    clock.ms = Date.UTC(2025, 5, 1);
    expect(store.retire('api', 1).retiredAt).toBe('2025-06-01T00:00:00.000Z');
    clock.ms = Date.UTC(2025, 6, 1);
    expect(store.retire('api', 1).retiredAt).toBe('2025-06-01T00:00:00.000Z');
    expect(store.getVersion('api', 2).retiredAt).toBeUndefined();
  });
});

describe('StateStore: the live alias', () => {
  function withVersions(count: number): StateStore {
    const { store } = openStore();
    for (let i = 1; i <= count; i++) store.publish('api', `http://127.0.0.1:900${i}`);
    return store;
  }

  it('sets and reads back the alias, including an additional version', () => {
    const store = withVersions(2);
    expect(store.getAlias('api')).toBeUndefined();
    const alias = store.setAlias('api', {
      version: 1,
      additional: { version: 2, weightBp: 2000 },
      mode: 'sticky',
      seed: 'api@2',
    });
    expect(alias).toEqual({
      component: 'api',
      name: 'live',
      version: 1,
      additional: { version: 2, weightBp: 2000 },
      mode: 'sticky',
      seed: 'api@2',
      updatedAt: '2025-01-02T03:04:05.678Z',
    });
    clock.ms += 60_000;
    const promoted = store.setAlias('api', { version: 2, mode: 'request', seed: 'x' });
    expect(promoted).toMatchObject({
      version: 2,
      additional: undefined,
      mode: 'request',
      updatedAt: '2025-01-02T03:05:05.678Z',
    });
    expect(store.listAliases()).toEqual([promoted]);
  });

  it('retire and delete refuse a version in the alias (either role) with conflict', () => {
    const store = withVersions(3);
    store.setAlias('api', { version: 1, additional: { version: 2, weightBp: 100 }, mode: 'sticky', seed: 's' });
    for (const n of [1, 2]) {
      const retireErr = caught(() => store.retire('api', n));
      expect(retireErr.code).toBe('conflict');
      expect(retireErr.message).toBe(`api version ${n} is in the live alias; move the alias off it before retiring it`);
      expect(caught(() => store.deleteVersion('api', n)).code).toBe('conflict');
      expect(store.getVersion('api', n).retiredAt).toBeUndefined();
    }
    // Version 3 is not routed, so it can go.
    expect(store.retire('api', 3).retiredAt).toBeDefined();
    store.deleteVersion('api', 3);
    // Once the alias moves off version 1, it can be retired.
    store.setAlias('api', { version: 2, mode: 'sticky', seed: 's' });
    expect(store.retire('api', 1).retiredAt).toBe('2025-01-02T03:04:05.678Z');
  });

  it('refuses a retired version in either role, and never changes the alias on refusal', () => {
    const store = withVersions(3);
    store.setAlias('api', { version: 1, mode: 'sticky', seed: 's' });
    store.retire('api', 3);
    const asMain = caught(() => store.setAlias('api', { version: 3, mode: 'sticky', seed: 's' }));
    expect(asMain.code).toBe('conflict');
    expect(asMain.message).toBe('version: api version 3 is retired and can never serve traffic again');
    const asExtra = caught(() =>
      store.setAlias('api', { version: 1, additional: { version: 3, weightBp: 10 }, mode: 'sticky', seed: 's' }),
    );
    expect(asExtra.code).toBe('conflict');
    expect(asExtra.message).toBe('additional version: api version 3 is retired and can never serve traffic again');
    expect(store.getAlias('api')).toMatchObject({ version: 1, additional: undefined });
  });

  it('refuses unknown versions (and deleted ones) with not_found', () => {
    const store = withVersions(2);
    store.deleteVersion('api', 2);
    expect(caught(() => store.setAlias('api', { version: 7, mode: 'sticky', seed: 's' }))).toMatchObject({
      code: 'not_found',
      message: 'version: component "api" has no version 7',
    });
    expect(
      caught(() =>
        store.setAlias('api', { version: 1, additional: { version: 2, weightBp: 1 }, mode: 'sticky', seed: 's' }),
      ),
    ).toMatchObject({ code: 'not_found', message: 'additional version: component "api" has no version 2' });
    expect(caught(() => store.setAlias('nope', { version: 1, mode: 'sticky', seed: 's' })).code).toBe('not_found');
    expect(store.getAlias('api')).toBeUndefined();
  });

  it('refuses the same version as both main and additional', () => {
    const store = withVersions(2);
    const err = caught(() =>
      store.setAlias('api', { version: 2, additional: { version: 2, weightBp: 5000 }, mode: 'sticky', seed: 's' }),
    );
    expect(err.code).toBe('invalid');
    expect(err.message).toBe("additional version 2 is the alias's own version; give a different one");
    expect(store.getAlias('api')).toBeUndefined();
  });

  it.each([-1, 10_001, 0.5, Number.NaN])('refuses weight %s basis points', (weightBp) => {
    const store = withVersions(2);
    const err = caught(() =>
      store.setAlias('api', { version: 1, additional: { version: 2, weightBp }, mode: 'sticky', seed: 's' }),
    );
    expect(err.code).toBe('invalid');
    expect(err.message).toBe(`weight must be from 0 to 1, got ${weightBp / 10_000}`);
  });

  it('accepts the edge weights 0 and 10000', () => {
    const store = withVersions(2);
    for (const weightBp of [0, 10_000]) {
      const alias = store.setAlias('api', {
        version: 1,
        additional: { version: 2, weightBp },
        mode: 'sticky',
        seed: 's',
      });
      expect(alias.additional).toEqual({ version: 2, weightBp });
    }
  });

  it('aliases of different components are independent and survive reopening', () => {
    const first = openStore();
    first.store.publish('api', 'http://127.0.0.1:9001');
    first.store.publish('web', 'http://127.0.0.1:9101');
    first.store.setAlias('web', { version: 1, mode: 'sticky', seed: 'w' });
    first.store.setAlias('api', { version: 1, mode: 'request', seed: 'a' });
    first.db.close();
    const second = openStore();
    expect(second.store.listAliases().map((a) => [a.component, a.version, a.mode, a.seed])).toEqual([
      ['api', 1, 'request', 'a'],
      ['web', 1, 'sticky', 'w'],
    ]);
  });
});
