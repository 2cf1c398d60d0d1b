import type { ShadowPolicy, ShadowReportData } from '../core/shadow/index.js';
import { prepare, type Db } from './database.js';

/** Running shadows and their comparison reports, so a report survives a restart. */
export class ShadowStore {
  constructor(private readonly db: Db) {}

  start(component: string, policy: ShadowPolicy, now: number): void {
    prepare(
      this.db,
      'INSERT INTO shadows (component, policy, started_at) VALUES (?, ?, ?) ON CONFLICT (component) DO UPDATE SET policy = excluded.policy, started_at = excluded.started_at',
    ).run(component, JSON.stringify(policy), now);
  }

  stop(component: string): boolean {
    return prepare(this.db, 'DELETE FROM shadows WHERE component = ?').run(component).changes > 0;
  }

  running(): { component: string; policy: ShadowPolicy; startedAt: number }[] {
    const rows = prepare(this.db, 'SELECT * FROM shadows ORDER BY component').all() as {
      component: string;
      policy: string;
      started_at: number;
    }[];
    return rows.map((r) => ({
      component: r.component,
      policy: JSON.parse(r.policy) as ShadowPolicy,
      startedAt: r.started_at,
    }));
  }

  saveReport(data: ShadowReportData, now: number): void {
    prepare(
      this.db,
      'INSERT INTO shadow_reports (component, version, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (component, version) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
    ).run(data.component, data.version, JSON.stringify(data), now);
  }

  report(component: string, version: number): ShadowReportData | undefined {
    const row = prepare(this.db, 'SELECT data FROM shadow_reports WHERE component = ? AND version = ?').get(
      component,
      version,
    ) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as ShadowReportData);
  }

  /** The newest report of a component (its latest shadow run). */
  latestReport(component: string): ShadowReportData | undefined {
    const row = prepare(
      this.db,
      'SELECT data FROM shadow_reports WHERE component = ? ORDER BY updated_at DESC, version DESC LIMIT 1',
    ).get(component) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as ShadowReportData);
  }
}
