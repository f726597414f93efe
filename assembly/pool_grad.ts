// Gradient of 2-D max pooling, NHWC: each output's dy goes to the first maximum of its window
// (row-major scan, strict >, padding never wins), as tfjs' cpu backend and PyTorch pick it.

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
        for (let ch = 0; ch < c; ch++) {
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
