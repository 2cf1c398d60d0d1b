import { InvalidArgumentError, type Command } from 'commander';
import { AdminClient, resolveConnection, type ConnectionOptions } from './admin-client.js';

export interface CommonOptions extends ConnectionOptions {
  readonly json?: boolean;
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
    );
}

export function client(opts: CommonOptions): AdminClient {
  const { url, token } = resolveConnection(opts);
  return new AdminClient(url, token);
}

export function print(opts: CommonOptions, json: unknown, human: () => string): void {
  console.log(opts.json ? JSON.stringify(json, null, 2) : human());
}
