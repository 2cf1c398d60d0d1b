/**
 * Diffy's noise cancellation: differences between the live version and a second copy of
 * it are noise (timestamps, request ids). A field is reported only when the shadow
 * differs from the live version clearly more often than the live version from itself.
 */
export interface NoiseThresholds {
  /** (raw - noise) / raw must reach this. Diffy's default: 0.2 (20%). */
  readonly relative: number;
  /** (raw - noise) / compared must reach this. Diffy's default: 0.0003 (0.03%). */
  readonly absolute: number;
}

export const DIFFY_THRESHOLDS: NoiseThresholds = { relative: 0.2, absolute: 0.0003 };

/** rawDiffs: live vs shadow; noiseDiffs: live vs live; compared: requests compared. */
export function isSignificant(
  rawDiffs: number,
  noiseDiffs: number,
  compared: number,
  t: NoiseThresholds = DIFFY_THRESHOLDS,
): boolean {
  if (rawDiffs === 0 || compared === 0) return false;
  const excess = rawDiffs - noiseDiffs;
  return excess / rawDiffs >= t.relative && excess / compared >= t.absolute;
}
