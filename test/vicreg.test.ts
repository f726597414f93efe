// VICReg: its loss against a float64 transcription of the paper's definition (value, and gradient
// by central differences), the learner on the shared seams (a Trainer step, a checkpoint round trip
// that continues with the same losses and weights, embedding its representation).
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { ImageSet } from "../src/data/types";
import { VICReg, vicregLoss } from "../src/methods/vicreg";
import { restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner, createTrainer } from "../src/train/setup";
import type { Learner } from "../src/learner";
import { randn, rng } from "./helpers";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** VICReg's loss in float64, term by term as the paper writes it (λ = μ = 25, ν = 1, γ = 1, ε = 1e-4). */
function reference(a: Float64Array, b: Float64Array, n: number, d: number): number {
  let invariance = 0;
  for (let i = 0; i < n * d; i++) invariance += (a[i] - b[i]) ** 2;
  invariance /= n * d;
  const spread = (z: Float64Array): [number, number] => {
    const mean = Array.from({ length: d }, (_, j) => Array.from({ length: n }, (_, i) => z[i * d + j]).reduce((s, x) => s + x, 0) / n);
    const cov = (j: number, k: number) => Array.from({ length: n }, (_, i) => (z[i * d + j] - mean[j]) * (z[i * d + k] - mean[k])).reduce((s, x) => s + x, 0) / (n - 1);
    let hinge = 0;
    let off = 0;
    for (let j = 0; j < d; j++) {
      hinge += Math.max(0, 1 - Math.sqrt(cov(j, j) + 1e-4)) / d;
      for (let k = 0; k < d; k++) if (k !== j) off += cov(j, k) ** 2 / d;
    }
    return [hinge, off];
  };
  const [va, ca] = spread(a);
  const [vb, cb] = spread(b);
  return 25 * invariance + (25 * (va + vb)) / 2 + (ca + cb);
}

describe("vicregLoss", () => {
  // columns spread well below and above std 1: the hinge is active in some dimensions, off in others, and away from its kink
  const [N, D] = [6, 5];
  const scales = [0.2, 3, 0.3, 4, 0.1];
  const sample = (seed: number) => Float64Array.from(randn(N * D, seed), (x, i) => x * scales[i % D]);
  const [a, b] = [sample(1), sample(2)];
  const tensors = () => [tf.tensor2d(Float32Array.from(a), [N, D]), tf.tensor2d(Float32Array.from(b), [N, D])] as const;

  it("is the paper's loss, term by term", () => {
    const [ta, tb] = tensors();
    const value = vicregLoss(ta, tb).dataSync()[0];
    expect(value).toBeCloseTo(reference(a, b, N, D), 3);
    // the invariance term alone is the mean squared error; identical views pay only the spread terms
    const mse = vicregLoss(ta, tb, { invariance: 1, variance: 0, covariance: 0, gamma: 1, epsilon: 1e-4 }).dataSync()[0];
    expect(mse).toBeCloseTo(tf.losses.meanSquaredError(ta, tb).dataSync()[0], 6);
    tf.dispose([ta, tb]);
  });

  it("has tfjs' gradient equal to central differences of the float64 reference", () => {
    const [ta, tb] = tensors();
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => vicregLoss(x as tf.Tensor2D, y as tf.Tensor2D))([ta, tb]).map((g) => g.dataSync());
    const h = 1e-6;
    const numeric = (z: Float64Array, i: number) => {
      const at = (dz: number) => {
        const c = z.slice();
        c[i] += dz;
        return z === a ? reference(c, b, N, D) : reference(a, c, N, D);
      };
      return (at(h) - at(-h)) / (2 * h);
    };
    for (const [z, g] of [[a, ga], [b, gb]] as const) {
      for (let i = 0; i < N * D; i++) expect(Math.abs(g[i] - numeric(z, i)), `element ${i}`).toBeLessThan(1e-3 + 1e-3 * Math.abs(numeric(z, i)));
    }
    tf.dispose([ta, tb]);
  });

  it("names what does not fit", () => {
    const [ta, tb] = tensors();
    expect(() => vicregLoss(ta, tb.slice([0, 0], [N, 4]))).toThrow(/\[6,5\] and zb \[6,4\]/);
    expect(() => vicregLoss(ta.slice([0, 0], [1, D]), tb.slice([0, 0], [1, D]))).toThrow(/batch of 1/);
    tf.dispose([ta, tb]);
  });
});

describe("the VICReg learner", () => {
  const RUN: RunConfig = {
    ...DEFAULT_RUN, method: "vicreg", encoder: { arch: "small-cnn", width: 4, stem: "cifar" }, representation: undefined,
    imageSize: 12, projectionSize: 16, projectionHiddenSize: 32, batchSize: 8, totalSteps: 20,
  };
  const r = rng(3);
  const data: ImageSet = { images: Uint8Array.from({ length: 64 * 144 }, () => Math.floor(256 * r())), n: 64, height: 12, width: 12, channels: 1, classes: [] };
  const weights = (l: Learner) => l.models.flatMap(([, m]) => m.weights.map((w) => Buffer.from((w.read().dataSync() as Float32Array).slice().buffer)));

  it("trains through the Trainer and continues exactly from a checkpoint", async () => {
    const a = await buildLearner(RUN);
    expect(a).toBeInstanceOf(VICReg);
    expect(a.models.map(([name]) => name)).toEqual(["encoder", "expander"]);
    const ta = await createTrainer(RUN, a, data);
    const first = [await ta.step(), await ta.step(), await ta.step()];
    expect(first.every((s) => Number.isFinite(s.loss) && Number.isNaN(s.tau))).toBe(true);
    const b = await buildLearner({ ...RUN, seed: 9 }); // other initial weights: all must come from the file
    const { state } = restoreCheckpoint(b, await serializeCheckpoint(a, await ta.state()), "vicreg.safetensors");
    expect(state.step).toBe(3);
    const tb = await createTrainer(RUN, b, data, { state });
    for (let s = 0; s < 2; s++) expect((await tb.step()).loss).toBe((await ta.step()).loss);
    expect(weights(b)).toEqual(weights(a));
    [ta, tb].forEach((t) => t.dispose());
    [a, b].forEach((l) => l.dispose());
  });

  it("embeds its representation and, asked, the expander's output", async () => {
    const learner = await buildLearner(RUN);
    const x = tf.randomNormal([3, 12, 12, 1], 0, 1, "float32", 4) as tf.Tensor4D;
    const { representation, projection } = await learner.embed(x, { projection: true });
    expect(representation.length).toBe(3 * learner.representationSize);
    expect(projection!.length).toBe(3 * RUN.projectionSize);
    expect(Array.from(projection!).every(Number.isFinite)).toBe(true);
    tf.dispose(x);
    learner.dispose();
  });
});
