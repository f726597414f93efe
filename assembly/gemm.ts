// Dense matrix product C = op(A)·op(B) (+ bias row, then ReLU), row-major float32, for the
// projector's and predictor's linear layers, forward (A·B + bias) and backward (A·Bᵀ, Aᵀ·B).
// Blocked as in GotoBLAS: a KC-deep slice of B is packed into 8-column panels and of A into
// 4-row panels (zero-padded at the edges, transposes resolved while packing), then a 4×8 register
// tile runs over the panels, which stay in L1/L2 while reused. A 6×8 tile (12 accumulators) ran at
// half the speed, most likely spilled: with the B vectors, the splat and mul's temporary it needs
// every one of x64's 16 vector registers (measured 15–18 against 27–31 GFLOP/s, and 15 against
// 34–38 with relaxed SIMD; a 5×8 tile no better, an unrolled 6×8 no better).
// Every tile, edges included, goes through the same tile code, so a value does not depend on where
// it sits in C (splitting C between threads gives one thread's numbers).
import { madd } from "./conv_common";

// flag bits of gemm (bindings/tfjs-wasm/gemm.ts sets them)
const GEMM_TRANS_A: i32 = 1;
const GEMM_TRANS_B: i32 = 2;
const GEMM_BIAS: i32 = 4;
const GEMM_RELU: i32 = 8;

const MR: i32 = 4;
const NR: i32 = 8;
/** Depth of a packed slice: an 8-column B panel (8 KB) stays in L1 while A panels stream past. */
const KC: i32 = 256;
/** Rows of A packed at once (120 KB at KC): they stay in L2 across B's panels (240 measured no faster). */
const MC: i32 = 120;
/** Columns of B packed at once: bounds the scratch (1 MB at KC). */
const NC: i32 = 1024;

const TILE_BYTES: i32 = MR * NR * 4;

const START_ZERO: i32 = 0;
const START_BIAS: i32 = 1;
const START_C: i32 = 2;

/** Bytes of scratch {@link gemm} needs for an m×n×k product: packed A and B blocks, an edge tile. */
export function gemm_scratch(m: i32, n: i32, k: i32): i32 {
  const kc = min(k, KC);
  const mc = (min(m, MC) + MR - 1) / MR * MR;
  const nc = (min(n, NC) + NR - 1) / NR * NR;
  return (mc * kc + nc * kc) * 4 + TILE_BYTES;
}

/**
 * c[i·ldc + j] = Σ_p A(i, p)·B(p, j) (+ bias[j]; then max(0, ·) with GEMM_RELU) for i < m, j < n,
 * overwriting c. A(i, p) = a[i·lda + p], or a[p·lda + i] with GEMM_TRANS_A; B(p, j) = b[p·ldb + j],
 * or b[j·ldb + p] with GEMM_TRANS_B. Leading dimensions are in floats; pointers in bytes.
 */
export function gemm(a: usize, b: usize, c: usize, bias: usize, scratch: usize,
  m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32, flags: i32): void {
  const kcMax = min(k, KC);
  const ap = scratch;
  const bp = ap + (<usize>((min(m, MC) + MR - 1) / MR * MR * kcMax) << 2);
  const tile = bp + (<usize>((min(n, NC) + NR - 1) / NR * NR * kcMax) << 2);
  const transA = (flags & GEMM_TRANS_A) != 0;
  const transB = (flags & GEMM_TRANS_B) != 0;
  const relu = (flags & GEMM_RELU) != 0;
  const withBias = (flags & GEMM_BIAS) != 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const last = relu && pc + kc >= k;
      // the first K slice starts from the bias row (or 0), later ones from C
      const start = pc > 0 ? START_C : withBias ? START_BIAS : START_ZERO;
      packB(b, bp, pc, kc, jc, nc, ldb, transB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a, ap, ic, mc, pc, kc, lda, transA);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min(NR, nc - jr);
          const panelB = bp + (<usize>(jr * kc) << 2);
          const biasAt = bias + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const h = min(MR, mc - ir);
            const panelA = ap + (<usize>(ir * kc) << 2);
            const at = c + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 2);
            if (h == MR && w == NR) {
              microTile(panelA, panelB, kc, at, <usize>ldc << 2, start, biasAt, last);
            } else {
              edgeTile(panelA, panelB, kc, at, ldc, h, w, tile, start, biasAt, last);
            }
          }
        }
      }
    }
  }
}

/** A partial tile (h×w of 4×8): through a full tile in scratch, copied in and out. */
function edgeTile(panelA: usize, panelB: usize, kc: i32, at: usize, ldc: i32, h: i32, w: i32,
  tile: usize, start: i32, bias: usize, relu: bool): void {
  memory.fill(tile, 0, TILE_BYTES);
  for (let r = 0; r < h; r++) {
    const row = tile + (<usize>(r * NR) << 2);
    if (start == START_C) memory.copy(row, at + (<usize>(r * ldc) << 2), <usize>w << 2);
    else if (start == START_BIAS) memory.copy(row, bias, <usize>w << 2);
  }
  microTile(panelA, panelB, kc, tile, NR << 2, START_C, 0, relu);
  for (let r = 0; r < h; r++) {
    memory.copy(at + (<usize>(r * ldc) << 2), tile + (<usize>(r * NR) << 2), <usize>w << 2);
  }
}

/**
 * C tile (4×8 at `c`, rows `ldcBytes` apart) = start + Σ_p panelA[p][0..4] ⊗ panelB[p][0..8], then
 * max(0, ·) with `relu`; `start` is 0, the bias row (8 floats at `bias`) or the tile itself. Starting
 * in registers saves a pass over C (5–10% at K = 128). Scalar builds run the same multiply-adds in
 * the same order (mul, then add): bit for bit the SIMD build's.
 */
function microTile(panelA: usize, panelB: usize, kc: i32, c: usize, ldcBytes: usize, start: i32, bias: usize, relu: bool): void {
  if (ASC_FEATURE_SIMD) {
    const c0 = c, c1 = c0 + ldcBytes, c2 = c1 + ldcBytes, c3 = c2 + ldcBytes;
    let x00 = f32x4.splat(0), x01 = x00;
    if (start == START_BIAS) { x00 = v128.load(bias); x01 = v128.load(bias, 16); }
    let x10 = x00, x11 = x01, x20 = x00, x21 = x01, x30 = x00, x31 = x01;
    if (start == START_C) {
      x00 = v128.load(c0); x01 = v128.load(c0, 16);
      x10 = v128.load(c1); x11 = v128.load(c1, 16);
      x20 = v128.load(c2); x21 = v128.load(c2, 16);
      x30 = v128.load(c3); x31 = v128.load(c3, 16);
    }


    let pa = panelA;
    let pb = panelB;
    const end = panelB + (<usize>kc << 5);
    while (pb < end) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      let s = v128.load32_splat(pa);
      x00 = madd(s, b0, x00); x01 = madd(s, b1, x01);
      s = v128.load32_splat(pa, 4);
      x10 = madd(s, b0, x10); x11 = madd(s, b1, x11);
      s = v128.load32_splat(pa, 8);
      x20 = madd(s, b0, x20); x21 = madd(s, b1, x21);
      s = v128.load32_splat(pa, 12);
      x30 = madd(s, b0, x30); x31 = madd(s, b1, x31);

      

      
      pa += 16;
      pb += 32;
    }
    if (relu) {
      const z = f32x4.splat(0);
      x00 = f32x4.max(x00, z); x01 = f32x4.max(x01, z); x10 = f32x4.max(x10, z); x11 = f32x4.max(x11, z);
      x20 = f32x4.max(x20, z); x21 = f32x4.max(x21, z); x30 = f32x4.max(x30, z); x31 = f32x4.max(x31, z);
       
    }
    v128.store(c0, x00); v128.store(c0, x01, 16);
    v128.store(c1, x10); v128.store(c1, x11, 16);
    v128.store(c2, x20); v128.store(c2, x21, 16);
    v128.store(c3, x30); v128.store(c3, x31, 16);
    
    
  } else {
    for (let r = 0; r < MR; r++) {
      const row = c + <usize>r * ldcBytes;
      for (let j = 0; j < NR; j++) {
        const at = row + (<usize>j << 2);
        let s: f32 = start == START_C ? load<f32>(at) : start == START_BIAS ? load<f32>(bias + (<usize>j << 2)) : 0;
        for (let p = 0; p < kc; p++) {
          s += load<f32>(panelA + (<usize>(p * MR + r) << 2)) * load<f32>(panelB + (<usize>(p * NR + j) << 2));
        }
        store<f32>(at, relu ? max<f32>(s, 0) : s);
      }
    }
  }
}

/** Packs A(ic..ic+mc, pc..pc+kc) into 4-row panels [panel][p][4], rows past mc zero. */
function packA(a: usize, ap: usize, ic: i32, mc: i32, pc: i32, kc: i32, lda: i32, trans: bool): void {
  let dst = ap;
  for (let ir = 0; ir < mc; ir += MR) {
    const h = min(MR, mc - ir);
    const i = ic + ir;
    if (ASC_FEATURE_SIMD && h == MR && trans) {
      // A(i, p) = a[p·lda + i]: the panel's 4 floats of each p are contiguous
      let src = a + ((<usize>pc * <usize>lda + <usize>i) << 2);
      for (let p = 0; p < kc; p++) {
        v128.store(dst + (<usize>p << 4), v128.load(src));
        src += <usize>lda << 2;
      }
    } else if (ASC_FEATURE_SIMD && h == MR) {
      transpose4(a + ((<usize>i * <usize>lda + <usize>pc) << 2), <usize>lda << 2, dst, MR << 2, kc);
    } else {
      if (h < MR) memory.fill(dst, 0, <usize>(kc * MR) << 2);
      for (let r = 0; r < h; r++) {
        for (let p = 0; p < kc; p++) {
          const at = trans ? <usize>(pc + p) * <usize>lda + <usize>(i + r) : <usize>(i + r) * <usize>lda + <usize>(pc + p);
          store<f32>(dst + (<usize>(p * MR + r) << 2), load<f32>(a + (at << 2)));
        }
      }
    }
    dst += <usize>(kc * MR) << 2;
  }
}

/** Packs B(pc..pc+kc, jc..jc+nc) into 8-column panels [panel][p][8], columns past nc zero. */
function packB(b: usize, bp: usize, pc: i32, kc: i32, jc: i32, nc: i32, ldb: i32, trans: bool): void {
  let dst = bp;
  for (let jr = 0; jr < nc; jr += NR) {
    const w = min(NR, nc - jr);
    const j = jc + jr;
    if (ASC_FEATURE_SIMD && w == NR && !trans) {
      let src = b + ((<usize>pc * <usize>ldb + <usize>j) << 2);
      for (let p = 0; p < kc; p++) {
        v128.store(dst + (<usize>p << 5), v128.load(src));
        v128.store(dst + (<usize>p << 5), v128.load(src, 16), 16);
        src += <usize>ldb << 2;
      }
    } else if (ASC_FEATURE_SIMD && w == NR) {
      // B(p, j) = b[j·ldb + p]: two groups of 4 stored rows, each transposed into half the panel
      const src = b + ((<usize>j * <usize>ldb + <usize>pc) << 2);
      transpose4(src, <usize>ldb << 2, dst, NR << 2, kc);
      transpose4(src + (<usize>ldb << 4), <usize>ldb << 2, dst + 16, NR << 2, kc);
    } else {
      if (w < NR) memory.fill(dst, 0, <usize>(kc * NR) << 2);
      for (let c = 0; c < w; c++) {
        for (let p = 0; p < kc; p++) {
          const at = trans ? <usize>(j + c) * <usize>ldb + <usize>(pc + p) : <usize>(pc + p) * <usize>ldb + <usize>(j + c);
          store<f32>(dst + (<usize>(p * NR + c) << 2), load<f32>(b + (at << 2)));
        }
      }
    }
    dst += <usize>(kc * NR) << 2;
  }
}

/**
 * 4 rows of kc floats (`step` bytes apart from `src`) → for each p, their 4 values at p as one
 * vector at dst + p·`stride`: 4×4 transposes by shuffles, the last kc mod 4 by single floats.
 */
function transpose4(src: usize, step: usize, dst: usize, stride: usize, kc: i32): void {
  const r0 = src, r1 = r0 + step, r2 = r1 + step, r3 = r2 + step;
  const k4 = kc & ~3;
  for (let p = 0; p < k4; p += 4) {
    const o = <usize>p << 2;
    const v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
    const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
    const d = dst + <usize>p * stride;
    v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(d + stride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    v128.store(d + 2 * stride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    v128.store(d + 3 * stride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  }
  for (let p = k4; p < kc; p++) {
    const o = <usize>p << 2;
    const d = dst + <usize>p * stride;
    store<f32>(d, load<f32>(r0 + o)); store<f32>(d, load<f32>(r1 + o), 4);
    store<f32>(d, load<f32>(r2 + o), 8); store<f32>(d, load<f32>(r3 + o), 12);
  }
}
