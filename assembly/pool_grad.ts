// Gradient of 2-D max pooling, NHWC: each output's dy goes to the first maximum of its window
// (row-major scan, strict >, padding never wins), as tfjs' cpu backend and PyTorch pick it.
// Four channels at a time with f32x4 compares; the scalar loop takes the rest (all without SIMD).

/**
 * dx[n, h, w, c] = Σ dy over the windows whose first maximum is (h, w) (overwrites `dx`).
 * x: [n, h, w, c] pooled input, dy: [n, oh, ow, c]; pt/pl: padding before the first row/column.
 */
export function max_pool_grad(x: usize, dy: usize, dx: usize, n: i32, h: i32, w: i32, c: i32,
  oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * <usize>c << 2);
  const px = <usize>c << 2;
  let g = dy;
  for (let b = 0; b < n; b++) {
    const img = <usize>b * <usize>h * <usize>w * px;
    for (let i = 0; i < oh; i++) {
      const h0 = max(0, i * sh - pt);
      const h1 = min(h, i * sh - pt + kh);
      for (let j = 0; j < ow; j++) {
        const w0 = max(0, j * sw - pl);
        const w1 = min(w, j * sw - pl + kw);
        let ch = 0;
        if (ASC_FEATURE_SIMD) {
          for (; ch + 4 <= c; ch += 4) maxPoolGradLanes(x, g, dx, img, <usize>ch << 2, w, px, h0, h1, w0, w1);
        }
        for (; ch < c; ch++) {
          const co = <usize>ch << 2;
          let best: f32 = -Infinity;
          let at: usize = 0;
          let found = false;
          for (let y = h0; y < h1; y++) {
            for (let xw = w0; xw < w1; xw++) {
              const off = img + <usize>(y * w + xw) * px + co;
              const v = load<f32>(x + off);
              if (v > best) { best = v; at = off; found = true; }
            }
          }
          if (found) store<f32>(dx + at, load<f32>(dx + at) + load<f32>(g + co));
        }
        g += px;
      }
    }
  }
}

/** Four channels (from byte `co`) of one window at once: each lane's first maximum and its offset. */
// @ts-ignore: decorator
@inline
function maxPoolGradLanes(x: usize, g: usize, dx: usize, img: usize, co: usize, w: i32, px: usize, h0: i32, h1: i32, w0: i32, w1: i32): void {
  const lanes = i32x4(0, 4, 8, 12);
  let best = f32x4.splat(-Infinity);
  let at = i32x4.splat(-1);
  for (let y = h0; y < h1; y++) {
    for (let xw = w0; xw < w1; xw++) {
      const off = img + <usize>(y * w + xw) * px + co;
      const v = v128.load(x + off);
      const gt = f32x4.gt(v, best);
      best = v128.bitselect(v, best, gt);
      at = v128.bitselect(i32x4.add(i32x4.splat(<i32>off), lanes), at, gt);
    }
  }
  scatterLane(dx, i32x4.extract_lane(at, 0), load<f32>(g + co));
  scatterLane(dx, i32x4.extract_lane(at, 1), load<f32>(g + co, 4));
  scatterLane(dx, i32x4.extract_lane(at, 2), load<f32>(g + co, 8));
  scatterLane(dx, i32x4.extract_lane(at, 3), load<f32>(g + co, 12));
}

/** dx at byte `at` += v, unless no value of the window beat −∞ (at < 0). */
// @ts-ignore: decorator
@inline
function scatterLane(dx: usize, at: i32, v: f32): void {
  if (at >= 0) store<f32>(dx + <usize>at, load<f32>(dx + <usize>at) + v);
}
