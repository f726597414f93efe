// Arithmetic peak probe for benchmarks: `iters` rounds of acc = acc·k + c on 12 independent
// f32x4 accumulators (separate mul and add, no FMA: what our kernels issue), 96 flops a round.
// Enough chains to hide mul→add latency, so the loop runs at the core's mul+add throughput.

/** Runs the loop and returns a sum of the accumulators (so the work cannot be dropped). */
export function peak_mul_add(iters: i32, k: f32, c: f32): f32 {
  if (ASC_FEATURE_SIMD) {
    const vk = f32x4.splat(k);
    const vc = f32x4.splat(c);
    let a0 = vc, a1 = vc, a2 = vc, a3 = vc, a4 = vc, a5 = vc;
    let a6 = vc, a7 = vc, a8 = vc, a9 = vc, a10 = vc, a11 = vc;
    for (let i = 0; i < iters; i++) {
      a0 = f32x4.add(f32x4.mul(a0, vk), vc); a1 = f32x4.add(f32x4.mul(a1, vk), vc);
      a2 = f32x4.add(f32x4.mul(a2, vk), vc); a3 = f32x4.add(f32x4.mul(a3, vk), vc);
      a4 = f32x4.add(f32x4.mul(a4, vk), vc); a5 = f32x4.add(f32x4.mul(a5, vk), vc);
      a6 = f32x4.add(f32x4.mul(a6, vk), vc); a7 = f32x4.add(f32x4.mul(a7, vk), vc);
      a8 = f32x4.add(f32x4.mul(a8, vk), vc); a9 = f32x4.add(f32x4.mul(a9, vk), vc);
      a10 = f32x4.add(f32x4.mul(a10, vk), vc); a11 = f32x4.add(f32x4.mul(a11, vk), vc);
    }
    const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
    const t = f32x4.add(f32x4.add(s, f32x4.add(a8, a9)), f32x4.add(a10, a11));
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
  }
  // scalar build: 12 scalar chains, 24 flops a round
  let b0 = c, b1 = c, b2 = c, b3 = c, b4 = c, b5 = c, b6 = c, b7 = c, b8 = c, b9 = c, b10 = c, b11 = c;
  for (let i = 0; i < iters; i++) {
    b0 = b0 * k + c; b1 = b1 * k + c; b2 = b2 * k + c; b3 = b3 * k + c; b4 = b4 * k + c; b5 = b5 * k + c;
    b6 = b6 * k + c; b7 = b7 * k + c; b8 = b8 * k + c; b9 = b9 * k + c; b10 = b10 * k + c; b11 = b11 * k + c;
  }
  return b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11;
}
