// torchvision weight interop: names and layouts both ways, bit-exact round trips, and clear
// errors for checkpoints that do not fit.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSafetensorsFile, readSafetensorsFile } from "../src/io/files";
import { readSafetensors, writeSafetensors, type SafeTensor } from "../src/io/safetensors";
import { exportTorchvisionWeights, loadTorchvisionWeights } from "../src/io/torchvision";
import { BatchNorm } from "../src/nets/batchnorm";
import { mlpHead } from "../src/nets/mlp";
import { resnet, resnet18, type ResNetDepth } from "../src/nets/resnet";
import { fixturePath } from "./helpers";

beforeAll(() => tf.setBackend("cpu"));

const bytesOf = (t: SafeTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
/** Names of the tensors whose bytes differ (vitest's deep equality is slow on megabytes). */
const differing = (a: Record<string, SafeTensor>, b: Record<string, SafeTensor>) => Object.keys(a).filter((k) => !b[k] || !bytesOf(a[k]).equals(bytesOf(b[k])));
const fixture = () => readSafetensorsFile(fixturePath("resnet18w16-cifar.safetensors"));
const small = (o: { channels?: number; seed?: number } = {}) => resnet18({ inputSize: 16, width: 16, ...o });

describe("torchvision names and layouts", () => {
  // torchvision 0.14: state-dict keys without num_batches_tracked, and parameter counts (fc 1000)
  it.each([
    [18, 102, 11_689_512],
    [34, 182, 21_797_672],
    [50, 267, 25_557_032],
  ])("resnet%i exports torchvision's %i names and %i parameters", (depth, keys, params) => {
    const model = resnet(depth as ResNetDepth, { inputSize: 32, stem: "imagenet", numClasses: 1000, seed: 1 });
    const sd = exportTorchvisionWeights(model);
    expect(Object.keys(sd)).toHaveLength(keys);
    const trainable = Object.entries(sd).filter(([k]) => !/running_/.test(k)).reduce((a, [, t]) => a + t.data.length, 0);
    expect(trainable).toBe(params);
    const last = depth === 50 ? 2048 : 512;
    expect(sd["conv1.weight"].shape).toEqual([64, 3, 7, 7]);
    expect(sd["layer2.0.downsample.0.weight"].shape).toEqual(depth === 50 ? [512, 256, 1, 1] : [128, 64, 1, 1]);
    expect(sd["layer2.0.downsample.1.running_var"].shape).toEqual([depth === 50 ? 512 : 128]);
    expect(sd["fc.weight"].shape).toEqual([1000, last]);
    if (depth === 50) expect(sd["layer4.2.conv3.weight"].shape).toEqual([2048, 512, 1, 1]);
    model.dispose();
  });

  it("moves conv [kh,kw,in,out] to [out,in,kh,kw] and linear [in,out] to [out,in]", () => {
    const model = resnet18({ inputSize: 8, width: 4, channels: 2, numClasses: 3, seed: 2 });
    const kernel = model.getLayer("conv1").getWeights()[0].arraySync() as number[][][][];
    const fc = model.getLayer("fc").getWeights()[0].arraySync() as number[][];
    const sd = exportTorchvisionWeights(model, { prefix: "encoder." });
    const w = sd["encoder.conv1.weight"];
    expect(w.shape).toEqual([4, 2, 3, 3]);
    for (const [o, i, y, x] of [[0, 0, 0, 0], [3, 1, 2, 0], [1, 0, 1, 2], [2, 1, 0, 1]]) {
      expect(w.data[((o * 2 + i) * 3 + y) * 3 + x]).toBe(kernel[y][x][i][o]);
    }
    const f = sd["encoder.fc.weight"];
    expect(f.shape).toEqual([3, 32]);
    expect(f.data[2 * 32 + 17]).toBe(fc[17][2]);
    model.dispose();
  });

  it("round-trips export → safetensors → import bit-exactly, and checkpoints load directly", () => {
    const before = tf.memory().numTensors;
    const a = small({ seed: 3 });
    const b = small({ seed: 4 });
    const file = writeSafetensors(exportTorchvisionWeights(a, { prefix: "net." }));
    loadTorchvisionWeights(b, readSafetensors(file), { prefix: "net." });
    const ea = exportTorchvisionWeights(a);
    const eb = exportTorchvisionWeights(b);
    expect(Object.keys(eb)).toEqual(Object.keys(ea));
    expect(differing(ea, eb)).toEqual([]);
    // and the PyTorch fixture's own tensors come back unchanged
    const t = fixture();
    const m = resnet18({ inputSize: 28, width: 16 });
    loadTorchvisionWeights(m, t, { prefix: "net.", strict: false });
    expect(differing(exportTorchvisionWeights(m, { prefix: "net." }), t)).toEqual([]);
    for (const model of [a, b, m]) model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("loads heads by prefix (byol-step fixture), converts F64 and ignores num_batches_tracked", () => {
    const t = readSafetensorsFile(fixturePath("byol-step.safetensors"));
    const projector = mlpHead({ inputSize: 128, hiddenSize: 256, outputSize: 64, name: "projector" });
    loadTorchvisionWeights(projector, t, { prefix: "online.projector." });
    const w = t["online.projector.3.weight"];
    expect(projector.getLayer("3").getWeights()[0].transpose().dataSync()).toEqual(w.data);
    const sd: Record<string, SafeTensor> = { ...exportTorchvisionWeights(projector) };
    sd["1.running_var"] = { dtype: "F64", shape: [256], data: Float64Array.from(sd["1.running_var"].data as Float32Array, (v) => v * 2) };
    sd["1.num_batches_tracked"] = { dtype: "I64", shape: [], data: new BigInt64Array([7n]) };
    loadTorchvisionWeights(projector, sd);
    expect(projector.getLayer("1").getWeights()[3].dataSync()[5]).toBeCloseTo((t["online.projector.1.running_var"].data[5] as number) * 2, 5);
    projector.dispose();
  });

  it("maps tfjs' own BatchNormalization too, and refuses layers it cannot map", () => {
    const input = tf.input({ shape: [4] });
    const bn = tf.layers.batchNormalization({ name: "bn" }).apply(input) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: bn });
    expect(Object.keys(exportTorchvisionWeights(m))).toEqual(["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]);
    const img = tf.input({ shape: [4, 4, 2] });
    const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, name: "dw" }).apply(img) as tf.SymbolicTensor;
    expect(() => exportTorchvisionWeights(tf.model({ inputs: img, outputs: dw }))).toThrow(/layer 'dw' \(DepthwiseConv2D\).*no torchvision mapping/);
  });
});

describe("checkpoints that do not fit", () => {
  const load = (m: tf.LayersModel, t: Record<string, SafeTensor>, strict = true) => () => loadTorchvisionWeights(m, t, { prefix: "net.", strict });

  it("lists every missing, unexpected and mis-shaped tensor in one error, and writes nothing", () => {
    const model = resnet18({ inputSize: 28, width: 16, seed: 5 });
    const t = fixture();
    delete t["net.layer3.1.bn2.running_var"];
    delete t["net.layer4.0.conv1.weight"];
    t["net.layer5.0.conv1.weight"] = t["net.layer1.0.conv1.weight"];
    t["net.bn1.weight"] = { dtype: "F32", shape: [17], data: new Float32Array(17) };
    const conv1 = model.getLayer("conv1").getWeights()[0].dataSync().slice();
    let message = "";
    try {
      load(model, t)();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/missing.*net\.layer3\.1\.bn2\.running_var/);
    expect(message).toMatch(/missing.*net\.layer4\.0\.conv1\.weight/);
    expect(message).toMatch(/unexpected.*net\.layer5\.0\.conv1\.weight/);
    expect(message).toMatch(/net\.bn1\.weight: checkpoint \[17\], model \[16\]/);
    expect(message).not.toMatch(/input|features/); // other tensors of the file are outside the prefix
    expect(model.getLayer("conv1").getWeights()[0].dataSync()).toEqual(conv1);
    model.dispose();
  });

  it("strict: false tolerates missing and unexpected tensors but never wrong shapes", () => {
    const model = resnet18({ inputSize: 28, width: 16 });
    const t = fixture();
    delete t["net.layer4.1.bn2.weight"];
    t["net.extra"] = t["net.bn1.bias"];
    expect(load(model, t, false)).not.toThrow();
    t["net.layer1.0.conv2.weight"] = { ...t["net.layer1.0.conv2.weight"], shape: [16, 16, 1, 9] };
    expect(load(model, t, false)).toThrow(/net\.layer1\.0\.conv2\.weight: checkpoint \[16, 16, 1, 9\], model \[16, 16, 3, 3\]/);
    model.dispose();
  });

  it("explains a wrong input-channel count", () => {
    const model = resnet18({ inputSize: 28, width: 16, channels: 1 });
    expect(load(model, fixture())).toThrow(/checkpoint conv1 expects 3 input channels, model has 1/);
    model.dispose();
  });

  it("names the file when it is missing or not safetensors", () => {
    const dir = mkdtempSync(join(tmpdir(), "byol-tv-"));
    const bad = join(dir, "weights.pth");
    writeFileSync(bad, Buffer.from("PK\x03\x04 this is a torch.save zip archive, not safetensors"));
    expect(() => readSafetensorsFile(bad)).toThrow(new RegExp(`${bad.replace(/[.]/g, "\\.")}: not a valid safetensors file`));
    expect(() => parseSafetensorsFile(join(dir, "absent.safetensors"))).toThrow(/absent\.safetensors: cannot read the file \(ENOENT\)/);
  });

  it("rejects integer tensors where floats belong", () => {
    const model = mlpHead({ inputSize: 2, hiddenSize: 3, outputSize: 2 });
    const sd: Record<string, SafeTensor> = { ...exportTorchvisionWeights(model) };
    sd["0.bias"] = { dtype: "I64", shape: [3], data: new BigInt64Array(3) };
    expect(() => loadTorchvisionWeights(model, sd)).toThrow(/'0\.bias' is I64, expected floating point/);
    expect(model.getLayer("1")).toBeInstanceOf(BatchNorm);
  });
});
