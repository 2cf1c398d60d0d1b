import type { z } from 'zod';
import { endpoints, type AnswerOf, type EndpointName } from '../api/index.js';
import { CliError } from './admin-client.js';

/** Sends one event to the controller function and answers its payload. */
export type ControllerInvoker = (event: Record<string, unknown>) => Promise<unknown>;

/**
 * The AWS control plane, endpoint by endpoint, for the commands it answers: the controller
 * function (OneboxControlPlane) is invoked with the user's AWS credentials and answers in
 * the admin API's shapes, so the CLI prints the same words and `--json` as locally.
 */
export class AwsControlClient {
  constructor(
    private readonly invoke: ControllerInvoker,
    private readonly by: string,
  ) {}

  async call<N extends EndpointName>(
    name: N,
    params: Readonly<Record<string, string | number>> = {},
    body?: unknown,
    query?: Readonly<Record<string, string | number | undefined>>,
  ): Promise<AnswerOf<N>> {
    let event: Record<string, unknown>;
    if (name === 'command')
      event = { action: 'command', component: params['component'], command: params['command'], by: this.by };
    else if (name === 'status') event = { action: 'status' };
    else if (name === 'release') event = releaseEvent(body, this.by);
    else if (name === 'shadowReport')
      event = {
        action: 'shadowReport',
        component: params['component'],
        ...(query?.['version'] !== undefined ? { version: Number(query['version']) } : {}),
      };
    else if (name === 'history') event = { action: 'history', ...(query?.['limit'] ? { limit: query['limit'] } : {}) };
    else if (name === 'versions' || name === 'alias') event = { action: name, component: params['component'] };
    else throw new CliError(NOT_ON_AWS[name] ?? `\`${name}\` is not on the AWS control plane yet; see docs/aws.md`);
    const payload = (await this.invoke(event)) as
      { ok: true; answer?: unknown } | { ok: false; error: { code: string; message: string } } | undefined;
    if (!payload || typeof payload !== 'object' || !('ok' in payload))
      throw new CliError(
        `the controller function answered something that is not onebox's: ${JSON.stringify(payload)?.slice(0, 200)}`,
      );
    if (!payload.ok) throw new CliError(payload.error.message);
    const answer = (endpoints[name].answer as z.ZodType<AnswerOf<N>>).safeParse(payload.answer);
    if (!answer.success) {
      const problem = answer.error.issues[0]!;
      throw new CliError(
        `the controller function's answer to ${name} is not what this CLI reads (${problem.path.join('.') || 'answer'}: ${problem.message}); are the CLI and the deployed onebox the same version?`,
      );
    }
    return answer.data;
  }
}

/** Why the commands the controller does not take cannot work against it. */
const VERSIONS_ARE_CDKS =
  'on AWS a version is the Lambda version `cdk deploy` publishes (the release custom resource records it): code published by hand would be overwritten by the next cdk deploy, and a URL is not a Lambda version. Deploy with `cdk deploy`; release an already published version with `onebox deploy <component> <n> --aws`';
const NOT_ON_AWS: Partial<Record<EndpointName, string>> = {
  publish: `\`publish --aws\`: ${VERSIONS_ARE_CDKS}`,
  setAlias:
    '`alias --version --aws`: on AWS the controller owns the live alias (the Lambda stable/canary aliases and the KeyValueStore split follow its state); moving them by hand would fight its next tick. Move traffic through it: `onebox deploy <component> <n> --aws`, `promote`, `rollback`; `onebox alias <component> --aws` shows where it points',
  retire: '`retire --aws`: not on the AWS control plane yet; a version no alias points at is never routed to there',
  deleteVersion:
    '`delete-version --aws`: not on the AWS control plane yet; delete a Lambda version with `aws lambda delete-function --function-name F:N` once no alias points at it',
};

/** `onebox deploy | release` as the controller's release: components, versions, configs, alarms, order, recipe. */
function releaseEvent(body: unknown, by: string): Record<string, unknown> {
  const b = body as {
    components: { component: string; version: number; config?: string; after?: string[]; alarms?: unknown }[];
    recipe?: string;
  };
  return {
    action: 'release',
    by,
    components: b.components.map((c) => ({
      component: c.component,
      version: c.version,
      ...(c.config ? { config: c.config } : {}),
      ...(c.after ? { after: c.after } : {}),
      ...(c.alarms ? { alarms: c.alarms } : {}),
    })),
    ...(b.recipe ? { recipe: b.recipe } : {}),
  };
}

/** Invokes the controller function with the AWS SDK (optional: installed by users of `--aws`), loaded at the first call. */
export function lambdaInvoker(functionName: string): ControllerInvoker {
  let client:
    | Promise<{ send: (event: Record<string, unknown>) => Promise<{ Payload?: Uint8Array; FunctionError?: string }> }>
    | undefined;
  const load = async () => {
    let sdk: typeof import('@aws-sdk/client-lambda');
    try {
      sdk = await import('@aws-sdk/client-lambda');
    } catch {
      throw new CliError("--aws needs the AWS SDK's Lambda client: npm install @aws-sdk/client-lambda");
    }
    const lambda = new sdk.LambdaClient({});
    return {
      send: (event: Record<string, unknown>) =>
        lambda.send(new sdk.InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(event) })),
    };
  };
  return async (event) => {
    client ??= load();
    let out;
    try {
      out = await (await client).send(event);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot invoke the controller function ${functionName} (${(err as Error).message})`);
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : 'null';
    if (out.FunctionError)
      throw new CliError(`the controller function failed (${out.FunctionError}): ${text.slice(0, 300)}`);
    return JSON.parse(text) as unknown;
  };
}
