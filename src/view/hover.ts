// The image under the pointer, shown beside it: the `byol embed --html` page and the demo share it.
import type { Scatter3D } from "./scatter3d";

/**
 * While the pointer is on a point of `scatter`, shows `box` (a hidden element holding a canvas and
 * a span) beside it with the point's image, drawn by `thumbnail` into the canvas, and `label`.
 * `box.dataset.point` holds the point shown.
 */
export function showImageOnHover(scatter: Scatter3D, box: HTMLElement, thumbnail: (i: number, into: HTMLCanvasElement) => void, label: (i: number) => string): void {
  scatter.onHover = (i, x, y) => {
    box.hidden = i < 0;
    box.dataset.point = String(i);
    if (i < 0) return;
    thumbnail(i, box.querySelector("canvas")!);
    box.querySelector("span")!.textContent = label(i);
    // beside the pointer, flipped to the other side near the window's right and bottom edges
    box.style.left = `${x + 16 + box.offsetWidth > innerWidth ? x - 16 - box.offsetWidth : x + 16}px`;
    box.style.top = `${y + 16 + box.offsetHeight > innerHeight ? y - 16 - box.offsetHeight : y + 16}px`;
  };
}
