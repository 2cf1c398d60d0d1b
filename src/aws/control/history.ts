import type { ReleaseHistory } from '../../api/index.js';
import type { DynamoStateStore } from './dynamo-store.js';
import type { StoredDeployment } from './state.js';

/**
 * The release history in the admin API's shape (`GET /v1/history`), so the CLI prints it
 * with the same words as locally: the state item's deployments, then each component's ended
 * ones (the state's copy wins), grouped by release, newest first.
 */
export async function releaseHistory(
  store: DynamoStateStore,
  components: readonly string[],
  limit: number,
): Promise<ReleaseHistory[]> {
  const { state } = await store.load();
  const byId = new Map<string, StoredDeployment>();
  for (const c of components) for (const d of await store.archived(c)) byId.set(d.record.id, d);
  for (const d of state.deployments) byId.set(d.record.id, d);
  const releases = new Map<string, ReleaseHistory & { deployments: ReleaseHistory['deployments'][number][] }>();
  for (const d of byId.values()) {
    const release = state.releases.find((r) => r.id === d.record.releaseId) ?? d.release;
    const entry = releases.get(d.record.releaseId) ?? {
      id: d.record.releaseId,
      createdAt: release?.createdAt ?? d.record.state.createdAt,
      by: String(release?.spec['by'] ?? ''),
      deployments: [],
    };
    entry.deployments.push({ ...d.record, events: d.events.map((e) => ({ ...e, deploymentId: d.record.id })) });
    releases.set(entry.id, entry);
  }
  return [...releases.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
}
