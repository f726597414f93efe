// Gaussian blur as torchvision's gaussian_blur: kernel from linspace(−(k−1)/2, (k−1)/2, k),
// reflect padding; applied separably (the 2-D kernel is the outer product of the 1-D ones).
import { expNoTable, reflectIndex } from "./augment_math";

/** k normalised weights exp(−x²/2σ²) at x = −(k−1)/2 … (k−1)/2. */
function gaussianWeights(w: usize, k: i32, sigma: f64): void {
  const half = <f64>(k - 1) * 0.5;
  let sum: f64 = 0;
  for (let i = 0; i < k; i++) {
    const x = (<f64>i - half) / sigma;
    const v = expNoTable(-0.5 * x * x);
    store<f64>(w + (<usize>i << 3), v);
    sum += v;
  }
  // f64 sums staged in the first 8k bytes, then packed down to f32 in place (front to back is safe)
  for (let i = 0; i < k; i++) store<f32>(w + (<usize>i << 2), <f32>(load<f64>(w + (<usize>i << 3)) / sum));
}

/** dst[x] = Σ_j w[j]·src_j[x] for x < n, src_j = load<usize>(srcs + 4j): accumulates in registers. */
function correlate(dst: usize, srcs: usize, n: i32, w: usize, k: i32): void {
  let x = 0;
  if (ASC_FEATURE_SIMD) {
    for (; x + 4 <= n; x += 4) {
      const o = <usize>x << 2;
      let acc = f32x4.splat(0);
      for (let j = 0; j < k; j++) {
        const jb = <usize>j << 2;
        acc = f32x4.add(acc, f32x4.mul(v128.load(load<usize>(srcs + jb) + o), v128.load_splat<f32>(w + jb)));
      }
      v128.store(dst + o, acc);
    }
  }
  for (; x < n; x++) {
    const o = <usize>x << 2;
    let acc: f32 = 0;
    for (let j = 0; j < k; j++) {
      const jb = <usize>j << 2;
      acc += load<f32>(load<usize>(srcs + jb) + o) * load<f32>(w + jb);
    }
    store<f32>(dst + o, acc);
  }
}

/** pad = row with r reflected floats on each side (only the borders need the reflection). */
function padRow(pad: usize, row: usize, wd: i32, r: i32): void {
  memory.copy(pad + (<usize>r << 2), row, <usize>wd << 2);
  for (let x = 0; x < r; x++) {
    store<f32>(pad + (<usize>x << 2), load<f32>(row + (<usize>reflectIndex(x - r, wd) << 2)));
    store<f32>(pad + (<usize>(r + wd + x) << 2), load<f32>(row + (<usize>reflectIndex(wd + x, wd) << 2)));
  }
}

/**
 * Blurs c planes of h×wd floats in place with a k×k gaussian of σ. Scratch: tmp (h·wd floats),
 * pad (wd + k − 1 floats), weights (2k floats: the weights, then k source pointers).
 */
export function blurPlanes(planes: usize, h: i32, wd: i32, c: i32, k: i32, sigma: f64, tmp: usize, pad: usize, weights: usize): void {
  gaussianWeights(weights, k, sigma);
  const srcs = weights + (<usize>k << 2);
  const r = k >> 1;
  const rowBytes = <usize>wd << 2;
  for (let ch = 0; ch < c; ch++) {
    const plane = planes + <usize>(ch * h) * rowBytes;
    // horizontal: the padded row read at k shifts
    for (let j = 0; j < k; j++) store<usize>(srcs + (<usize>j << 2), pad + (<usize>j << 2));
    for (let y = 0; y < h; y++) {
      padRow(pad, plane + <usize>y * rowBytes, wd, r);
      correlate(tmp + <usize>y * rowBytes, srcs, wd, weights, k);
    }
    // vertical: k reflected rows, one reflection per tap and row
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < k; i++) store<usize>(srcs + (<usize>i << 2), tmp + <usize>reflectIndex(y + i - r, h) * rowBytes);
      correlate(plane + <usize>y * rowBytes, srcs, wd, weights, k);
    }
  }
}
