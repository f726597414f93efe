// `byol train --init-from FILE`: a torchvision state dict starts the online encoder and, as a copy,
// the target; `byol export --format torchvision` loads back exactly; a missing file, a folder, other
// bytes, a training checkpoint and a state dict of another architecture stop with a message naming
// the flag, the file and (for shapes) the tensor. In process: no child start-up cost.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../src/cli/args";
import { exportCommand } from "../src/cli/export";
import { initEncoder, readInitWeights } from "../src/cli/init-from";
import { train } from "../src/cli/train";
import { parseSafetensors, writeSafetensors, type SafeTensor } from "../src/io/safetensors";
import { exportTorchvisionWeights, loadTorchvisionWeights } from "../src/io/torchvision";
import { readCheckpointInfo, serializeCheckpoint } from "../src/train/checkpoint";
import { writeCheckpointFile } from "../src/train/checkpoint-file";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildEncoder, buildLearner } from "../src/train/setup";
import { randn, relL2 } from "./helpers";
import { pngBytes } from "./image-files";

const dir = mkdtempSync(join(tmpdir(), "byol-init-from-"));
const images = join(dir, "images");
/** What `byol train --arch small-cnn --width 4` builds for the 12-px grey images below. */
const CONFIG: RunConfig = { ...DEFAULT_RUN, encoder: { ...DEFAULT_RUN.encoder, width: 4 }, imageSize: 12, channels: 1 };
const TRAIN = ["--data", images, "--arch", "small-cnn", "--batch", "8", "--steps", "1", "--final", "none", "--backend", "wasm", "--threads", "1", "--quiet"];
const exported = join(dir, "exported.safetensors");

/** Runs `byol train` in process; resolves to what it said on stderr. */
async function trainHere(args: string[]): Promise<string> {
  let said = "";
  vi.spyOn(process.stderr, "write").mockImplementation((text: string | Uint8Array) => ((said += text), true));
  expect(await train([...TRAIN, "--width", "4", ...args])).toBe(0);
  return said;
}

/** Every weight of a model by its tfjs name. */
const weightsOf = (model: tf.LayersModel) => new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));

afterEach(() => vi.restoreAllMocks());

beforeAll(async () => {
  await tf.setBackend("cpu");
  mkdirSync(images);
  // grey PNGs of 12 px: what CONFIG describes
  for (let i = 0; i < 16; i++) writeFileSync(join(images, `${i}.png`), pngBytes(12, 12, Uint8Array.from({ length: 12 * 12 * 4 }, (_, j) => (j % 4 === 3 ? 255 : (i * 37 + (j >> 2) * 11) % 256)), 0));
  // a trained run to export: a learner of another seed than the one train builds
  const learner = await buildLearner({ ...CONFIG, seed: 7 });
  writeCheckpointFile(join(dir, "run"), await serializeCheckpoint(learner, { step: 1, position: { epoch: 0, batch: 0 }, optimizer: { step: 1, slots: {} } }, { config: CONFIG }));
  learner.dispose();
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  expect(await exportCommand(["--checkpoint", join(dir, "run"), "--format", "torchvision", "--out", exported, "--backend", "cpu"])).toBe(0);
});

describe("byol train --init-from", () => {
  it("sets every tensor of the online encoder to the file's, BN statistics included, and the target to a copy", async () => {
    // a state dict far from any initialization: random values everywhere, positive variances
    const tensors: Record<string, SafeTensor> = {};
    Object.entries(exportTorchvisionWeights(buildEncoder(CONFIG))).forEach(([name, t], i) => {
      const values = randn(t.data.length, 50 + i, 0.3);
      tensors[name] = { ...t, data: name.endsWith("running_var") ? values.map(Math.abs) : values };
    });
    const path = join(dir, "random.safetensors");
    writeFileSync(path, writeSafetensors({ ...tensors, "fc.weight": { dtype: "F32", shape: [10, 16], data: new Float32Array(160) } }));
    const learner = await buildLearner(CONFIG);
    expect(initEncoder(learner, readInitWeights(path), CONFIG)).toBe(`encoder: initialized from ${path} (${Object.keys(tensors).length} tensors, the target a copy; ignored the classifier fc.weight)`);
    expect(exportTorchvisionWeights(learner.onlineEncoderAt() as tf.LayersModel)).toEqual(tensors);
    const target = learner.models.find(([name]) => name === "target.encoder")![1];
    expect(weightsOf(target)).toEqual(weightsOf(learner.onlineEncoder!));
    learner.dispose();
  });

  it("loads byol export's torchvision file back: the trained encoder's weights equal the exported ones", async () => {
    const out = join(dir, "from-export");
    // a learning rate of 0 leaves the trainable weights as initialized through the one step
    const said = await trainHere(["--init-from", exported, "--lr", "0", "--out", out]);
    expect(said).toContain(`encoder: initialized from ${exported} (`);
    const want = buildEncoder(CONFIG);
    loadTorchvisionWeights(want, parseSafetensors(readFileSync(exported)).tensors);
    const { tensors } = parseSafetensors(readFileSync(join(out, "checkpoint.safetensors")));
    const config = readCheckpointInfo(readFileSync(join(out, "checkpoint.safetensors")), out).config as RunConfig;
    expect(config.initFrom).toBe(exported);
    expect(config.normalization).toBeUndefined(); // imported weights keep the statistics they expect
    for (const w of want.trainableWeights) {
      const name = w.originalName;
      expect(tensors[`online.encoder/${name}`].data, name).toEqual(w.read().dataSync());
      // the target moved by a moving average of equal tensors: float rounding only
      expect(relL2(tensors[`target.encoder/${name}`].data as Float32Array, w.read().dataSync() as Float32Array), name).toBeLessThan(1e-6);
    }
    want.dispose();
  });

  it("stops on a missing file, a folder, other bytes, a training checkpoint, or --resume, naming the flag and file", async () => {
    const refused = (args: string[], message: string) => expect(train([...TRAIN, "--out", join(dir, "refused"), ...args])).rejects.toThrow(new UsageError(message));
    const missing = join(dir, "nosuch.safetensors");
    await refused(["--init-from", missing], `--init-from ${missing}: no such file`);
    await refused(["--init-from", images], `--init-from ${images}: not a file`);
    const png = join(images, "0.png");
    await expect(train([...TRAIN, "--init-from", png])).rejects.toThrow(new RegExp(`^--init-from ${png}: not a valid safetensors file: `));
    const checkpoint = join(dir, "run", "checkpoint.safetensors");
    await refused(["--init-from", checkpoint], `--init-from ${checkpoint}: a byol-ts training checkpoint, not a state dict; continue it with --resume, or write its encoder with byol export --format torchvision`);
    await expect(train(["--resume", "--out", join(dir, "run"), "--init-from", exported])).rejects.toThrow(/drop --init-from$/);
  });

  it("stops on a state dict of another architecture, naming the tensor and both shapes", async () => {
    const out = join(dir, "wider");
    const run = train([...TRAIN, "--width", "8", "--init-from", exported, "--out", out]);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await expect(run).rejects.toThrow(`--init-from ${exported} does not fit the run's encoder (small-cnn of width 8, depth 1, 3 stages, 1 channel(s)); it was exported from a small-cnn of width 4, depth 1, 3 stages, 1 channel(s): `);
    await expect(run).rejects.toThrow(/conv1\.weight: checkpoint \[4, 1, 3, 3\], model \[8, 1, 3, 3\]/);
    expect(() => readFileSync(join(out, "checkpoint.safetensors"))).toThrow(/ENOENT/);
  });
});
