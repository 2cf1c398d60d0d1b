import type { Clock, Component, DeploymentRecord } from '../../core/index.js';
import type { ComponentStatus, DeploymentView, ShadowStatus } from '../../api/index.js';
import type { Controller } from '../../controller/controller.js';
import { deploymentView } from '../../controller/deployment-view.js';
import type { MetricsRecorder } from '../../metrics/recorder.js';
import type { DeploymentStore } from '../../store/deployment-store.js';
import type { StateStore } from '../../store/state-store.js';
import { unsafeMethods } from '../../core/shadow/index.js';
import type { Shadows } from '../shadows.js';

export interface StatusDeps {
  readonly components: readonly Component[];
  readonly store: StateStore;
  readonly deployments: DeploymentStore;
  readonly controller: Controller;
  readonly metrics: MetricsRecorder;
  readonly shadows: Shadows;
  readonly clock: Clock;
}

/** What `onebox status` and the dashboard show: every component as it is now. */
export class StatusService {
  constructor(private readonly deps: StatusDeps) {}

  status(): ComponentStatus[] {
    const { store, deployments, metrics } = this.deps;
    const all = metrics.snapshot().versions;
    return this.deps.components.map((c) => ({
      name: c.name,
      route: c.route,
      alias: store.getAlias(c.name),
      versions: store.listVersions(c.name),
      metrics: all.filter((m) => m.component === c.name),
      deployment: this.view(deployments.activeFor(c.name) ?? deployments.latestFor(c.name)),
      shadow: this.shadowStatus(c.name),
    }));
  }

  private shadowStatus(component: string): ShadowStatus | undefined {
    const r = this.deps.shadows.runtimes.get(component);
    if (!r) return undefined;
    const unsafe = unsafeMethods(r.policy);
    return {
      version: r.policy.version,
      share: r.policy.share,
      counters: { ...r.report.data.counters, inFlight: r.inFlight },
      warnings: unsafe.length ? [`mirroring ${unsafe.join(', ')}: requests with side effects reach the shadow`] : [],
    };
  }

  private view(record: DeploymentRecord | undefined): DeploymentView | undefined {
    if (!record) return undefined;
    const alias = this.deps.store.getAlias(record.state.component);
    return deploymentView(record, this.deps.controller, alias, this.deps.clock.now());
  }
}
