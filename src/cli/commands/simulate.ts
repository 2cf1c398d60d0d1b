import type { Command } from 'commander';

/** `onebox simulate`: the release simulator (src/tools/sim), loaded only when asked for. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run many releases against a synthetic population in virtual time, with the real reducer and gates')
    .option('-s, --scenario <names>', 'comma-separated scenarios (--list), or all (default: aa,errors,p99,exposure)')
    .option(
      '--gate <gates>',
      'judge (alarms + judge, as the controller), judge-only, alarm (fixed, 1-minute periods), alarm+p99 (default: judge,judge-only,alarm)',
    )
    .option('--routing <modes>', 'sticky, request, or both: sticky,request (default)')
    .option('-n, --runs <n>', 'releases per scenario, gate and routing mode (default 200)')
    .option('--seed <n>', 'seed: the same seed gives the same figures (default 1)')
    .option('--first-run <n>', 'index of the first run (default 0)')
    .option('--config <spec>', 'override the deployment config, e.g. LambdaLinear10PercentEvery1Minute')
    .option(
      '--fault <spec>',
      'override the fault: none, errors:1%->3%, latency:x1.5, p99:x1.5, with @route,route for some routes only',
    )
    .option('--users <n>', 'population size (default 20000)')
    .option('--rps <n>', 'requests per second of virtual time (default 100)')
    .option('--error-rate <pct>', 'base error rate of both versions (default 1%)')
    .option('--tick <duration>', 'how often the gate is read (default 5s)')
    .option(
      '--on-inconclusive <policy>',
      'rollback or proceed (default: rollback for good releases, proceed for bad ones)',
    )
    .option(
      '--judge <key=value>',
      'judge setting, e.g. tailRatio=2 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option(
      '--alarm <name=value>',
      'alarm threshold: error-rate=5%, p99=400ms, min-requests=300 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--replay <run>', "run one release and print the reducer's events")
    .option('--workers <n>', 'threads (default: one per core)')
    .option('--list', 'list the scenarios')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts) => (await import('../../tools/sim/cli.js')).simulate(opts));
}
