import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { CliError } from '../admin-client.js';
import { client, withConnection, type CommonOptions } from '../common.js';

/** `onebox invoke`: `aws lambda invoke` for handler versions. */
export function registerInvokeCommand(program: Command): void {
  withConnection(program.command('invoke <function> [outfile]'))
    .description(
      'invoke a handler version like `aws lambda invoke`: function is component[:live|:N]; the payload goes to outfile (default: stdout)',
    )
    .option('--payload <file>', 'JSON event file (default: {})')
    .action(async (fn: string, outfile: string | undefined, opts: CommonOptions & { payload?: string }) => {
      const [component = '', qualifier = 'live'] = fn.split(':');
      let payload: unknown = {};
      if (opts.payload) {
        try {
          payload = JSON.parse(readFileSync(opts.payload.replace(/^file:\/\//, ''), 'utf8'));
        } catch (err) {
          throw new CliError(`--payload ${opts.payload}: ${(err as Error).message}`, 2);
        }
      }
      const r = await client(opts).call('invoke', { component }, { qualifier, payload });
      const summary = {
        StatusCode: r.statusCode,
        ExecutedVersion: r.executedVersion,
        ...(r.functionError ? { FunctionError: r.functionError } : {}),
      };
      const out = JSON.stringify(r.payload);
      const toFile = outfile !== undefined && outfile !== '-';
      if (toFile) writeFileSync(outfile, out);
      // --json: one document, the payload inside it unless it went to a file.
      if (opts.json)
        return void console.log(JSON.stringify(toFile ? summary : { ...summary, Payload: r.payload }, null, 2));
      console.log(JSON.stringify(summary, null, 4));
      if (!toFile) console.log(out);
    });
}
