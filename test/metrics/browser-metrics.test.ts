import { describe, expect, it } from 'vitest';
import { BrowserMetrics } from '../../src/metrics/browser-metrics.js';
import { HtmlInjector, injectInto, injectionIndex, takeAsPage } from '../../src/gateway/html-inject.js';

const beat = (user: string, page: string, load: boolean, ...errors: ('error' | 'app')[]) => ({
  user,
  page,
  path: `/p/${page}`,
  load,
  errors,
});

describe('a version’s browser metrics', () => {
  it('counts a page load once and each kind of error once per page load', () => {
    const m = new BrowserMetrics();
    expect(m.record(beat('u1', 'a', true))).toBe(true);
    expect(m.record(beat('u1', 'a', true))).toBe(false);
    expect(m.record(beat('u1', 'a', false, 'error', 'error'))).toBe(true);
    expect(m.record(beat('u1', 'a', false, 'error'))).toBe(false);
    expect(m.record(beat('u1', 'b', true, 'error'))).toBe(true);
    expect(m.snapshot()).toEqual({
      pageViews: 2,
      users: 1,
      errorUsers: 1,
      errors: { error: 2, rejection: 0, resource: 0, app: 0 },
      pages: [
        { path: '/p/a', views: 1, errors: 1 },
        { path: '/p/b', views: 1, errors: 1 },
      ],
    });
    expect(m.duplicates).toBe(2);
  });

  it('counts the distinct users of a window and those with an error in it', () => {
    const m = new BrowserMetrics();
    m.record(beat('u1', 'a', true, 'error'));
    m.record(beat('u2', 'b', true));
    const mark = m.mark();
    expect(m.since(undefined)).toEqual({ users: 2, errorUsers: 1 });
    expect(m.since(mark)).toEqual({ users: 0, errorUsers: 0 });
    // u1 comes back without an error: seen in the window, but its error was before it.
    m.record(beat('u1', 'c', true));
    m.record(beat('u3', 'd', true, 'app'));
    m.record(beat('u3', 'e', true, 'app'));
    expect(m.since(mark)).toEqual({ users: 2, errorUsers: 1 });
  });
});

describe('putting the tag into a page', () => {
  const tag = '<script src="/s.js"></script>';
  it('goes after <head>, after <html> or the doctype when there is none, and never before the doctype', () => {
    expect(injectInto(Buffer.from('<!DOCTYPE html><HTML><Head lang=x><title>'), tag).toString()).toBe(
      `<!DOCTYPE html><HTML><Head lang=x>${tag}<title>`,
    );
    expect(injectInto(Buffer.from('<!doctype html><html><body>x'), tag).toString()).toBe(
      `<!doctype html><html>${tag}<body>x`,
    );
    expect(injectInto(Buffer.from('<!doctype html>hi'), tag).toString()).toBe(`<!doctype html>${tag}hi`);
    expect(injectInto(Buffer.from('hi'), tag).toString()).toBe(`${tag}hi`);
    expect(injectionIndex('<!doctype html><html><he', false)).toBeUndefined();
    // <header> is not <head>.
    expect(injectionIndex('<html><header>', true)).toBe(6);
  });
  it('keeps every byte of a streamed page (UTF-8 split across chunks included)', () => {
    const page = Buffer.from('<!doctype html><html><head><title>café ✓</title></head><body>ünïcode</body></html>');
    const inj = new HtmlInjector(tag);
    const out: Buffer[] = [];
    for (let i = 0; i < page.length; i += 7) out.push(...inj.push(page.subarray(i, i + 7)));
    out.push(...inj.end());
    const html = page.toString();
    expect(Buffer.concat(out).toString()).toBe(html.replace('<head>', `<head>${tag}`));
  });
  it('takes only uncompressed 200 HTML answers, and makes them private without a length', () => {
    const out = ['Content-Type', 'text/html', 'Content-Length', '10', 'Cache-Control', 'public, max-age=5'];
    expect(takeAsPage(200, out)).toBe(true);
    expect(out).toEqual(['Content-Type', 'text/html', 'Cache-Control', 'private, max-age=5']);
    expect(takeAsPage(404, ['content-type', 'text/html'])).toBe(false);
    expect(takeAsPage(200, ['content-type', 'text/html', 'content-encoding', 'br'])).toBe(false);
    expect(takeAsPage(200, ['content-type', 'application/json'])).toBe(false);
  });
});
