import type { Exposure } from '../core/index.js';
import type { ExposureSink, MetricWindows, VersionWindow } from '../controller/ports.js';
import { exposureOf } from './exposure.js';
import type { MetricsRecorder } from './recorder.js';
import type { MetricsMark } from './version-metrics.js';

/**
 * The recorder as the controller's ports: windows between marks of in-memory counters
 * (which cannot be placed in the past), and exposure counted by its trackers.
 */
export class RecorderPorts implements MetricWindows<MetricsMark>, ExposureSink {
  constructor(private readonly recorder: MetricsRecorder) {}

  mark(component: string, version: number): MetricsMark {
    return this.recorder.forVersion(component, version).mark();
  }

  markAt(): undefined {
    return undefined;
  }

  since(component: string, version: number, mark: MetricsMark | undefined): VersionWindow {
    return this.recorder.forVersion(component, version).since(mark);
  }

  latency(component: string, version: number, mark: MetricsMark | undefined): Float64Array {
    return this.recorder.forVersion(component, version).latencySince(mark?.buckets);
  }

  track(component: string, deploymentId: string, version: number): void {
    this.recorder.trackExposure(component, deploymentId, version);
  }

  counted(component: string, deploymentId: string): Exposure | undefined {
    const tracker = this.recorder.findExposure(component, deploymentId);
    return tracker && exposureOf(tracker);
  }

  stop(component: string, deploymentId: string): void {
    this.recorder.stopExposure(component, deploymentId);
  }
}
