import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conflict, type Version } from '../../core/index.js';
import { DynamoShadowReports } from './shadow-reports.js';
import {
  EMPTY_STATE,
  MAX_STATE_BYTES,
  parseState,
  type ControlState,
  type LoadedState,
  type StoredDeployment,
} from './state.js';

/**
 * The control plane's table (partition key `pk`, sort key `sk`, both strings):
 *
 *   pk STATE          sk STATE                  the state (state.ts), `rev` and `doc`
 *   pk C#<component>  sk V#<number, 8 digits>   a published version
 *   pk C#<component>  sk D#<created, 15 digits>#<id>   an ended deployment with its events
 *
 *   pk C#<component>  sk S#<version, 8 digits>   a shadow version's report (shadow-reports.ts)
 *
 * Per-component data that others add (the shadow comparer's report) goes under pk C#<component>
 * with its own sort-key prefix, so one Query reads a component's all.
 */
export const STATE_KEY = { pk: 'STATE', sk: 'STATE' } as const;
export const componentKey = (component: string): string => `C#${component}`;
const versionSk = (n: number): string => `V#${String(n).padStart(8, '0')}`;
const deploymentSk = (d: StoredDeployment): string =>
  `D#${String(d.record.state.createdAt).padStart(15, '0')}#${d.record.id}`;

/** Another writer changed the state since it was read: this one's writes were not applied. */
export class StateConflict extends Error {
  constructor(rev: number) {
    super(`the control plane state changed since revision ${rev} was read; nothing was written`);
    this.name = 'StateConflict';
  }
}

export class DynamoStateStore {
  private readonly doc: DynamoDBDocumentClient;
  /** The shadow comparer's reports, in the same table. */
  readonly shadowReports: DynamoShadowReports;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.shadowReports = new DynamoShadowReports(client, table);
  }

  /** The state with its revision (revision 0 and an empty state before the first write). Strongly consistent. */
  async load(): Promise<LoadedState> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: STATE_KEY, ConsistentRead: true }));
    if (!out.Item) return { rev: 0, applied: 0, state: EMPTY_STATE };
    return {
      rev: Number(out.Item['rev']),
      applied: Number(out.Item['applied'] ?? 0),
      state: parseState(String(out.Item['doc'])),
    };
  }

  /**
   * Writes `state` as revision rev + 1 if the stored revision is still `rev` (one
   * conditional PutItem: DynamoDB applies it whole or not at all). Ended deployments it no
   * longer holds are written to their own items first: they are immutable, so writing one
   * again (a retried or a losing tick) changes nothing, and a history read prefers the
   * state's copy. Throws StateConflict when another writer won.
   */
  async commit(rev: number, state: ControlState, archived: readonly StoredDeployment[]): Promise<number> {
    for (const d of archived)
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: componentKey(d.record.state.component), sk: deploymentSk(d), doc: JSON.stringify(d) },
        }),
      );
    const doc = JSON.stringify(state);
    if (Buffer.byteLength(doc) > MAX_STATE_BYTES)
      throw new Error(
        `the control plane state would be ${Buffer.byteLength(doc)} bytes, over ${MAX_STATE_BYTES} (DynamoDB's item limit is 400 KB): too many components or active deployments for one control plane`,
      );
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...STATE_KEY, rev: rev + 1, doc },
          ...(rev === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#rev = :rev',
                ExpressionAttributeNames: { '#rev': 'rev' },
                ExpressionAttributeValues: { ':rev': rev },
              }),
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new StateConflict(rev);
      throw err;
    }
    return rev + 1;
  }

  /**
   * Notes that traffic matches revision `rev`, unless the state moved on (then the newer
   * writer notes its own). Idle ticks read this and stop there.
   */
  async markApplied(rev: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: STATE_KEY,
          UpdateExpression: 'SET applied = :rev',
          ConditionExpression: '#rev = :rev',
          ExpressionAttributeNames: { '#rev': 'rev' },
          ExpressionAttributeValues: { ':rev': rev },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /** Records a published version; refuses a number already taken: numbers are never reused. */
  async putVersion(version: Version): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: componentKey(version.component), sk: versionSk(version.number), doc: JSON.stringify(version) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException)
        throw conflict(`${version.component} version ${version.number} is already published; numbers are never reused`);
      throw err;
    }
  }

  /** A component's versions, oldest first. */
  async versions(component: string): Promise<Version[]> {
    return (await this.queryPrefix(component, 'V#')).map((text) => JSON.parse(text) as Version);
  }

  /** A component's ended deployments that left the state, oldest first. */
  async archived(component: string): Promise<StoredDeployment[]> {
    return (await this.queryPrefix(component, 'D#')).map((text) => JSON.parse(text) as StoredDeployment);
  }

  private async queryPrefix(component: string, prefix: string): Promise<string[]> {
    const docs: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': componentKey(component), ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) docs.push(String(item['doc']));
      start = out.LastEvaluatedKey;
    } while (start);
    return docs;
  }
}
