import { InvalidArgumentError, type Command } from 'commander';
import type { AnswerOf, EndpointName } from '../api/index.js';
import { actor, AdminClient, resolveConnection, type ConnectionOptions } from './admin-client.js';
import { AwsControlClient, lambdaInvoker } from './aws-client.js';

export interface CommonOptions extends ConnectionOptions {
  readonly json?: boolean;
  /** The AWS control plane's controller function (name or ARN), instead of the admin API. */
  readonly aws?: string;
}

/** The local admin API or the AWS control plane: the same calls, the same answers. */
export interface ControlClient {
  call<N extends EndpointName>(
    name: N,
    params?: Readonly<Record<string, string | number>>,
    body?: unknown,
    query?: Readonly<Record<string, string | number | undefined>>,
  ): Promise<AnswerOf<N>>;
}

export const positiveInt =
  (name: string) =>
  (value: string): number => {
    if (!/^[1-9]\d*$/.test(value))
      throw new InvalidArgumentError(`${name} must be a positive whole number, got "${value}"`);
    return Number(value);
  };

export const wholeNumber =
  (name: string) =>
  (value: string): number => {
    if (!/^(0|[1-9]\d*)$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`);
    return Number(value);
  };

/** The options every command that talks to the admin API takes. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option('--json', 'print machine-readable JSON')
    .option(
      '--admin-url <url>',
      'admin API address (default: ONEBOX_ADMIN_URL, else from the config, else http://127.0.0.1:8081)',
    )
    .option('--token <token>', 'admin token (default: ONEBOX_ADMIN_TOKEN, else from the config or its state folder)')
    .option(
      '-f, --file <onebox.yaml>',
      'config file to read the admin address and token from (default: ./onebox.yaml if present)',
    )
    .option(
      '--aws <controller>',
      "the AWS control plane instead: its controller function's name or ARN (OneboxControlPlane), with your AWS credentials and region",
    );
}

export function client(opts: CommonOptions): ControlClient {
  if (opts.aws) return new AwsControlClient(lambdaInvoker(opts.aws), actor());
  const { url, token } = resolveConnection(opts);
  return new AdminClient(url, token);
}

export function print(opts: CommonOptions, json: unknown, human: () => string): void {
  console.log(opts.json ? JSON.stringify(json, null, 2) : human());
}
