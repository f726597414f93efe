// UMAP (umap-js) of a representation, seeded so the same features give the same picture.
import { UMAP } from "umap-js";
import { deriveSeed, uniformGenerator } from "../util/random";
import { toMatrix, type Features, type Matrix } from "./features";

/** Options of {@link umapEmbed}. */
export interface UmapOptions {
  /** Output dimensions (default 3). */
  dims?: number;
  /** Neighbourhood size (default 15, capped at N − 1). */
  nNeighbors?: number;
  /** Minimum distance between embedded points (default 0.1). */
  minDist?: number;
  /** Optimization epochs (default: umap-js's choice by data size). */
  nEpochs?: number;
  /** Seed of every random draw (default 0). */
  seed?: number;
}

/** UMAP embedding `[N, dims]` of `features` ([N, F], N ≥ 3); deterministic for a given seed. */
export function umapEmbed(features: Features, options: UmapOptions = {}): Matrix {
  const { data, shape: [n, f] } = toMatrix(features, "features");
  const dims = options.dims ?? 3;
  if (n < 3) throw new Error(`umap: needs at least 3 rows, got ${n}`);
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`umap: dims must be a positive integer, got ${dims}`);
  const umap = new UMAP({
    nComponents: dims,
    nNeighbors: Math.min(options.nNeighbors ?? 15, n - 1),
    minDist: options.minDist ?? 0.1,
    nEpochs: options.nEpochs,
    random: uniformGenerator(deriveSeed(options.seed ?? 0, 1)),
  });
  const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * f, (i + 1) * f)));
  const out = umap.fit(rows);
  return { data: Float32Array.from(out.flat()), shape: [n, dims] };
}
