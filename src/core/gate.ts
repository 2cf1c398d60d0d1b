/**
 * A gate answers whether a step may pass. `inconclusive` means too little data yet; it is
 * never turned into a pass or a fail by the gate itself (the deployment's policy decides).
 * Alarms today; the comparative judge plugs in with the same verdict shape.
 */
export type GateResult = 'pass' | 'fail' | 'inconclusive';

export interface GateVerdict {
  readonly result: GateResult;
  /** One sentence with the numbers behind the verdict. */
  readonly sentence: string;
}

/** The new version's own traffic in the current step's window. */
export interface WindowStats {
  readonly requests: number;
  /** 5xx answers, including the gateway's own 502/504 for this version. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
}

/** Combines verdicts: any fail fails; else any inconclusive is inconclusive; else pass. */
export function combineVerdicts(verdicts: readonly GateVerdict[]): GateVerdict {
  const failed = verdicts.filter((v) => v.result === 'fail');
  if (failed.length) return { result: 'fail', sentence: failed.map((v) => v.sentence).join('; ') };
  const waiting = verdicts.filter((v) => v.result === 'inconclusive');
  if (waiting.length) return { result: 'inconclusive', sentence: waiting.map((v) => v.sentence).join('; ') };
  return { result: 'pass', sentence: verdicts.map((v) => v.sentence).join('; ') || 'no gate configured' };
}
