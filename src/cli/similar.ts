// `byol similar`: the images of a folder most like a query image, by cosine similarity of the
// checkpoint's representation — the folder embedded once into an index, the query looked up in it.
import { realpathSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { imageFileInto } from "../data/image-folder";
import { SimilarityIndex } from "../eval/similarity-index";
import { normalizationOf } from "../train/setup";
import { num, parse, UsageError } from "./args";
import { BACKEND_FLAGS, backendFlags, say, startBackend } from "./common";
import { learnerFromCheckpoint } from "../train/checkpoint-file";
import { EMBED_CACHE_FLAG, loadRunData, memoryBytesOf } from "./data";
import { helpText, type FlagTable } from "./flags";

/** `byol similar`'s flags. */
export const SIMILAR_FLAGS = {
  checkpoint: { type: "string", value: "DIR", help: "run directory (or its checkpoint.safetensors)" },
  query: { type: "string", value: "IMG", help: "the PNG or JPEG to match, in the folder or not (itself is never a result)" },
  data: { type: "string", value: "DIR", default: "the run's own", help: "the folder of images to search" },
  k: { type: "string", value: "N", default: 10, help: "results" },
  ...EMBED_CACHE_FLAG,
  ...BACKEND_FLAGS,
  json: { type: "boolean", help: 'print {"query": path, "results": [{"path", "similarity"}, …]}' },
} as const satisfies FlagTable;

export const SIMILAR_HELP = helpText("byol similar — the images of a folder most similar to a query image (cosine on the representation)", SIMILAR_FLAGS);

/** Runs `byol similar`; returns the exit code. */
export async function similarCommand(argv: string[]): Promise<number> {
  const v = parse(argv, SIMILAR_FLAGS);
  if (v.help) {
    console.log(SIMILAR_HELP);
    return 0;
  }
  if (!v.checkpoint) throw new UsageError("--checkpoint DIR is required");
  if (!v.query) throw new UsageError("--query IMG is required");
  const query = resolve(v.query as string);
  const kind = statSync(query, { throwIfNoEntry: false });
  if (!kind?.isFile()) throw new UsageError(`--query ${v.query}: ${kind ? "not a file" : "no such file"}`);
  const k = num(v, "k", { min: 1, max: 10_000, integer: true }) ?? 10;
  const memoryBytes = memoryBytesOf(v);
  await startBackend(backendFlags(v));
  const { learner, config, path } = await learnerFromCheckpoint(v.checkpoint as string);
  const data = await loadRunData(config, { path: v.data as string | undefined, limit: 0, size: config.imageSize, channels: config.channels as 1 | 3, runDir: dirname(path), memoryBytes, evaluateWhole: true });
  if (!data.files || !data.prep) throw new UsageError(`--data: similar searches a folder of images; ${v.data ?? "the run's data"} is IDX data`);
  const { prep, train: set } = data;

  const image = new Uint8Array(prep.height * prep.width * prep.channels);
  imageFileInto(query, prep, image);
  const normalization = normalizationOf(config);
  say(`embedding ${set.n} images and the query`);
  const querySet = { images: image, n: 1, height: prep.height, width: prep.width, channels: prep.channels, classes: [] };
  const [bank, one] = [await learner.embed(set, { normalization }), await learner.embed(querySet, { normalization })];
  const index = new SimilarityIndex({ data: bank.representation, shape: [set.n, bank.representation.length / set.n] }, data.files);
  // the query itself is left out under any name (a file gone since loading is not it)
  const self = realpathSync(query);
  const realpath = (file: string) => {
    try {
      return realpathSync(file);
    } catch {
      return file;
    }
  };
  const results = index.query(one.representation, { k, exclude: (file) => realpath(file) === self }).map((r) => ({ path: r.key, similarity: r.similarity }));
  if (v.json) console.log(JSON.stringify({ query, results }));
  else for (const r of results) console.log(`${r.similarity.toFixed(4)}  ${r.path}`);
  return 0;
}
