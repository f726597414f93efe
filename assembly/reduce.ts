// Sums over the leading axes of a row-major array viewed as [rows, cols]: out[c] = scale · Σ_r x[r, c].
// tfjs-wasm transposes before reducing any axis that is not innermost; BatchNorm's statistics and
// gradients reduce N, H, W of NHWC tensors, exactly this shape. Blocked summation (partial sums
// of BLOCK rows) keeps the f32 rounding error near that of a pairwise sum.

const BLOCK: i32 = 256;

/** out[0..cols) = scale · column sums of x[rows × cols]. */
export function sum_leading(x: usize, out: usize, rows: i32, cols: i32, scale: f32): void {
  const ld = <usize>cols << 2;
  let c = 0;
  if (ASC_FEATURE_SIMD) {
    for (; c + 8 <= cols; c += 8) {
      let t0 = f32x4.splat(0), t1 = f32x4.splat(0);
      for (let r0 = 0; r0 < rows; r0 += BLOCK) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
        const end = x + <usize>min(rows, r0 + BLOCK) * ld + (<usize>c << 2);
        for (let p = x + <usize>r0 * ld + (<usize>c << 2); p < end; p += ld) {
          s0 = f32x4.add(s0, v128.load(p));
          s1 = f32x4.add(s1, v128.load(p, 16));
        }
        t0 = f32x4.add(t0, s0);
        t1 = f32x4.add(t1, s1);
      }
      const vs = f32x4.splat(scale);
      v128.store(out + (<usize>c << 2), f32x4.mul(t0, vs));
      v128.store(out + (<usize>c << 2), f32x4.mul(t1, vs), 16);
    }
  }
  for (; c < cols; c++) {
    let t: f32 = 0;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      let s: f32 = 0;
      const end = x + <usize>min(rows, r0 + BLOCK) * ld + (<usize>c << 2);
      for (let p = x + <usize>r0 * ld + (<usize>c << 2); p < end; p += ld) s += load<f32>(p);
      t += s;
    }
    store<f32>(out + (<usize>c << 2), t * scale);
  }
}
