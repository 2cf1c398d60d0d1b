import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * A clean install on any Node that package.json's engines allows prints no EBADENGINE
 * warning: the lowest version of each allowed range satisfies the engines field of every
 * package the lockfile installs (optional ones aside: npm skips those that do not fit).
 */
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

describe('the Node versions onebox supports', () => {
  const range = new semver.Range(pkg.engines.node);
  const lowest = range.set.map((comparators) => semver.minVersion(new semver.Range(comparators.map(String).join(' ')))!);

  it('are the maintained majors the README names (22 and 24; 20 while it still works)', () => {
    expect(lowest.map((v) => v.major)).toEqual([20, 22, 24]);
    expect(readFileSync('README.md', 'utf8')).toContain('Node.js 22 or 24');
  });

  it.each(lowest.map((v) => v.version))('Node %s installs every locked package without an engine warning', (v) => {
    const refused = Object.entries(lock.packages).flatMap(([name, p]) => {
      const wanted = p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined;
      return wanted && !p.optional && !semver.satisfies(v, wanted) ? [`${name} wants node ${wanted}`] : [];
    });
    expect(refused).toEqual([]);
  });
});
