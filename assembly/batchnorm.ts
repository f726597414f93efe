// Training-mode batch normalization over the leading axes of a row-major [rows, c] array (NHWC
// with rows = N·H·W), forward and backward in a few passes each. The tfjs-op form runs ~10
// elementwise kernels forward and ~14 backward, each a full pass over the activations.
// Sums are blocked: f32 partials over BLOCK rows, folded into f64 totals, so the statistics of a
// 50,000-row map round like a pairwise sum. The mean sums x − x[0] (a channel's values far from 0
// would otherwise round in the partials); the variance is two-pass, Σ(x − μ)², as PyTorch's.

const BLOCK: i32 = 64;

/** Bytes of scratch the two kernels need for `c` channels. */
export function batchnorm_scratch(c: i32): i32 {
  return c * 32;
}

/** Scratch region `i` for `c` channels: 0 and 1 hold f64 totals [c], 2 to 4 f32 vectors [c]. */
function region(scratch: usize, c: i32, i: i32): usize {
  return scratch + <usize>(c * (i < 2 ? 8 * i : 16 + 4 * (i - 2)));
}

/**
 * Training-mode BatchNorm: mean and biased variance per channel, invstd = 1/√(variance + eps),
 * y = (x − mean)·s + β with s = γ·invstd. `affine` bit 0: γ given, bit 1: β given (else 1 and 0).
 * Writes y [rows, c] and mean, variance, invstd [c].
 */
export function batchnorm_forward(x: usize, gamma: usize, beta: usize, y: usize, mean: usize, variance: usize, invstd: usize,
  scratch: usize, rows: i32, c: i32, eps: f32, affine: i32): void {
  const totals = region(scratch, c, 0);
  const partial = region(scratch, c, 2);
  const scale = region(scratch, c, 3);
  const shift = region(scratch, c, 4);
  // the first row is the shift: totals = Σ (x − x[0])
  blockSums(SUM, x, 0, x, rows, c, partial, totals, 0, 0);
  const n = <f64>rows;
  for (let ch = 0; ch < c; ch++) {
    const o = <usize>ch << 2;
    store<f32>(mean + o, <f32>(<f64>load<f32>(x + o) + load<f64>(totals + (<usize>ch << 3)) / n));
  }
  blockSums(SQUARES, x, 0, mean, rows, c, partial, totals, 0, 0);
  for (let ch = 0; ch < c; ch++) {
    const o = <usize>ch << 2;
    const v = <f32>(load<f64>(totals + (<usize>ch << 3)) / n);
    const r = <f32>1 / Mathf.sqrt(v + eps);
    store<f32>(variance + o, v);
    store<f32>(invstd + o, r);
    store<f32>(scale + o, affine & 1 ? load<f32>(gamma + o) * r : r);
    store<f32>(shift + o, affine & 2 ? load<f32>(beta + o) : 0);
  }
  // y = (x − mean)·s + shift
  affineRows(x, mean, scale, 0, 0, shift, y, rows, c);
}

/**
 * The gradient of {@link batchnorm_forward} from dy: with xc = x − mean, r = invstd, s = γ·r,
 * dβ = Σdy, dγ = r·Σdy·xc, dx = dy·s + xc·k + b with k = −s·r·dγ/n, b = −s·dβ/n.
 * `affine` bit 0: γ given (else s = r). Writes dx [rows, c] and dgamma, dbeta [c].
 */
export function batchnorm_backward(dy: usize, x: usize, mean: usize, invstd: usize, gamma: usize, dx: usize, dgamma: usize,
  dbeta: usize, scratch: usize, rows: i32, c: i32, affine: i32): void {
  const totals = region(scratch, c, 0);
  const totals2 = region(scratch, c, 1);
  const partial = region(scratch, c, 2);
  const partial2 = region(scratch, c, 3);
  blockSums(GRADIENTS, dy, x, mean, rows, c, partial, totals, partial2, totals2);
  const n = <f32>rows;
  // the f32 partials are free now: they hold the per-channel coefficients of dx = dy·s + xc·k + b
  const scale = partial;
  const k = partial2;
  const b = region(scratch, c, 4);
  for (let ch = 0; ch < c; ch++) {
    const o = <usize>ch << 2;
    const r = load<f32>(invstd + o);
    const s = affine & 1 ? load<f32>(gamma + o) * r : r;
    const db = <f32>load<f64>(totals + (<usize>ch << 3));
    const dg = <f32>load<f64>(totals2 + (<usize>ch << 3)) * r;
    store<f32>(dbeta + o, db);
    store<f32>(dgamma + o, dg);
    store<f32>(scale + o, s);
    store<f32>(k + o, -(s * r) * (dg / n));
    store<f32>(b + o, -s * (db / n));
  }
  // dx = (x − mean)·k + dy·s + b
  affineRows(x, mean, k, dy, scale, b, dx, rows, c);
}

const SUM: i32 = 0; // totals = Σ (x − shift)
const SQUARES: i32 = 1; // totals = Σ (x − mean)²
const GRADIENTS: i32 = 2; // totals = Σ dy, totals2 = Σ dy·(x − mean)

/** Column sums of `mode` over [rows, c]: f32 partials over BLOCK rows folded into f64 totals. */
function blockSums(mode: i32, a: usize, x: usize, mean: usize, rows: i32, c: i32, partial: usize, totals: usize, partial2: usize, totals2: usize): void {
  const ld = <usize>c << 2;
  memory.fill(totals, 0, <usize>c << 3);
  memory.fill(totals2, 0, mode == GRADIENTS ? <usize>c << 3 : 0);
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    memory.fill(partial, 0, ld);
    memory.fill(partial2, 0, mode == GRADIENTS ? ld : 0);
    const r1 = min(rows, r0 + BLOCK);
    for (let r = r0; r < r1; r++) {
      const offset = <usize>r * ld;
      if (mode == SUM) addDeviations(a + offset, mean, partial, c);
      else if (mode == SQUARES) addSquaredDeviations(a + offset, mean, partial, c);
      else addGradientRow(a + offset, x + offset, mean, partial, partial2, c);
    }
    fold(partial, totals, c);
    if (mode == GRADIENTS) fold(partial2, totals2, c);
  }
}

/** acc[ch] += a[ch] − shift[ch]. */
function addDeviations(a: usize, shift: usize, acc: usize, c: i32): void {
  let ch = 0;
  if (ASC_FEATURE_SIMD) {
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.sub(v128.load(a + o), v128.load(shift + o))));
    }
  }
  for (; ch < c; ch++) {
    const o = <usize>ch << 2;
    store<f32>(acc + o, load<f32>(acc + o) + (load<f32>(a + o) - load<f32>(shift + o)));
  }
}

/** acc[ch] += (a[ch] − mean[ch])². */
function addSquaredDeviations(a: usize, mean: usize, acc: usize, c: i32): void {
  let ch = 0;
  if (ASC_FEATURE_SIMD) {
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      const d = f32x4.sub(v128.load(a + o), v128.load(mean + o));
      v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(d, d)));
    }
  }
  for (; ch < c; ch++) {
    const o = <usize>ch << 2;
    const d = load<f32>(a + o) - load<f32>(mean + o);
    store<f32>(acc + o, load<f32>(acc + o) + d * d);
  }
}

/** acc[ch] += dy[ch]; acc2[ch] += dy[ch]·(x[ch] − mean[ch]). */
function addGradientRow(dy: usize, x: usize, mean: usize, acc: usize, acc2: usize, c: i32): void {
  let ch = 0;
  if (ASC_FEATURE_SIMD) {
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      const g = v128.load(dy + o);
      v128.store(acc + o, f32x4.add(v128.load(acc + o), g));
      v128.store(acc2 + o, f32x4.add(v128.load(acc2 + o), f32x4.mul(g, f32x4.sub(v128.load(x + o), v128.load(mean + o)))));
    }
  }
  for (; ch < c; ch++) {
    const o = <usize>ch << 2;
    const g = load<f32>(dy + o);
    store<f32>(acc + o, load<f32>(acc + o) + g);
    store<f32>(acc2 + o, load<f32>(acc2 + o) + g * (load<f32>(x + o) - load<f32>(mean + o)));
  }
}

/** totals[ch] (f64) += partial[ch] (f32). */
function fold(partial: usize, totals: usize, c: i32): void {
  for (let ch = 0; ch < c; ch++) {
    const t = totals + (<usize>ch << 3);
    store<f64>(t, load<f64>(t) + <f64>load<f32>(partial + (<usize>ch << 2)));
  }
}

/** out = (x − mean)·k + shift, plus dy·s when dy ≠ 0 (per-channel k, s, shift). */
function affineRows(x: usize, mean: usize, k: usize, dy: usize, s: usize, shift: usize, out: usize, rows: i32, c: i32): void {
  const ld = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const offset = <usize>r * ld;
    const xr = x + offset;
    const outr = out + offset;
    let ch = 0;
    if (ASC_FEATURE_SIMD) {
      for (; ch + 4 <= c; ch += 4) {
        const o = <usize>ch << 2;
        let v = f32x4.add(f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), v128.load(k + o)), v128.load(shift + o));
        if (dy) v = f32x4.add(v, f32x4.mul(v128.load(dy + offset + o), v128.load(s + o)));
        v128.store(outr + o, v);
      }
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      let v = (load<f32>(xr + o) - load<f32>(mean + o)) * load<f32>(k + o) + load<f32>(shift + o);
      if (dy) v += load<f32>(dy + offset + o) * load<f32>(s + o);
      store<f32>(outr + o, v);
    }
  }
}
