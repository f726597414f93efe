// Making an image square before it is resized, so shapes are never stretched: the centred square
// (crop, loses the edges) or the whole image on a black square (pad, keeps everything).
import type { RgbaImage } from "./rgba";

/** How a non-square image becomes square. */
export type SquareFit = "crop" | "pad";

/** `img` made square by `fit`; a square image is returned as is. */
export function fitSquare(img: RgbaImage, fit: SquareFit): RgbaImage {
  const { width: w, height: h, data } = img;
  if (w === h) return img;
  const side = fit === "crop" ? Math.min(w, h) : Math.max(w, h);
  const out = new Uint8Array(side * side * 4);
  if (fit === "pad") for (let i = 3; i < out.length; i += 4) out[i] = 255; // opaque black
  // offsets of the source inside the square (pad) or of the square inside the source (crop)
  const dx = Math.floor(Math.abs(w - side) / 2);
  const dy = Math.floor(Math.abs(h - side) / 2);
  const rows = Math.min(h, side);
  const cols = Math.min(w, side);
  for (let y = 0; y < rows; y++) {
    const src = fit === "crop" ? ((y + dy) * w + dx) * 4 : y * w * 4;
    const dst = fit === "crop" ? y * side * 4 : ((y + dy) * side + dx) * 4;
    out.set(data.subarray(src, src + cols * 4), dst);
  }
  return { width: side, height: side, data: out };
}
