// All eigenvalues of a symmetric matrix, in float64: Householder reduction to tridiagonal form,
// then the implicit QL iteration with Wilkinson-style shifts — O(n³) with a small constant, no
// eigenvectors (the spectrum is all an effective rank needs).

/** Tridiagonal form of symmetric `a` (n×n row-major, overwritten): diagonal `d`, sub-diagonal `e[1..n-1]`. */
function tridiagonalize(a: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const row = i * n;
    let scale = 0;
    for (let k = 0; k <= l; k++) scale += Math.abs(a[row + k]);
    if (l === 0 || scale === 0) {
      e[i] = a[row + l];
      continue;
    }
    // the reflector that zeroes row i left of its sub-diagonal entry, applied from both sides
    let h = 0;
    for (let k = 0; k <= l; k++) {
      a[row + k] /= scale;
      h += a[row + k] * a[row + k];
    }
    let f = a[row + l];
    let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
    e[i] = scale * g;
    h -= f * g;
    a[row + l] = f - g;
    f = 0;
    for (let j = 0; j <= l; j++) {
      g = 0;
      for (let k = 0; k <= j; k++) g += a[j * n + k] * a[row + k];
      for (let k = j + 1; k <= l; k++) g += a[k * n + j] * a[row + k];
      e[j] = g / h;
      f += e[j] * a[row + j];
    }
    const hh = f / (h + h);
    for (let j = 0; j <= l; j++) {
      f = a[row + j];
      g = e[j] -= hh * f;
      for (let k = 0; k <= j; k++) a[j * n + k] -= f * e[k] + g * a[row + k];
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  return { d, e };
}

/** Eigenvalues of the symmetric tridiagonal (d, e) by implicit QL; `d` is overwritten with them. */
function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) if (Math.abs(e[m]) <= Number.EPSILON * (Math.abs(d[m]) + Math.abs(d[m + 1]))) break;
      if (m === l) break;
      if (iter === 60) throw new Error("symmetricEigenvalues: the QL iteration did not converge");
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i], b = c * e[i];
        e[i + 1] = r = Math.hypot(f, g);
        if (r === 0) {
          // split: the rest of the matrix decouples
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d;
}

/** The eigenvalues (unsorted) of the symmetric n×n row-major matrix `a` (left unchanged). */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new Error(`symmetricEigenvalues: ${a.length} values do not make a ${n}×${n} matrix`);
  if (n === 0) return new Float64Array(0);
  const { d, e } = tridiagonalize(a.slice(), n);
  return tridiagonalEigenvalues(d, e);
}
