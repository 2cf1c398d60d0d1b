import { privateCacheControl } from '../core/index.js';

/** How much of an HTML answer is held back looking for its <head>; past it the tag goes first. */
const LOOK_AHEAD_BYTES = 16 * 1024;

/**
 * Where the tag goes in the start of an HTML document: right after the `<head>` start tag,
 * else after `<html ...>`, else after the doctype (a script before the doctype would put
 * the page in quirks mode), else at the very start. Undefined while `html` may be cut
 * before a `<head>` that is still to come.
 */
export function injectionIndex(html: string, complete: boolean): number | undefined {
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  if (head) return head.index + head[0].length;
  if (!complete && !/<body[\s>]/i.test(html)) return undefined;
  const root = /<html(?:\s[^>]*)?>/i.exec(html);
  if (root) return root.index + root[0].length;
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  return doctype ? doctype[0].length : 0;
}

/** Puts `tag` into a whole HTML body. */
export function injectInto(body: Buffer, tag: string): Buffer {
  const html = body.toString('latin1');
  const at = injectionIndex(html, true)!;
  return Buffer.from(html.slice(0, at) + tag + html.slice(at), 'latin1');
}

/**
 * Puts `tag` into a streamed HTML body: chunks are held until the place is found (or
 * LOOK_AHEAD_BYTES have come), then everything flows through unchanged. Latin1 keeps every
 * byte as it was: the tags searched for are ASCII, and no UTF-8 sequence contains `<`.
 */
export class HtmlInjector {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private done = false;

  constructor(private readonly tag: string) {}

  /** What may be sent now for `chunk`. */
  push(chunk: Buffer): Buffer[] {
    if (this.done) return [chunk];
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    const html = Buffer.concat(this.held).toString('latin1');
    const at = injectionIndex(html, this.heldBytes >= LOOK_AHEAD_BYTES);
    return at === undefined ? [] : this.release(html, at);
  }

  /** What is left at the end of the body. */
  end(): Buffer[] {
    if (this.done) return [];
    const html = Buffer.concat(this.held).toString('latin1');
    return this.release(html, injectionIndex(html, true)!);
  }

  private release(html: string, at: number): Buffer[] {
    this.done = true;
    this.held = [];
    return [Buffer.from(html.slice(0, at) + this.tag + html.slice(at), 'latin1')];
  }
}

/**
 * Whether an answer is a page the tag can go into (a 200 of uncompressed HTML: a compressed
 * one would have to be decoded, and is left as it came), and if so its headers made fit for
 * it, in place: no Content-Length (the body grows), and private (the tag carries a token of
 * one page load for one user, which no shared cache may hand to another).
 */
export function takeAsPage(status: number, out: string[]): boolean {
  if (status !== 200) return false;
  let html = false;
  for (let i = 0; i < out.length; i += 2) {
    const name = out[i]!.toLowerCase();
    if (name === 'content-encoding' && out[i + 1]!.trim().toLowerCase() !== 'identity') return false;
    if (name === 'content-type') html = /^\s*text\/html\b/i.test(out[i + 1]!);
  }
  if (!html) return false;
  for (let i = out.length - 2; i >= 0; i -= 2) if (out[i]!.toLowerCase() === 'content-length') out.splice(i, 2);
  let cacheControl = -1;
  for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() === 'cache-control') cacheControl = i;
  if (cacheControl === -1) out.push('cache-control', privateCacheControl(undefined));
  else out[cacheControl + 1] = privateCacheControl(out[cacheControl + 1]);
  return true;
}
