// What an embedding view HTML file carries (as JSON in the page), written in Node and read by the
// page script: big arrays as base64 of little-endian typed arrays, the rest as plain JSON.

/** The data of one embedding view. */
export interface ViewData {
  /** The caption over the scatter. */
  caption: string;
  /** Names of the three axes (PC1… or UMAP1…). */
  axes: [string, string, string];
  /** Class names indexed by label; empty when the images are unlabelled. */
  classes: string[];
  /** One label per point, or null. */
  labels: number[] | null;
  /** The points: base64 Float32Array [N, 3]. */
  xyz: string;
  /** Neighbours per point in the full representation (cosine), most similar first. */
  neighbours: { k: number; indices: string; representationSize: number };
  /** Thumbnails of all points, `columns` to a row of the sprite sheet, each `side` × `side` px. */
  sprite: { png: string; side: number; columns: number };
}
