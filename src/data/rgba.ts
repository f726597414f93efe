// Decoded RGBA pixels (browser ImageData, decoded PNG/JPEG) to the uint8 NHWC image sets the
// library trains and evaluates on: channel conversion and a resize to one size (area averaging when
// shrinking, bilinear when enlarging).
import { resizeArea } from "./resize-area";
import type { ImageSet } from "./types";

/** Pixels as RGBA bytes, row-major: `ImageData` and decoded PNG/JPEG images have this shape. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** `[height, width]` from a size option (one number for square), validated. */
export function parseSize(size: number | [number, number], who: string): [number, number] {
  const [height, width] = typeof size === "number" ? [size, size] : size;
  if (![height, width].every((s) => Number.isInteger(s) && s > 0)) throw new Error(`${who}: size must be positive integers, got ${size}`);
  return [height, width];
}

/** Checks a channel count option (1 grey or 3 RGB). */
export function checkChannels(channels: number, who: string): 1 | 3 {
  if (channels !== 1 && channels !== 3) throw new Error(`${who}: channels must be 1 or 3, got ${channels}`);
  return channels;
}

/** Drops alpha and converts to `channels` (grey with PIL's integer ITU-R 601 luma weights). */
function toChannels(img: RgbaImage, channels: 1 | 3): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * channels);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    const r = d[4 * i], g = d[4 * i + 1], b = d[4 * i + 2];
    if (channels === 1) out[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
    else {
      out[3 * i] = r;
      out[3 * i + 1] = g;
      out[3 * i + 2] = b;
    }
  }
  return out;
}

/**
 * Writes one RGBA image into `out` (`height × width × channels` bytes) converted and resized
 * (area averaging when shrinking, bilinear when enlarging). `name` identifies the image in errors.
 */
export function rgbaInto(img: RgbaImage, channels: 1 | 3, height: number, width: number, out: Uint8Array, name: string): void {
  if (!(img.width > 0 && img.height > 0) || img.data?.length !== img.width * img.height * 4) {
    throw new Error(`${name}: ${img.data?.length} bytes are not a ${img.width}×${img.height} RGBA image`);
  }
  resizeArea(toChannels(img, channels), img.height, img.width, channels, height, width, out);
}

/** Options of {@link imageSetFromRgba}. */
export interface RgbaSetOptions {
  /** Output size: one number for square images, or `[height, width]`. */
  size: number | [number, number];
  /** 1 (grey) or 3 (RGB, the default). */
  channels?: 1 | 3;
  /** One label per image, indices into `classes`. */
  labels?: ArrayLike<number>;
  classes?: string[];
}

/**
 * An {@link ImageSet} from decoded RGBA images (e.g. `ImageData` from a canvas in the browser),
 * converted to `channels` and resized to `size`.
 */
export function imageSetFromRgba(images: RgbaImage[], options: RgbaSetOptions): ImageSet {
  const [height, width] = parseSize(options.size, "imageSetFromRgba");
  const channels = checkChannels(options.channels ?? 3, "imageSetFromRgba");
  if (images.length === 0) throw new Error("imageSetFromRgba: no images");
  const { labels, classes = [] } = options;
  if (labels && labels.length !== images.length) throw new Error(`imageSetFromRgba: ${labels.length} labels for ${images.length} images`);
  const size = height * width * channels;
  const out = new Uint8Array(images.length * size);
  images.forEach((img, i) => rgbaInto(img, channels, height, width, out.subarray(i * size, (i + 1) * size), `image ${i}`));
  return { images: out, labels: labels && Uint8Array.from(labels), n: images.length, height, width, channels, classes };
}

/**
 * The RGBA pixels of a browser image (`HTMLImageElement`, `ImageBitmap`, canvas), drawn at its
 * natural size on an (offscreen) canvas. Browser only.
 */
export function rgbaOfImage(image: CanvasImageSource & { width: number; height: number }): ImageData {
  const { width, height } = image;
  const canvas = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(width, height) : Object.assign(document.createElement("canvas"), { width, height });
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error("rgbaOfImage: no 2-D canvas context in this environment");
  ctx.drawImage(image, 0, 0);
  return ctx.getImageData(0, 0, width, height);
}
