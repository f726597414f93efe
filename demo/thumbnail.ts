// One image of an image set (grey or RGB bytes) drawn at its own size on a canvas, for the scatter's hover box.
import type { ImageSet } from "../src/index";

/** Draws image `i` of `set` into `into`, resizing the canvas to the image. */
export function drawImage(set: ImageSet, i: number, into: HTMLCanvasElement): void {
  const { width, height, channels, images } = set;
  const pixels = new ImageData(width, height);
  const from = i * width * height * channels;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) pixels.data[4 * p + c] = images[from + p * channels + (channels === 1 ? 0 : c)];
    pixels.data[4 * p + 3] = 255;
  }
  [into.width, into.height] = [width, height];
  into.getContext("2d")!.putImageData(pixels, 0, 0);
}
