import { describe, expect, it } from 'vitest';
import { readExposures } from '../../../src/aws/control/exposure.js';
import { LogsInsightsUsers, userQuery, type UserCountRequest } from '../../../src/aws/control/user-counts.js';
import { emfLine } from '../../../src/aws/metrics.js';
import type { DeploymentRecord } from '../../../src/core/index.js';
import { FakeLogsInsights } from './logs-insights-fake.js';

/** Distinct users per version from withVersionMetrics' log lines, with Logs Insights (mocked). */
const T0 = Date.UTC(2026, 0, 1, 9, 0);
const line = (fn: string, version: number, at: number, user?: string) =>
  emfLine(
    'onebox',
    { FunctionName: fn, Version: String(version) },
    [{ name: 'Requests', value: 1, unit: 'Count' }],
    at,
    user ? { user } : {},
  );

function world() {
  const logs = new FakeLogsInsights();
  let now = T0 + 600_000;
  const slept: number[] = [];
  const users = new LogsInsightsUsers(logs.client, {
    budgetMs: 5_000,
    pollMs: 500,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  });
  return { logs, users, slept };
}
const request: UserCountRequest = {
  component: 'web',
  functionName: 'shop-web',
  versions: [1, 2],
  from: T0,
  to: T0 + 600_000,
};

describe('LogsInsightsUsers', () => {
  it('counts distinct users per version over the whole window, and a user on both versions once', async () => {
    const { logs, users, slept } = world();
    // u1..u3 on v1 every minute, u4, u5 on v2, u3 moves to v2; a line without a user; another function; outside the window.
    for (let m = 0; m < 10; m++)
      for (const u of ['u1', 'u2', 'u3']) logs.ingest(line('shop-web', 1, T0 + m * 60_000, u));
    for (const u of ['u4', 'u5', 'u3']) logs.ingest(line('shop-web', 2, T0 + 300_000, u));
    logs.ingest(line('shop-web', 2, T0 + 300_000));
    logs.ingest(line('shop-api', 2, T0 + 300_000, 'u9'), '/aws/lambda/shop-web');
    logs.ingest(line('shop-web', 2, T0 + 700_000, 'u8'));
    const counted = await users.count([request]);
    expect(counted.get('web')).toEqual({
      byVersion: new Map([
        [1, 3],
        [2, 3],
      ]),
      all: 5,
      exact: true,
    });
    expect(logs.started).toHaveLength(2);
    expect(logs.started[0]).toEqual({
      logGroupNames: ['/aws/lambda/shop-web'],
      startTime: T0 / 1000,
      endTime: (T0 + 600_000) / 1000,
      queryString: userQuery(request, true),
    });
    expect(userQuery(request, true)).toBe(
      'filter FunctionName = "shop-web" and Version in ["1", "2"] and ispresent(user) | stats count_distinct(user) as users by Version',
    );
    expect(slept).toEqual([500]); // one Running answer, then Complete
  });

  it('gives up on queries still running at its budget: stops them and leaves the request out', async () => {
    const { logs, users } = world();
    logs.ingest(line('shop-web', 2, T0, 'u1'));
    logs.outcome = 'hang';
    expect((await users.count([request])).size).toBe(0);
    expect(logs.stopped).toEqual(['q-1', 'q-2']);
  });

  it('leaves out a request whose query failed', async () => {
    const { logs, users } = world();
    logs.ingest(line('shop-web', 2, T0, 'u1'));
    logs.outcome = 'Failed';
    expect((await users.count([request])).size).toBe(0);
  });

  it("is the deployment's exposure: users on its new version of all users, from its first traffic", async () => {
    const { logs, users } = world();
    for (const u of ['a', 'b', 'c', 'd']) logs.ingest(line('shop-web', 1, T0 + 60_000, u));
    logs.ingest(line('shop-web', 2, T0 + 60_000, 'e'));
    logs.ingest(line('shop-web', 2, T0 - 60_000, 'early')); // before its traffic started
    const record = {
      id: 'r1-web',
      state: {
        component: 'web',
        status: 'in-progress',
        step: 0,
        fromVersion: 1,
        toVersion: 2,
        trafficStartedAt: T0,
        stepStartedAt: T0,
      },
    } as unknown as DeploymentRecord;
    const created = {
      ...record,
      id: 'r2-web',
      state: { ...record.state, status: 'created', step: -1 },
    } as DeploymentRecord;

    const exposures = await readExposures(users, [record, created], () => 'shop-web', T0 + 600_000);
    expect([...exposures]).toEqual([['r1-web', { usersOnNew: 1, activeUsers: 5, share: 0.2, exact: true }]]);
  });
});

describe('LogsInsightsUsers, the browser beacon', () => {
  it('counts per version the users whose pages reported, and those with a browser error', async () => {
    const { logs, users } = world();
    const beacon = (version: number, user: string, kind: string, at = T0 + 60_000) =>
      logs.ingest(
        JSON.stringify({ onebox: 'browser', component: 'web', version, user, kind, _aws: { Timestamp: at } }),
        '/aws/lambda/shop-beacon',
      );
    for (const u of ['a', 'b', 'c', 'd']) beacon(1, u, 'load');
    beacon(1, 'a', 'error');
    for (const u of ['e', 'f']) beacon(2, u, 'load');
    beacon(2, 'e', 'rejection');
    beacon(2, 'e', 'resource'); // the same user twice: one user with an error
    beacon(2, 'g', 'error'); // an error with no load line: still a user who reported
    logs.ingest(
      JSON.stringify({
        onebox: 'browser',
        component: 'api',
        version: 2,
        user: 'z',
        kind: 'error',
        _aws: { Timestamp: T0 },
      }),
      '/aws/lambda/shop-beacon',
    );
    const counted = await users.countBrowser('/aws/lambda/shop-beacon', {
      component: 'web',
      versions: [1, 2],
      from: T0,
      to: T0 + 600_000,
    });
    expect(counted).toEqual(
      new Map([
        [1, { users: 4, errorUsers: 1 }],
        [2, { users: 3, errorUsers: 2 }],
      ]),
    );
  });
});
