// Resizing without aliasing: along an axis that shrinks, each output pixel is the average of the
// source area it covers (OpenCV INTER_AREA, PIL's box filter), so fine detail averages out instead
// of being sampled into moiré; along an axis that grows (or keeps its size) it is bilinear.

/** Each output position's source taps along one axis: indices and weights summing to 1. */
interface AxisTaps {
  index: Int32Array[];
  weight: Float32Array[];
}

function axisTaps(inSize: number, outSize: number): AxisTaps {
  const scale = inSize / outSize;
  const index: Int32Array[] = [];
  const weight: Float32Array[] = [];
  for (let o = 0; o < outSize; o++) {
    if (scale > 1) {
      // the source interval [o·scale, (o+1)·scale), each pixel weighted by the part it covers
      const a = o * scale, b = Math.min((o + 1) * scale, inSize);
      const first = Math.floor(a), last = Math.min(Math.ceil(b), inSize) - 1;
      index.push(Int32Array.from({ length: last - first + 1 }, (_, k) => first + k));
      weight.push(Float32Array.from({ length: last - first + 1 }, (_, k) => (Math.min(b, first + k + 1) - Math.max(a, first + k)) / scale));
    } else {
      // half-pixel centres, clamped at the borders (as resizeBilinear)
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
      const lo = Math.floor(x), hi = Math.min(lo + 1, inSize - 1);
      index.push(Int32Array.of(lo, hi));
      weight.push(Float32Array.of(1 - (x - lo), x - lo));
    }
  }
  return { index, weight };
}

/**
 * Resizes one `height × width × channels` uint8 image to `outHeight × outWidth`: area averaging
 * along a shrinking axis, bilinear along a growing one, rounded to nearest. Writes into `out` when
 * given.
 */
export function resizeArea(
  src: Uint8Array, height: number, width: number, channels: number, outHeight: number, outWidth: number, out?: Uint8Array,
): Uint8Array {
  if (src.length !== height * width * channels) {
    throw new Error(`resizeArea: ${src.length} bytes do not make a ${height}×${width}×${channels} image`);
  }
  const xs = axisTaps(width, outWidth);
  const ys = axisTaps(height, outHeight);
  // rows first (height × outWidth, float), then columns
  const mid = new Float32Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let ox = 0; ox < outWidth; ox++) {
      const idx = xs.index[ox], w = xs.weight[ox];
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < idx.length; k++) s += w[k] * src[(y * width + idx[k]) * channels + c];
        mid[(y * outWidth + ox) * channels + c] = s;
      }
    }
  }
  const dst = out ?? new Uint8Array(outHeight * outWidth * channels);
  const row = outWidth * channels;
  for (let oy = 0; oy < outHeight; oy++) {
    const idx = ys.index[oy], w = ys.weight[oy];
    for (let i = 0; i < row; i++) {
      let s = 0;
      for (let k = 0; k < idx.length; k++) s += w[k] * mid[idx[k] * row + i];
      dst[oy * row + i] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return dst;
}
