// Backward 2-D convolutions, NHWC, filter [kh, kw, in, out] (tfjs layout), dilation 1.
//
// Both gradients run as implicit GEMMs, one filter tap at a time: for a tap (kh, kw), output
// pixel m of dy meets input pixel ((n, oh·sh − pt + kh), ow·sw − pl + kw)) of x or dx. A table of
// (input pixel, output pixel) pointer pairs for a chunk of output pixels turns each tap into a
// dense product without an im2col buffer:
//   filter gradient  dW[tap][ci][co] += Σ_pairs x[in][ci] · dy[out][co]   (4 ci × 8 co register tile)
//   input gradient   dx[in][ci]      += Σ_co dy[out][co] · W[tap][ci][co] (4 pixels × 8 ci tile)
// Pairs whose input pixel falls in the padding are left out of the table, so strides and padding
// cost nothing. Chunks keep the rows they touch in cache. Scratch comes from the caller.

// Geometry of the current call, set once per entry so helpers need not pass 13 numbers around.
let gN: i32 = 0;
let gH: i32 = 0;
let gW: i32 = 0;
let gCin: i32 = 0;
let gOH: i32 = 0;
let gOW: i32 = 0;
let gCout: i32 = 0;
let gKH: i32 = 0;
let gKW: i32 = 0;
let gSH: i32 = 0;
let gSW: i32 = 0;
let gPT: i32 = 0;
let gPL: i32 = 0;

function setGeometry(n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  gN = n; gH = h; gW = w; gCin = cin; gOH = oh; gOW = ow; gCout = cout;
  gKH = kh; gKW = kw; gSH = sh; gSW = sw; gPT = pt; gPL = pl;
}

/** Output pixels per chunk: enough rows to amortise the tiles, few enough to stay in cache. */
function chunkRows(): i32 {
  const rows = 32768 / (gCin + gCout);
  return max(64, min(2048, rows)) & ~3;
}

/**
 * Writes (input pixel pointer, output row pointer) pairs for output pixels [m0, m1) under tap
 * (kh, kw) into `table`, skipping pixels that read padding; returns the number of pairs.
 */
function buildPairs(table: usize, m0: i32, m1: i32, kh: i32, kw: i32,
  inBase: usize, inRow: usize, outBase: usize, outRow: usize): i32 {
  const plane = gOH * gOW;
  let n = m0 / plane;
  let r = m0 - n * plane;
  let oh = r / gOW;
  let ow = r - oh * gOW;
  let cnt = 0;
  for (let m = m0; m < m1; m++) {
    const ih = oh * gSH - gPT + kh;
    const iw = ow * gSW - gPL + kw;
    if (<u32>ih < <u32>gH && <u32>iw < <u32>gW) {
      const p = table + (<usize>cnt << 3);
      store<u32>(p, <u32>(inBase + <usize>((n * gH + ih) * gW + iw) * inRow));
      store<u32>(p, <u32>(outBase + <usize>m * outRow), 4);
      cnt++;
    }
    if (++ow == gOW) {
      ow = 0;
      if (++oh == gOH) { oh = 0; n++; }
    }
  }
  return cnt;
}

// ---------------------------------------------------------------- filter gradient

/** Bytes of scratch {@link conv2d_backprop_filter} needs for this geometry. */
export function conv2d_backprop_filter_scratch(n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): i32 {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  return chunkRows() << 3;
}

/**
 * dW[kh, kw, cin, cout] = Σ over output pixels of x_patch ⊗ dy (overwrites `dw`).
 * x: [n, h, w, cin], dy: [n, oh, ow, cout]; pt/pl: padding before the first row/column.
 */
export function conv2d_backprop_filter(x: usize, dy: usize, dw: usize, scratch: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  const tapBytes = <usize>cin * <usize>cout << 2;
  memory.fill(dw, 0, tapBytes * <usize>(kh * kw));
  const total = n * oh * ow;
  const chunk = chunkRows();
  // the SIMD tiles cover whole 4 × 8 blocks; the scalar loop takes the rest (all of it without SIMD)
  let ci4 = 0;
  let co8 = 0;
  if (ASC_FEATURE_SIMD) {
    ci4 = cin & ~3;
    co8 = cout & ~7;
  }
  for (let m0 = 0; m0 < total; m0 += chunk) {
    const m1 = min(total, m0 + chunk);
    for (let t = 0; t < kh * kw; t++) {
      const cnt = buildPairs(scratch, m0, m1, t / kw, t % kw, x, <usize>cin << 2, dy, <usize>cout << 2);
      if (cnt == 0) continue;
      const dst = dw + <usize>t * tapBytes;
      if (ASC_FEATURE_SIMD) {
        for (let ci = 0; ci < ci4; ci += 4) {
          for (let co = 0; co < co8; co += 8) filterTile(scratch, cnt, ci, co, dst);
        }
      }
      filterRank1(scratch, cnt, 0, ci4, co8, cout, dst);
      filterRank1(scratch, cnt, ci4, cin, 0, cout, dst);
    }
  }
}

/** 4 input channels × 8 output channels of one tap's dW, accumulated over `cnt` pairs. */
// @ts-ignore: decorator
@inline
function filterTile(table: usize, cnt: i32, ci: i32, co: i32, dst: usize): void {
  const ld = <usize>gCout << 2;
  const d = dst + (<usize>ci * ld) + (<usize>co << 2);
  let c00 = v128.load(d), c01 = v128.load(d, 16);
  let c10 = v128.load(d + ld), c11 = v128.load(d + ld, 16);
  let c20 = v128.load(d + 2 * ld), c21 = v128.load(d + 2 * ld, 16);
  let c30 = v128.load(d + 3 * ld), c31 = v128.load(d + 3 * ld, 16);
  const xo = <usize>ci << 2;
  const yo = <usize>co << 2;
  const end = table + (<usize>cnt << 3);
  for (let p = table; p < end; p += 8) {
    const xp = <usize>load<u32>(p) + xo;
    const yp = <usize>load<u32>(p, 4) + yo;
    const b0 = v128.load(yp), b1 = v128.load(yp, 16);
    let a = v128.load32_splat(xp);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(xp, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(xp, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(xp, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
  }
  v128.store(d, c00); v128.store(d, c01, 16);
  v128.store(d + ld, c10); v128.store(d + ld, c11, 16);
  v128.store(d + 2 * ld, c20); v128.store(d + 2 * ld, c21, 16);
  v128.store(d + 3 * ld, c30); v128.store(d + 3 * ld, c31, 16);
}

/** Scalar rank-1 updates of dW rows [ci0, ci1) × columns [co0, co1) over `cnt` pairs. */
function filterRank1(table: usize, cnt: i32, ci0: i32, ci1: i32, co0: i32, co1: i32, dst: usize): void {
  if (ci0 >= ci1 || co0 >= co1) return;
  const ld = <usize>gCout << 2;
  for (let e = 0; e < cnt; e++) {
    const p = table + (<usize>e << 3);
    const xp = <usize>load<u32>(p);
    const yp = <usize>load<u32>(p, 4);
    for (let ci = ci0; ci < ci1; ci++) {
      const a = load<f32>(xp + (<usize>ci << 2));
      const row = dst + <usize>ci * ld;
      for (let co = co0; co < co1; co++) {
        const o = <usize>co << 2;
        store<f32>(row + o, load<f32>(row + o) + a * load<f32>(yp + o));
      }
    }
  }
}

// ---------------------------------------------------------------- input gradient

/** Input channels rounded up to the 8-wide SIMD panels (unchanged in the scalar build). */
function panelWidth(): i32 {
  return ASC_FEATURE_SIMD ? (gCin + 7) & ~7 : gCin;
}

/** Bytes of scratch {@link conv2d_backprop_input} needs for this geometry. */
export function conv2d_backprop_input_scratch(n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): i32 {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  const pw = panelWidth();
  // table (+4 padding pairs), packed filter, a zero dy row, a trash dx row
  return ((chunkRows() + 4) << 3) + ((kh * kw * pw * cout + cout + pw) << 2);
}

/**
 * dx[n, h, w, cin] = Σ over taps of dy · W[tap]ᵀ, scattered to the input pixels (overwrites `dx`).
 * filter: [kh, kw, cin, cout], dy: [n, oh, ow, cout].
 */
export function conv2d_backprop_input(dy: usize, filter: usize, dx: usize, scratch: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * <usize>cin << 2);
  const taps = kh * kw;
  const chunk = chunkRows();
  const pw = panelWidth();
  const table = scratch;
  const panels = table + (<usize>(chunk + 4) << 3);
  const zeroRow = panels + (<usize>(taps * pw * cout) << 2);
  const trash = zeroRow + (<usize>cout << 2);
  let ci8 = 0;
  if (ASC_FEATURE_SIMD) {
    ci8 = cin & ~7;
    packPanels(filter, panels, ci8);
    memory.fill(zeroRow, 0, <usize>cout << 2);
  }
  const total = n * oh * ow;
  for (let m0 = 0; m0 < total; m0 += chunk) {
    const m1 = min(total, m0 + chunk);
    for (let t = 0; t < taps; t++) {
      const cnt = buildPairs(table, m0, m1, t / kw, t % kw, dx, <usize>cin << 2, dy, <usize>cout << 2);
      if (cnt == 0) continue;
      if (ASC_FEATURE_SIMD) {
        // pad to whole 4-pixel tiles with pairs that read zeros and write to a trash row
        for (let e = cnt; e < ((cnt + 3) & ~3); e++) {
          const p = table + (<usize>e << 3);
          store<u32>(p, <u32>trash);
          store<u32>(p, <u32>zeroRow, 4);
        }
        const panelTap = panels + (<usize>(t * pw * cout) << 2);
        for (let ci = 0; ci < ci8; ci += 8) {
          const panel = panelTap + (<usize>(ci * cout) << 2);
          for (let e = 0; e < cnt; e += 4) inputTile(table + (<usize>e << 3), panel, ci);
        }
      }
      inputDots(table, cnt, ci8, cin, filter + (<usize>(t * cin * cout) << 2), dx);
    }
  }
}

/** Repacks W[tap][ci][co] for ci < ci8 into panels [tap][ci/8][co][8] so a tile reads 8 ci at once. */
function packPanels(filter: usize, panels: usize, ci8: i32): void {
  const pw = panelWidth();
  for (let t = 0; t < gKH * gKW; t++) {
    for (let ci = 0; ci < ci8; ci++) {
      const src = filter + (<usize>((t * gCin + ci) * gCout) << 2);
      const dst = panels + (<usize>((t * pw + (ci & ~7)) * gCout + (ci & 7)) << 2);
      for (let co = 0; co < gCout; co++) {
        store<f32>(dst + (<usize>co << 5), load<f32>(src + (<usize>co << 2)));
      }
    }
  }
}

/** 4 dx pixels × 8 input channels: accumulate Σ_co dy[pixel][co] · panel[co][0..8). */
// @ts-ignore: decorator
@inline
function inputTile(pairs: usize, panel: usize, ci: i32): void {
  const co = <usize>ci << 2;
  const d0 = <usize>load<u32>(pairs) + co, a0 = <usize>load<u32>(pairs, 4);
  const d1 = <usize>load<u32>(pairs, 8) + co, a1 = <usize>load<u32>(pairs, 12);
  const d2 = <usize>load<u32>(pairs, 16) + co, a2 = <usize>load<u32>(pairs, 20);
  const d3 = <usize>load<u32>(pairs, 24) + co, a3 = <usize>load<u32>(pairs, 28);
  let c00 = v128.load(d0), c01 = v128.load(d0, 16);
  let c10 = v128.load(d1), c11 = v128.load(d1, 16);
  let c20 = v128.load(d2), c21 = v128.load(d2, 16);
  let c30 = v128.load(d3), c31 = v128.load(d3, 16);
  const steps = <usize>gCout << 2;
  for (let k: usize = 0; k < steps; k += 4) {
    const b = panel + (k << 3);
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let a = v128.load32_splat(a0 + k);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(a1 + k);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(a2 + k);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(a3 + k);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
  }
  v128.store(d0, c00); v128.store(d0, c01, 16);
  v128.store(d1, c10); v128.store(d1, c11, 16);
  v128.store(d2, c20); v128.store(d2, c21, 16);
  v128.store(d3, c30); v128.store(d3, c31, 16);
}

/** Scalar dot products for dx channels [ci0, ci1) of `cnt` pairs under one tap's filter rows. */
function inputDots(table: usize, cnt: i32, ci0: i32, ci1: i32, tapFilter: usize, dx: usize): void {
  if (ci0 >= ci1) return;
  const steps = <usize>gCout << 2;
  for (let e = 0; e < cnt; e++) {
    const p = table + (<usize>e << 3);
    const dp = <usize>load<u32>(p);
    const yp = <usize>load<u32>(p, 4);
    for (let ci = ci0; ci < ci1; ci++) {
      const wr = tapFilter + <usize>ci * steps;
      let s: f32 = 0;
      for (let k: usize = 0; k < steps; k += 4) s += load<f32>(yp + k) * load<f32>(wr + k);
      const o = dp + (<usize>ci << 2);
      store<f32>(o, load<f32>(o) + s);
    }
  }
}
