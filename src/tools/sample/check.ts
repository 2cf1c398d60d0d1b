import { request } from 'undici';

export interface StickinessCheck {
  readonly users: number;
  readonly requestsPerUser: number;
  readonly shareOnNew: number;
  readonly switched: number;
  readonly brokenPages: number;
}

const versionOf = (headers: Record<string, string | string[] | undefined>): string =>
  String(headers['x-onebox-version'] ?? '');

/**
 * Real users against the running gateway: each takes the cookie from its first answer,
 * then loads the page and its assets again. Counts who switched version and pages whose
 * assets did not all load.
 */
export async function checkStickiness(
  gatewayUrl: string,
  users: number,
  requestsPerUser: number,
): Promise<StickinessCheck> {
  let onNew = 0;
  let switched = 0;
  let brokenPages = 0;
  const one = async (): Promise<void> => {
    const first = await request(`${gatewayUrl}/`);
    const html = await first.body.text();
    const cookie = String([first.headers['set-cookie']].flat()[0] ?? '').split(';')[0]!;
    const version = versionOf(first.headers);
    if (version.endsWith(':2')) onNew++;
    let moved = false;
    let broken = false;
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    for (let i = 0; i < requestsPerUser; i++) {
      const path = i === 0 ? '/' : assets[(i - 1) % assets.length]!;
      const res = await request(`${gatewayUrl}${path}`, { headers: { cookie } });
      await res.body.dump();
      if (versionOf(res.headers) !== version) moved = true;
      if (res.statusCode !== 200) broken = true;
    }
    if (moved) switched++;
    if (broken) brokenPages++;
  };
  const queue = Array.from({ length: users }, () => one);
  const workers = Array.from({ length: 16 }, async () => {
    for (let job = queue.pop(); job; job = queue.pop()) await job();
  });
  await Promise.all(workers);
  return { users, requestsPerUser, shareOnNew: onNew / users, switched, brokenPages };
}
