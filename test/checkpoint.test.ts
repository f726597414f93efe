// Run checkpoints: exact round trip (weights, BN statistics, optimizer slots, step, data position),
// errors that name the file and the tensors (crash safety of the write: test/crash.test.ts).
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { BYOL } from "../src/byol";
import { readCheckpointInfo, restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { smallCnn } from "../src/nets/small-cnn";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner } from "../src/train/setup";
import { Trainer, type TrainerState } from "../src/train/trainer";
import { syntheticImages } from "../src/bench/step";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const make = (seed: number, width = 4) =>
  BYOL.create({ encoder: smallCnn({ inputSize: 12, channels: 1, width, seed }), imageSize: 12, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed });

/** 24 images in batches of 8 over 10 steps: a resume at step 3 starts the second epoch. */
const trainerOf = (learner: BYOL, state?: TrainerState) => Trainer.create({ learner, data: syntheticImages(24, 12, 1), batchSize: 8, totalSteps: 10, learningRate: 1e-2, seed: 5, state });

async function weights(l: BYOL): Promise<Float32Array[]> {
  const n = l.networks;
  const models = [n.online.encoder!, n.online.projector, n.predictor, n.target!.encoder, n.target!.projector];
  return Promise.all(models.flatMap((m) => m.weights.map(async (w) => (await w.read().data()) as Float32Array)));
}

describe("checkpoints", () => {
  it("restore continues exactly where the original goes", async () => {
    const a = await make(1);
    const ta = await trainerOf(a);
    for (let s = 0; s < 3; s++) await ta.step();
    const bytes = await serializeCheckpoint(a, await ta.state(), { note: "x" });
    const b = await make(2); // different initial weights: everything must come from the file
    const { info, state } = restoreCheckpoint(b, bytes, "ck.safetensors");
    expect(info).toMatchObject({ note: "x", step: 3, optimizerStep: 3, position: { epoch: 1, batch: 0 } });
    expect(Object.keys(state.optimizer.slots).length).toBe(2 * a.parameters.length); // Adam's m and v
    const tb = await trainerOf(b, state);
    expect([tb.steps, tb.position]).toEqual([3, { epoch: 1, batch: 0 }]);
    for (let s = 3; s < 6; s++) {
      const [ra, rb] = [await ta.step(), await tb.step()];
      expect(rb).toMatchObject({ step: s, loss: ra.loss, tau: ra.tau, learningRate: ra.learningRate, position: ra.position });
    }
    const [wa, wb] = [await weights(a), await weights(b)];
    wa.forEach((w, i) => expect(Buffer.from(wb[i].buffer).equals(Buffer.from(w.buffer))).toBe(true));
    ta.dispose();
    tb.dispose();
  });

  it("names the file and every tensor that does not fit", async () => {
    const a = await make(1, 4);
    const b = await make(1, 6);
    const bytes = await serializeCheckpoint(a, { step: 0, position: { epoch: 0, batch: 0 }, optimizer: { step: 0, slots: {} } });
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
