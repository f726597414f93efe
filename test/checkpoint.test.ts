// Learner checkpoints: exact round trip (weights, BN statistics, optimizer slots, step), errors that
// name the file and the tensors (crash safety of the write: test/crash.test.ts).
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { BYOL } from "../src/byol";
import { readCheckpointInfo, restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { smallCnn } from "../src/nets/small-cnn";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner } from "../src/train/setup";
import { randn } from "./helpers";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const make = (seed: number, width = 4) =>
  BYOL.create({ encoder: smallCnn({ inputSize: 12, channels: 1, width, seed }), imageSize: 12, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed, totalSteps: 10 });

const views = (seed: number) => [tf.tensor4d(randn(8 * 144, seed), [8, 12, 12, 1]), tf.tensor4d(randn(8 * 144, seed + 1), [8, 12, 12, 1])] as const;

async function weights(l: BYOL): Promise<Float32Array[]> {
  const n = l.networks;
  const models = [n.online.encoder!, n.online.projector, n.predictor, n.target!.encoder, n.target!.projector];
  return Promise.all(models.flatMap((m) => m.weights.map(async (w) => (await w.read().data()) as Float32Array)));
}

describe("checkpoints", () => {
  it("restore continues exactly where the original goes", async () => {
    const a = await make(1);
    for (let s = 0; s < 3; s++) a.stepViews(...views(10 + s));
    const bytes = await serializeCheckpoint(a, { step: a.steps, note: "x" });
    const b = await make(2); // different initial weights: everything must come from the file
    const info = restoreCheckpoint(b, bytes, "ck.safetensors");
    expect(info.note).toBe("x");
    expect(b.steps).toBe(3);
    for (let s = 3; s < 5; s++) {
      const ra = a.stepViews(...views(10 + s));
      const rb = b.stepViews(...views(10 + s));
      expect(rb.loss).toBe(ra.loss);
    }
    const [wa, wb] = [await weights(a), await weights(b)];
    wa.forEach((w, i) => expect(Buffer.from(wb[i].buffer).equals(Buffer.from(w.buffer))).toBe(true));
  });

  it("names the file and every tensor that does not fit", async () => {
    const a = await make(1, 4);
    const b = await make(1, 6);
    const bytes = await serializeCheckpoint(a, { step: 0 });
    const before = await weights(b);
    expect(() => restoreCheckpoint(b, bytes, "run/ck.safetensors")).toThrow(/run\/ck\.safetensors: checkpoint does not fit this learner: .*is \[.*\], the learner has \[/);
    (await weights(b)).forEach((w, i) => expect(w).toEqual(before[i])); // nothing was written
    expect(() => readCheckpointInfo(new TextEncoder().encode("garbage!garbage!"), "g.safetensors")).toThrow(/g\.safetensors/);
  });

  it("rebuilds the method its run config names; a config from before the choice is BYOL, or SimSiam without momentum", async () => {
    const old: RunConfig = { ...DEFAULT_RUN, encoder: { arch: "small-cnn", width: 4, stem: "cifar" }, representation: undefined, imageSize: 12, projectionSize: 8, projectionHiddenSize: 16 };
    expect(old.method).toBeUndefined();
    const configs: RunConfig[] = [old, { ...old, useMomentum: false }, { ...old, method: "vicreg" }];
    const methods = [];
    for (const c of configs) {
      const learner = await buildLearner(c);
      methods.push(learner.method);
      learner.dispose();
    }
    expect(methods).toEqual(["byol", "simsiam", "vicreg"]);
  });
});
