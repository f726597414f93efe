// Scalar helpers for the augmentation kernels. AssemblyScript's Math.exp reads a lookup table (a
// data segment) at this optimisation level; the module must have none, so e^x is computed here.

/** e^x for x in [−700, 700] (clamped outside): 2^k · e^r with |r| ≤ ln2/2 and a degree-13 Taylor series. */
export function expNoTable(x: f64): f64 {
  x = Math.min(Math.max(x, -700.0), 700.0);
  const k = Math.floor(x * 1.4426950408889634 + 0.5);
  // Cody–Waite split of ln 2 keeps r exact to double rounding
  const r = x - k * 6.93147180369123816490e-1 - k * 1.90821492927058770002e-10;
  let p = 1.0;
  for (let i = 13; i >= 1; i--) p = 1.0 + (p * r) / <f64>i;
  return p * reinterpret<f64>(<u64>(<i64>k + 1023) << 52);
}

/** Mirrors index i into [0, n) the way reflect padding does (edge not repeated), for any i. */
// @ts-ignore: decorator
@inline export function reflectIndex(i: i32, n: i32): i32 {
  if (n == 1) return 0;
  const period = 2 * (n - 1);
  i = i % period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}
