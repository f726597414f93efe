// BatchNorm (PyTorch semantics: batch statistics, unbiased running variance, gradient) and the
// MLP heads, against plain-TS float64 references. (PyTorch's own running-statistics update is
// checked through the ResNet fixtures' eval features in resnet-parity.test.ts.)
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { exportTorchvisionWeights } from "../src/io/torchvision";
import { BatchNorm, normalizeBatch } from "../src/nets/batchnorm";
import { mlpHead, simsiamProjector } from "../src/nets/mlp";
import { resnet18 } from "../src/nets/resnet";
import { randn, relL2 } from "./helpers";

beforeAll(() => tf.setBackend("cpu"));

const EPS = 1e-5;

/** Per-channel batch statistics of rows [M, C] (channels last), float64; biased variance. */
function stats(x: ArrayLike<number>, c: number): { mean: number[]; variance: number[] } {
  const m = x.length / c;
  const mean = new Array(c).fill(0);
  const variance = new Array(c).fill(0);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / m;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / m;
  return { mean, variance };
}

/** BatchNorm reference: y = (x − μ)/√(σ² + ε)·γ + β with given or batch statistics. */
function bnRef(x: ArrayLike<number>, c: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, s = stats(x, c)): Float64Array {
  return Float64Array.from(x, (v, i) => ((v - s.mean[i % c]) / Math.sqrt(s.variance[i % c] + EPS)) * gamma[i % c] + beta[i % c]);
}

/** Linear reference with the tfjs kernel layout [in, out]. */
function linearRef(x: ArrayLike<number>, n: number, w: ArrayLike<number>, b: ArrayLike<number>, out: number): Float64Array {
  const inp = x.length / n;
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++) for (let o = 0; o < out; o++) {
    let s = b[o];
    for (let i = 0; i < inp; i++) s += x[r * inp + i] * w[i * out + o];
    y[r * out + o] = s;
  }
  return y;
}

const values = (t: tf.Tensor) => t.dataSync() as Float32Array;

describe("BatchNorm", () => {
  it.each([
    [[6, 4]],
    [[3, 5, 4, 2]],
  ])("normalizes %j with batch statistics and a gradient equal to finite differences", (shape) => {
    const c = shape[shape.length - 1];
    const size = shape.reduce((a, b) => a * b, 1);
    const x = randn(size, 1, 2).map((v, i) => v + (i % c)); // offsets per channel
    const gamma = randn(c, 2).map((v) => 1 + 0.3 * v);
    const beta = randn(c, 3, 0.5);
    const r = randn(size, 4); // loss = Σ y·r
    const before = tf.memory().numTensors;
    const [xt, gt, bt, rt] = [tf.tensor(x, shape), tf.tensor(gamma), tf.tensor(beta), tf.tensor(r, shape)];
    const y = normalizeBatch(xt, gt, bt, EPS);
    expect(relL2(values(y), bnRef(x, c, gamma, beta))).toBeLessThan(1e-6);
    const grads = tf.grads((a, g, b) => tf.sum(tf.mul(normalizeBatch(a, g, b, EPS), rt)))([xt, gt, bt]);
    const loss = (xs: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) => bnRef(xs, c, g, b).reduce((s, v, i) => s + v * r[i], 0);
    const fd = (v: Float32Array, f: (w: Float64Array) => number) => {
      const w = Float64Array.from(v);
      return Float64Array.from(w, (_, i) => {
        const h = 1e-4 * Math.max(1, Math.abs(w[i]));
        const keep = w[i];
        w[i] = keep + h;
        const up = f(w);
        w[i] = keep - h;
        const down = f(w);
        w[i] = keep;
        return (up - down) / (2 * h);
      });
    };
    expect(relL2(values(grads[0]), fd(x, (w) => loss(w, gamma, beta)))).toBeLessThan(1e-4);
    expect(relL2(values(grads[1]), fd(gamma, (w) => loss(x, w, beta)))).toBeLessThan(1e-4);
    expect(relL2(values(grads[2]), fd(beta, (w) => loss(x, gamma, w)))).toBeLessThan(1e-4);
    // without affine parameters (SimSiam's last BN) the gradient is the x part alone
    const [gx] = tf.grads((a) => tf.sum(tf.mul(normalizeBatch(a, null, null, EPS), rt)))([xt]);
    const ones = new Float32Array(c).fill(1);
    expect(relL2(values(gx), fd(x, (w) => loss(w, ones, new Float32Array(c))))).toBeLessThan(1e-4);
    tf.dispose([xt, gt, bt, rt, y, gx, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("updates running statistics as PyTorch: momentum 0.1, unbiased variance", () => {
    const c = 3;
    const x = randn(4 * 2 * 2 * c, 5, 3);
    const input = tf.input({ shape: [2, 2, c] });
    const bn = new BatchNorm({ name: "bn" });
    const model = tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor });
    const m0 = [0.5, -1, 2];
    const v0 = [1.5, 0.25, 4];
    bn.setWeights([tf.ones([c]), tf.zeros([c]), tf.tensor(m0), tf.tensor(v0)]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      model.apply(tf.tensor(x, [4, 2, 2, c]), { training: true });
    });
    expect(tf.memory().numTensors).toBe(before);
    const s = stats(x, c);
    const n = 16;
    const [, , mean, variance] = bn.getWeights().map(values);
    expect(relL2(mean, m0.map((m, i) => 0.9 * m + 0.1 * s.mean[i]))).toBeLessThan(1e-6);
    expect(relL2(variance, v0.map((v, i) => 0.9 * v + 0.1 * s.variance[i] * (n / (n - 1))))).toBeLessThan(1e-6);
    // inference uses them
    const y = tf.tidy(() => values(model.predict(tf.tensor(x, [4, 2, 2, c])) as tf.Tensor));
    expect(relL2(y, bnRef(x, c, [1, 1, 1], [0, 0, 0], { mean: Array.from(mean), variance: Array.from(variance) }))).toBeLessThan(1e-6);
    model.dispose();
  });

  it("is differentiable in inference mode at rank 2", () => {
    const input = tf.input({ shape: [3] });
    const bn = new BatchNorm({ name: "bn" });
    const model = tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor });
    bn.setWeights([tf.tensor([2, -1, 0.5]), tf.tensor([0.1, 0.2, 0.3]), tf.tensor([1, 0, -1]), tf.tensor([4, 0.25, 1])]);
    const r = tf.tensor(randn(6, 21), [2, 3]);
    const [dx] = tf.grads((x) => tf.sum(tf.mul(model.apply(x) as tf.Tensor, r)))([tf.ones([2, 3])]);
    const scale = [2 / Math.sqrt(4 + EPS), -1 / Math.sqrt(0.25 + EPS), 0.5 / Math.sqrt(1 + EPS)];
    expect(relL2(values(dx), Array.from(values(r), (v, i) => v * scale[i % 3]))).toBeLessThan(1e-6);
  });

  it("refuses training mode with one value per channel (as PyTorch), not a batch of 1 image", () => {
    const head = mlpHead({ inputSize: 5, hiddenSize: 4, outputSize: 3 });
    const one = tf.ones([1, 5]);
    expect(() => head.apply(one, { training: true })).toThrow(/BatchNorm '1'.*more than 1 value per channel.*\[1,4\]/);
    expect((head.predict(one) as tf.Tensor).shape).toEqual([1, 3]);
    const net = resnet18({ inputSize: 8, width: 4, stem: "cifar" }); // layer4 is 1×1
    expect(() => net.apply(tf.ones([1, 8, 8, 3]), { training: true })).toThrow(/BatchNorm 'layer4\.0\..*more than 1 value per channel.*\[1,1,1,/);
    expect(() => tf.dispose(net.apply(tf.ones([2, 8, 8, 3]), { training: true }) as tf.Tensor)).not.toThrow();
    expect(() => new BatchNorm({ momentum: 1.5 })).toThrow(/momentum 1\.5/);
  });

  it("survives a tfjs model file round trip", async () => {
    const head = mlpHead({ inputSize: 4, hiddenSize: 6, outputSize: 2, seed: 9 });
    let saved: tf.io.ModelArtifacts | undefined;
    await head.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.getLayer("1")).toBeInstanceOf(BatchNorm);
    const x = tf.tensor(randn(12, 10), [3, 4]);
    expect(values(loaded.apply(x, { training: true }) as tf.Tensor)).toEqual(values(head.apply(x, { training: true }) as tf.Tensor));
  });
});

describe("MLP heads", () => {
  it("mlpHead = Linear → BN → ReLU → Linear in train and eval mode, torch names", () => {
    const [n, inp, hid, out] = [6, 5, 7, 3];
    const head = mlpHead({ inputSize: inp, hiddenSize: hid, outputSize: out, name: "predictor", seed: 11 });
    expect(head.name).toBe("predictor");
    expect(head.layers.map((l) => l.name)).toEqual(["input", "0", "1", "2", "3"]);
    expect(Object.keys(exportTorchvisionWeights(head, { prefix: "predictor." }))).toEqual([
      "predictor.0.weight", "predictor.0.bias", "predictor.1.weight", "predictor.1.bias",
      "predictor.1.running_mean", "predictor.1.running_var", "predictor.3.weight", "predictor.3.bias",
    ]);
    // non-trivial BN parameters and statistics
    const bn = head.getLayer("1");
    bn.setWeights([tf.tensor(randn(hid, 12)), tf.tensor(randn(hid, 13)), tf.tensor(randn(hid, 14)), tf.tensor(randn(hid, 15).map((v) => 1 + v * v))]);
    const [w0, b0] = head.getLayer("0").getWeights().map(values);
    const [gamma, beta, rm, rv] = bn.getWeights().map(values);
    const [w3, b3] = head.getLayer("3").getWeights().map(values);
    const x = randn(n * inp, 16);
    const ref = (s?: { mean: number[]; variance: number[] }) => {
      const h = linearRef(x, n, w0, b0, hid);
      const a = bnRef(h, hid, gamma, beta, s ?? stats(h, hid)).map((v) => Math.max(v, 0));
      return linearRef(a, n, w3, b3, out);
    };
    const xt = tf.tensor(x, [n, inp]);
    const evalOut = ref({ mean: Array.from(rm), variance: Array.from(rv) });
    expect(relL2(values(head.predict(xt) as tf.Tensor), evalOut)).toBeLessThan(1e-5);
    expect(relL2(values(head.apply(xt, { training: true }) as tf.Tensor), ref())).toBeLessThan(1e-5);
  });

  it("simsiamProjector has byol-pytorch SimSiamMLP's layers: no linear biases, last BN without affine", () => {
    const p = simsiamProjector({ inputSize: 8, hiddenSize: 16, outputSize: 4 });
    expect(Object.keys(exportTorchvisionWeights(p))).toEqual([
      "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight",
      "4.weight", "4.bias", "4.running_mean", "4.running_var", "6.weight", "7.running_mean", "7.running_var",
    ]);
    const y = p.apply(tf.tensor(randn(40, 17), [5, 8]), { training: true }) as tf.Tensor;
    const s = stats(values(y), 4); // the last BN leaves every column standardized
    expect(Math.max(...s.mean.map(Math.abs))).toBeLessThan(1e-5);
    expect(Math.max(...s.variance.map((v) => Math.abs(v - 1)))).toBeLessThan(1e-2); // var/(var + eps)
  });

  it("rejects bad sizes", () => {
    expect(() => mlpHead({ inputSize: 4, hiddenSize: 0, outputSize: 2 })).toThrow(/mlpHead: hiddenSize must be a positive integer, got 0/);
  });
});
