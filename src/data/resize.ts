// Bilinear resize of uint8 HWC images with half-pixel centres (OpenCV INTER_LINEAR, tf.image.resizeBilinear
// with halfPixelCenters). No antialiasing: strong downscales sample rather than average.

/** Source sample positions and weights along one axis, computed once per resize. */
function axisTaps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
    lo[o] = Math.floor(x);
    hi[o] = Math.min(lo[o] + 1, inSize - 1);
    frac[o] = x - lo[o];
  }
  return { lo, hi, frac };
}

/**
 * Resizes one `height × width × channels` uint8 image to `outHeight × outWidth` (bilinear,
 * rounded to nearest). Writes into `out` when given.
 */
export function resizeBilinear(
  src: Uint8Array, height: number, width: number, channels: number, outHeight: number, outWidth: number, out?: Uint8Array,
): Uint8Array {
  if (src.length !== height * width * channels) {
    throw new Error(`resizeBilinear: ${src.length} bytes do not make a ${height}×${width}×${channels} image`);
  }
  const dst = out ?? new Uint8Array(outHeight * outWidth * channels);
  const ys = axisTaps(height, outHeight);
  const xs = axisTaps(width, outWidth);
  for (let oy = 0; oy < outHeight; oy++) {
    const r0 = ys.lo[oy] * width, r1 = ys.hi[oy] * width, fy = ys.frac[oy];
    for (let ox = 0; ox < outWidth; ox++) {
      const c0 = xs.lo[ox], c1 = xs.hi[ox], fx = xs.frac[ox];
      for (let c = 0; c < channels; c++) {
        const a = src[(r0 + c0) * channels + c], b = src[(r0 + c1) * channels + c];
        const d = src[(r1 + c0) * channels + c], e = src[(r1 + c1) * channels + c];
        const top = a + (b - a) * fx;
        const bottom = d + (e - d) * fx;
        dst[(oy * outWidth + ox) * channels + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return dst;
}
