import { conflict, notFound, type Clock } from '../core/index.js';
import {
  summarizeShadowReport,
  type ShadowPolicy,
  type ShadowReportData,
  type ShadowSummary,
} from '../core/shadow/index.js';
import { ShadowRuntime } from '../gateway/shadow-mirror.js';
import type { ShadowStore } from '../store/shadow-store.js';
import type { StateStore } from '../store/state-store.js';

/** How often running reports are written to the state file. */
const FLUSH_MS = 2000;

/** The running shadows: start, stop, report, and keeping reports in SQLite. */
export class Shadows {
  readonly runtimes = new Map<string, ShadowRuntime>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ShadowStore,
    private readonly state: StateStore,
    private readonly clock: Clock,
    /** Called when `component`'s shadow starts or stops. */
    private readonly onChange: (component: string) => void,
    /** A periodic save failed (e.g. the state file is read-only): the report stays in memory. */
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    for (const { component, policy } of store.running()) this.runtimes.set(component, this.runtime(component, policy));
    this.timer = setInterval(() => {
      // A throw here would be uncaught and end the process, gateway included.
      try {
        this.flush();
      } catch (err) {
        this.onError(err as Error);
      }
    }, FLUSH_MS);
    this.timer.unref();
  }

  private runtime(component: string, policy: ShadowPolicy): ShadowRuntime {
    return new ShadowRuntime(component, policy, this.store.report(component, policy.version));
  }

  start(component: string, policy: ShadowPolicy): ShadowPolicy {
    const alias = this.state.getAlias(component);
    const v = this.state.getVersion(component, policy.version);
    if (v.retiredAt) throw conflict(`${component} version ${v.number} is retired and can never receive traffic again`);
    if (!alias) throw conflict(`${component} has no live version to mirror`);
    if (alias.version === v.number || alias.additional?.version === v.number) {
      throw conflict(`${component} v${v.number} is in the live alias; a shadow must be a version users are not served`);
    }
    this.flush();
    this.store.start(component, policy, this.clock.now());
    void this.runtimes.get(component)?.close();
    this.runtimes.set(component, this.runtime(component, policy));
    this.onChange(component);
    return policy;
  }

  stop(component: string): void {
    this.flush();
    if (!this.store.stop(component)) throw notFound(`${component} has no shadow running`);
    void this.runtimes.get(component)?.close();
    this.runtimes.delete(component);
    this.onChange(component);
  }

  /** The running shadow's report, else the latest stored one (of `version` if given). */
  report(component: string, version?: number): ShadowSummary {
    const running = this.runtimes.get(component);
    if (running && (version === undefined || running.policy.version === version)) return running.report.summary();
    const stored = version === undefined ? this.store.latestReport(component) : this.store.report(component, version);
    if (!stored) throw notFound(`${component} has no shadow report${version === undefined ? '' : ` for v${version}`}`);
    return summarizeShadowReport(stored);
  }

  /** Adds a gateway worker's report of the running shadow (a stopped one's is dropped). */
  absorb(delta: ShadowReportData): void {
    const running = this.runtimes.get(delta.component);
    if (running?.policy.version === delta.version) running.report.absorb(delta);
  }

  flush(): void {
    const now = this.clock.now();
    for (const r of this.runtimes.values()) this.store.saveReport(r.report.data, now);
  }

  /** Saves the reports and stops the shadows' handler processes (not waited for: they are only copies). */
  close(): void {
    clearInterval(this.timer);
    for (const r of this.runtimes.values()) void r.close();
    try {
      this.flush();
    } catch {
      /* the state file may already be gone; the last flush stands */
    }
  }
}
