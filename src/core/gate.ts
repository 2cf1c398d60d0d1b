import { bankEvidence, type Evidence } from './evidence.js';
import { maxNeed, type Need } from './need.js';

/**
 * A gate answers whether a step may pass. `inconclusive` means too little data yet; it is
 * never turned into a pass or a fail by the gate itself (the deployment's policy decides).
 */
export type GateResult = 'pass' | 'fail' | 'inconclusive';

export interface GateVerdict {
  readonly result: GateResult;
  /** One sentence with the numbers behind the verdict. */
  readonly sentence: string;
  /** While inconclusive: how many more new-version requests it expects to need (absent: unknown). */
  readonly need?: Need | undefined;
  /**
   * The deployment's evidence with this window's added: the reducer banks it when the step
   * ends, and records acceptances at once.
   */
  readonly evidence?: Evidence | undefined;
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

/**
 * Combines verdicts: any fail fails; else any inconclusive is inconclusive (needing what
 * its slowest part needs); else pass. The evidence of every part is kept.
 */
export function combineVerdicts(verdicts: readonly GateVerdict[]): GateVerdict {
  const evidence = verdicts.reduce<Evidence | undefined>(
    (e, v) => (v.evidence ? bankEvidence(e, v.evidence) : e),
    undefined,
  );
  const withEvidence = evidence ? { evidence } : {};
  const failed = verdicts.filter((v) => v.result === 'fail');
  if (failed.length) return { result: 'fail', sentence: failed.map((v) => v.sentence).join('; '), ...withEvidence };
  const waiting = verdicts.filter((v) => v.result === 'inconclusive');
  if (waiting.length) {
    const need = waiting.map((v) => v.need).reduce(maxNeed);
    return {
      result: 'inconclusive',
      sentence: waiting.map((v) => v.sentence).join('; '),
      ...(need ? { need } : {}),
      ...withEvidence,
    };
  }
  return {
    result: 'pass',
    sentence: verdicts.map((v) => v.sentence).join('; ') || 'no gate configured',
    ...withEvidence,
  };
}
