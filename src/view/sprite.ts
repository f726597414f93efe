// Node: the thumbnails of an image set as one PNG sprite sheet. Shrunk by box averaging until the
// sheet fits a pixel budget, so the viewer file stays a few MB whatever the number of images.
import { PNG } from "pngjs";
import { imageRange, type AnyImageSet } from "../data/any-images";

/** A sprite sheet: image i is the `side`-px square at column i % columns, row ⌊i / columns⌋. */
export interface Sprite {
  png: Uint8Array;
  side: number;
  columns: number;
}

// 2M pixels: 10,000 thumbnails of 14 × 14 or 2,551 of 28 × 28 (about 1.2 MB of PNG for Fashion-MNIST)
const PIXEL_BUDGET = 2_000_000;

/** Every image of `set` shrunk by the smallest integer factor that fits the budget (a streamed set read image by image). */
export function thumbnailSprite(set: AnyImageSet): Sprite {
  const { n, height, width, channels } = set;
  if (channels !== 1 && channels !== 3) throw new Error(`thumbnails: images must have 1 or 3 channels, got ${channels}`);
  const factor = Math.max(1, Math.ceil(Math.sqrt((n * height * width) / PIXEL_BUDGET)));
  const side = Math.ceil(Math.max(height, width) / factor);
  const columns = Math.max(1, Math.ceil(Math.sqrt(n)));
  const sheetW = columns * side;
  const sheetH = Math.max(1, Math.ceil(n / columns)) * side;
  const sheet = Buffer.alloc(sheetW * sheetH * channels, 255);
  const buffer = new Uint8Array(height * width * channels);
  for (let i = 0; i < n; i++) {
    const image = imageRange(set, i, i + 1, buffer);
    const [ox, oy] = [(i % columns) * side, Math.floor(i / columns) * side];
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          let count = 0;
          for (let yy = y * factor; yy < Math.min(height, (y + 1) * factor); yy++) {
            for (let xx = x * factor; xx < Math.min(width, (x + 1) * factor); xx++) {
              sum += image[(yy * width + xx) * channels + c];
              count++;
            }
          }
          if (count) sheet[((oy + y) * sheetW + ox + x) * channels + c] = Math.round(sum / count);
        }
      }
    }
  }
  const colorType = channels === 1 ? 0 : 2;
  const png = new PNG({ width: sheetW, height: sheetH, colorType, inputColorType: colorType, inputHasAlpha: false });
  png.data = sheet;
  return { png: PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false }), side, columns };
}
