import { systemClock, type Clock } from '../../core/index.js';

/**
 * A clock that runs `speed` times faster than `real` from the moment it is made: the demo's
 * time compression. Holds and bakes follow it; traffic stays in real time.
 */
export function scaledClock(speed: number, real: Clock = systemClock): Clock & { readonly speed: number } {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const origin = real.now();
  return { speed, now: () => origin + (real.now() - origin) * speed };
}
