// Schedules of the paper: the EMA decay τ and the learning rate, as pure functions of the step.

/**
 * BYOL's target decay at optimizer step `k` of `total`:
 * τ_k = 1 − (1 − τ_base)(cos(πk/K) + 1)/2, rising from τ_base to 1.
 * With `schedule: 'constant'` it is τ_base throughout.
 */
export function tauAt(k: number, total: number, tauBase: number, schedule: "cosine" | "constant" = "cosine"): number {
  if (!(tauBase >= 0 && tauBase <= 1)) throw new RangeError(`tau base must be in [0, 1], got ${tauBase}`);
  if (schedule === "constant") return tauBase;
  if (!(total > 0)) throw new RangeError(`the cosine tau schedule needs the total step count (> 0), got ${total}`);
  const t = Math.min(Math.max(k / total, 0), 1);
  return 1 - (1 - tauBase) * (Math.cos(Math.PI * t) + 1) / 2;
}

/** Options of {@link learningRateAt}. */
export interface LrSchedule {
  /** Peak learning rate. */
  base: number;
  /** Linear warmup steps from 0 to `base`. */
  warmupSteps?: number;
  /** Total steps; after warmup the rate follows a half cosine to `base * finalFraction`. */
  totalSteps?: number;
  /** Where the cosine ends, as a fraction of `base` (default 0). */
  finalFraction?: number;
}

/** Learning rate at step `k`: linear warmup then cosine decay (constant when `totalSteps` is unset). */
export function learningRateAt(k: number, s: LrSchedule): number {
  const warm = s.warmupSteps ?? 0;
  if (warm > 0 && k < warm) return (s.base * (k + 1)) / warm;
  if (!s.totalSteps || s.totalSteps <= warm) return s.base;
  const t = Math.min((k - warm) / (s.totalSteps - warm), 1);
  const floor = s.base * (s.finalFraction ?? 0);
  return floor + (s.base - floor) * (Math.cos(Math.PI * t) + 1) / 2;
}
