/** Entry of the shadow mirror's origin-request Lambda@Edge bundle (settings written above it). */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createShadowMirror, type ShadowMirrorSettings } from './shadow-mirror.js';

declare const ONEBOX_SETTINGS: ShadowMirrorSettings;

/** One client per region, reused across invocations; a single attempt (a retry would make the viewer wait). */
const clients = new Map<string, LambdaClient>();
function clientFor(region: string): LambdaClient {
  let client = clients.get(region);
  if (!client) {
    client = new LambdaClient({ region, maxAttempts: 1 });
    clients.set(region, client);
  }
  return client;
}

export const handler = createShadowMirror(ONEBOX_SETTINGS, {
  handOver: async (workerArn, payload) => {
    // arn:aws:lambda:<region>:<account>:function:<name>
    const region = workerArn.split(':')[3];
    if (!region) throw new Error(`not a function ARN: ${workerArn}`);
    await clientFor(region).send(
      new InvokeCommand({
        FunctionName: workerArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(payload),
      }),
    );
  },
  log: (line) => console.log(line),
});
