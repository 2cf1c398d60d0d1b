import type { Alias, DeploymentCommand, DeploymentRecord, Version } from '../core/index.js';
import type {
  AliasBody,
  ControlPlane,
  DeploymentWithEvents,
  GatewayLogEntry,
  InvokeResult,
  MetricsSnapshot,
  PublishRequest,
  ReleaseBody,
  ReleaseHistory,
  StatusAnswer,
} from '../api/index.js';
import type { ShadowPolicy, ShadowSummary } from '../core/shadow/index.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { AliasesService } from './services/aliases.js';
import type { InvokeService } from './services/invoke.js';
import type { ReleasesService } from './services/releases.js';
import type { StatusService } from './services/status.js';
import type { VersionsService } from './services/versions.js';
import type { Shadows } from './shadows.js';

/** The use cases of the local engine, each a small service. */
export interface LocalServices {
  readonly versions: VersionsService;
  readonly aliases: AliasesService;
  readonly releases: ReleasesService;
  readonly invoke: InvokeService;
  readonly status: StatusService;
  readonly shadows: Shadows;
  readonly metrics: MetricsRecorder;
}

/** The admin API's operations on the local engine: every one answered synchronously but invoke. */
export class LocalControlPlane implements ControlPlane {
  constructor(private readonly s: LocalServices) {}

  status(): StatusAnswer {
    return { components: this.s.status.status(), fallbacks: this.s.metrics.snapshot().fallbacks };
  }

  metrics(): MetricsSnapshot {
    return this.s.metrics.snapshot();
  }

  versions(component: string): Version[] {
    return this.s.versions.list(component);
  }

  version(component: string, number: number): Version {
    return this.s.versions.get(component, number);
  }

  publish(component: string, request: PublishRequest): Version {
    return this.s.versions.publish(component, request);
  }

  retire(component: string, number: number): Version {
    return this.s.versions.retire(component, number);
  }

  runtimeNote(version: Version): string | undefined {
    return this.s.versions.runtimeNote(version);
  }

  deleteVersion(component: string, number: number): void {
    this.s.versions.delete(component, number);
  }

  alias(component: string): Alias | undefined {
    return this.s.aliases.get(component);
  }

  setAlias(component: string, request: AliasBody): Alias {
    return this.s.aliases.set(component, request);
  }

  release(body: ReleaseBody, by: string): DeploymentRecord[] {
    return this.s.releases.release(body, by);
  }

  command(component: string, command: DeploymentCommand, by: string): DeploymentRecord {
    return this.s.releases.command(component, command, by);
  }

  deployment(id: string): DeploymentWithEvents {
    return this.s.releases.deployment(id);
  }

  history(limit: number): ReleaseHistory[] {
    return this.s.releases.history(limit);
  }

  logs(component: string, version: number | undefined, limit: number): GatewayLogEntry[] {
    this.s.versions.list(component); // an unknown component is not_found, not an empty list
    return this.s.metrics.logs(component, version, limit);
  }

  invoke(component: string, qualifier: string, payload: unknown): Promise<InvokeResult> {
    return this.s.invoke.invoke(component, qualifier, payload);
  }

  startShadow(component: string, policy: ShadowPolicy): ShadowPolicy {
    return this.s.shadows.start(component, policy);
  }

  stopShadow(component: string): void {
    this.s.shadows.stop(component);
  }

  shadowReport(component: string, version?: number): ShadowSummary {
    return this.s.shadows.report(component, version);
  }
}
