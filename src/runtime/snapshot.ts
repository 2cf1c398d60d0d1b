import { createHash } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseHandlerRef } from './function-version.js';

/** A handler's code, copied where nothing edits it: what a published version runs. */
export interface HandlerSnapshot {
  /** The folder holding the copy. */
  readonly dir: string;
  /** The module file inside `dir`. */
  readonly file: string;
  readonly exportName: string;
  /** `file#exportName`, ready for FunctionVersion.handler. */
  readonly handler: string;
  /** SHA-256 over the copied files' relative paths and contents (a fingerprint of the version). */
  readonly sha256: string;
}

const ENTRY_CANDIDATES = ['index.mjs', 'index.js', 'index.cjs'];

function entryOf(dir: string): string {
  const pkgPath = join(dir, 'package.json');
  if (existsSync(pkgPath)) {
    const main = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { main?: unknown }).main;
    if (typeof main === 'string' && existsSync(join(dir, main))) return join(dir, main);
  }
  for (const name of ENTRY_CANDIDATES) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(
    `${dir} has no handler module: add ${ENTRY_CANDIDATES.join(', ')} or a package.json "main", or name the file`,
  );
}

/** The `type` of the package.json nearest to `file` ('commonjs' when none says otherwise). */
function moduleTypeOf(file: string): 'module' | 'commonjs' {
  let dir = dirname(file);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    const up = dirname(dir);
    if (up === dir) return 'commonjs';
    dir = up;
  }
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p, base));
    else if (entry.isFile()) out.push(relative(base, p).split(sep).join('/'));
  }
  return out.sort();
}

function fingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const rel of listFiles(dir)) {
    hash
      .update(rel)
      .update('\0')
      .update(readFileSync(join(dir, rel)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Copies a handler's code into `destDir` (in the state folder) at publish time, so that the
 * version keeps running this code whatever later happens to the source.
 *
 * `source` is `<dir-or-file>[#exportName]`:
 * - a folder is copied whole (symlinks followed, `.git` left out); its module is the
 *   package.json `main` or index.mjs / index.js / index.cjs; a folder without a
 *   package.json gets one that keeps the module type its parents gave it;
 * - a file (a bundled handler) is copied alone, with a package.json that keeps its module
 *   type (ESM or CommonJS) as the source's nearest package.json decided it.
 * `destDir` must not exist or be empty: a snapshot is never overwritten.
 */
export function snapshotHandler(source: string, destDir: string): HandlerSnapshot {
  const { file: path, exportName } = parseHandlerRef(source);
  const src = resolve(path);
  const dest = resolve(destDir);
  if (!existsSync(src)) throw new Error(`handler source ${src} does not exist`);
  if (existsSync(dest) && readdirSync(dest).length > 0) throw new Error(`snapshot folder ${dest} already has content`);
  if (dest === src || dest.startsWith(src + sep))
    throw new Error(`snapshot folder ${dest} is inside the source ${src}`);
  mkdirSync(dest, { recursive: true });

  let file: string;
  if (statSync(src).isDirectory()) {
    cpSync(src, dest, {
      recursive: true,
      dereference: true,
      filter: (from) => basename(from) !== '.git',
    });
    const entry = entryOf(src);
    file = join(dest, relative(src, entry));
    // Without its own package.json, the copy would take its module type from the state folder's parents.
    if (!existsSync(join(src, 'package.json'))) {
      writeFileSync(join(dest, 'package.json'), `${JSON.stringify({ type: moduleTypeOf(entry) })}\n`);
    }
  } else {
    file = join(dest, basename(src));
    copyFileSync(src, file);
    if (src.endsWith('.js')) {
      writeFileSync(join(dest, 'package.json'), `${JSON.stringify({ type: moduleTypeOf(src) })}\n`);
    }
  }
  return { dir: dest, file, exportName, handler: `${file}#${exportName}`, sha256: fingerprint(dest) };
}
