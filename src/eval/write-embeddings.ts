// Node: write an embedding to disk in the format its file extension names.
import { extname } from "node:path";
import { writeAtomic } from "../data/write-atomic";
import { embeddingsToCsv, embeddingsToJson, encodeNpy, type EmbeddingExportOptions } from "./export";
import { toMatrix, type Features } from "./features";

/**
 * Writes `embedding` to `path` as CSV (`.csv`), JSON (`.json`) or numpy (`.npy`, the embedding
 * only: labels and classes go to CSV/JSON). Written to a temporary file and renamed, so a crash
 * never leaves a half-written file under `path`.
 */
export function writeEmbeddings(path: string, embedding: Features, options: EmbeddingExportOptions = {}): void {
  const ext = extname(path).toLowerCase();
  let bytes: Uint8Array | string;
  if (ext === ".csv") bytes = embeddingsToCsv(embedding, options);
  else if (ext === ".json") bytes = embeddingsToJson(embedding, options);
  else if (ext === ".npy") {
    const m = toMatrix(embedding, "embedding");
    bytes = encodeNpy(m.data, m.shape);
  } else throw new Error(`${path}: unknown embedding format "${ext}": use .csv, .json or .npy`);
  writeAtomic(path, bytes, "embedding");
}
