// The learner's contract beyond PyTorch parity, trained through the Trainer: what the target may and
// may not receive, SimSiam mode, the tap and function encoders, errors for inputs that do not fit,
// and memory that stays flat.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { kernels } from "../bindings/loader";
import { BYOL, type BYOLOptions } from "../src/byol";
import { setBackend } from "../src/backend";
import { smallCnn } from "../src/nets/small-cnn";
import { syntheticImages } from "../src/bench/step";
import { Trainer, type TrainerOptions } from "../src/train/trainer";
import { givenViews, randn } from "./helpers";
import { itFull } from "./tier";

beforeAll(async () => {
  await setBackend("wasm");
});

const SIZE = 12;
const create = (o: Partial<BYOLOptions> = {}) =>
  BYOL.create({ encoder: o.encoder ?? smallCnn({ inputSize: SIZE, channels: 1, width: 4, seed: 1 }), imageSize: SIZE, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1, ...o });
/** A trainer of `learner` on 16 pattern images, batch 8, 20 steps, LR 1e-2; `views: seed` gives every step the same noise views. */
const trainerOf = (learner: BYOL, o: Partial<TrainerOptions> & { views?: number } = {}) => {
  const n = 8 * SIZE * SIZE;
  const augment = o.views === undefined ? undefined : givenViews(randn(n, o.views), randn(n, o.views + 1));
  return Trainer.create({ learner, data: syntheticImages(16, SIZE, 1), batchSize: 8, totalSteps: 20, learningRate: 1e-2, augment, ...o });
};
const snapshot = (m: tf.LayersModel) => m.weights.map((w) => Array.from(w.read().dataSync()));

describe("BYOL learner", () => {
  it("moves the target only by the moving average, and never holds the predictor", async () => {
    const learner = await create();
    const trainer = await trainerOf(learner, { tau: { base: 0.9, schedule: "constant" } });
    const n = learner.networks;
    const target = n.target!;
    const t0 = snapshot(target.encoder);
    const o0 = snapshot(n.online.encoder!);
    const tNames = [...target.encoder.weights, ...target.projector.weights].map((w) => (w.read() as tf.Variable).name);
    const pNames = learner.parameters.map((p) => p.variable.name);
    expect(pNames.some((x) => tNames.includes(x))).toBe(false); // no target variable is optimized
    expect(target.encoder.layers.map((l) => l.name)).not.toContain("predictor");
    expect(learner.parameters.filter((p) => p.name.startsWith("predictor.")).length).toBeGreaterThan(0);

    expect((await trainer.step()).tau).toBe(0.9);
    const t1 = snapshot(target.encoder);
    const o1 = snapshot(n.online.encoder!);
    // trainable weights: t1 = 0.9·t0 + 0.1·o1 exactly as the EMA says (BN statistics follow the target's own forwards)
    target.encoder.weights.forEach((w, i) => {
      if (!w.trainable) return;
      t1[i].forEach((v, j) => expect(v).toBeCloseTo(0.9 * t0[i][j] + 0.1 * o1[i][j], 5));
    });
    expect(o1).not.toEqual(o0);
    trainer.dispose();
    learner.dispose();
  });

  it("predictorLearningRateScale speeds the predictor alone", async () => {
    const learner = await create({ predictorLearningRateScale: 10 });
    const scales = new Set(learner.parameters.map((p) => `${p.name.split(".")[0]}:${p.lrScale}`));
    expect([...scales].sort()).toEqual(["online:1", "predictor:10"]);
    learner.dispose();
    await expect(create({ predictorLearningRateScale: 0 })).rejects.toThrow(/predictorLearningRateScale must be a positive number, got 0/);
  });

  it("embeds its representation (another tap than the projector's) by default, and rejects one the encoder lacks", async () => {
    const enc = () => smallCnn({ inputSize: 28, channels: 1, width: 2, seed: 3 });
    const learner = await BYOL.create({ encoder: enc(), imageSize: 28, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1, hiddenLayer: "avgpool", representation: "grid3" });
    expect([learner.tapSize, learner.representationSize]).toEqual([8, 72]); // the projector reads the 8-d global pool
    const x = tf.tensor4d(randn(3 * 28 * 28, 4), [3, 28, 28, 1]);
    const { representation, projection } = await learner.embed(x, { projection: true });
    expect(representation).toHaveLength(3 * 9 * 8);
    expect(Array.from(representation)).toEqual(Array.from((await learner.embed(x, { tap: "grid3" })).representation));
    expect(Array.from((await learner.embed(x, { tap: "avgpool" })).representation)).toHaveLength(3 * 8);
    expect(projection).toHaveLength(3 * 8);
    expect(learner.onlineEncoderAt()!.outputs[0].shape).toEqual([null, 72]);
    expect(learner.onlineEncoderAt("avgpool")).toBe(learner.networks.online.encoder);
    learner.dispose();
    x.dispose();
    await expect(BYOL.create({ encoder: enc(), imageSize: 28, channels: 1, projectionSize: 8, projectionHiddenSize: 16, hiddenLayer: "avgpool", representation: "layer9" })).rejects.toThrow(/'layer9' is not a layer of model/);
  });

  it("SimSiam mode (useMomentum: false) trains with no target, and reports no τ", async () => {
    const learner = await create({ useMomentum: false });
    expect(learner.networks.target).toBeNull();
    expect(learner.hasTarget).toBe(false);
    expect(learner.networks.online.projector.layers.filter((l) => l.getClassName() === "Dense")).toHaveLength(3); // SimSiam projector
    const trainer = await trainerOf(learner, { views: 100 });
    const results = [];
    for (let s = 0; s < 12; s++) results.push(await trainer.step());
    const losses = results.map((r) => r.loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(results.every((r) => Number.isNaN(r.tau))).toBe(true);
    trainer.dispose();
    learner.dispose();
  });

  it("taps a named layer and accepts a function encoder in SimSiam mode", async () => {
    const enc = smallCnn({ inputSize: SIZE, channels: 1, width: 4, seed: 2 });
    const tapped = await create({ encoder: enc, hiddenLayer: "conv2" });
    expect(tapped.representationSize).toBe(enc.getLayer("conv2").outputShape.slice(1).reduce((a, b) => (a as number) * (b as number), 1));
    tapped.dispose();
    const fn = Object.assign((x: tf.Tensor) => tf.tidy(() => tf.reshape(tf.avgPool(x as tf.Tensor4D, 4, 4, "valid"), [x.shape[0], -1])), { outputSize: 9 });
    await expect(create({ encoder: fn })).rejects.toThrow(/function encoder has no weights.*useMomentum: false/);
    const simsiam = await create({ encoder: fn, useMomentum: false });
    expect(simsiam.representationSize).toBe(9);
    const trainer = await trainerOf(simsiam);
    expect(Number.isFinite((await trainer.step()).loss)).toBe(true);
    trainer.dispose();
    simsiam.dispose();
  });

  it("names what does not fit: batch of 1, view shape, channels, bad options", async () => {
    const learner = await create();
    const [one, a, b] = [tf.zeros([1, SIZE, SIZE, 1]), tf.zeros([4, SIZE, SIZE, 1]), tf.zeros([4, SIZE + 1, SIZE + 1, 1])] as tf.Tensor4D[];
    expect(() => learner.computeGradients(one, one)).toThrow(/batch of 1: BatchNorm in training mode needs at least 2/);
    expect(() => learner.computeGradients(b, b)).toThrow(/view1 has shape \[4,13,13,1\], expected \[B, 12, 12, 1\]/);
    expect(() => learner.computeGradients(a, one)).toThrow(/view2 has a batch of 1/);
    tf.dispose([one, a, b]);
    await expect(trainerOf(learner, { data: syntheticImages(16, SIZE, 3) })).rejects.toThrow(/the data has 3 channel\(s\) but the learner expects 1/);
    await expect(trainerOf(learner, { batchSize: 1 })).rejects.toThrow(/batch size 1 is too small/);
    await expect(trainerOf(learner, { batchSize: 17 })).rejects.toThrow(/holds 16 images, fewer than one batch of 17/);
    await expect(trainerOf(learner, { totalSteps: 0 })).rejects.toThrow(/totalSteps must be a positive integer, got 0/);
    await expect(trainerOf(learner, { tau: { base: 1.5, schedule: "cosine" } })).rejects.toThrow(/tau.base must be in \[0, 1\], got 1.5/);
    await expect(trainerOf(learner, { state: { step: 3, position: { epoch: 0, batch: 2 }, optimizer: { step: 3, slots: {} } } })).rejects.toThrow(/batch 2 of epoch 0, past the 2 batches of an epoch of these 16 images/);
    await expect(create({ channels: 2 })).rejects.toThrow(/channels must be 1 or 3, got 2/);
    await expect(create({ imageSize: 16 })).rejects.toThrow(/encoder input is \[.*12,12,1\] but imageSize 16/);
    learner.dispose();
  });

  // Tensors and kernel heap bytes in use are counted exactly, so a leak of any size shows after one
  // step; tfjs-wasm's memory and the kernel heap's capacity grow in chunks, which takes more steps.
  const leaksNothing = async (backend: "wasm" | "cpu", steps: number) => {
    await setBackend(backend);
    const learner = await create();
    const trainer = await trainerOf(learner, { totalSteps: steps });
    const memory = () => (backend === "wasm" ? (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length : 0);
    for (let s = 0; s < 5; s++) await trainer.step();
    const [tensors, wasmBytes, heap, inUse] = [tf.memory().numTensors, memory(), kernels().heap.capacity, kernels().heap.bytesInUse];
    for (let s = 5; s < steps; s++) await trainer.step();
    expect(trainer.steps).toBe(steps);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(memory()).toBe(wasmBytes);
    expect(kernels().heap.capacity).toBe(heap);
    expect(kernels().heap.bytesInUse).toBe(inUse);
    trainer.dispose();
    learner.dispose();
    await setBackend("wasm");
  };
  it("leaks nothing over 200 steps on wasm (tensors, tfjs-wasm memory, kernel heap)", () => leaksNothing("wasm", 200));
  // cpu steps are slow (its filter gradient is a reference loop): fewer of them, full tier; cpu has
  // no tfjs-wasm memory, and the exact counts need no more steps
  itFull("leaks nothing over 50 steps on cpu (tensors, kernel heap)", () => leaksNothing("cpu", 50), 600_000);

  it("steps from raw uint8 images with per-sample augmentation, deterministically", async () => {
    const losses = async () => {
      const learner = await create();
      const trainer = await trainerOf(learner);
      const out = [(await trainer.step()).loss, (await trainer.step()).loss];
      trainer.dispose();
      learner.dispose();
      return out;
    };
    const la = await losses();
    expect(await losses()).toEqual(la);
    expect(la[1]).not.toBe(la[0]); // step 1 draws other images and views than step 0
  });

  it("frees its kernel memory and tensors on dispose: flat over 50 create/step/dispose cycles", async () => {
    const cycle = async () => {
      const encoder = smallCnn({ inputSize: SIZE, channels: 1, width: 4, seed: 1 });
      const l = await create({ encoder });
      const trainer = await trainerOf(l);
      await trainer.step(); // the augmenter takes kernel memory for images, views and parameters; the optimizer its slots
      trainer.dispose();
      l.dispose();
      encoder.dispose();
    };
    await cycle();
    const heap = kernels().heap.bytesInUse;
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) await cycle();
    expect(kernels().heap.bytesInUse).toBe(heap);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
