// EMA blend of target parameters: out ← tau·target + (1 − tau)·online (`out` may be `target`).

/** Blends n floats of `target` towards `online` into `out`. */
export function ema_blend(target: usize, online: usize, out: usize, n: i32, tau: f32): void {
  const a: f32 = 1.0 - tau;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vt = f32x4.splat(tau);
    const va = f32x4.splat(a);
    for (; i + 4 <= n; i += 4) {
      const off = <usize>i << 2;
      const t = v128.load(target + off);
      const o = v128.load(online + off);
      v128.store(out + off, f32x4.add(f32x4.mul(t, vt), f32x4.mul(o, va)));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(target + off) * tau + load<f32>(online + off) * a);
  }
}

/**
 * Blends `count` scattered tensors in one call: entry k writes `lengths[k]` floats of
 * `targets[k]` blended towards `onlines[k]` to `outs[k]`. The four arguments point to i32 tables,
 * so a whole network's parameters (ours, or tensors living in another module's memory) take one
 * call.
 */
export function ema_blend_many(targets: usize, onlines: usize, outs: usize, lengths: usize, count: i32, tau: f32): void {
  for (let k = 0; k < count; k++) {
    const off = <usize>k << 2;
    ema_blend(<usize>load<u32>(targets + off), <usize>load<u32>(onlines + off), <usize>load<u32>(outs + off), load<i32>(lengths + off), tau);
  }
}
