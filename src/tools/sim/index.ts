/** The release simulator: `onebox simulate`, and the pieces bench/simulate builds on. */
export { parseFault, describeFault, type Fault } from './fault.js';
export { FIXED_ALARM_GATE, JUDGE_GATE, JUDGE_ONLY_GATE, gateVerdict, type GateSpec } from './gate.js';
export { Population, DEFAULT_POPULATION, type PopulationSpec } from './population.js';
export { Rng, runSeed } from './random.js';
export { quantiles, summarize, formatScenario, table, type ScenarioReport, type Quantiles } from './report.js';
export { Simulator, type RunResult } from './runner.js';
export {
  PRESETS,
  presetSpec,
  resolveScenario,
  describeScenario,
  describeGate,
  type Scenario,
  type ScenarioSpec,
} from './scenario.js';
export { runJobs, throughput, type Job, type JobResult } from './simulate.js';
export { defaultWorkers } from './pool.js';
export { DEFAULT_ROUTES, latencyQuantileMs, versionModels, type RouteSpec, type TrafficSpec } from './traffic.js';
