#!/usr/bin/env node
import { ConfigError } from '../config/load.js';
import { CliError } from './admin-client.js';
import { buildProgram } from './program.js';

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CliError) {
      console.error(`onebox: ${err.message}`);
      process.exit(err instanceof ConfigError ? 2 : err.exitCode);
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      console.error(
        `onebox: address in use: ${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}; pick another with --listen / --admin-listen`,
      );
      process.exit(1);
    }
    console.error(`onebox: ${e.message ?? String(err)}`);
    process.exit(1);
  }
}

await main();
