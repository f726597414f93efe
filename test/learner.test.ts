// The learner's contract beyond PyTorch parity: what the target may and may not receive, SimSiam
// mode, the tap and function encoders, and errors for inputs that do not fit.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { kernels } from "../bindings/loader";
import { BYOL, type BYOLOptions } from "../src/byol";
import { setBackend } from "../src/backend";
import { smallCnn } from "../src/nets/small-cnn";
import { randn } from "./helpers";
import { itFull } from "./tier";

beforeAll(async () => {
  await setBackend("wasm");
});

const SIZE = 12;
const create = (o: Partial<BYOLOptions> = {}) =>
  BYOL.create({ encoder: o.encoder ?? smallCnn({ inputSize: SIZE, channels: 1, width: 4, seed: 1 }), imageSize: SIZE, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1, totalSteps: 20, learningRate: 1e-2, ...o });
const views = (seed: number, n = 8) => [tf.tensor4d(randn(n * SIZE * SIZE, seed), [n, SIZE, SIZE, 1]), tf.tensor4d(randn(n * SIZE * SIZE, seed + 1), [n, SIZE, SIZE, 1])] as const;
const snapshot = (m: tf.LayersModel) => m.weights.map((w) => Array.from(w.read().dataSync()));

describe("BYOL learner", () => {
  it("moves the target only by the moving average, and never holds the predictor", async () => {
    const learner = await create({ tauSchedule: "constant", movingAverageDecay: 0.9 });
    const n = learner.networks;
    const target = n.target!;
    const t0 = snapshot(target.encoder);
    const o0 = snapshot(n.online.encoder!);
    const tNames = [...target.encoder.weights, ...target.projector.weights].map((w) => (w.read() as tf.Variable).name);
    const pNames = learner.parameters.map((p) => p.variable.name);
    expect(pNames.some((x) => tNames.includes(x))).toBe(false); // no target variable is optimized
    expect(target.encoder.layers.map((l) => l.name)).not.toContain("predictor");
    expect(learner.parameters.filter((p) => p.name.startsWith("predictor.")).length).toBeGreaterThan(0);

    learner.stepViews(...views(1));
    const t1 = snapshot(target.encoder);
    const o1 = snapshot(n.online.encoder!);
    // trainable weights: t1 = 0.9·t0 + 0.1·o1 exactly as the EMA says (BN statistics follow the target's own forwards)
    target.encoder.weights.forEach((w, i) => {
      if (!w.trainable) return;
      t1[i].forEach((v, j) => expect(v).toBeCloseTo(0.9 * t0[i][j] + 0.1 * o1[i][j], 5));
    });
    expect(o1).not.toEqual(o0);
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

  it("SimSiam mode (useMomentum: false) trains with no target, and refuses updateMovingAverage", async () => {
    const learner = await create({ useMomentum: false });
    expect(learner.networks.target).toBeNull();
    expect(learner.networks.online.projector.layers.filter((l) => l.getClassName() === "Dense")).toHaveLength(3); // SimSiam projector
    const losses = Array.from({ length: 12 }, (_, s) => learner.stepViews(...views(100)).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(() => learner.updateMovingAverage()).toThrow(/useMomentum: false.*no target/);
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
    expect(Number.isFinite(simsiam.stepViews(...views(7)).loss)).toBe(true);
    simsiam.dispose();
  });

  it("names what does not fit: batch of 1, image size, channels, bad options", async () => {
    const learner = await create();
    expect(() => learner.stepViews(...views(1, 1))).toThrow(/batch of 1: BatchNorm in training mode needs at least 2/);
    const wrong = tf.zeros([4, SIZE + 1, SIZE + 1, 1]) as tf.Tensor4D;
    expect(() => learner.stepViews(wrong, wrong)).toThrow(/view1 has shape \[4,13,13,1\], expected \[B, 12, 12, 1\]/);
    expect(() => learner.step({ images: new Uint8Array(4 * SIZE * SIZE * 3), n: 4, height: SIZE, width: SIZE, channels: 3 })).toThrow(/channel/);
    await expect(create({ channels: 2 })).rejects.toThrow(/channels must be 1 or 3, got 2/);
    await expect(create({ imageSize: 16 })).rejects.toThrow(/encoder input is \[.*12,12,1\] but imageSize 16/);
    await expect(create({ movingAverageDecay: 1.5 })).rejects.toThrow(/movingAverageDecay must be in \[0, 1\], got 1.5/);
    expect(learner.steps).toBe(0);
    learner.dispose();
  });

  // Tensors and kernel heap bytes in use are counted exactly, so a leak of any size shows after one
  // step; tfjs-wasm's memory and the kernel heap's capacity grow in chunks, which takes more steps.
  const leaksNothing = async (backend: "wasm" | "cpu", steps: number) => {
    await setBackend(backend);
    const learner = await create({ totalSteps: steps });
    const images = new Uint8Array(8 * SIZE * SIZE).map((_, i) => (i * 13) % 256);
    const batch = { images, n: 8, height: SIZE, width: SIZE, channels: 1 };
    const memory = () => (backend === "wasm" ? (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length : 0);
    for (let s = 0; s < 5; s++) learner.step(batch);
    const [tensors, wasmBytes, heap, inUse] = [tf.memory().numTensors, memory(), kernels().heap.capacity, kernels().heap.bytesInUse];
    for (let s = 5; s < steps; s++) learner.step(batch);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(memory()).toBe(wasmBytes);
    expect(kernels().heap.capacity).toBe(heap);
    expect(kernels().heap.bytesInUse).toBe(inUse);
    learner.dispose();
    await setBackend("wasm");
  };
  it("leaks nothing over 200 steps on wasm (tensors, tfjs-wasm memory, kernel heap)", () => leaksNothing("wasm", 200));
  // cpu steps are slow (its filter gradient is a reference loop): fewer of them, full tier; cpu has
  // no tfjs-wasm memory, and the exact counts need no more steps
  itFull("leaks nothing over 50 steps on cpu (tensors, kernel heap)", () => leaksNothing("cpu", 50), 600_000);

  it("steps from raw uint8 images with per-sample augmentation, deterministically", async () => {
    const images = new Uint8Array(8 * SIZE * SIZE).map((_, i) => (i * 37) % 256);
    const batch = { images, n: 8, height: SIZE, width: SIZE, channels: 1 };
    const a = await create();
    const b = await create();
    const la = [a.step(batch).loss, a.step(batch).loss];
    const lb = [b.step(batch).loss, b.step(batch).loss];
    expect(lb).toEqual(la);
    expect(la[1]).not.toBe(la[0]); // step 1 draws other views than step 0
    a.dispose();
    b.dispose();
  });

  it("frees its kernel memory and tensors on dispose: flat over 50 create/step/dispose cycles", async () => {
    const images = new Uint8Array(8 * SIZE * SIZE).map((_, i) => (i * 11) % 256);
    const batch = { images, n: 8, height: SIZE, width: SIZE, channels: 1 };
    const cycle = async () => {
      const encoder = smallCnn({ inputSize: SIZE, channels: 1, width: 4, seed: 1 });
      const l = await create({ encoder });
      l.step(batch); // the augmenter takes kernel memory for images, views and parameters
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
