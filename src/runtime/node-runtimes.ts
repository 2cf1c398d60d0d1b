import { execFileSync } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { NODE_RUNTIMES, runtimeMajor, type NodeRuntime } from '../core/index.js';

/** Where a handler version's process runs: a Node binary, and whether it is the runtime the version declared. */
export interface NodeChoice {
  readonly execPath: string;
  /** That binary's `process.version`, e.g. `v24.11.0`. */
  readonly nodeVersion: string;
  /** Undefined when the version runs on what it declared (or declared nothing); else why not. */
  readonly mismatch?: string;
}

/** The config's `runtimes`: a Node binary per Lambda runtime identifier. */
export type ConfiguredRuntimes = Partial<Record<NodeRuntime, string>>;

/**
 * Picks the Node each declared runtime runs on: the configured binary, else onebox's own
 * Node when its major matches, else onebox's own Node with the mismatch said (a version is
 * never refused for it: locally, running on a neighbouring Node beats not running).
 */
export class NodeRuntimes {
  private readonly binaries = new Map<NodeRuntime, { path: string; version: string }>();

  /** Checks every configured binary now (its `--version` must name the runtime's major); throws a config error otherwise. */
  constructor(configured: ConfiguredRuntimes = {}) {
    for (const runtime of NODE_RUNTIMES) {
      const path = configured[runtime];
      if (path === undefined) continue;
      const field = `runtimes.${runtime} = ${JSON.stringify(path)}`;
      if (!isAbsolute(path)) throw new Error(`${field}: expected the absolute path of a node binary`);
      let version: string;
      try {
        version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
      } catch (err) {
        throw new Error(`${field}: cannot run it (${(err as Error).message.split('\n')[0]})`);
      }
      if (majorOf(version) !== runtimeMajor(runtime))
        throw new Error(`${field}: that binary is Node ${version}, not Node ${runtimeMajor(runtime)}`);
      this.binaries.set(runtime, { path, version });
    }
  }

  choose(runtime: NodeRuntime | undefined): NodeChoice {
    const own = { execPath: process.execPath, nodeVersion: process.version };
    if (runtime === undefined || majorOf(process.version) === runtimeMajor(runtime)) {
      const configured = runtime && this.binaries.get(runtime);
      return configured ? { execPath: configured.path, nodeVersion: configured.version } : own;
    }
    const configured = this.binaries.get(runtime);
    if (configured) return { execPath: configured.path, nodeVersion: configured.version };
    return {
      ...own,
      mismatch: `declares ${runtime} but runs here on Node ${process.version}: set runtimes.${runtime} in the config to a Node ${runtimeMajor(runtime)} binary`,
    };
  }
}

function majorOf(version: string): number {
  return Number(/^v?(\d+)\./.exec(version)?.[1]);
}
