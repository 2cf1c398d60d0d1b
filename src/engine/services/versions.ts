import { randomUUID } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { handlerTarget, invalid, parseTarget, type Version } from '../../core/index.js';
import type { PublishHandlerBody, PublishRequest } from '../../api/index.js';
import type { NodeRuntimes } from '../../runtime/node-runtimes.js';
import { snapshotHandler } from '../../runtime/snapshot.js';
import type { StateStore } from '../../store/state-store.js';

export interface VersionsDeps {
  readonly store: StateStore;
  /** Where handler code is copied: `<stateDir>/handlers/<component>/<digest>`. */
  readonly stateDir: string;
  /** Drops a version's metrics once it can never serve again. */
  readonly forgetMetrics: (component: string, version: number) => void;
  /** Called after a write that changes how `component` may be routed. */
  readonly onChange: (component: string) => void;
  /** The Node each declared runtime runs on. */
  readonly runtimes: NodeRuntimes;
}

/** Publishing, listing, retiring and deleting versions. */
export class VersionsService {
  constructor(private readonly deps: VersionsDeps) {}

  list(component: string): Version[] {
    return this.deps.store.listVersions(component);
  }

  get(component: string, number: number): Version {
    return this.deps.store.getVersion(component, number);
  }

  publish(component: string, request: PublishRequest): Version {
    if ('handler' in request) return this.publishHandler(component, request);
    return this.publishUrl(component, request.url, request.description);
  }

  publishUrl(component: string, url: string, description?: string): Version {
    const v = this.deps.store.publish(component, url, description);
    this.deps.onChange(component);
    return v;
  }

  /**
   * Publishes a handler version: its code is copied into the state folder first (a
   * version is a snapshot), in a folder named by the code's digest.
   */
  publishHandler(component: string, request: PublishHandlerBody): Version {
    const { handler: source, timeoutMs, env, runtime, description } = request;
    this.deps.store.listVersions(component); // validates the component name
    const root = join(this.deps.stateDir, 'handlers', component);
    const staging = join(root, `.staging-${randomUUID()}`);
    let snap;
    try {
      snap = snapshotHandler(source, staging);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw invalid(`cannot publish handler ${source}: ${(err as Error).message}`);
    }
    const final = resolve(root, snap.sha256.slice(0, 16));
    if (existsSync(final)) rmSync(staging, { recursive: true, force: true });
    else renameSync(staging, final);
    const handler = `${join(final, relative(resolve(staging), resolve(snap.file)))}#${snap.exportName}`;
    return this.publishUrl(component, handlerTarget({ handler, timeoutMs, env, runtime }), description);
  }

  runtimeNote(version: Version): string | undefined {
    const target = parseTarget(version.target);
    const mismatch = target.kind === 'handler' ? this.deps.runtimes.choose(target.runtime).mismatch : undefined;
    return mismatch && `${version.component} v${version.number} ${mismatch}`;
  }

  retire(component: string, number: number): Version {
    const v = this.deps.store.retire(component, number);
    this.deps.onChange(component);
    this.deps.forgetMetrics(component, number);
    return v;
  }

  delete(component: string, number: number): void {
    this.deps.store.deleteVersion(component, number);
    this.deps.onChange(component);
    this.deps.forgetMetrics(component, number);
  }
}
