import type { Command } from 'commander';
import { CliError } from '../admin-client.js';
import { client, withConnection, type CommonOptions } from '../common.js';
import { formatStatus } from '../format.js';

/** `onebox status [--watch]`. */
export function registerStatusCommand(program: Command): void {
  withConnection(program.command('status'))
    .description('components, live aliases, deployments in progress and per-version traffic')
    .option('-w, --watch', 'redraw every second until Ctrl-C')
    .action(async (opts: CommonOptions & { watch?: boolean }) => {
      const c = client(opts);
      const render = async (): Promise<string> => {
        const res = await c.call('status');
        if (opts.json) return JSON.stringify(res, null, 2);
        const fallbacks = Object.entries(res.fallbacks);
        const tail = fallbacks.length ? `\nabsorbed: ${fallbacks.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
        return formatStatus(res.components) + tail;
      };
      if (!opts.watch) return void console.log(await render());
      if (opts.json)
        throw new CliError('--watch redraws a screen; with --json, call `onebox status --json` as often as needed', 2);
      for (;;) {
        const text = await render();
        process.stdout.write(`\x1b[H\x1b[2J${text}\n`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    });
}
