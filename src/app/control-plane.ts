import {
  chooseVersion,
  defaultSeed,
  handlerTarget,
  LIVE_ALIAS,
  parseTarget,
  invalid,
  weightToBasisPoints,
  type Alias,
  type Component,
  type RoutingMode,
  type Version,
} from '../core/index.js';
import { randomUUID } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { snapshotHandler } from '../runtime/snapshot.js';
import type { HandlerPool } from '../runtime/handler-pool.js';
import { unsafeMethods } from '../shadow/policy.js';
import { conflict, describeNeed, describePlan, holdRemainingMs, type Clock, type GateVerdict } from '../core/index.js';
import type { OneboxConfig } from '../config/schema.js';
import type { Controller } from '../controller/controller.js';
import type { DeploymentCommand } from '../core/index.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { Exposure } from '../metrics/exposure.js';
import type { DeploymentRecord, DeploymentStore, StoredEvent } from '../store/deployment-store.js';
import { resolveRelease, type ReleaseBody } from './release-request.js';
import type { Shadows } from './shadows.js';
import type { VersionMetricsSnapshot } from '../metrics/version-metrics.js';
import type { StateStore } from '../store/state-store.js';

export interface AliasRequest {
  readonly version: number;
  readonly weights?: Record<string, number> | undefined;
  readonly routing?: RoutingMode | undefined;
  readonly seed?: string | undefined;
}

export interface ComponentStatus {
  readonly name: string;
  readonly route: string;
  readonly alias: Alias | undefined;
  readonly versions: readonly Version[];
  readonly metrics: readonly VersionMetricsSnapshot[];
  /** The active deployment, else the latest one. */
  readonly deployment: DeploymentView | undefined;
  /** The running shadow: its version, share, counters, and warnings (e.g. unsafe methods mirrored). */
  readonly shadow: { version: number; share: number; counters: object; warnings: string[] } | undefined;
}

export interface DeploymentView extends DeploymentRecord {
  readonly plan: string;
  readonly holdRemainingMs: number;
  /** The gate on the current step's window, while a step holds. */
  readonly gate: GateVerdict | undefined;
  /** While the gate is inconclusive: what it needs, e.g. "needs ~420 more requests on v7, ~7 min at 1.0 req/s". */
  readonly waiting: string | undefined;
  /** The gate's parts: alarms, and the judge while both versions serve (absent: off or not applicable). */
  readonly gateParts: { alarms: GateVerdict; judge: GateVerdict | undefined } | undefined;
  /** Blast radius so far: distinct users the new version served, of all active users. */
  readonly exposure: Exposure | undefined;
}

/** What `aws lambda invoke` answers, and the function's payload. */
export interface InvokeResult {
  readonly statusCode: number;
  readonly executedVersion: string;
  /** "Unhandled" when the function failed (error, timeout, crash), as Lambda says. */
  readonly functionError: string | undefined;
  readonly payload: unknown;
  readonly coldStart: boolean;
  readonly durationMs: number;
}

export interface ReleaseHistory {
  readonly id: string;
  readonly createdAt: number;
  readonly by: string;
  readonly deployments: readonly (DeploymentRecord & { events: readonly StoredEvent[] })[];
}

/**
 * The operations behind the admin API. Each write goes to the store first; `onChange`
 * then rebuilds the gateway's routing snapshot, so traffic follows the stored state.
 */
export class ControlPlane {
  constructor(
    private readonly config: OneboxConfig,
    private readonly store: StateStore,
    private readonly deployments: DeploymentStore,
    private readonly controller: Controller,
    private readonly metrics: MetricsRecorder,
    private readonly clock: Clock,
    /** Called after a write that changes how `component` is routed. */
    private readonly onChange: (component: string) => void,
    readonly shadows: Shadows,
    private readonly handlers: HandlerPool,
  ) {}

  /**
   * Invokes a handler version directly, as `aws lambda invoke` does: `qualifier` is a
   * version number or the alias (`live`, default), which picks a version per invocation
   * by its weights, as Lambda does.
   */
  async invoke(component: string, qualifier: string, payload: unknown): Promise<InvokeResult> {
    let number: number;
    if (/^[1-9]\d*$/.test(qualifier)) number = Number(qualifier);
    else if (qualifier === LIVE_ALIAS) {
      const alias = this.alias(component);
      if (!alias) throw conflict(`${component} has no live version yet`);
      number = chooseVersion({ ...alias, mode: 'request' }, undefined, Math.random).version;
    } else throw invalid(`qualifier must be a version number or "${LIVE_ALIAS}", got "${qualifier}"`);
    const v = this.store.getVersion(component, number);
    if (v.retiredAt) throw conflict(`${component} version ${number} is retired`);
    const target = parseTarget(v.target);
    if (target.kind !== 'handler') throw conflict(`${component} version ${number} is an HTTP upstream, not a handler`);
    const r = await this.handlers.invoke(
      {
        functionName: component,
        version: number,
        handler: target.handler,
        timeoutMs: target.timeoutMs,
        env: target.env,
      },
      payload,
      { qualifier },
    );
    const functionError = r.outcome === 'success' ? undefined : 'Unhandled';
    const body =
      r.outcome === 'success'
        ? r.payload
        : (r.error ?? {
            errorType: r.outcome,
            errorMessage:
              r.outcome === 'timeout'
                ? `Task timed out after ${target.timeoutMs} ms`
                : `the handler's process ${r.outcome}`,
          });
    return {
      statusCode: 200,
      executedVersion: r.executedVersion,
      functionError,
      payload: body,
      coldStart: r.coldStart,
      durationMs: r.durationMs,
    };
  }

  get components(): readonly Component[] {
    return this.config.components;
  }

  release(body: ReleaseBody, by: string): DeploymentRecord[] {
    const specs = resolveRelease(body, this.config);
    for (const s of specs) {
      const rule = this.config.components.find((c) => c.name === s.component)!.deployment.requireCleanShadow;
      if (rule) this.requireCleanShadow(s.component, s.version, rule.minCompared);
    }
    return this.controller.release(specs, by);
  }

  private requireCleanShadow(component: string, version: number, minCompared: number): void {
    let report;
    try {
      report = this.shadows.report(component, version);
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
    this.store.listVersions(component); // validates the component name
    return this.controller.command(component, command, by);
  }

  deployment(id: string): DeploymentRecord & { events: readonly StoredEvent[] } {
    return { ...this.deployments.get(id), events: this.deployments.events(id) };
  }

  history(limit: number): ReleaseHistory[] {
    return this.deployments.releases(limit).map((r) => ({
      id: r.id,
      createdAt: r.createdAt,
      by: String(r.spec.by ?? ''),
      deployments: this.deployments.ofRelease(r.id).map((d) => ({ ...d, events: this.deployments.events(d.id) })),
    }));
  }

  /**
   * Publishes a handler version: its code is copied into the state folder first (a
   * version is a snapshot), in a folder named by the code's digest.
   */
  publishHandler(
    component: string,
    source: string,
    timeoutMs: number,
    description?: string,
    env?: Readonly<Record<string, string>>,
  ): Version {
    this.store.listVersions(component); // validates the component name
    const root = join(this.config.state.dir, 'handlers', component);
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
    return this.publish(component, handlerTarget(handler, timeoutMs, env), description);
  }

  publish(component: string, url: string, description?: string): Version {
    const v = this.store.publish(component, url, description);
    this.onChange(component);
    return v;
  }

  versions(component: string): Version[] {
    return this.store.listVersions(component);
  }

  version(component: string, number: number): Version {
    return this.store.getVersion(component, number);
  }

  retire(component: string, number: number): Version {
    const v = this.store.retire(component, number);
    this.onChange(component);
    this.metrics.forget(component, number);
    return v;
  }

  deleteVersion(component: string, number: number): void {
    this.store.deleteVersion(component, number);
    this.onChange(component);
    this.metrics.forget(component, number);
  }

  alias(component: string): Alias | undefined {
    this.store.listVersions(component); // validates the component name
    return this.store.getAlias(component);
  }

  setAlias(component: string, request: AliasRequest): Alias {
    const busy = this.deployments.activeFor(component);
    if (busy) {
      throw conflict(
        `${component} is being deployed (${busy.id}, ${busy.state.status}); pause, promote or roll it back instead of moving the alias by hand`,
      );
    }
    const current = this.store.getAlias(component);
    const entries = Object.entries(request.weights ?? {});
    if (entries.length > 1) throw invalid('an alias routes to at most one additional version');
    const additional = entries.length
      ? { version: Number(entries[0]![0]), weightBp: weightToBasisPoints(entries[0]![1]) }
      : undefined;
    // Keeping the seed while the additional version is unchanged is what makes raising
    // its weight only add users.
    const seed =
      request.seed ??
      (additional && current?.additional?.version === additional.version
        ? current.seed
        : defaultSeed(component, additional?.version ?? request.version));
    const alias = this.store.setAlias(component, {
      version: request.version,
      additional,
      mode: request.routing ?? current?.mode ?? 'sticky',
      seed,
    });
    this.onChange(component);
    return alias;
  }

  status(): ComponentStatus[] {
    const all = this.metrics.snapshot().versions;
    return this.components.map((c) => ({
      name: c.name,
      route: c.route,
      alias: this.store.getAlias(c.name),
      versions: this.store.listVersions(c.name),
      metrics: all.filter((m) => m.component === c.name),
      deployment: this.view(this.deployments.activeFor(c.name) ?? this.deployments.latestFor(c.name)),
      shadow: this.shadowStatus(c.name),
    }));
  }

  private shadowStatus(component: string): ComponentStatus['shadow'] {
    const r = this.shadows.runtimes.get(component);
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
    const s = record.state;
    const gate = this.controller.gate(record);
    return {
      ...record,
      plan: describePlan(s.plan),
      holdRemainingMs: holdRemainingMs(s, this.clock.now()),
      gate,
      waiting: gate?.need && describeNeed(gate.need, `v${s.toVersion}`),
      gateParts: this.controller.gateParts(record),
      exposure: this.controller.exposure(record),
    };
  }
}
