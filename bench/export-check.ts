// Writes what bench/export-check.py compares a torchvision export with: random images (NHWC,
// inputs.npy) and byol-ts' representations of them, eval mode — the global pool (avgpool.npy) and,
// when the run's representation is a grid, that too (gridG.npy). See docs/export.md.
// Run: node --import tsx bench/export-check.ts RUN_DIR OUT_DIR
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setBackend } from "../src/backend";
import { learnerFromCheckpoint } from "../src/train/checkpoint-file";
import { encodeNpy } from "../src/eval/export";
import { representationOf } from "../src/train/config";

const [run, out] = process.argv.slice(2);
if (!run || !out) throw new Error("usage: node --import tsx bench/export-check.ts RUN_DIR OUT_DIR");
await setBackend("cpu");
const { learner, config } = await learnerFromCheckpoint(run);
const shape: [number, number, number, number] = [4, config.imageSize, config.imageSize, config.channels];
const x = tf.randomNormal(shape, 0, 1, "float32", 1) as tf.Tensor4D;
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "inputs.npy"), encodeNpy(x.dataSync() as Float32Array, shape));
const taps = [...new Set(["avgpool", representationOf(config)])].filter((t) => t === "avgpool" || /^grid\d$/.test(t));
for (const tap of taps) {
  const { representation } = await learner.embed(x, { tap });
  writeFileSync(join(out, `${tap}.npy`), encodeNpy(representation, [4, representation.length / 4]));
  console.log(`${join(out, tap)}.npy: [4, ${representation.length / 4}]`);
}
