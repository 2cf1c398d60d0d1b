import { conflict, type DeploymentCommand, type DeploymentRecord } from '../../core/index.js';
import type { DeploymentWithEvents, ReleaseBody, ReleaseHistory } from '../../api/index.js';
import type { OneboxConfig } from '../../config/schema.js';
import type { Controller } from '../../controller/controller.js';
import type { DeploymentStore } from '../../store/deployment-store.js';
import type { StateStore } from '../../store/state-store.js';
import { resolveRelease } from '../release-specs.js';
import type { Shadows } from '../shadows.js';

export interface ReleasesDeps {
  readonly config: OneboxConfig;
  readonly controller: Controller;
  readonly deployments: DeploymentStore;
  readonly store: StateStore;
  readonly shadows: Shadows;
}

/** Releases and deployments: starting them, controlling them, and their history. */
export class ReleasesService {
  constructor(private readonly deps: ReleasesDeps) {}

  release(body: ReleaseBody, by: string): DeploymentRecord[] {
    const specs = resolveRelease(body, this.deps.config);
    for (const s of specs) {
      const rule = this.deps.config.components.find((c) => c.name === s.component)!.deployment.requireCleanShadow;
      if (rule) this.requireCleanShadow(s.component, s.version, rule.minCompared);
    }
    return this.deps.controller.release(specs, by);
  }

  private requireCleanShadow(component: string, version: number, minCompared: number): void {
    let report;
    try {
      report = this.deps.shadows.report(component, version);
    } catch {
      throw conflict(
        `${component} requires a clean shadow report before a deployment, and v${version} has none: run \`onebox shadow start ${component} ${version}\` first`,
      );
    }
    if (report.counters.compared < minCompared) {
      throw conflict(
        `${component} v${version}'s shadow compared ${report.counters.compared} requests; ${minCompared} are required before a deployment`,
      );
    }
    if (!report.clean) {
      const top = report.endpoints.find((e) => e.fields.length)!;
      throw conflict(
        `${component} v${version}'s shadow report is not clean: ${top.endpoint} differs at ${top.fields[0]!.path} in ${top.fields[0]!.differed} of ${top.compared} requests`,
      );
    }
  }

  command(component: string, command: DeploymentCommand, by: string): DeploymentRecord {
    this.deps.store.listVersions(component); // validates the component name
    return this.deps.controller.command(component, command, by);
  }

  deployment(id: string): DeploymentWithEvents {
    return { ...this.deps.deployments.get(id), events: this.deps.deployments.events(id) };
  }

  history(limit: number): ReleaseHistory[] {
    const { deployments } = this.deps;
    return deployments.releases(limit).map((r) => ({
      id: r.id,
      createdAt: r.createdAt,
      by: String(r.spec.by ?? ''),
      deployments: deployments.ofRelease(r.id).map((d) => ({ ...d, events: deployments.events(d.id) })),
    }));
  }
}
