import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { BrowserUser } from '../../../src/tools/demo/browser-user.js';
import { startUpstream, type TestUpstream } from '../../helpers/upstream.js';

/**
 * A site that moves the user to another version between the HTML and its asset once: the
 * first page references an asset that is gone, as after a rollback.
 */
async function skewedSite(guard: boolean): Promise<TestUpstream> {
  let pages = 0;
  return startUpstream((req, res) => {
    const version = req.url === '/' ? ++pages : 0;
    if (req.url === '/') {
      res.setHeader('x-onebox-version', `web:${version}`);
      res.setHeader('set-cookie', 'onebox-uid=AAAAAAAAAAAAAAAAAAAAAA; Path=/');
      res.end(
        `<html${guard ? ' data-skew-guard="reload-once"' : ''}><script src="/assets/app-${version}.js"></script>` +
          `<main data-api="/api/x" data-needs="rating"></main></html>`,
      );
    } else if (req.url === '/assets/app-2.js') res.end('ok');
    else if (req.url === '/api/x') res.end(JSON.stringify({ rating: 4 }));
    else {
      res.statusCode = 404;
      res.end();
    }
  });
}

describe('the demo browser', () => {
  let site: TestUpstream | undefined;
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.close();
    await site?.close();
  });

  it('reloads a page once when an asset is gone and the page has a skew guard', async () => {
    site = await skewedSite(true);
    pool = new Pool(site.url);
    const user = new BrowserUser(pool, 'web');
    const view = await user.view('/');
    expect(view).toMatchObject({ outcome: 'ok', version: 2, reloaded: true });
    expect(view.reason).toBe('reloaded: /assets/app-1.js answered 404');
    expect(user.id).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('counts the page broken without a guard', async () => {
    site = await skewedSite(false);
    pool = new Pool(site.url);
    const view = await new BrowserUser(pool, 'web').view('/');
    expect(view).toMatchObject({ outcome: 'broken', version: 1, reason: '/assets/app-1.js answered 404' });
  });
});
