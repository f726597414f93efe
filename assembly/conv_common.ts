// Shared parts of the convolution kernels (NHWC, filter [kh, kw, in, out], dilation 1): the
// call's geometry, tap pair tables, patch gathering for thin inputs, and the f32x4 row tile.
//
// For a filter tap (kh, kw), output pixel m meets input pixel (n, oh·sh − pt + kh, ow·sw − pl + kw).
// A table of (input pixel, output row) pointer pairs for a chunk of output pixels turns each tap
// into a dense product without an im2col buffer; pairs reading padding are left out, so strides
// and padding cost nothing. Chunks keep the rows they touch in cache.

// Geometry of the current call, set once per entry so helpers need not pass 13 numbers around.
export let gN: i32 = 0;
export let gH: i32 = 0;
export let gW: i32 = 0;
export let gCin: i32 = 0;
export let gOH: i32 = 0;
export let gOW: i32 = 0;
export let gCout: i32 = 0;
export let gKH: i32 = 0;
export let gKW: i32 = 0;
export let gSH: i32 = 0;
export let gSW: i32 = 0;
export let gPT: i32 = 0;
export let gPL: i32 = 0;

export function setGeometry(n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  gN = n; gH = h; gW = w; gCin = cin; gOH = oh; gOW = ow; gCout = cout;
  gKH = kh; gKW = kw; gSH = sh; gSW = sw; gPT = pt; gPL = pl;
}

const CHUNK_FLOATS: i32 = 16384;

/** Output pixels per chunk for rows of `width` input floats: enough to amortise the tiles, few enough to stay in cache. */
export function chunkRows(width: i32): i32 {
  const rows = CHUNK_FLOATS / (width + gCout);
  return max(64, min(2048, rows)) & ~3;
}

/**
 * Writes (input pixel pointer, output row pointer) pairs for output pixels [m0, m1) under tap
 * (kh, kw) into `table`, skipping pixels that read padding; returns the number of pairs.
 */
export function buildPairs(table: usize, m0: i32, m1: i32, kh: i32, kw: i32,
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

// ---------------------------------------------------------------- patches (few input channels)

/**
 * Few input channels (a stem) make per-tap products too thin: the kernels then work on whole
 * patches instead (im2col / col2im of one chunk), one [kh·kw·cin]-wide product per chunk.
 */
export function patchMode(): bool {
  return gCin < 16;
}

/** Floats in one patch row. */
export function patchWidth(): i32 {
  return gKH * gKW * gCin;
}

/**
 * Moves the kh × kw × cin patch of each output pixel in [m0, m1) between x and patch rows:
 * gather copies (zeros for padding), scatter adds back (skipping padding).
 */
export function movePatches(x: usize, patches: usize, m0: i32, m1: i32, gather: bool): void {
  const rowBytes = <usize>gCin << 2;
  const plane = gOH * gOW;
  let p = patches;
  for (let m = m0; m < m1; m++) {
    const nn = m / plane;
    const r = m - nn * plane;
    const oh = r / gOW;
    const ow = r - oh * gOW;
    for (let i = 0; i < gKH; i++) {
      const ih = oh * gSH - gPT + i;
      for (let j = 0; j < gKW; j++) {
        const iw = ow * gSW - gPL + j;
        // rows are a few floats: plain loops beat memory.copy's call
        if (<u32>ih < <u32>gH && <u32>iw < <u32>gW) {
          const px = x + <usize>((nn * gH + ih) * gW + iw) * rowBytes;
          if (gather) {
            for (let c: usize = 0; c < rowBytes; c += 4) store<f32>(p + c, load<f32>(px + c));
          } else {
            for (let c: usize = 0; c < rowBytes; c += 4) store<f32>(px + c, load<f32>(px + c) + load<f32>(p + c));
          }
        } else if (gather) {
          for (let c: usize = 0; c < rowBytes; c += 4) store<f32>(p + c, 0);
        }
        p += rowBytes;
      }
    }
  }
}

/** Pairs (patch row m − m0, output row m) for every output pixel of the chunk; returns their number. */
export function patchPairs(table: usize, patches: usize, m0: i32, m1: i32, out: usize): i32 {
  const rowBytes = <usize>patchWidth() << 2;
  for (let m = m0; m < m1; m++) {
    const p = table + (<usize>(m - m0) << 3);
    store<u32>(p, <u32>(patches + <usize>(m - m0) * rowBytes));
    store<u32>(p, <u32>(out + (<usize>(m * gCout) << 2)), 4);
  }
  return m1 - m0;
}

// ---------------------------------------------------------------- the row tile

/**
 * c + a·b, four lanes. The relaxed-SIMD builds (`--enable relaxed-simd`) use f32x4.relaxed_madd,
 * fused (one rounding) where the CPU has FMA; the SIMD build keeps mul then add (two roundings).
 * Only the convolution tiles (and so BatchMatMul) use it: the other kernels are the same in both.
 */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * 5 destination rows × 8 columns (10 accumulators, 2 panel vectors and a broadcast: 13 of x64's 16
 * vector registers): dest[r][col..col+8) += Σ_k src[r][k] · panel[k][0..8). `pairs` holds 5 pairs;
 * the destination pointer sits at byte `dOff` of each pair, the source at `aOff`; panel rows are
 * `bStride` bytes apart; `kBytes` is 4·k. Six rows (12 accumulators) spilled in V8's code: 1.2–1.9×
 * slower on the same products (bench/RESULTS.md).
 */
export function rowTile(pairs: usize, panel: usize, col: i32, dOff: usize, aOff: usize, kBytes: usize, bStride: usize): void {
  const co = <usize>col << 2;
  const d0 = <usize>load<u32>(pairs + dOff) + co, a0 = <usize>load<u32>(pairs + aOff);
  const d1 = <usize>load<u32>(pairs + dOff, 8) + co, a1 = <usize>load<u32>(pairs + aOff, 8);
  const d2 = <usize>load<u32>(pairs + dOff, 16) + co, a2 = <usize>load<u32>(pairs + aOff, 16);
  const d3 = <usize>load<u32>(pairs + dOff, 24) + co, a3 = <usize>load<u32>(pairs + aOff, 24);
  const d4 = <usize>load<u32>(pairs + dOff, 32) + co, a4 = <usize>load<u32>(pairs + aOff, 32);
  let c00 = v128.load(d0), c01 = v128.load(d0, 16);
  let c10 = v128.load(d1), c11 = v128.load(d1, 16);
  let c20 = v128.load(d2), c21 = v128.load(d2, 16);
  let c30 = v128.load(d3), c31 = v128.load(d3, 16);
  let c40 = v128.load(d4), c41 = v128.load(d4, 16);
  let b = panel;
  for (let k: usize = 0; k < kBytes; k += 4) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    b += bStride;
    let a = v128.load32_splat(a0 + k);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(a1 + k);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(a2 + k);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(a3 + k);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load32_splat(a4 + k);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
  }
  v128.store(d0, c00); v128.store(d0, c01, 16);
  v128.store(d1, c10); v128.store(d1, c11, 16);
  v128.store(d2, c20); v128.store(d2, c21, 16);
  v128.store(d3, c30); v128.store(d3, c31, 16);
  v128.store(d4, c40); v128.store(d4, c41, 16);
}

/** Pairs per {@link rowTile}: pair tables are padded to a multiple. */
export const TILE_ROWS: i32 = 5;

/** Pads a pair table of `cnt` pairs to whole tiles with pairs that read `zero` and write `trash`. */
export function padPairs(table: usize, cnt: i32, dOff: usize, aOff: usize, zero: usize, trash: usize): void {
  for (let e = cnt; e < cnt + TILE_ROWS - 1; e++) {
    const p = table + (<usize>e << 3);
    store<u32>(p + dOff, <u32>trash);
    store<u32>(p + aOff, <u32>zero);
  }
}
