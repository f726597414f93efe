// One BYOL loss-and-gradient evaluation from the PyTorch step fixture, on whatever tfjs backend is
// active: the same code runs in Node and, bundled, in Chromium (the cross-backend parity test).
import * as tf from "@tensorflow/tfjs";
import { BYOL } from "../src/byol";
import { loadTorchvisionWeights } from "../src/io/torchvision";
import { readSafetensors, writeSafetensors, type SafeTensor } from "../src/io/safetensors";
import { smallCnn } from "../src/nets/small-cnn";

/** The loss and every gradient (in `learner.parameters` order, concatenated) of one evaluation. */
export interface FixtureGradients {
  backend: string;
  loss: number;
  names: string[];
  sizes: number[];
  grads: Float32Array;
}

const nchwToNhwc = (t: SafeTensor) => tf.tidy(() => tf.tensor4d(t.data as Float32Array, t.shape as [number, number, number, number]).transpose([0, 2, 3, 1]) as tf.Tensor4D);

/**
 * The encoder of the parity check: a small CNN whose 4·32 = 128 features feed the fixture's projector
 * (128 → 256 → 64). The fixture's ResNet-18 takes minutes on tfjs' cpu backend on a shared 2-core
 * machine, too slow for CI; the heads, the views and the loss are the fixture's.
 */
const encoder = () => smallCnn({ inputSize: 28, channels: 3, width: 32, seed: 7 });

/** Fresh encoder weights (in `getWeights()` order, BatchNorm statistics included) as safetensors bytes. */
export function encoderWeightBytes(): Uint8Array {
  const model = encoder();
  const weights = model.getWeights();
  const bytes = writeSafetensors(Object.fromEntries(weights.map((w, i) => [`w${i}`, { shape: w.shape, data: w.dataSync() as Float32Array }])));
  model.dispose();
  return bytes;
}

/**
 * Loss and gradients of the fixture's two views with the encoder weights in `encoderBytes` and the
 * fixture's `online.projector.*` / `predictor.*` weights (the target a copy of the online network).
 * Those are the fixture's post-step values (see byol-step.test.ts), which does not matter here:
 * every backend gets the same ones.
 */
export async function fixtureGradients(fixtureBytes: Uint8Array, encoderBytes: Uint8Array): Promise<FixtureGradients> {
  const fx = readSafetensors(fixtureBytes, "byol-step.safetensors");
  const saved = readSafetensors(encoderBytes, "encoder weights");
  const online = encoder();
  const values = online.getWeights().map((w, i) => tf.tensor(saved[`w${i}`].data as Float32Array, w.shape));
  online.setWeights(values);
  tf.dispose(values);
  const learner = await BYOL.create({
    encoder: online, hiddenLayer: "avgpool", imageSize: 28, channels: 3, projectionSize: 64, projectionHiddenSize: 256,
  });
  const n = learner.networks;
  for (const [model, prefix] of [[n.online.projector, "online.projector."], [n.predictor, "predictor."], [n.target!.projector, "online.projector."]] as const) {
    loadTorchvisionWeights(model, fx, { prefix });
  }
  const [v1, v2] = [nchwToNhwc(fx.view1), nchwToNhwc(fx.view2)];
  const { loss, grads, monitors } = learner.computeGradients(v1, v2);
  const gradValues = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
  const out: FixtureGradients = {
    backend: tf.getBackend(), loss: (await loss.data())[0], names: learner.parameters.map((p) => p.name),
    sizes: gradValues.map((v) => v.length), grads: new Float32Array(gradValues.reduce((s, v) => s + v.length, 0)),
  };
  gradValues.reduce((at, v) => (out.grads.set(v, at), at + v.length), 0);
  tf.dispose([loss, ...grads, monitors, v1, v2]);
  learner.dispose();
  online.dispose(); // the caller's encoder: the learner leaves it alone
  return out;
}

/**
 * Worst per-tensor relative L2 of `a`'s gradients against `ref`'s, as ‖a − ref‖ / max(‖ref‖, 1e-2·‖largest‖).
 * The floor is for gradients that are zero by structure (a bias followed by BatchNorm; the projector's
 * output bias, whose shift the predictor's BatchNorm removes): both sides hold rounding noise only,
 * ~1e-7 of the largest gradient. Every other gradient here is above the floor (the smallest, ~2.5%).
 */
export function worstGradientError(a: FixtureGradients, ref: FixtureGradients, options: { aboveFloorOnly?: boolean } = {}): { name: string; rel: number } {
  let at = 0;
  const parts = ref.sizes.map((size) => {
    const slice = [a.grads.subarray(at, at + size), ref.grads.subarray(at, at + size)] as const;
    at += size;
    return slice;
  });
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const floor = 1e-2 * Math.max(...parts.map(([, r]) => norm(r)));
  return parts.reduce((worst, [x, r], i) => {
    if (options.aboveFloorOnly && norm(r) < floor) return worst;
    const rel = Math.sqrt(x.reduce((s, v, j) => s + (v - r[j]) ** 2, 0)) / Math.max(norm(r), floor);
    return rel > worst.rel ? { name: ref.names[i], rel } : worst;
  }, { name: "", rel: 0 });
}

/** The learner's networks in a fixed order, for copying every weight from one backend to another. */
const allModels = (l: BYOL) => {
  const n = l.networks;
  return [n.online.encoder!, n.online.projector, n.predictor, n.target!.encoder, n.target!.projector];
};

/** Views of the tiny check: batch 6, 16×16×1, values in [0, 1) from a fixed LCG (no tfjs RNG involved). */
function tinyViews(): [tf.Tensor4D, tf.Tensor4D] {
  const n = 6 * 16 * 16;
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return [0, 1].map(() => tf.tensor4d(Float32Array.from({ length: n }, next), [6, 16, 16, 1])) as [tf.Tensor4D, tf.Tensor4D];
}

/**
 * Loss and gradients of a tiny BYOL learner (small CNN width 4 on 16×16×1, batch 6, heads 32 → 16)
 * on whatever backend is active, with `weights` (every network's, from an earlier call's
 * `weights`) when given, so two backends evaluate the same numbers; fresh seeded ones otherwise.
 */
export async function tinyGradients(weights?: Float32Array[]): Promise<FixtureGradients & { weights: Float32Array[] }> {
  const learner = await BYOL.create({
    encoder: smallCnn({ inputSize: 16, channels: 1, width: 4, seed: 3 }), imageSize: 16, channels: 1,
    projectionSize: 16, projectionHiddenSize: 32, seed: 3,
  });
  const models = allModels(learner);
  if (weights) {
    let i = 0;
    for (const m of models) {
      const values = m.getWeights().map((w) => tf.tensor(weights[i++], w.shape));
      m.setWeights(values);
      tf.dispose(values);
    }
  }
  const used = await Promise.all(models.flatMap((m) => m.getWeights().map((w) => w.data() as Promise<Float32Array>)));
  const [v1, v2] = tinyViews();
  const { loss, grads, monitors } = learner.computeGradients(v1, v2);
  const gradValues = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
  const out = {
    backend: tf.getBackend(), loss: (await loss.data())[0], names: learner.parameters.map((p) => p.name),
    sizes: gradValues.map((v) => v.length), grads: new Float32Array(gradValues.reduce((s, v) => s + v.length, 0)), weights: used,
  };
  gradValues.reduce((at, v) => (out.grads.set(v, at), at + v.length), 0);
  tf.dispose([loss, ...grads, monitors, v1, v2]);
  const encoder = learner.networks.online.encoder!;
  learner.dispose();
  encoder.dispose(); // the caller's encoder (made here): the learner leaves it alone
  return out;
}
