// Node: an embedding's 3-D projection as a self-contained HTML view (`byol embed --html`): the
// points coloured by class, a thumbnail sprite of every image, and each point's nearest neighbours
// in the full representation — which is too big to embed, so its top-k table is precomputed here.
import type { AnyImageSet } from "../data/any-images";
import { writeAtomic } from "../data/write-atomic";
import type { Matrix } from "../eval/features";
import { nearestNeighbours } from "../eval/neighbours";
import { viewHtml } from "./html";
import { viewPageScript } from "./page-script";
import { thumbnailSprite } from "./sprite";

/** Neighbours listed per clicked point. */
export const NEIGHBOURS = 10;

/** What a view shows. */
export interface EmbeddingView {
  /** The images, one per row of the matrices below; labels and classes colour the points. */
  set: AnyImageSet;
  /** The full representation `[N, F]` (neighbours are found in it). */
  representation: Matrix;
  /** Its 3-D projection `[N, 3]`. */
  projected: Matrix;
  method: "pca" | "umap";
  caption: string;
}

const base64 = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

/**
 * The HTML of `view`; `neighbours` ([N, k] from {@link nearestNeighbours}) may be passed to reuse
 * them across projections of the same representation.
 */
export async function embeddingViewHtml(view: EmbeddingView, neighbours?: { k: number; indices: Int32Array }): Promise<string> {
  const { set, representation, projected, method, caption } = view;
  if (projected.shape[1] !== 3) throw new Error(`embedding view: needs a 3-D projection, got ${projected.shape[1]} dims`);
  if (projected.shape[0] !== set.n || representation.shape[0] !== set.n) {
    throw new Error(`embedding view: ${set.n} images but ${representation.shape[0]} representation and ${projected.shape[0]} projected rows`);
  }
  const k = neighbours?.k ?? Math.min(NEIGHBOURS, set.n - 1);
  const indices = neighbours?.indices ?? nearestNeighbours(representation, k);
  const sprite = thumbnailSprite(set);
  const name = method === "pca" ? "PC" : "UMAP";
  return viewHtml({
    caption,
    axes: [`${name}1`, `${name}2`, `${name}3`],
    classes: set.labels ? set.classes : [],
    labels: set.labels ? Array.from(set.labels) : null,
    xyz: base64(projected.data),
    neighbours: { k, indices: base64(indices), representationSize: representation.shape[1] },
    sprite: { png: Buffer.from(sprite.png).toString("base64"), side: sprite.side, columns: sprite.columns },
  }, await viewPageScript());
}

/** Writes the view of `view` to `path` (.html) atomically: a crash never leaves half a file. */
export async function writeEmbeddingView(path: string, view: EmbeddingView): Promise<void> {
  writeAtomic(path, await embeddingViewHtml(view), "embedding view");
}
