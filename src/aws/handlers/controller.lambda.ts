/**
 * Entry of the controller function's bundle: index.handler. Its settings name deployed
 * resources (the table, the KeyValueStore, the components' functions), so the construct
 * passes them in the ONEBOX_CONTROLLER environment variable (CloudFormation fills them in).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { systemClock } from '../../core/model.js';
import { DynamoStateStore } from '../control/dynamo-store.js';
import { controllerSettings } from '../control/requests.js';
import { LogsInsightsUsers } from '../control/user-counts.js';
import { keyValueStoreClient } from '../kvs-client.js';
import { createControllerHandler } from './controller.js';

const settings = controllerSettings.parse(JSON.parse(process.env['ONEBOX_CONTROLLER'] ?? '{}'));

export const handler = createControllerHandler({
  settings,
  store: new DynamoStateStore(new DynamoDBClient({}), settings.table),
  cloudwatch: new CloudWatchClient({}),
  // Signs with SigV4A, which the KeyValueStore's data plane requires (kvs-client.ts).
  kvs: keyValueStoreClient(),
  lambda: new LambdaClient({}),
  users: new LogsInsightsUsers(new CloudWatchLogsClient({})),
  clock: systemClock,
  onEvent: (e) => console.log(JSON.stringify({ onebox: 'event', ...e })),
});
