// Encoder structure and options (ResNets, small CNN), training-mode gradients, and the
// representation tap. Numerical parity with PyTorch is in resnet-parity.test.ts.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { exportTorchvisionWeights } from "../src/io/torchvision";
import { inferResnetOptions, resnet, resnet18, resnet50 } from "../src/nets/resnet";
import { smallCnn } from "../src/nets/small-cnn";
import { encoderOutputSize, representationModel, type EncoderFn } from "../src/nets/tap";
import { randn, relL2 } from "./helpers";

beforeAll(() => tf.setBackend("cpu"));

const kernelOf = (m: tf.LayersModel, name: string) => m.getLayer(name).getWeights()[0].shape;

describe("ResNet options", () => {
  it("chooses the stem by input size; convolutions pad themselves, symmetrically at any stride", () => {
    const small = resnet18({ inputSize: 28, width: 8, channels: 1 });
    expect(kernelOf(small, "conv1")).toEqual([3, 3, 1, 8]);
    expect(small.layers.some((l) => l.name === "maxpool")).toBe(false);
    const big = resnet18({ inputSize: 96, width: 8 });
    expect(kernelOf(big, "conv1")).toEqual([7, 7, 3, 8]);
    const names = big.layers.map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(["maxpool.pad", "maxpool", "avgpool"]));
    expect(names.filter((n) => n.endsWith(".pad"))).toEqual(["maxpool.pad"]);
    expect(big.getLayer("conv1").outputShape).toEqual([null, 48, 48, 8]);
    expect(big.getLayer("layer2.0.conv1").outputShape).toEqual([null, 12, 12, 16]);
    expect(big.outputs[0].shape).toEqual([null, 64]);
    expect(resnet18({ inputSize: 28, width: 8, stem: "imagenet" }).getLayer("conv1").getWeights()[0].shape).toEqual([7, 7, 3, 8]);
  });

  it("resnet50 uses Bottleneck blocks (4× expansion) and fc when numClasses is given", () => {
    const m = resnet50({ inputSize: 32, width: 8, numClasses: 5 });
    expect(kernelOf(m, "layer1.0.conv3")).toEqual([1, 1, 8, 32]);
    expect(kernelOf(m, "layer1.0.downsample.0")).toEqual([1, 1, 8, 32]);
    expect(m.getLayer("avgpool").outputShape).toEqual([null, 256]);
    expect(m.outputs[0].shape).toEqual([null, 5]);
  });

  it("is reproducible from a seed", () => {
    const a = resnet18({ inputSize: 16, width: 4, seed: 3 }).getLayer("layer3.1.conv2").getWeights()[0].dataSync();
    const b = resnet18({ inputSize: 16, width: 4, seed: 3 }).getLayer("layer3.1.conv2").getWeights()[0].dataSync();
    const c = resnet18({ inputSize: 16, width: 4, seed: 4 }).getLayer("layer3.1.conv2").getWeights()[0].dataSync();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("zeroInitResidual starts each block's last BN at γ = 0, so blocks begin as their shortcuts", () => {
    const gammaOf = (m: tf.LayersModel, name: string) => Array.from(m.getLayer(name).getWeights()[0].dataSync());
    for (const [depth, last] of [[18, "bn2"], [50, "bn3"]] as const) {
      const m = resnet(depth, { inputSize: 16, width: 4, seed: 1, zeroInitResidual: true });
      const plain = resnet(depth, { inputSize: 16, width: 4, seed: 1 });
      for (const block of ["layer1.0", "layer2.0", "layer4.1"]) {
        expect(gammaOf(m, `${block}.${last}`).every((g) => g === 0), `${depth} ${block}.${last}`).toBe(true);
        expect(gammaOf(m, `${block}.bn1`).every((g) => g === 1)).toBe(true);
        expect(gammaOf(plain, `${block}.${last}`).every((g) => g === 1)).toBe(true);
      }
      expect(gammaOf(m, "layer2.0.downsample.1").every((g) => g === 1)).toBe(true);
    }
    // layer1.1 keeps its width and stride: at init its output is relu(its input), in both modes
    const m = resnet18({ inputSize: 16, width: 4, channels: 1, seed: 2, zeroInitResidual: true });
    const probe = tf.model({ inputs: m.inputs, outputs: [m.getLayer("layer1.0.relu").output, m.getLayer("layer1.1.relu").output] as tf.SymbolicTensor[] });
    const x = tf.tensor4d(randn(3 * 16 * 16, 5), [3, 16, 16, 1]);
    for (const training of [false, true]) {
      const [input, output] = probe.apply(x, { training }) as tf.Tensor[];
      expect(output.arraySync()).toEqual(tf.relu(input).arraySync());
      tf.dispose([input, output]);
    }
    x.dispose();
  });

  it("reads depth, width, channels, stem and classes back from a state dict", () => {
    const cases = [
      [18, { width: 4, channels: 1, stem: "cifar" }],
      [34, { width: 2, channels: 3, stem: "imagenet", numClasses: 7 }],
      [50, { width: 2, channels: 3, stem: "cifar" }],
    ] as const;
    for (const [depth, options] of cases) {
      const sd = exportTorchvisionWeights(resnet(depth, { inputSize: 16, ...options }), { prefix: "m." });
      expect(inferResnetOptions(sd, "m.")).toEqual({ depth, options });
    }
    expect(() => inferResnetOptions({ "conv1.weight": { shape: [4, 3, 3, 3] } }, "net.")).toThrow(/no 4-D 'net\.conv1\.weight'.*wrong prefix/);
    expect(() => inferResnetOptions({ "conv1.weight": { shape: [4, 3, 3, 3] }, "layer1.0.conv1.weight": { shape: [1] } })).toThrow(/blocks per stage \[1,0,0,0\] \(BasicBlock\) match no ResNet/);
  });

  it("rejects bad options with the option's name", () => {
    expect(() => resnet18({} as never)).toThrow(/inputSize must be a positive integer, got undefined/);
    expect(() => resnet18({ inputSize: 32, channels: 0 })).toThrow(/channels must be a positive integer, got 0/);
    expect(() => resnet18({ inputSize: 32, stem: "tiny" as never })).toThrow(/stem must be 'imagenet' or 'cifar', got "tiny"/);
    expect(() => resnet18({ inputSize: 32, zeroInitResidual: "yes" as never })).toThrow(/zeroInitResidual must be true or false, got "yes"/);
    expect(() => smallCnn({ inputSize: 28, width: 2.5 })).toThrow(/smallCnn: width must be a positive integer, got 2.5/);
  });
});

describe("training-mode gradients", () => {
  it("equal autodiff through tfjs' own BatchNormalization for every weight, without leaks", async () => {
    const model = resnet18({ inputSize: 32, width: 4, stem: "imagenet", numClasses: 3, seed: 5 });
    // the twin: the same graph with tfjs-layers' BatchNormalization (same config keys and weight
    // order), whose training-mode gradient is autodiff through moments + batchNorm
    const config = JSON.stringify(model.toJSON(null, false)).replace(/"TorchBatchNorm"/g, '"BatchNormalization"');
    const twin = await tf.models.modelFromJSON(JSON.parse(config));
    expect(twin.getLayer("bn1").getClassName()).toBe("BatchNormalization");
    twin.setWeights(model.getWeights());
    const x = tf.tensor(randn(4 * 32 * 32 * 3, 6), [4, 32, 32, 3]);
    const r = tf.tensor(randn(12, 7), [4, 3]);
    const gradsOf = (m: tf.LayersModel) => {
      const variables = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar, variables);
      const out = variables.map((v) => grads[v.name].dataSync().slice());
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const before = tf.memory().numTensors;
    const ours = gradsOf(model);
    expect(tf.memory().numTensors).toBe(before);
    const theirs = gradsOf(twin);
    expect(ours).toHaveLength(model.trainableWeights.length);
    const worst = Math.max(...ours.map((g, i) => relL2(g, theirs[i])));
    expect(worst).toBeLessThan(1e-4);
    expect(ours.every((g) => g.some((v) => v !== 0))).toBe(true);
    tf.dispose([x, r]);
  });

  it("compute no gradient of the images and copy nothing to pad a strided convolution", async () => {
    const model = smallCnn({ inputSize: 12, channels: 1, width: 4, stages: 2, seed: 3 });
    const x = tf.tensor(randn(2 * 12 * 12, 4), [2, 12, 12, 1]);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
      tf.dispose([value, ...Object.values(grads)]);
    });
    const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
    // three convolutions: every filter gets its gradient, the input of all but the first
    expect(count("Conv2DBackpropFilter")).toBe(3);
    expect(count("Conv2DBackpropInput")).toBe(2);
    expect(count("PadV2") + count("Slice")).toBe(0);
    x.dispose();
  });
});

describe("smallCnn", () => {
  it("maps [N, s, s, c] to [N, 4·width] at 'avgpool' in both modes", () => {
    const m = smallCnn({ inputSize: 28, channels: 1, width: 8 });
    expect(m.layers.map((l) => l.name)).toEqual(expect.arrayContaining(["conv1", "bn1", "conv2", "conv3", "bn3", "avgpool"]));
    expect(m.getLayer("conv2").outputShape).toEqual([null, 14, 14, 16]); // 3×3/2 padded by 1 on each side, as PyTorch
    const x = tf.tensor(randn(2 * 28 * 28, 8), [2, 28, 28, 1]);
    expect((m.apply(x, { training: true }) as tf.Tensor).shape).toEqual([2, 32]);
    expect((m.predict(x) as tf.Tensor).shape).toEqual([2, 32]);
  });

  it("depth adds stride-1 convolutions after each strided one, keeping the 7×7 map and the output size", () => {
    const m = smallCnn({ inputSize: 28, channels: 1, width: 4, depth: 2 });
    const convs = m.layers.filter((l) => /^conv\d+$/.test(l.name));
    expect(convs.map((l) => [l.name, (l.outputShape as number[]).slice(1)])).toEqual([
      ["conv1", [28, 28, 4]], ["conv2", [14, 14, 8]], ["conv3", [14, 14, 8]], ["conv4", [7, 7, 16]], ["conv5", [7, 7, 16]],
    ]);
    expect(m.outputs[0].shape).toEqual([null, 16]);
    expect(() => smallCnn({ inputSize: 28, depth: 0 })).toThrow(/smallCnn: depth must be a positive integer, got 0/);
  });

  it("stages sets how many times the side halves and the channels double (28 → 4 px with 3)", () => {
    const m = smallCnn({ inputSize: 28, channels: 1, width: 4, stages: 3 });
    const convs = m.layers.filter((l) => /^conv\d+$/.test(l.name));
    expect(convs.map((l) => [l.name, (l.outputShape as number[]).slice(1)])).toEqual([
      ["conv1", [28, 28, 4]], ["conv2", [14, 14, 8]], ["conv3", [7, 7, 16]], ["conv4", [4, 4, 32]],
    ]);
    expect(m.outputs[0].shape).toEqual([null, 32]);
    expect(() => smallCnn({ inputSize: 28, stages: 1.5 })).toThrow(/smallCnn: stages must be a positive integer, got 1.5/);
  });
});

describe("representation tap", () => {
  it("defaults to the layer before the last (avgpool before fc) and shares weights", () => {
    const net = resnet18({ inputSize: 16, width: 4, numClasses: 10 });
    const before = tf.memory().numTensors;
    const rep = representationModel(net);
    expect(tf.memory().numTensors).toBe(before); // nothing run, nothing allocated
    expect(rep.outputs[0].shape).toEqual([null, 32]);
    expect(encoderOutputSize(rep)).toBe(32);
    expect(rep.getLayer("conv1")).toBe(net.getLayer("conv1"));
    expect(representationModel(net, "avgpool").outputs[0].shape).toEqual([null, 32]);
    expect(representationModel(net, -1).outputs[0].shape).toEqual([null, 10]);
  });

  it("flattens a convolutional layer's output, with its size known statically", () => {
    const net = resnet18({ inputSize: 16, width: 4 });
    const rep = representationModel(net, "layer3.1.relu"); // [N, 4, 4, 16]
    expect(encoderOutputSize(rep)).toBe(256);
    expect((rep.predict(tf.zeros([2, 16, 16, 3])) as tf.Tensor).shape).toEqual([2, 256]);
  });

  it("names the problem for bad taps", () => {
    const net = smallCnn({ inputSize: 8, width: 2 });
    expect(() => representationModel(net, "layer9")).toThrow(/'layer9' is not a layer of model 'small_cnn' \(layers: input, conv1, bn1/);
    expect(() => representationModel(net, 40)).toThrow(/index 40 is outside model 'small_cnn' \(\d+ layers\)/);
    expect(() => representationModel(net, 0)).toThrow(/is the input of model/);
    expect(() => representationModel(net, 1.5)).toThrow(/integer index, got 1.5/);
    const input = tf.input({ shape: [null, null, 3] });
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: "c" }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
    const any = tf.model({ inputs: input, outputs: pooled });
    expect(() => representationModel(any, "c")).toThrow(/'c' has output shape \[null,null,null,2\]: the feature size needs fixed dimensions/);
    expect(encoderOutputSize(any)).toBe(2);
  });

  it("infers the feature size of an encoder function", () => {
    const net = smallCnn({ inputSize: 8, width: 2 });
    const fn: EncoderFn = (x) => net.apply(x) as tf.Tensor;
    expect(encoderOutputSize(fn, [8, 8, 1])).toBe(8);
    expect(encoderOutputSize(Object.assign((x: tf.Tensor) => x, { outputSize: 5 }))).toBe(5);
    expect(() => encoderOutputSize(fn)).toThrow(/without inputShape/);
    expect(() => encoderOutputSize(fn, [8, 8, 3])).toThrow(/threw on a zero batch of shape \[2, 8,8,3\]/);
    expect(() => encoderOutputSize((x) => tf.mul(x, 2), [4, 4, 1])).toThrow(/maps \[2, 4,4,1\] to \[2,4,4,1\], expected \[2, F\]/);
    expect(() => encoderOutputSize(42 as never)).toThrow(/LayersModel or a function/);
  });
});
