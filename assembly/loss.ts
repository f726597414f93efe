// Normalized-cosine loss 2 − 2·cos(p, z) per row of a [B, D] pair, its batch mean and the gradient
// of the mean w.r.t. p; and BYOL's symmetric form. Rows are normalized as x / max(‖x‖, 1e-12), which
// is x·rsqrt(max(Σx², 1e-24)) (PyTorch's F.normalize): a zero row gives a finite loss, never NaN.
//
// Gradient of 2 − 2·p̂·ẑ w.r.t. p with r = 1 / max(‖p‖, 1e-12):
//   unclamped (‖p‖ ≥ 1e-12): −2r·(ẑ − (p̂·ẑ)·p̂)
//   clamped   (‖p‖ < 1e-12): −2r·ẑ, because r is then the constant 1e12 and p̂ = r·p is linear in p
// (what autodiff of the clamped formula gives in PyTorch and tfjs). A zero z row gives a zero gradient.

/** Norm clamp: 1e-12 on ‖x‖, i.e. 1e-24 on Σx². */
const EPS: f32 = 1e-12;

// Several results of one pass, kept in globals: they need no memory, so the module stays free of
// data segments and scratch pointers.
let sumPP: f32 = 0;
let sumZZ: f32 = 0;
let sumPZ: f32 = 0;
/** p̂·ẑ of the row last passed to `analyse`. */
let rowCos: f32 = 0;
/** 1 / max(‖p‖, 1e-12) and 1 / max(‖z‖, 1e-12) of that row. */
let rowRP: f32 = 0;
let rowRZ: f32 = 0;
/** Whether ‖p‖ ≥ 1e-12 (the norm depends on p; below the clamp it is a constant). */
let rowPFree: bool = false;

function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Σ(a·p)², Σ(b·z)² and Σ(a·p)(b·z) over d floats into sumPP, sumZZ, sumPZ. */
function rowSums(p: usize, z: usize, d: i32, a: f32, b: f32): void {
  let pp: f32 = 0;
  let zz: f32 = 0;
  let pz: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    let vpp = f32x4.splat(0);
    let vzz = f32x4.splat(0);
    let vpz = f32x4.splat(0);
    for (; i + 4 <= d; i += 4) {
      const off = <usize>i << 2;
      const x = f32x4.mul(v128.load(p + off), va);
      const y = f32x4.mul(v128.load(z + off), vb);
      vpp = f32x4.add(vpp, f32x4.mul(x, x));
      vzz = f32x4.add(vzz, f32x4.mul(y, y));
      vpz = f32x4.add(vpz, f32x4.mul(x, y));
    }
    pp = hsum(vpp);
    zz = hsum(vzz);
    pz = hsum(vpz);
  }
  for (; i < d; i++) {
    const off = <usize>i << 2;
    const x = load<f32>(p + off) * a;
    const y = load<f32>(z + off) * b;
    pp += x * x;
    zz += y * y;
    pz += x * y;
  }
  sumPP = pp;
  sumZZ = zz;
  sumPZ = pz;
}

/** max |x_i| over d floats (0 for d = 0). */
function maxAbs(x: usize, d: i32): f32 {
  let m: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let vm = f32x4.splat(0);
    for (; i + 4 <= d; i += 4) vm = f32x4.max(vm, f32x4.abs(v128.load(x + (<usize>i << 2))));
    m = Mathf.max(Mathf.max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), Mathf.max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
  }
  for (; i < d; i++) m = Mathf.max(m, Mathf.abs(load<f32>(x + (<usize>i << 2))));
  return m;
}

/** Fills rowCos, rowRP, rowRZ, rowPFree for one row pair of d floats. */
function analyse(p: usize, z: usize, d: i32): void {
  let mp: f32 = 1;
  let mz: f32 = 1;
  rowSums(p, z, d, 1, 1);
  if (!isFinite<f32>(sumPP + sumZZ + sumPZ)) {
    // Σx² overflowed (|x| beyond ~1e19): redo on rows scaled to max |x| = 1 (NaN inputs stay NaN)
    mp = maxAbs(p, d);
    mz = maxAbs(z, d);
    if (mp == 0) mp = 1;
    if (mz == 0) mz = 1;
    rowSums(p, z, d, 1 / mp, 1 / mz);
  }
  // the scaled row p/mp has norm √sumPP; p̂ = (p/mp)·kp, and 1 / max(‖p‖, EPS) = kp / mp
  const np = Mathf.sqrt(sumPP);
  const kp: f32 = 1 / Mathf.max(np, EPS / mp);
  const kz: f32 = 1 / Mathf.max(Mathf.sqrt(sumZZ), EPS / mz);
  rowCos = sumPZ * kp * kz;
  rowRP = kp / mp;
  rowRZ = kz / mz;
  rowPFree = np >= EPS / mp;
}

/** g ← k·(a·z − b·p) over d floats. */
function writeGrad(p: usize, z: usize, g: usize, d: i32, a: f32, b: f32, k: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    const vk = f32x4.splat(k);
    for (; i + 4 <= d; i += 4) {
      const off = <usize>i << 2;
      const t = f32x4.sub(f32x4.mul(v128.load(z + off), va), f32x4.mul(v128.load(p + off), vb));
      v128.store(g + off, f32x4.mul(t, vk));
    }
  }
  for (; i < d; i++) {
    const off = <usize>i << 2;
    store<f32>(g + off, (load<f32>(z + off) * a - load<f32>(p + off) * b) * k);
  }
}

/**
 * One direction over a batch: for each row b, loss_b = 2 − 2cos(p_b, z_b) is stored at rows[b]
 * (added to it when `accumulate`), and w·∂loss_b/∂p_b at grad; a zero pointer skips that output.
 * Returns Σ_b loss_b.
 */
function direction(p: usize, z: usize, batch: i32, d: i32, rows: usize, grad: usize, accumulate: bool, w: f32): f64 {
  let total: f64 = 0;
  const stride = <usize>d << 2;
  for (let b = 0; b < batch; b++) {
    const off = <usize>b * stride;
    analyse(p + off, z + off, d);
    const loss: f32 = 2 - 2 * rowCos;
    total += loss;
    if (rows) {
      const r = rows + (<usize>b << 2);
      store<f32>(r, accumulate ? load<f32>(r) + loss : loss);
    }
    // −2r·(ẑ − c·p̂) = −2r·(rz·z − c·r·p), the second term only where the norm is unclamped
    if (grad) writeGrad(p + off, z + off, grad + off, d, rowRZ, rowPFree ? rowCos * rowRP : 0, -2 * rowRP * w);
  }
  return total;
}

/**
 * Normalized-cosine loss of a [batch, d] prediction `p` against a target `z` (row-major f32).
 * Writes the per-row losses (batch floats) to `rows` and the gradient of the mean w.r.t. `p`
 * (batch × d floats) to `grad`; pass 0 to skip either. Returns the mean (batch ≥ 1).
 */
export function cosine_loss(p: usize, z: usize, batch: i32, d: i32, rows: usize, grad: usize): f32 {
  return <f32>(direction(p, z, batch, d, rows, grad, false, 1 / <f32>batch) / batch);
}

/**
 * BYOL's symmetric loss mean_b[(2 − 2cos(q1, z2)) + (2 − 2cos(q2, z1))] over [batch, d] inputs.
 * Writes the per-row sums to `rows` and the gradients of the mean w.r.t. q1 and q2 to `grad1` and
 * `grad2` (0 skips an output). z1 and z2 are the target's outputs: no gradient. Returns the mean.
 */
export function byol_loss(q1: usize, z2: usize, q2: usize, z1: usize, batch: i32, d: i32, rows: usize, grad1: usize, grad2: usize): f32 {
  const w: f32 = 1 / <f32>batch;
  const total = direction(q1, z2, batch, d, rows, grad1, false, w) + direction(q2, z1, batch, d, rows, grad2, true, w);
  return <f32>(total / batch);
}
