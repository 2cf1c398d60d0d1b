import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  invalid,
  isActive,
  isWatched,
  LIVE_ALIAS,
  notFound,
  type Clock,
  type DeploymentEvent,
  type DeploymentRecord,
  type Version,
} from '../../core/index.js';
import { summarizeShadowReport } from '../../core/shadow/index.js';
import { Controller } from '../../controller/controller.js';
import { deploymentView } from '../../controller/deployment-view.js';
import type { HookRunner } from '../../controller/hook-runner.js';
import { runAwsHook } from './hooks.js';
import { checkConfigured, withConfiguration } from './configured.js';
import { awsReleaseSpecs } from './release-specs.js';
import { readSeries, type SeriesRequest } from './cloudwatch-series.js';
import { readExposures } from './exposure.js';
import { readBrowserWindows } from './browser-windows.js';
import { versionTotals } from './version-totals.js';
import type { UserCounter } from './user-counts.js';
import { releaseHistory } from './history.js';
import { StateConflict, type DynamoStateStore } from './dynamo-store.js';
import type { ControllerEvent, ControllerSettings } from './requests.js';
import { SeriesWindows } from './series-windows.js';
import type { ControlState, LoadedState } from './state.js';
import { TickPorts } from './tick-ports.js';
import { reconcileTraffic, type TrafficStep } from './traffic.js';

export interface ControlPlaneDeps {
  readonly settings: ControllerSettings;
  readonly store: DynamoStateStore;
  readonly cloudwatch: CloudWatchClient;
  readonly kvs: CloudFrontKeyValueStoreClient;
  readonly lambda: LambdaClient;
  readonly clock: Clock;
  /** Every event this invocation committed (the function logs them). */
  readonly onEvent?: (event: DeploymentEvent & { deploymentId: string }) => void;
  readonly newId?: () => string;
  /** Runs a release's hooks. Default: URL hooks POSTed with their timeout (runAwsHook). */
  readonly runHook?: HookRunner;
  /** Distinct users per version (Logs Insights over withVersionMetrics' lines). Default none: no exposure. */
  readonly users?: UserCounter;
}

/** What one invocation did. */
export interface InvocationResult {
  /** committed: its writes are stored; unchanged: nothing to write; lost: another writer won, nothing of it applied. */
  readonly outcome: 'committed' | 'unchanged' | 'lost';
  /** The state revision it ended on (the one it read, when it lost). */
  readonly rev: number;
  /** Traffic calls made after the commit (also those that put right an earlier invocation's). */
  readonly traffic: readonly TrafficStep[];
  readonly events: readonly (DeploymentEvent & { deploymentId: string })[];
  /** The deployments a release or command touched. */
  readonly deployments: readonly DeploymentRecord[];
  /**
   * The admin API's answer to the same request (`command`: `{ deployment }`, `history`:
   * `{ releases }`), so the CLI prints it as it prints the local engine's.
   */
  readonly answer?: unknown;
}

/** An invocation that wrote nothing: a read (with its answer) or a tick with nothing to do. */
const unchanged = (rev: number, answer?: unknown): InvocationResult => ({
  outcome: 'unchanged',
  rev,
  traffic: [],
  events: [],
  deployments: [],
  ...(answer === undefined ? {} : { answer }),
});

/**
 * The AWS control plane's unit of work, one per invocation (a scheduled tick, a release, a
 * command): read the state (one strongly consistent GetItem) and the metrics the active
 * deployments need (GetMetricData), run the same Controller as `onebox serve` against
 * in-memory ports, commit what it wrote as one conditional write, and only then make
 * traffic follow (Lambda aliases, KeyValueStore). A conditional-write failure means another
 * invocation won: this one's effects are dropped, none applied.
 */
export class AwsControlPlane {
  constructor(private readonly deps: ControlPlaneDeps) {}

  /**
   * One invocation. A person's release or command that loses to a tick is tried again on
   * the fresh state (a tick that loses is simply over: the next one comes in a minute).
   */
  async handle(event: ControllerEvent): Promise<InvocationResult> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.once(event);
      if (result.outcome !== 'lost' || event.action === 'tick' || attempt >= 3) return result;
    }
  }

  private async once(event: ControllerEvent): Promise<InvocationResult> {
    if (event.action === 'publish') return this.publish(event.component, event.version, event.description);
    if (event.action === 'deploy') return this.deploy(event);
    if (event.action === 'history') {
      const releases = await releaseHistory(this.deps.store, Object.keys(this.deps.settings.components), event.limit);
      const { rev } = await this.deps.store.load();
      return unchanged(rev, { releases });
    }
    if (event.action === 'shadowReport') return this.shadowReport(event.component, event.version);
    if (event.action === 'versions' || event.action === 'alias') return this.catalog(event.action, event.component);
    const loaded = await this.deps.store.load();
    const idle = !loaded.state.deployments.some((d) => isActive(d.record.state.status));
    // Nothing to run and traffic known to match: an idle tick costs one read.
    if (event.action === 'tick' && idle && loaded.applied === loaded.rev)
      return unchanged(loaded.rev);
    const { ports, controller } = await this.unitOfWork(loaded.state, event);
    if (event.action === 'status') return await this.status(loaded.rev, ports, controller);
    let touched: DeploymentRecord[] = [];
    if (event.action === 'tick') controller.tick();
    else if (event.action === 'release')
      touched = controller.release(awsReleaseSpecs(event, this.deps.settings.components, loaded.state), event.by);
    else touched = [controller.command(event.component, event.command, event.by)];
    // Hooks answer inside the unit of work: their results are committed with what started them.
    await controller.settled();
    touched = touched.map((d) => ports.get(d.id));
    const result = await this.finish(loaded, ports, touched);
    if (result.outcome === 'lost') return result;
    if (event.action === 'command') return { ...result, answer: { deployment: touched[0] } };
    if (event.action === 'release')
      return { ...result, answer: { release: touched[0]?.releaseId, deployments: touched } };
    return result;
  }

  /** A component's published versions, or its live alias as the controller keeps it (nothing written). */
  private async catalog(what: 'versions' | 'alias', component: string): Promise<InvocationResult> {
    if (!this.deps.settings.components[component]) throw invalid(`unknown component "${component}"`);
    const { rev, state } = await this.deps.store.load();
    const answer =
      what === 'versions'
        ? { versions: await this.deps.store.versions(component) }
        : { alias: state.aliases[component] ?? null };
    return unchanged(rev, answer);
  }

  /** The comparer's stored report, summarized as the local engine summarizes its own (nothing written). */
  private async shadowReport(component: string, version?: number): Promise<InvocationResult> {
    if (!this.deps.settings.components[component]) throw invalid(`unknown component "${component}"`);
    const stored = await this.deps.store.shadowReports.report(component, version);
    if (!stored) throw notFound(`${component} has no shadow report${version === undefined ? '' : ` for v${version}`}`);
    const { rev } = await this.deps.store.load();
    return unchanged(rev, { report: summarizeShadowReport(stored) });
  }

  /** The controller on in-memory ports over one read of the state and the metrics the event needs. */
  private async unitOfWork(state: ControlState, event: ControllerEvent) {
    const versions = await this.versionsOf(state, event);
    const reads = event.action === 'tick' || event.action === 'status';
    const [series, exposures, browser] = reads
      ? await Promise.all([this.series(state), this.exposures(state), this.browser(state)])
      : [new Map(), new Map(), new Map()];
    const ports = new TickPorts(state, versions, exposures);
    const { clock } = this.deps;
    const controller = new Controller<number>({
      deployments: ports,
      versions: ports,
      metrics: new SeriesWindows(series, () => clock.now(), undefined, browser),
      exposure: ports,
      clock,
      runHook: this.deps.runHook ?? runAwsHook,
      onAliasChange: () => {},
      ...(this.deps.newId ? { newId: this.deps.newId } : {}),
    });
    return { ports, controller };
  }

  /** `onebox status` on AWS: each component, its alias and versions, its deployment with the gate read now (nothing written). */
  private async status(rev: number, ports: TickPorts, controller: Controller<number>): Promise<InvocationResult> {
    const now = this.deps.clock.now();
    const { cloudwatch, users, settings } = this.deps;
    const components = await Promise.all(
      Object.entries(settings.components).map(async ([name, c]) => {
        const record = ports.activeFor(name) ?? ports.latestFor(name);
        const alias = ports.getAlias(name);
        return {
          name,
          route: c.route,
          ...(alias ? { alias } : {}),
          versions: ports.versionsFor(name),
          // Both versions over the deployment's window (the local status counts since the gateway started).
          metrics: record
            ? await versionTotals(cloudwatch, users, settings.namespace, c.functionName, record, now)
            : [],
          ...(record ? { deployment: deploymentView(record, controller, alias, now) } : {}),
        };
      }),
    );
    return unchanged(rev, { components, fallbacks: {} });
  }

  /** Commits the unit of work, then makes traffic follow the committed state, then reports. */
  private async finish(loaded: LoadedState, ports: TickPorts, touched: DeploymentRecord[]): Promise<InvocationResult> {
    let rev = loaded.rev;
    let state = loaded.state;
    if (ports.changed) {
      const result = ports.result();
      try {
        rev = await this.deps.store.commit(loaded.rev, result.state, result.archived);
      } catch (err) {
        if (err instanceof StateConflict)
          return { outcome: 'lost', rev: loaded.rev, traffic: [], events: [], deployments: [] };
        throw err;
      }
      state = result.state;
    }
    const traffic = await this.reconcile(state, rev);
    await this.deps.store.markApplied(rev);
    for (const e of ports.added) this.deps.onEvent?.(e);
    return {
      outcome: ports.changed ? 'committed' : 'unchanged',
      rev,
      traffic,
      events: ports.added,
      deployments: touched,
    };
  }

  /**
   * Traffic follows the committed state. Every invocation that is not idle checks every
   * component, so a tick killed between its commit and its traffic is finished by the next.
   */
  private async reconcile(state: ControlState, rev: number): Promise<TrafficStep[]> {
    const aliases = Object.values(state.aliases);
    const functions = Object.fromEntries(
      Object.entries(this.deps.settings.components).map(([c, s]) => [c, s.functionName]),
    );
    return reconcileTraffic(
      this.deps.kvs,
      this.deps.lambda,
      { kvsArn: this.deps.settings.kvsArn, functions },
      aliases,
      rev,
    );
  }

  /** The versions a release names, or the active deployments' (what the catalog is asked for). */
  private async versionsOf(state: ControlState, event: ControllerEvent): Promise<Map<string, Version[]>> {
    const names = new Set(
      state.deployments.filter((d) => isActive(d.record.state.status)).map((d) => d.record.state.component),
    );
    if (event.action === 'release') for (const c of event.components) names.add(c.component);
    if (event.action === 'status') for (const c of Object.keys(this.deps.settings.components)) names.add(c);
    if (event.action === 'command') names.add(event.component);
    const out = new Map<string, Version[]>();
    for (const name of names) out.set(name, await this.deps.store.versions(name));
    return out;
  }

  /** The metrics the watched deployments' gates read: both versions, from the earliest mark the controller may place. */
  private async series(state: ControlState) {
    const requests: SeriesRequest[] = [];
    for (const { record } of state.deployments) {
      const s = record.state;
      if (!isWatched(s.status)) continue;
      const functionName = this.deps.settings.components[s.component]?.functionName;
      if (!functionName) continue;
      const from = Math.min(s.stepStartedAt, s.trafficStartedAt ?? s.stepStartedAt, s.warmedUpAt ?? s.stepStartedAt);
      for (const version of [s.fromVersion, s.toVersion])
        requests.push({ component: s.component, functionName, version, from });
    }
    if (!requests.length) return new Map();
    return readSeries(this.deps.cloudwatch, this.deps.settings.namespace, requests, this.deps.clock.now());
  }

  /** The watched deployments' users so far, read with the metrics (absent: not counted this time). */
  private exposures(state: ControlState) {
    const { users, settings, clock } = this.deps;
    if (!users) return Promise.resolve(new Map());
    const records = state.deployments.map((d) => d.record);
    return readExposures(users, records, (c) => settings.components[c]?.functionName, clock.now());
  }

  /** The browser gate's windows of the watched deployments of components with a beacon (absent: not read this time). */
  private browser(state: ControlState) {
    const { users, settings, clock } = this.deps;
    if (!users) return Promise.resolve(new Map());
    const records = state.deployments.map((d) => d.record);
    return readBrowserWindows(users, records, (c) => settings.components[c]?.browserLogGroup, clock.now());
  }

  /**
   * Publishes what is new, records the settings the deploy declares (configured.ts), then
   * releases every component whose version is not live (one release, `after` as configured).
   */
  private async deploy(event: Extract<ControllerEvent, { action: 'deploy' }>): Promise<InvocationResult> {
    checkConfigured(event);
    for (const c of event.components) {
      const published = await this.deps.store.versions(c.component);
      if (!published.some((v) => v.number === c.version))
        await this.publish(c.component, c.version, `published by ${event.by}`);
    }
    const state = await this.configure(event);
    // Not live yet, and not already on its way (a deploy repeated while its release runs).
    const changed = event.components.filter(
      (c) =>
        state.aliases[c.component]?.version !== c.version &&
        !state.deployments.some(
          (d) =>
            d.record.state.component === c.component &&
            isActive(d.record.state.status) &&
            d.record.state.toVersion === c.version,
        ),
    );
    if (!changed.length) return this.once({ action: 'tick' });
    // The settings were just recorded: the release takes them from the state.
    const components = changed.map((c) => ({ component: c.component, version: c.version }));
    return this.handle({ action: 'release', by: event.by, components });
  }

  /** Records what a deploy configured (one conditional write when it changed anything); the state it leaves. */
  private async configure(event: Extract<ControllerEvent, { action: 'deploy' }>): Promise<ControlState> {
    for (;;) {
      const loaded = await this.deps.store.load();
      const next = withConfiguration(loaded.state, event, this.deps.settings.components, this.deps.clock.now());
      if (!next) return loaded.state;
      try {
        await this.deps.store.commit(loaded.rev, next.state, []);
        for (const e of next.events) this.deps.onEvent?.(e);
        return next.state;
      } catch (err) {
        if (!(err instanceof StateConflict)) throw err;
      }
    }
  }

  /**
   * Records a version cdk deploy published (its Lambda version number). The component's
   * first version becomes its live alias: there is nothing to deploy from.
   */
  private async publish(component: string, number: number, description: string | undefined): Promise<InvocationResult> {
    const settings = this.deps.settings.components[component];
    if (!settings) throw invalid(`unknown component "${component}"`);
    const now = this.deps.clock.now();
    await this.deps.store.putVersion({
      component,
      number,
      target: `${settings.functionName}:${number}`,
      description,
      createdAt: new Date(now).toISOString(),
    });
    for (;;) {
      const loaded = await this.deps.store.load();
      if (loaded.state.aliases[component])
        return unchanged(loaded.rev);
      const alias = {
        component,
        name: LIVE_ALIAS,
        version: number,
        mode: 'sticky' as const,
        seed: `${component}@${number}`,
        updatedAt: new Date(now).toISOString(),
      };
      try {
        const state = { ...loaded.state, aliases: { ...loaded.state.aliases, [component]: alias } };
        const rev = await this.deps.store.commit(loaded.rev, state, []);
        const traffic = await this.reconcile(state, rev);
        await this.deps.store.markApplied(rev);
        return { outcome: 'committed', rev, traffic, events: [], deployments: [] };
      } catch (err) {
        if (!(err instanceof StateConflict)) throw err;
      }
    }
  }
}
