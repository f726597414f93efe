// `byol embed`: the online representation of Fashion-MNIST images or an image folder, projected to
// a few dimensions (PCA or UMAP) and written as CSV, JSON or .npy with labels — the 3-D picture to
// look at.
import { dirname } from "node:path";
import { select, type AnyImageSet } from "../data/any-images";
import { heldOutSplit } from "../data/batches";
import { pca } from "../eval/pca";
import { umapEmbed } from "../eval/umap";
import { writeEmbeddings } from "../eval/write-embeddings";
import { writeEmbeddingView } from "../view/embedding-view";
import { choice, num, parse, UsageError } from "./args";
import { BACKEND_FLAGS, backendFlags, say, startBackend } from "./common";
import { learnerFromCheckpoint } from "../train/checkpoint-file";
import { EMBED_CACHE_FLAG, loadRunData, memoryBytesOf } from "./data";
import { helpText, type FlagTable } from "./flags";
import { normalizationOf } from "../train/setup";

/** `byol embed`'s flags. */
export const EMBED_FLAGS = {
  checkpoint: { type: "string", value: "DIR", help: "run directory (or its checkpoint.safetensors)" },
  out: { type: "string", value: "FILE", help: ".csv, .json or .npy (labels and class names go to CSV/JSON)" },
  html: { type: "string", value: "FILE", help: "also (or only) a self-contained 3-D view: rotate, point at images, click for neighbours" },
  dims: { type: "string", value: "K", default: 3, help: "output dimensions; 0 writes the full representation" },
  projection: { type: "string", choices: ["pca", "umap"], default: "pca", help: "the projection (UMAP on many points takes minutes)" },
  method: { type: "string", value: "NAME", help: "the old name of --projection: refused (--method names byol train's method)" },
  split: { type: "string", choices: ["test", "train"], default: "test", help: "IDX data: the file to embed; an image folder is embedded whole" },
  limit: { type: "string", value: "N", help: "a random sample of N images (fixed by the run's seed)" },
  data: { type: "string", value: "PATH", default: "the run's own data", help: "IDX files or a folder of images" },
  ...EMBED_CACHE_FLAG,
  ...BACKEND_FLAGS,
} as const satisfies FlagTable;

export const EMBED_HELP = helpText("byol embed — write the online representation of images, projected to a few dimensions", EMBED_FLAGS);

/** Runs `byol embed`; returns the exit code. */
export async function embedCommand(argv: string[]): Promise<number> {
  const v = parse(argv, EMBED_FLAGS);
  if (v.help) {
    console.log(EMBED_HELP);
    return 0;
  }
  if (!v.checkpoint) throw new UsageError("--checkpoint DIR is required");
  const out = v.out as string | undefined;
  const html = v.html as string | undefined;
  if (html !== undefined && !/\.html?$/i.test(html)) throw new UsageError(`--html must name a .html file, got ${JSON.stringify(html)}`);
  if (out === undefined && html === undefined) throw new UsageError("--out FILE or --html FILE is required");
  if (out !== undefined && !/\.(csv|json|npy)$/i.test(out)) throw new UsageError(`--out must name a .csv, .json or .npy file, got ${JSON.stringify(out)}`);
  const dims = num(v, "dims", { min: 0, integer: true }) ?? 3;
  // --method was this flag's name before it named the training method (byol train --method)
  if (v.method !== undefined) throw new UsageError(`--method ${v.method}: the projection is --projection pca|umap (--method names byol train's method)`);
  const method = choice(v, "projection", EMBED_FLAGS.projection.choices) ?? "pca";
  if (html !== undefined && dims !== 3) throw new UsageError(`--html draws 3-D: --dims must be 3, got ${dims}`);
  const split = choice(v, "split", EMBED_FLAGS.split.choices) ?? "test";
  const limit = num(v, "limit", { min: 2, integer: true });
  const memoryBytes = memoryBytesOf(v);
  await startBackend(backendFlags(v));
  const { learner, config, path } = await learnerFromCheckpoint(v.checkpoint as string);
  const data = await loadRunData(config, { path: v.data as string | undefined, limit: 0, size: config.imageSize, channels: config.channels as 1 | 3, runDir: dirname(path), memoryBytes, evaluateWhole: true });
  let set: AnyImageSet = data.files ? data.train : data.split![split]; // a folder (its files known) is embedded whole
  if (limit && limit < set.n) set = select(set, heldOutSplit(set.n, limit, config.seed).heldOut);
  const { representation } = await learner.embed(set, { normalization: normalizationOf(config) });
  const full = { data: representation, shape: [set.n, learner.representationSize] as [number, number] };
  if (dims > learner.representationSize) throw new UsageError(`--dims ${dims} exceeds the ${learner.representationSize}-d representation`);
  let projected = full;
  if (dims > 0) {
    say(`projecting ${set.n} × ${learner.representationSize} to ${dims}-D with ${method.toUpperCase()}`);
    projected = method === "pca" ? pca(full, dims).projected : umapEmbed(full, { dims, seed: config.seed });
  }
  if (out !== undefined) {
    writeEmbeddings(out, projected, { labels: set.labels, classes: set.classes });
    say(`wrote ${out}: ${set.n} rows × ${projected.shape[1]} dims`);
  }
  if (html !== undefined) {
    await writeEmbeddingView(html, { set, representation: full, projected, method, caption: `${set.n} ${split} images of ${v.checkpoint}, ${method.toUpperCase()} → 3-D` });
    say(`wrote ${html}: a 3-D view of ${set.n} images`);
  }
  return 0;
}
