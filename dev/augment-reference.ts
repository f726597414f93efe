// A straightforward plain-TypeScript implementation of the augmentation ops (torchvision 0.14
// semantics, one HWC image at a time, doubles), the reference for the kernel tests and the
// plain-TS baseline of bench/augment.ts.
import type { JitterOp, KernelViewPolicy, SampleParams } from "../bindings/augment";

/** One image: HWC floats. */
export interface Img {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);
const grey = (d: Float32Array, i: number) => 0.2989 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
function map(img: Img, f: (v: number, i: number) => number): Img {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(img.data[i], i);
  return { ...img, data: out };
}

/** Source index pairs and weights of align_corners=False bilinear sampling along one axis. */
function axis(inSize: number, outSize: number): Array<{ i0: number; i1: number; l: number }> {
  return Array.from({ length: outSize }, (_, o) => {
    const src = Math.max((inSize / outSize) * (o + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    return { i0, i1: Math.min(i0 + 1, inSize - 1), l: src - i0 };
  });
}

/** torchvision resized_crop: box then bilinear resize, align_corners=False, antialias off. */
export function resizedCrop(img: Img, top: number, left: number, bh: number, bw: number, oh: number, ow: number): Img {
  const { data, w, c } = img;
  const out = new Float32Array(oh * ow * c);
  const ys = axis(bh, oh);
  const xs = axis(bw, ow);
  for (let y = 0; y < oh; y++) {
    const r0 = (top + ys[y].i0) * w + left;
    const r1 = (top + ys[y].i1) * w + left;
    const ly = ys[y].l;
    for (let x = 0; x < ow; x++) {
      const { i0, i1, l: lx } = xs[x];
      for (let ch = 0; ch < c; ch++) {
        const top0 = data[(r0 + i0) * c + ch] * (1 - lx) + data[(r0 + i1) * c + ch] * lx;
        const bottom = data[(r1 + i0) * c + ch] * (1 - lx) + data[(r1 + i1) * c + ch] * lx;
        out[(y * ow + x) * c + ch] = top0 * (1 - ly) + bottom * ly;
      }
    }
  }
  return { data: out, h: oh, w: ow, c };
}

export function hflip(img: Img): Img {
  return map(img, (_, i) => {
    const px = Math.floor(i / img.c);
    const x = px % img.w;
    return img.data[(px - x + img.w - 1 - x) * img.c + (i % img.c)];
  });
}

export const brightness = (img: Img, f: number): Img => map(img, (v) => clamp01(f * v));

export function contrast(img: Img, f: number): Img {
  let sum = 0;
  for (let i = 0; i < img.data.length; i += img.c) sum += img.c === 3 ? grey(img.data, i) : img.data[i];
  const mean = sum / (img.h * img.w);
  return map(img, (v) => clamp01(f * v + (1 - f) * mean));
}

export function saturation(img: Img, f: number): Img {
  if (img.c === 1) return img;
  return map(img, (v, i) => clamp01(f * v + (1 - f) * grey(img.data, i - (i % 3))));
}

export function grayscale(img: Img): Img {
  if (img.c === 1) return img;
  return map(img, (_, i) => grey(img.data, i - (i % 3)));
}

/** torchvision _rgb2hsv, shift, _hsv2rgb. */
export function hue(img: Img, shift: number): Img {
  if (img.c === 1) return img;
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i += 3) {
    const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
    const v = Math.max(r, g, b);
    const cr = v - Math.min(r, g, b);
    const s = cr / (cr === 0 ? 1 : v);
    const d = cr === 0 ? 1 : cr;
    const [rc, gc, bc] = [(v - r) / d, (v - g) / d, (v - b) / d];
    let h = v === r ? bc - gc : v === g ? 2 + rc - bc : 4 + gc - rc;
    h = (h / 6 + 1) % 1;
    h = (((h + shift) % 1) + 1) % 1;
    const k = Math.floor(h * 6);
    const f = h * 6 - k;
    const p = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    const rgb = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][k % 6];
    out.set(rgb, i);
  }
  return { ...img, data: out };
}

/** Reflect padding's index for any offset (mirror without repeating the edge). */
export function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

/** torchvision gaussian_blur: 2-D kernel (outer product of the 1-D gaussian), reflect padding. */
export function blur(img: Img, k: number, sigma: number): Img {
  const { data, h, w, c } = img;
  const half = (k - 1) / 2;
  const g = Array.from({ length: k }, (_, i) => Math.exp(-0.5 * ((i - half) / sigma) ** 2));
  const sum = g.reduce((a, b) => a + b, 0);
  const wt = g.map((v) => v / sum);
  // reflected source row / column of each output position and tap
  const rows = Array.from({ length: h * k }, (_, i) => reflect(Math.floor(i / k) + (i % k) - half, h));
  const cols = Array.from({ length: w * k }, (_, i) => reflect(Math.floor(i / k) + (i % k) - half, w));
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let i = 0; i < k; i++) {
          const row = rows[y * k + i] * w;
          for (let j = 0; j < k; j++) acc += wt[i] * wt[j] * data[(row + cols[x * k + j]) * c + ch];
        }
        out[(y * w + x) * c + ch] = acc;
      }
    }
  }
  return { ...img, data: out };
}

export const solarize = (img: Img, threshold: number): Img => map(img, (v) => (v >= threshold ? 1 - v : v));

export function normalize(img: Img, mean: readonly number[], std: readonly number[]): Img {
  return map(img, (v, i) => (v - mean[i % img.c]) / std[i % img.c]);
}

const JITTER: Record<JitterOp, (img: Img, f: number) => Img> = { brightness, contrast, saturation, hue };

function colourAndBlur(img: Img, q: SampleParams): Img {
  for (const op of q.jitter?.order ?? []) img = JITTER[op](img, q.jitter![op]);
  if (q.grayscale) img = grayscale(img);
  if (q.blur) img = blur(img, q.blur.kernelSize, q.blur.sigma);
  return img;
}

/** One sample through the whole view pipeline with given parameters. */
export function augmentReference(img: Img, q: SampleParams, policy: KernelViewPolicy, oh: number, ow: number): Img {
  const cropLast = policy.order === "crop-last";
  if (cropLast) img = colourAndBlur(img, q);
  img = resizedCrop(img, q.crop.top, q.crop.left, q.crop.height, q.crop.width, oh, ow);
  if (q.flip) img = hflip(img);
  if (!cropLast) img = colourAndBlur(img, q);
  if (q.solarize && policy.solarize) img = solarize(img, policy.solarize.threshold);
  if (policy.normalize) img = normalize(img, policy.normalize.mean, policy.normalize.std);
  return img;
}

/** torchvision-style parameter draws with a plain JS generator (the plain-TS baseline's own draws). */
export function drawReference(policy: KernelViewPolicy, h: number, w: number, random: () => number): SampleParams {
  const u = (a: number, b: number) => a + (b - a) * random();
  let crop = { top: 0, left: 0, height: h, width: w };
  let cropTries = 0;
  if (policy.crop) {
    const { scale, ratio } = policy.crop;
    cropTries = 11;
    crop = { top: 0, left: 0, height: h, width: w };
    for (let t = 0; t < 10; t++) {
      const area = h * w * u(scale[0], scale[1]);
      const aspect = Math.exp(u(Math.log(ratio[0]), Math.log(ratio[1])));
      const cw = Math.round(Math.sqrt(area * aspect));
      const ch = Math.round(Math.sqrt(area / aspect));
      if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
        crop = { top: Math.floor(random() * (h - ch + 1)), left: Math.floor(random() * (w - cw + 1)), height: ch, width: cw };
        cropTries = t + 1;
        break;
      }
    }
  }
  const j = policy.jitter;
  let jitter: SampleParams["jitter"] = null;
  if (j && random() < j.p) {
    const order = (["brightness", "contrast", "saturation", "hue"] as const).filter((op) => j[op]);
    if (j.randomOrder) order.sort(() => random() - 0.5);
    const f = (op: JitterOp, id: number) => (j[op] ? u(j[op]![0], j[op]![1]) : id);
    jitter = { brightness: f("brightness", 1), contrast: f("contrast", 1), saturation: f("saturation", 1), hue: f("hue", 0), order };
  }
  const b = policy.blur;
  return {
    crop,
    cropTries,
    flip: random() < policy.flip,
    jitter,
    grayscale: random() < policy.grayscale,
    blur: b && random() < b.p ? { sigma: u(b.sigma[0], b.sigma[1]), kernelSize: b.kernelSize } : null,
    solarize: random() < (policy.solarize?.p ?? 0),
  };
}
