import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_DROPPED_HEADERS, parseDuration, unsafeMethods } from '../../core/index.js';
import { client, positiveInt, print, withConnection, type CommonOptions } from '../common.js';
import { formatShadowReport } from '../format.js';

const collect = (value: string, acc: string[]): string[] => [...acc, value];

function share(value: string): number {
  const n = value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : Number(value);
  if (!(n > 0 && n <= 1))
    throw new InvalidArgumentError(`expected a share above 0 and at most 1 (or 1%..100%), got "${value}"`);
  return n;
}

function bytes(value: string): number {
  const m = /^(\d+)(b|kb|kib|mb|mib)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a size such as 512kb or 1mb, got "${value}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`expected a duration such as 500ms or 5s, got "${value}"`);
  return ms;
}

interface StartOptions extends CommonOptions {
  share?: number;
  methods?: string;
  dropHeader: string[];
  keepHeader: string[];
  bodyCap?: number;
  maxInFlight?: number;
  timeout?: number;
  noise: boolean;
  ignorePath: string[];
  ignoreHeader: string[];
}

/** `onebox shadow start|stop|report`. */
export function registerShadowCommands(program: Command): void {
  const shadow = program
    .command('shadow')
    .description('mirror live requests to a version users are not served, and compare the answers');

  withConnection(shadow.command('start <component> <version>'))
    .description('start mirroring (only GET, HEAD and OPTIONS unless --methods says more; credentials are dropped)')
    .option('--share <share>', 'share of users mirrored, sticky per user, e.g. 0.1 or 10% (default: everyone)', share)
    .option('--methods <list>', 'methods mirrored, comma-separated (default GET,HEAD,OPTIONS)')
    .option('--drop-header <name>', 'also drop this request header (repeatable)', collect, [])
    .option(
      '--keep-header <name>',
      'send this normally dropped header after all, e.g. authorization (repeatable)',
      collect,
      [],
    )
    .option('--body-cap <size>', 'largest body copied and compared (default 1mb)', bytes)
    .option(
      '--max-in-flight <n>',
      'copies in flight at most; more are dropped and counted (default 64)',
      positiveInt('--max-in-flight'),
    )
    .option('--timeout <duration>', 'longest wait for the shadow (default 5s)', duration)
    .option('--no-noise', 'do not ask a second copy of the live version (report every difference)')
    .option(
      '--ignore-path <jsonpath>',
      'a JSON path not compared, e.g. $.meta.at or $.items[*].id (repeatable)',
      collect,
      [],
    )
    .option('--ignore-header <name>', 'a response header not compared (repeatable)', collect, [])
    .action(async (component: string, version: string, opts: StartOptions) => {
      const keep = new Set(opts.keepHeader.map((h) => h.toLowerCase()));
      const body = {
        version: positiveInt('version')(version),
        share: opts.share,
        methods: opts.methods?.split(',').map((m) => m.trim().toUpperCase()),
        dropHeaders: [...DEFAULT_DROPPED_HEADERS, ...opts.dropHeader]
          .map((h) => h.toLowerCase())
          .filter((h) => !keep.has(h)),
        bodyCapBytes: opts.bodyCap,
        maxInFlight: opts.maxInFlight,
        timeoutMs: opts.timeout,
        noise: opts.noise,
        ignorePaths: opts.ignorePath,
        ignoreHeaders: opts.ignoreHeader,
      };
      const res = await client(opts).call('startShadow', { component }, body);
      const p = res.shadow;
      print(opts, res, () =>
        [
          `${component}: mirroring ${p.methods.join(', ')} requests of ${Math.round(p.share * 1000) / 10}% of users to v${p.version}`,
          `dropped headers: ${p.dropHeaders.join(', ') || 'none'}; noise cancellation ${p.noise ? 'on' : 'off'}; at most ${p.maxInFlight} in flight, ${p.timeoutMs} ms timeout`,
          ...(unsafeMethods(p).length ? ['warning: methods with side effects are mirrored'] : []),
        ].join('\n'),
      );
    });

  withConnection(shadow.command('stop <component>'))
    .description('stop mirroring (the report is kept)')
    .action(async (component: string, opts: CommonOptions) => {
      const res = await client(opts).call('stopShadow', { component });
      print(opts, res, () => `${component}: shadow stopped; \`onebox shadow report ${component}\` keeps its report`);
    });

  withConnection(shadow.command('report <component>'))
    .description('per endpoint: requests compared, how many differed, the top differing fields with samples')
    .option(
      '--version <n>',
      'the report of this shadow version (default: the running or latest one)',
      positiveInt('--version'),
    )
    .action(async (component: string, opts: CommonOptions & { version?: number }) => {
      const res = await client(opts).call('shadowReport', { component }, undefined, { version: opts.version });
      print(opts, res, () => formatShadowReport(res.report));
    });
}
