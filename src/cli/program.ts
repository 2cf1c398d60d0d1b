import { Command } from 'commander';
import { registerAliasCommand } from './commands/alias.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDeploymentCommands } from './commands/deployments.js';
import { registerInvokeCommand } from './commands/invoke.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerServeCommand } from './commands/serve.js';
import { registerShadowCommands } from './commands/shadow.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTesterTokenCommand } from './commands/tester-token.js';
import { registerVersionCommands } from './commands/versions.js';

/** The `onebox` command: one register function per command group (src/cli/commands). */
export function buildProgram(): Command {
  const program = new Command('onebox')
    .description('Release web apps gradually and safely: sticky one-box, traffic shifting, automatic rollback.')
    .showHelpAfterError()
    // Usage errors (a bad option value, a missing argument) exit 2, like invalid config.
    .exitOverride((err) => process.exit(err.exitCode === 1 ? 2 : err.exitCode));
  registerServeCommand(program);
  registerVersionCommands(program);
  registerAliasCommand(program);
  registerStatusCommand(program);
  registerDeploymentCommands(program);
  registerSimulateCommand(program);
  registerInvokeCommand(program);
  registerLogsCommand(program);
  registerShadowCommands(program);
  registerTesterTokenCommand(program);
  registerDemoCommand(program);
  return program;
}
