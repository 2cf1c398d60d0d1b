import { conflict, invalid, notFound } from '../core/errors.js';
import { LIVE_ALIAS, type Alias, type Clock, type Version } from '../core/model.js';
import { BUCKETS, type AliasRouting, type RoutingMode } from '../core/index.js';
import type { VersionCatalog } from '../controller/ports.js';
import { prepare, type Db } from './database.js';

interface VersionRow {
  component: string;
  number: number;
  target: string;
  description: string | null;
  created_at: string;
  retired_at: string | null;
}

interface AliasRow {
  component: string;
  name: string;
  version: number;
  additional_version: number | null;
  additional_weight_bp: number;
  mode: string;
  seed: string;
  updated_at: string;
}

const toVersion = (r: VersionRow): Version => ({
  component: r.component,
  number: r.number,
  target: r.target,
  description: r.description ?? undefined,
  createdAt: r.created_at,
  retiredAt: r.retired_at ?? undefined,
});

const toAlias = (r: AliasRow): Alias => ({
  component: r.component,
  name: r.name,
  version: r.version,
  additional:
    r.additional_version === null ? undefined : { version: r.additional_version, weightBp: r.additional_weight_bp },
  mode: r.mode as RoutingMode,
  seed: r.seed,
  updatedAt: r.updated_at,
});

export interface AliasUpdate {
  readonly version: number;
  readonly additional?: { readonly version: number; readonly weightBp: number } | undefined;
  readonly mode: RoutingMode;
  readonly seed: string;
}

/**
 * Components, versions and aliases in SQLite. Every write is one transaction, and every
 * rule that keeps routing safe (only published, non-retired versions in an alias) is
 * checked here, where the write happens.
 */
export class StateStore implements VersionCatalog {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Registers the components named in config; existing ones keep their counters. */
  ensureComponents(names: readonly string[]): void {
    const insert = prepare(this.db, 'INSERT OR IGNORE INTO components (name) VALUES (?)');
    this.db.transaction(() => names.forEach((n) => insert.run(n)))();
  }

  private requireComponent(component: string): void {
    const row = prepare(this.db, 'SELECT name FROM components WHERE name = ?').get(component);
    if (!row) {
      const known = (prepare(this.db, 'SELECT name FROM components ORDER BY name').all() as { name: string }[])
        .map((r) => r.name)
        .join(', ');
      throw notFound(`unknown component "${component}" (known: ${known || 'none'})`);
    }
  }

  publish(component: string, target: string, description?: string): Version {
    return this.db.transaction(() => {
      this.requireComponent(component);
      const { next_version: number } = prepare(
        this.db,
        'UPDATE components SET next_version = next_version + 1 WHERE name = ? RETURNING next_version - 1 AS next_version',
      ).get(component) as { next_version: number };
      prepare(
        this.db,
        'INSERT INTO versions (component, number, target, description, created_at) VALUES (?, ?, ?, ?, ?)',
      ).run(component, number, target, description ?? null, this.isoNow());
      return this.getVersion(component, number);
    })();
  }

  listVersions(component: string): Version[] {
    this.requireComponent(component);
    const rows = prepare(this.db, 'SELECT * FROM versions WHERE component = ? ORDER BY number').all(
      component,
    ) as VersionRow[];
    return rows.map(toVersion);
  }

  findVersion(component: string, number: number): Version | undefined {
    const row = prepare(this.db, 'SELECT * FROM versions WHERE component = ? AND number = ?').get(component, number) as
      VersionRow | undefined;
    return row && toVersion(row);
  }

  getVersion(component: string, number: number): Version {
    this.requireComponent(component);
    const v = this.findVersion(component, number);
    if (!v) throw notFound(`component "${component}" has no version ${number}`);
    return v;
  }

  private versionInUse(component: string, number: number): boolean {
    return !!prepare(
      this.db,
      'SELECT 1 FROM aliases WHERE component = ? AND (version = ? OR additional_version = ?)',
    ).get(component, number, number);
  }

  retire(component: string, number: number): Version {
    return this.db.transaction(() => {
      const v = this.getVersion(component, number);
      if (v.retiredAt) return v;
      if (this.versionInUse(component, number)) {
        throw conflict(`${component} version ${number} is in the live alias; move the alias off it before retiring it`);
      }
      prepare(this.db, 'UPDATE versions SET retired_at = ? WHERE component = ? AND number = ?').run(
        this.isoNow(),
        component,
        number,
      );
      return this.getVersion(component, number);
    })();
  }

  deleteVersion(component: string, number: number): void {
    this.db.transaction(() => {
      this.getVersion(component, number);
      if (this.versionInUse(component, number)) {
        throw conflict(`${component} version ${number} is in the live alias; move the alias off it before deleting it`);
      }
      prepare(this.db, 'DELETE FROM versions WHERE component = ? AND number = ?').run(component, number);
    })();
  }

  private requireRoutable(component: string, number: number, role: string): void {
    const v = this.findVersion(component, number);
    if (!v) throw notFound(`${role}: component "${component}" has no version ${number}`);
    if (v.retiredAt)
      throw conflict(`${role}: ${component} version ${number} is retired and can never serve traffic again`);
  }

  setAlias(component: string, update: AliasUpdate): Alias {
    return this.db.transaction(() => {
      this.requireComponent(component);
      this.requireRoutable(component, update.version, 'version');
      const extra = update.additional;
      if (extra) {
        this.requireRoutable(component, extra.version, 'additional version');
        if (extra.version === update.version) {
          throw invalid(`additional version ${extra.version} is the alias's own version; give a different one`);
        }
        if (!Number.isInteger(extra.weightBp) || extra.weightBp < 0 || extra.weightBp > BUCKETS) {
          throw invalid(`weight must be from 0 to 1, got ${extra.weightBp / BUCKETS}`);
        }
      }
      prepare(
        this.db,
        `INSERT INTO aliases (component, name, version, additional_version, additional_weight_bp, mode, seed, updated_at)
           VALUES (@component, @name, @version, @av, @aw, @mode, @seed, @now)
           ON CONFLICT (component, name) DO UPDATE SET version = @version, additional_version = @av,
             additional_weight_bp = @aw, mode = @mode, seed = @seed, updated_at = @now`,
      ).run({
        component,
        name: LIVE_ALIAS,
        version: update.version,
        av: extra?.version ?? null,
        aw: extra?.weightBp ?? 0,
        mode: update.mode,
        seed: update.seed,
        now: this.isoNow(),
      });
      return this.getAlias(component)!;
    })();
  }

  getAlias(component: string): Alias | undefined {
    const row = prepare(this.db, 'SELECT * FROM aliases WHERE component = ? AND name = ?').get(
      component,
      LIVE_ALIAS,
    ) as AliasRow | undefined;
    return row && toAlias(row);
  }

  /** Every live alias by component: what the gateway routes with. */
  aliasRoutings(): Map<string, AliasRouting> {
    return new Map(this.listAliases().map((a) => [a.component, a]));
  }

  listAliases(): Alias[] {
    return (
      prepare(this.db, 'SELECT * FROM aliases WHERE name = ? ORDER BY component').all(LIVE_ALIAS) as AliasRow[]
    ).map(toAlias);
  }
}
