// Training-mode gradients of the ResNet on wasm against cpu, on the fixture's weights and images.
//
// On this data whole-network gradients differ by ~1e-3 between the backends, which looked like a
// wasm bug. It is a ReLU kink: one pre-activation (layer3.0.relu1, image 2) is −8.6e-7 in float64,
// below the float32 rounding of the forward pass (~1e-6 at that depth on either backend); cpu
// rounds it to +1.9e-7, wasm to a negative value, so ReLU's derivative there is 1 on cpu and 0 on
// wasm, and that one element's gradient reaches every layer below. (byol-step's fixture holds such
// a kink too, in layer4.1.relu1 of view 2, where cpu happens to round like PyTorch.)
// So the checks here are the ones a wasm bug would fail and rounding would not: no tensor changes
// after it is produced (scratch overlap, stale memory views), masks differ only at inputs within
// rounding of 0, and with cpu's ReLU masks the gradients equal cpu's (3e-6; own masks: 1.5e-3).
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";
import { loadTorchvisionWeights } from "../src/io/torchvision";
import { readSafetensors } from "../src/io/safetensors";
import { resnet18 } from "../src/nets/resnet";
import { fixturePath, randn, relL2 } from "./helpers";

const fx = readSafetensors(readFileSync(fixturePath("byol-step.safetensors")), "byol-step.safetensors");

type Backend = "cpu" | "wasm";
type Values = ArrayLike<number>;
interface BackendLike {
  readSync(dataId: object): Values;
  typedArrayFromHeap?(t: TensorInfo): { set(values: Values): void };
}
/** One kernel execution: its name, attrs, inputs and outputs (with their data at the time). */
interface Call {
  name: string;
  attrs: unknown;
  inputs: { name: string; dataId: object; shape: number[]; dtype: tf.DataType; data: Values }[];
  outputs: { dataId: object; data: Values }[];
}

/**
 * Routes every kernel of `backend` through `around(name, args, run)`; returns the undo. Kernels
 * bound in setupFunc stay bound (the backend is already initialised).
 */
function interceptKernels(backend: Backend, around: (name: string, args: Parameters<KernelFunc>[0], run: KernelFunc) => ReturnType<KernelFunc>): () => void {
  const configs: KernelConfig[] = tf.getKernelsForBackend(backend);
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({ ...config, kernelFunc: (args) => around(config.kernelName, args, config.kernelFunc) });
  }
  return () => {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, backend);
      tf.registerKernel(config);
    }
  };
}

const outputsOf = (out: ReturnType<KernelFunc>) => (Array.isArray(out) ? out : [out]) as TensorInfo[];

/** Gradients of Σ resnet18(x)·dy wrt every trainable weight, in training mode, on `backend`. */
async function gradients(backend: Backend, around?: Parameters<typeof interceptKernels>[1]): Promise<Float32Array[]> {
  await setBackend(backend);
  const model = resnet18({ inputSize: 28, channels: 3, stem: "cifar", width: 16 });
  loadTorchvisionWeights(model, fx, { prefix: "online.encoder." });
  const x = tf.tidy(() => tf.tensor4d(fx.view1.data as Float32Array, [8, 3, 28, 28]).transpose([0, 2, 3, 1]));
  const dy = tf.tensor2d(randn(8 * 128, 7), [8, 128]);
  const restore = around ? interceptKernels(backend, around) : () => {};
  try {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, dy)) as tf.Scalar, vars);
    const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    restore();
    tf.dispose([x, dy]);
    model.dispose();
  }
}

/** A recorder of every kernel call on `backend`, data copied as it is read and written. */
function recorder(backend: Backend, calls: Call[]): Parameters<typeof interceptKernels>[1] {
  return (name, args, run) => {
    const be = tf.findBackend(backend) as unknown as BackendLike;
    const read = (t: TensorInfo) => (t.dtype === "string" ? [] : (be.readSync(t.dataId) as Float32Array).slice());
    const inputs = Object.entries(args.inputs as Record<string, TensorInfo | undefined>)
      .filter((e): e is [string, TensorInfo] => e[1] != null)
      .map(([input, t]) => ({ name: input, dataId: t.dataId, shape: t.shape.slice(), dtype: t.dtype, data: read(t) }));
    const out = run(args);
    calls.push({ name, attrs: args.attrs, inputs, outputs: outputsOf(out).map((t) => ({ dataId: t.dataId, data: read(t) })) });
    return out;
  };
}

/** Routes only `kernel` through `around`; every other kernel runs as is. */
const only = (kernel: string, around: Parameters<typeof interceptKernels>[1]): Parameters<typeof interceptKernels>[1] =>
  (name, args, run) => (name === kernel ? around(name, args, run) : run(args));

describe("ResNet training gradients on wasm vs cpu (fixture weights and images)", () => {
  afterAll(async () => {
    await setBackend("cpu");
  });

  it("agree given the same ReLU masks; the masks differ only where the ReLU input is within rounding of 0", async () => {
    const tensorsBefore = tf.memory().numTensors;
    // cpu: gradients and the ReLU derivative masks (Step) it used
    const cpuSteps: Call[] = [];
    const cpu = await gradients("cpu", only("Step", recorder("cpu", cpuSteps)));

    // wasm, own masks: every kernel call recorded to check that no tensor changes after it is
    // produced (a stale memory view or overlapping scratch would show here)
    const calls: Call[] = [];
    await gradients("wasm", recorder("wasm", calls));
    const written = new Map<object, { data: Values; by: string }>();
    for (const [i, c] of calls.entries()) {
      for (const input of c.inputs) {
        const w = written.get(input.dataId);
        if (w) expect(relL2(input.data, w.data), `call ${i} ${c.name}: input ${input.name} changed since ${w.by} wrote it`).toBe(0);
      }
      for (const o of c.outputs) written.set(o.dataId, { data: o.data, by: `call ${i} ${c.name}` });
    }
    const wasmSteps = calls.filter((c) => c.name === "Step");
    expect(wasmSteps.length).toBe(cpuSteps.length);
    for (const [i, c] of wasmSteps.entries()) {
      const [mask, cpuMask] = [c.outputs[0].data, cpuSteps[i].outputs[0].data];
      expect(mask.length, `Step ${i}: size`).toBe(cpuMask.length);
      for (let j = 0; j < mask.length; j++) {
        if (mask[j] === cpuMask[j]) continue;
        expect(Math.abs(c.inputs[0].data[j]), `Step ${i} element ${j}: wasm ReLU input`).toBeLessThan(1e-5);
        expect(Math.abs(cpuSteps[i].inputs[0].data[j]), `Step ${i} element ${j}: cpu ReLU input`).toBeLessThan(1e-5);
      }
    }

    // wasm with cpu's masks: the backward pass matches to float32 rounding
    let step = 0;
    const shared = await gradients("wasm", only("Step", (_, args, run) => {
      const out = run(args) as TensorInfo;
      (tf.findBackend("wasm") as unknown as BackendLike).typedArrayFromHeap!(out).set(cpuSteps[step++].outputs[0].data);
      return out;
    }));
    expect(step).toBe(cpuSteps.length);
    const errors = shared.map((g, i) => relL2(g, cpu[i]));
    expect(Math.max(...errors)).toBeLessThan(2e-5);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
