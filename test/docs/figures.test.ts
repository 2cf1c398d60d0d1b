import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Figures in READMEs and docs come from a run. A figure quoted from a generated report is
 * written as a link to that report, `[749](../../docs/bench-simulate.md)`, and this test
 * fails when the report does not contain the figure as written: rerun the benchmark (which
 * rewrites its report), then quote what it says.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Reports the benchmarks write (bench/<name>/run.mjs --out) and the edge build's sizes. */
const isReport = (file: string): boolean => /^docs\/(bench-[a-z-]+|edge-sizes)\.md$/.test(file);

/** A link's text that is a figure: short, with a digit (749, 0.20%, 1.8x, 6,792 bytes). */
const FIGURE = /^[~≈<>≤≥+-]?\s?\d[\d.,]*(?:[-–]\d[\d.,]*)?\s?(?:%|x|×|ms|s|m|KB|MB|bytes|req\/s|requests)?$/;

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : markdownFiles(rel);
    return e.name.endsWith('.md') ? [rel] : [];
  });
}

interface Quote {
  readonly file: string;
  readonly line: number;
  readonly figure: string;
  readonly report: string;
}

/** Inline links `[749](../docs/bench-simulate.md)` and reference links `[749][run]` with `[run]: ...`. */
function quotesIn(file: string): Quote[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const refs = new Map(
    lines.flatMap((l) => {
      const m = /^\[([^\]]+)\]:\s*(\S+)/.exec(l);
      return m ? [[m[1]!.toLowerCase(), m[2]!] as const] : [];
    }),
  );
  return lines.flatMap((text, i) =>
    [...text.matchAll(/\[([^\]]+)\](?:\(([^)\s]+)\)|\[([^\]]+)\])/g)].flatMap((m) => {
      const target = (m[2] ?? refs.get(m[3]!.toLowerCase()))?.replace(/#.*$/, '');
      if (!target || !FIGURE.test(m[1]!)) return [];
      const report = relative(ROOT, resolve(ROOT, dirname(file), target));
      return isReport(report) ? [{ file, line: i + 1, figure: m[1]!, report }] : [];
    }),
  );
}

function quotes(): Quote[] {
  return ['README.md', ...['docs', 'bench', 'examples'].flatMap((d) => markdownFiles(d))].flatMap(quotesIn);
}

describe('figures quoted in the docs are in the reports they link to', () => {
  const all = quotes();

  it('finds the quoted figures (the convention is in use)', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('every linked report exists and contains each figure as written', () => {
    const missing = all.filter((q) => {
      const path = join(ROOT, q.report);
      return !existsSync(path) || !readFileSync(path, 'utf8').includes(q.figure);
    });
    expect(missing.map((q) => `${q.file}:${q.line} quotes "${q.figure}", which ${q.report} does not contain`)).toEqual(
      [],
    );
  });
});
