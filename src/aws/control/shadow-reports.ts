import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ShadowReportData } from '../../core/shadow/index.js';
import { shadowReportKey, type RevisionedReports } from '../handlers/shadow-report-store.js';

/**
 * The AWS shadow's reports in the control plane's table: one item per component and shadow
 * version (`pk C#<component>`, `sk S#<version, 8 digits>`) holding `rev` and the report as
 * JSON in `doc` (core's ShadowReport bounds it: top fields, samples and latency buckets are
 * capped, so an item stays far below DynamoDB's 400 KB). The comparer Lambda writes it
 * (addReportDelta: a conditional PutItem on `rev`), the controller function reads it for
 * `onebox shadow report --aws`.
 */
export class DynamoShadowReports implements RevisionedReports {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /** Strongly consistent, so a conditional write that follows sees the latest revision. */
  async read(component: string, version: number): Promise<{ rev: number; data: ShadowReportData } | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: shadowReportKey(component, version), ConsistentRead: true }),
    );
    return out.Item ? { rev: Number(out.Item['rev']), data: JSON.parse(String(out.Item['doc'])) } : undefined;
  }

  async write(component: string, version: number, rev: number, data: ShadowReportData): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...shadowReportKey(component, version), rev: rev + 1, doc: JSON.stringify(data) },
          ...(rev === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#rev = :rev',
                ExpressionAttributeNames: { '#rev': 'rev' },
                ExpressionAttributeValues: { ':rev': rev },
              }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** The report of `version`, else of the component's highest shadow version; undefined if none. */
  async report(component: string, version?: number): Promise<ShadowReportData | undefined> {
    if (version !== undefined) return (await this.read(component, version))?.data;
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': shadowReportKey(component, 0).pk, ':prefix': 'S#' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? (JSON.parse(String(item['doc'])) as ShadowReportData) : undefined;
  }
}
