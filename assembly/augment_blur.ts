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

/** dst[x] = Σ_j w[j]·src[x + j] for x < n (src holds n + k − 1 floats). */
function correlate(dst: usize, src: usize, n: i32, w: usize, k: i32): void {
  let x = 0;
  if (ASC_FEATURE_SIMD) {
    for (; x + 4 <= n; x += 4) {
      const o = <usize>x << 2;
      let acc = f32x4.splat(0);
      for (let j = 0; j < k; j++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(src + o + (<usize>j << 2)), v128.load_splat<f32>(w + (<usize>j << 2))));
      }
      v128.store(dst + o, acc);
    }
  }
  for (; x < n; x++) {
    const o = <usize>x << 2;
    let acc: f32 = 0;
    for (let j = 0; j < k; j++) acc += load<f32>(src + o + (<usize>j << 2)) * load<f32>(w + (<usize>j << 2));
    store<f32>(dst + o, acc);
  }
}

/** dst row = Σ_i w[i]·(row reflect(y + i − r) of plane), each row of wd floats. */
function correlateRows(dst: usize, plane: usize, y: i32, h: i32, wd: i32, w: usize, k: i32): void {
  const r = k >> 1;
  const rowBytes = <usize>wd << 2;
  let x = 0;
  if (ASC_FEATURE_SIMD) {
    for (; x + 4 <= wd; x += 4) {
      const o = <usize>x << 2;
      let acc = f32x4.splat(0);
      for (let i = 0; i < k; i++) {
        const row = plane + <usize>reflectIndex(y + i - r, h) * rowBytes;
        acc = f32x4.add(acc, f32x4.mul(v128.load(row + o), v128.load_splat<f32>(w + (<usize>i << 2))));
      }
      v128.store(dst + o, acc);
    }
  }
  for (; x < wd; x++) {
    const o = <usize>x << 2;
    let acc: f32 = 0;
    for (let i = 0; i < k; i++) {
      acc += load<f32>(plane + <usize>reflectIndex(y + i - r, h) * rowBytes + o) * load<f32>(w + (<usize>i << 2));
    }
    store<f32>(dst + o, acc);
  }
}

/**
 * Blurs c planes of h×wd floats in place with a k×k gaussian of σ. Scratch: tmp (h·wd floats),
 * pad (wd + k − 1 floats), weights (2k floats).
 */
export function blurPlanes(planes: usize, h: i32, wd: i32, c: i32, k: i32, sigma: f64, tmp: usize, pad: usize, weights: usize): void {
  gaussianWeights(weights, k, sigma);
  const r = k >> 1;
  const rowBytes = <usize>wd << 2;
  for (let ch = 0; ch < c; ch++) {
    const plane = planes + <usize>(ch * h) * rowBytes;
    for (let y = 0; y < h; y++) {
      const row = plane + <usize>y * rowBytes;
      for (let x = 0; x < wd + k - 1; x++) store<f32>(pad + (<usize>x << 2), load<f32>(row + (<usize>reflectIndex(x - r, wd) << 2)));
      correlate(tmp + <usize>y * rowBytes, pad, wd, weights, k);
    }
    for (let y = 0; y < h; y++) correlateRows(plane + <usize>y * rowBytes, tmp, y, h, wd, weights, k);
  }
}
