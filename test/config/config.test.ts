import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';

const minimal = { components: [{ name: 'api', route: '/api' }] };

/** The problems parseConfig reports for `input`, failing the test if it accepts it. */
function problems(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`expected the config to be rejected: ${JSON.stringify(input)}`);
}

const withComponent = (c: Record<string, unknown>): unknown => ({ components: [c] });
const withGateway = (g: Record<string, unknown>): unknown => ({ ...minimal, gateway: g });

describe('parseConfig: defaults', () => {
  it('fills every default from a minimal config', () => {
    const cfg = parseConfig(minimal);
    expect(cfg.gateway).toEqual({
      listen: '127.0.0.1:8080',
      trustProxy: false,
      connectTimeoutMs: 5000,
      headersTimeoutMs: 30_000,
      bodyTimeoutMs: 30_000,
      cookieMaxAgeDays: 400,
      preserveHost: false,
      upgradeIdleTimeoutMs: 600_000,
      workers: 0,
      beaconsPerIp: { burst: 600, perMinute: 600 },
      errorUsersPerIp: { burst: 5, perMinute: 1 },
    });
    expect(cfg.admin).toEqual({ listen: '127.0.0.1:8081', tokens: [] });
    expect(cfg.state).toEqual({ dir: '.onebox' });
    expect(cfg.components).toHaveLength(1);
    expect(cfg.components[0]).toMatchObject({ name: 'api', route: '/api' });
  });

  it('keeps given values, fills the rest of a partially given section, lowercases the identity header', () => {
    const cfg = parseConfig({
      gateway: { listen: '[::1]:0', identityHeader: 'X-User-Id', cookieMaxAgeDays: 30 },
      admin: { token: 'a-token-of-16-ch' },
      state: { dir: '/var/lib/onebox' },
      components: [
        { name: 'web', route: '/' },
        { name: 'api-v2', route: '/api/v2' },
      ],
    });
    expect(cfg.gateway).toEqual({
      listen: '[::1]:0',
      identityHeader: 'x-user-id',
      trustProxy: false,
      connectTimeoutMs: 5000,
      headersTimeoutMs: 30_000,
      bodyTimeoutMs: 30_000,
      cookieMaxAgeDays: 30,
      preserveHost: false,
      upgradeIdleTimeoutMs: 600_000,
      workers: 0,
      beaconsPerIp: { burst: 600, perMinute: 600 },
      errorUsersPerIp: { burst: 5, perMinute: 1 },
    });
    expect(cfg.admin).toEqual({ listen: '127.0.0.1:8081', token: 'a-token-of-16-ch', tokens: [] });
    expect(cfg.state.dir).toBe('/var/lib/onebox');
    expect(cfg.components.map((c) => c.name)).toEqual(['web', 'api-v2']);
  });

  it('accepts the boundary values', () => {
    expect(parseConfig(withGateway({ listen: 'localhost:65535', cookieMaxAgeDays: 400 })).gateway.listen).toBe(
      'localhost:65535',
    );
    expect(parseConfig(withComponent({ name: `a${'b'.repeat(63)}`, route: '/' })).components[0]!.name).toHaveLength(64);
  });

  it('accepts what Lambda accepts as a function name: both cases, digits, hyphens, underscores', () => {
    for (const name of ['TrafficShiftDemo', 'my_function-2', '1st', 'API'])
      expect(parseConfig(withComponent({ name, route: '/' })).components[0]!.name).toBe(name);
  });
});

describe('parseConfig: each problem names the field, the value and what was expected', () => {
  it.each<[string, unknown, string]>([
    [
      'route without a leading slash',
      withComponent({ name: 'api', route: 'api' }),
      'components[0].route = "api": a path prefix must start with "/"',
    ],
    [
      'route with a trailing slash',
      withComponent({ name: 'api', route: '/api/' }),
      'components[0].route = "/api/": a path prefix other than "/" must not end with "/"',
    ],
    [
      'route with a space',
      withComponent({ name: 'api', route: '/a b' }),
      'components[0].route = "/a b": a path prefix may hold only URL path characters',
    ],
    [
      'route missing',
      withComponent({ name: 'api' }),
      'components[0].route = missing: Invalid input: expected string, received undefined',
    ],
    [
      'name with a dot',
      withComponent({ name: 'api.v2', route: '/api' }),
      'components[0].name = "api.v2": expected 1 to 64 letters, digits, hyphens or underscores (as a Lambda function name)',
    ],
    [
      'empty name',
      withComponent({ name: '', route: '/api' }),
      'components[0].name = "": expected 1 to 64 letters, digits, hyphens or underscores (as a Lambda function name)',
    ],
    [
      'name of 65 chars',
      withComponent({ name: 'a'.repeat(65), route: '/api' }),
      `components[0].name = "${'a'.repeat(56)}...: expected 1 to 64 letters, digits, hyphens or underscores (as a Lambda function name)`,
    ],
    [
      'name not a string',
      withComponent({ name: 7, route: '/api' }),
      'components[0].name = 7: Invalid input: expected string, received number',
    ],
    ['no components', { components: [] }, 'components = []: declare at least one component'],
    ['components missing', {}, 'components = missing: Invalid input: expected array, received undefined'],
    [
      'components not a list',
      { components: { name: 'api' } },
      'components = {"name":"api"}: Invalid input: expected array, received object',
    ],
    ['not an object', null, '(top level) = null: Invalid input: expected object, received null'],
    // Product bug: also reports a bogus 'port must be at most 65535' (see src/config/schema.ts, `listen`).
    [
      'listen without a port',
      withGateway({ listen: 'localhost' }),
      'gateway.listen = "localhost": expected host:port, e.g. 127.0.0.1:8080',
    ],
    [
      'listen port too big',
      withGateway({ listen: 'localhost:99999' }),
      'gateway.listen = "localhost:99999": port must be at most 65535',
    ],
    [
      'admin listen is checked too',
      { ...minimal, admin: { listen: ':8081' } },
      'admin.listen = ":8081": expected host:port, e.g. 127.0.0.1:8080',
    ],
    [
      'identity header with a space',
      withGateway({ identityHeader: 'X User' }),
      'gateway.identityHeader = "X User": expected an HTTP header name',
    ],
    [
      'cookie lifetime over 400 days',
      withGateway({ cookieMaxAgeDays: 401 }),
      'gateway.cookieMaxAgeDays = 401: Too big: expected number to be <=400',
    ],
    [
      'cookie lifetime zero',
      withGateway({ cookieMaxAgeDays: 0 }),
      'gateway.cookieMaxAgeDays = 0: Too small: expected number to be >0',
    ],
    [
      'fractional timeout',
      withGateway({ connectTimeoutMs: 1.5 }),
      'gateway.connectTimeoutMs = 1.5: Invalid input: expected int, received number',
    ],
    [
      'negative timeout',
      withGateway({ headersTimeoutMs: -1 }),
      'gateway.headersTimeoutMs = -1: Too small: expected number to be >0',
    ],
    [
      'timeout as a string',
      withGateway({ bodyTimeoutMs: '10' }),
      'gateway.bodyTimeoutMs = "10": Invalid input: expected number, received string',
    ],
    [
      'trustProxy as a string',
      withGateway({ trustProxy: 'yes' }),
      'gateway.trustProxy = "yes": Invalid input: expected boolean, received string',
    ],
    [
      'preserveHost as a string',
      withGateway({ preserveHost: 'yes' }),
      'gateway.preserveHost = "yes": expected true or false',
    ],
    [
      'publicHost with a path',
      withGateway({ publicHost: 'shop.example.com/app' }),
      'gateway.publicHost = "shop.example.com/app": expected a host name with an optional port, as a Host header carries it, e.g. shop.example.com or localhost:8080',
    ],
    [
      'publicHost with a scheme',
      withGateway({ publicHost: 'https://shop.example.com' }),
      'gateway.publicHost = "https://shop.example.com": expected a host name with an optional port, as a Host header carries it, e.g. shop.example.com or localhost:8080',
    ],
    [
      'upgrade idle timeout zero',
      withGateway({ upgradeIdleTimeoutMs: 0 }),
      'gateway.upgradeIdleTimeoutMs = 0: must be above 0: an idle timeout of 0 would close every socket at once',
    ],
    [
      'upgrade idle timeout over a day',
      withGateway({ upgradeIdleTimeoutMs: 86_400_001 }),
      'gateway.upgradeIdleTimeoutMs = 86400001: at most 86400000 (24 hours): a socket silent longer than that is presumed dead',
    ],
    [
      'upgrade idle timeout fractional',
      withGateway({ upgradeIdleTimeoutMs: 1.5 }),
      'gateway.upgradeIdleTimeoutMs = 1.5: expected a whole number of milliseconds',
    ],
    [
      'upgrade idle timeout as a duration string',
      withGateway({ upgradeIdleTimeoutMs: '10m' }),
      'gateway.upgradeIdleTimeoutMs = "10m": expected a number of milliseconds',
    ],
    [
      'empty state dir',
      { ...minimal, state: { dir: '' } },
      'state.dir = "": Too small: expected string to have >=1 characters',
    ],
    [
      'gateway not an object',
      { ...minimal, gateway: 'x' },
      'gateway = "x": Invalid input: expected object, received string',
    ],
  ])('%s', (_name, input, message) => {
    expect(problems(input)).toEqual([message]);
  });

  it('a short page key is rejected without printing it; beacon limits name their field', () => {
    expect(problems(withGateway({ pageKey: 'short-key' }))).toEqual([
      'gateway.pageKey = (hidden): a page key needs at least 32 characters',
    ]);
    expect(problems(withGateway({ beaconsPerIp: { burst: 0 }, errorUsersPerIp: { perMinute: -1 } }))).toEqual([
      'gateway.beaconsPerIp.burst = 0: the beacons from one address at once must be at least 1',
      'gateway.errorUsersPerIp.perMinute = -1: the users with an error from one address a minute must be above 0',
    ]);
  });

  it('a short admin token is rejected with the rule', () => {
    const found = problems({ ...minimal, admin: { token: 'short' } });
    expect(found).toHaveLength(1);
    expect(found[0]).toBe('admin.token = (hidden): a token needs at least 16 characters');
  });

  it('reports every problem at once, in document order', () => {
    expect(
      problems({
        gateway: { listen: 'localhost:70000', cookieMaxAgeDays: 500 },
        components: [
          { name: 'ok', route: '/ok' },
          { name: 'B@d', route: 'bad' },
        ],
      }),
    ).toEqual([
      'gateway.listen = "localhost:70000": port must be at most 65535',
      'gateway.cookieMaxAgeDays = 500: Too big: expected number to be <=400',
      'components[1].name = "B@d": expected 1 to 64 letters, digits, hyphens or underscores (as a Lambda function name)',
      'components[1].route = "bad": a path prefix must start with "/"',
    ]);
  });

  it('names unknown fields with their full path, at every level', () => {
    expect(
      problems({
        listen: ':80',
        gateway: { lissten: '127.0.0.1:1' },
        admin: { tokn: 'x' },
        state: { path: 'x' },
        components: [{ name: 'api', route: '/api', target: 'http://x' }],
      }),
    ).toEqual([
      'gateway.lissten: unknown field',
      'admin.tokn: unknown field',
      'state.path: unknown field',
      'components[0].target: unknown field',
      'listen: unknown field',
    ]);
  });

  it('rejects duplicate names and duplicate routes, pointing at the first', () => {
    expect(
      problems({
        components: [
          { name: 'api', route: '/api' },
          { name: 'web', route: '/' },
          { name: 'api', route: '/api2' },
          { name: 'other', route: '/' },
        ],
      }),
    ).toEqual([
      'components[2].name = "api": duplicate of components[0]',
      'components[3].route = "/": same route as components[1]',
    ]);
    expect(
      problems({
        components: [
          { name: 'api', route: '/api' },
          { name: 'api', route: '/api' },
        ],
      }),
    ).toEqual([
      'components[1].name = "api": duplicate of components[0]',
      'components[1].route = "/api": same route as components[0]',
    ]);
  });

  it('the error message lists the source and every problem', () => {
    try {
      parseConfig(withComponent({ name: 'api', route: 'api' }), 'onebox.yaml');
      expect.unreachable('parseConfig accepted a bad route');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.name).toBe('ConfigError');
      expect(e.source).toBe('onebox.yaml');
      expect(e.message).toBe(
        'invalid config onebox.yaml:\n  - components[0].route = "api": a path prefix must start with "/"',
      );
    }
  });
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onebox-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const loadError = (file: string): ConfigError => {
    try {
      loadConfigFile(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return err as ConfigError;
    }
    throw new Error(`expected ${file} to be rejected`);
  };

  it('reads YAML and applies defaults', () => {
    const file = write(
      'ok.yaml',
      [
        'gateway:',
        '  listen: 0.0.0.0:9000',
        '  identityHeader: X-Auth-User',
        'components:',
        '  - name: api',
        '    route: /api',
        '',
      ].join('\n'),
    );
    const cfg = loadConfigFile(file);
    expect(cfg.gateway.listen).toBe('0.0.0.0:9000');
    expect(cfg.gateway.identityHeader).toBe('x-auth-user');
    expect(cfg.gateway.connectTimeoutMs).toBe(5000);
    expect(cfg.components.map((c) => [c.name, c.route])).toEqual([['api', '/api']]);
  });

  it('reads JSON', () => {
    const file = write('ok.json', JSON.stringify({ components: [{ name: 'web', route: '/' }], state: { dir: 'x' } }));
    expect(loadConfigFile(file)).toMatchObject({ state: { dir: 'x' }, components: [{ name: 'web', route: '/' }] });
  });

  it('reports schema problems with the file as the source', () => {
    const file = write('bad.yaml', 'components:\n  - name: api\n    route: api\n');
    const err = loadError(file);
    expect(err.source).toBe(file);
    expect(err.problems).toEqual(['components[0].route = "api": a path prefix must start with "/"']);
    expect(err.message.startsWith(`invalid config ${file}:\n`)).toBe(true);
  });

  it('reports invalid YAML in one line', () => {
    const file = write('broken.yaml', 'components:\n  - name: api\n   route: [/api\n');
    const err = loadError(file);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^not valid YAML or JSON: \S/);
    expect(err.problems[0]).not.toContain('\n');
  });

  it('reports what the YAML parser would only warn about (an unknown tag), and prints nothing', () => {
    const file = write('tagged.yaml', 'components:\n  - name: !secret api\n    route: /api\n');
    expect(loadError(file).problems).toEqual([
      expect.stringMatching(/^not valid YAML or JSON: Unresolved tag: !secret/),
    ]);
  });

  it('an empty file is a config with no components', () => {
    const err = loadError(write('empty.yaml', ''));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^\(top level\) = /);
  });

  it('reports a missing file', () => {
    const file = join(dir, 'does-not-exist.yaml');
    const err = loadError(file);
    expect(err.source).toBe(file);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^cannot read the file: ENOENT/);
    expect(err.problems[0]).toContain(file);
  });

  it('reports a folder given as the file', () => {
    const err = loadError(dir);
    expect(err.problems[0]).toMatch(/^cannot read the file: EISDIR/);
  });
});

describe('parseConfig: gate settings that cannot be satisfied', () => {
  const withJudge = (judge: Record<string, unknown>): unknown =>
    withComponent({ name: 'api', route: '/api', deployment: { judge } });
  const J = 'components[0].deployment.judge';

  it.each([
    [
      'alpha of 1',
      { alpha: 1 },
      `${J}.alpha = 1: the chance of rolling back a version that is not worse must be above 0 and below 0.5 (a probability; at 0.5 or more the test is a coin toss)`,
    ],
    [
      'beta of 0',
      { beta: 0 },
      `${J}.beta = 0: the chance of passing a version exactly at the margin must be above 0 and below 0.5 (a probability; at 0.5 or more the test is a coin toss)`,
    ],
    [
      'an error floor of 1',
      { errorFloor: 1 },
      `${J}.errorFloor = 1: how far above the stable error rate "worse" starts must be at least 0 and below 0.5 (a share of requests; a negative margin calls an identical version worse, one of 0.5 or more can never be shown)`,
    ],
    [
      'a negative tail margin',
      { tailFloor: -0.01 },
      `${J}.tailFloor = -0.01: how far above the stable share of slow requests "worse" starts must be at least 0 and below 0.5 (a share of requests; a negative margin calls an identical version worse, one of 0.5 or more can never be shown)`,
    ],
    [
      'an error ratio of 1',
      { errorRatio: 1 },
      `${J}.errorRatio = 1: the multiple of the stable error rate that is "worse" must be above 1 (at 1 or less an identical version is "worse")`,
    ],
    [
      'a fractional warm-up',
      { warmupRequests: 2.5 },
      `${J}.warmupRequests = 2.5: the new version's requests its latency is not judged on must be a whole number at least 0 (its warm-up)`,
    ],
    [
      'a probability given as text',
      { alpha: '0.01' },
      `${J}.alpha = "0.01": the chance of rolling back a version that is not worse must be above 0 and below 0.5 (a probability; at 0.5 or more the test is a coin toss)`,
    ],
  ])('refuses %s, naming the field, the value and why', (_name, judge, message) => {
    expect(problems(withJudge(judge))).toEqual([message]);
  });

  it('refuses an alarm error rate above 1', () => {
    expect(
      problems(withComponent({ name: 'api', route: '/api', deployment: { alarms: { maxErrorRate: 2 } } })),
    ).toEqual([
      'components[0].deployment.alarms.maxErrorRate = 2: the highest error rate must be at least 0 and at most 1 (a share of requests: 0.02 is 2%)',
    ]);
  });

  it('accepts the bounds themselves where they are satisfiable, and fills the new defaults', () => {
    const cfg = parseConfig(withJudge({ errorFloor: 0, tailFloor: 0, warmupRequests: 0 }));
    expect(cfg.components[0]!.deployment.judge).toMatchObject({ errorFloor: 0, tailFloor: 0, warmupRequests: 0 });
    expect(parseConfig(minimal).components[0]!.deployment.judge).toMatchObject({
      tailFloor: 0.01,
      warmupRequests: 100,
    });
  });
});
