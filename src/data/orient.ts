// Turning decoded pixels upright by their EXIF orientation (cameras store sensor rows, and say how
// to rotate or mirror them for display).
import type { RgbaImage } from "./rgba";

/**
 * The upright image for EXIF `orientation` 1–8 (PIL's `exif_transpose`: 2 mirror, 3 rotate 180°,
 * 4 flip, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° anticlockwise).
 */
export function orientUpright(img: RgbaImage, orientation: number): RgbaImage {
  if (orientation <= 1 || orientation > 8) return img;
  const { width: w, height: h, data } = img;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(ow * oh * 4);
  // source (sx, sy) of each upright pixel (x, y)
  const source: (x: number, y: number) => [number, number] = [
    (x: number, y: number): [number, number] => [w - 1 - x, y],
    (x: number, y: number): [number, number] => [w - 1 - x, h - 1 - y],
    (x: number, y: number): [number, number] => [x, h - 1 - y],
    (x: number, y: number): [number, number] => [y, x],
    (x: number, y: number): [number, number] => [y, h - 1 - x],
    (x: number, y: number): [number, number] => [w - 1 - y, h - 1 - x],
    (x: number, y: number): [number, number] => [w - 1 - y, x],
  ][orientation - 2];
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [sx, sy] = source(x, y);
      const from = 4 * (sy * w + sx);
      out.set(data.subarray(from, from + 4), 4 * (y * ow + x));
    }
  }
  return { width: ow, height: oh, data: out };
}
