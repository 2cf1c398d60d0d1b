import { describe, expect, it } from 'vitest';
import { withVersionMetrics } from '../../src/aws/metrics.js';
import { userKey } from '../../src/aws/user-key.js';

describe('withVersionMetrics (CloudWatch embedded metric format)', () => {
  const setup = () => {
    const lines: Record<string, unknown>[] = [];
    let t = 0;
    const options = {
      functionName: 'frontend',
      version: '7',
      write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>),
      now: () => 1_700_000_000_000,
      elapsed: () => (t += 12.5),
    };
    return { lines, options };
  };

  it('writes one EMF line per invocation with the version as a dimension', async () => {
    const { lines, options } = setup();
    const handler = withVersionMetrics(async () => ({ statusCode: 200, headers: { a: 'b' }, body: 'ok' }), options);
    const result = await handler({}, {});
    expect(result.headers).toEqual({ a: 'b', 'x-onebox-version': 'frontend:7' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'onebox',
            Dimensions: [['FunctionName', 'Version']],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'Errors5xx', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
              { Name: 'LatencyB38', Unit: 'Count' },
            ],
          },
        ],
      },
      FunctionName: 'frontend',
      Version: '7',
      Requests: 1,
      Errors5xx: 0,
      Latency: 12.5,
      // 12.5 ms is core bucket 193 (1.05^193 µs .. 1.05^194 µs), grouped by 5.
      LatencyB38: 1,
    });
  });

  it('counts a 5xx answer and a thrown error, and rethrows', async () => {
    const { lines, options } = setup();
    await withVersionMetrics(async () => ({ statusCode: 502 }), options)({}, {});
    await expect(withVersionMetrics(async () => Promise.reject(new Error('boom')), options)({}, {})).rejects.toThrow(
      'boom',
    );
    await withVersionMetrics(async () => 'plain string answers 200', options)({}, {});
    expect(lines.map((l) => l['Errors5xx'])).toEqual([1, 1, 0]);
  });

  it('reads the function and version Lambda sets in the environment', async () => {
    const lines: string[] = [];
    process.env['AWS_LAMBDA_FUNCTION_NAME'] = 'api';
    process.env['AWS_LAMBDA_FUNCTION_VERSION'] = '12';
    await withVersionMetrics(async () => ({ statusCode: 204 }), { write: (l) => lines.push(l) })({}, {});
    expect(JSON.parse(lines[0]!)).toMatchObject({ FunctionName: 'api', Version: '12', Requests: 1 });
  });

  it("names the request's user by a hash of its identity, never the id: baggage, or the configured header first", async () => {
    const { lines, options } = setup();
    const ok = async () => ({ statusCode: 200 });
    const baggage = 'other=1,onebox-uid=user-42';
    await withVersionMetrics(ok, options)({ headers: { baggage } }, {});
    await withVersionMetrics(ok, { ...options, identityHeader: 'X-User' })(
      { headers: { baggage, 'x-user': 'acct-7' } },
      {},
    );
    await withVersionMetrics(ok, options)({ headers: {} }, {});
    await withVersionMetrics(ok, options)({ headers: { baggage: 'onebox-uid=' } }, {});
    expect(lines.map((l) => l['user'])).toEqual([userKey('user-42'), userKey('acct-7'), undefined, undefined]);
    expect(userKey('user-42')).toMatch(/^[0-9a-f]{16}$/);
    expect(userKey('user-42')).not.toBe(userKey('user-43'));
    for (const l of lines) expect(JSON.stringify(l)).not.toMatch(/user-42|acct-7/);
    // A property, not a metric or a dimension: CloudWatch's metrics are unchanged by it.
    expect(
      (lines[0]!['_aws'] as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions,
    ).toEqual([['FunctionName', 'Version']]);
  });
});
