// Stress: a checkpoint write that fails as a full disk would (through the fault-injection point)
// stops the run cleanly and keeps the last good checkpoint; absurd learning rates, all-black,
// all-white and identical images, and batches of 2 either train or stop with a clear message — and
// no checkpoint ever holds a NaN.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";
import { BYOL } from "../src/byol";
import { smallCnn } from "../src/nets/small-cnn";
import { readCheckpointInfo } from "../src/train/checkpoint";
import { Trainer } from "../src/train/trainer";
import { byol, checkpointTensors, DATA, haveData } from "./cli-run";
import { itFull } from "./tier";

const finite = (out: string) => Object.entries(checkpointTensors(out)).filter(([, t]) => !(t.data as Float32Array).every(Number.isFinite)).map(([k]) => k);

describe.skipIf(!haveData)("stress", () => {
  const dir = mkdtempSync(join(tmpdir(), "byol-stress-"));
  const args = ["--data", DATA, "--limit", "256", "--threads", "1", "--log-every", "1", "--eval-every", "1000", "--final", "none"];

  itFull.each(["enospc", "eio"])("a checkpoint write failing with %s stops the run (exit 1), naming the file; the last good checkpoint stays", async (fault) => {
    const out = join(dir, fault);
    const r = await byol(["train", ...args, "--steps", "9", "--checkpoint-every", "3", "--out", out], undefined, { BYOL_CHECKPOINT_FAULT: `${fault}:written:2` });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`checkpoint\\.safetensors: cannot write the checkpoint: ${fault.toUpperCase()}.*The last good checkpoint \\(step 3\\) is .*checkpoint\\.safetensors`));
    expect(readCheckpointInfo(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors"))), fault).step).toBe(3);
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const resumed = await byol(["train", "--resume", "--out", out, "--data", DATA, "--threads", "1", "--final", "none", "--eval-every", "1000"]);
    expect(resumed.code, resumed.stderr).toBe(0);
  }, 300_000);

  itFull("learning rate 1e3: trains or stops naming the step; no checkpoint holds a NaN", async () => {
    const out = join(dir, "lr1e3");
    const r = await byol(["train", ...args, "--steps", "12", "--checkpoint-every", "2", "--lr", "1000", "--out", out]);
    if (r.code !== 0) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/BYOL step \d+: .*no weights were updated.*The last good checkpoint/);
    }
    expect(finite(out)).toEqual([]);
  }, 300_000);
});

describe("degenerate batches", () => {
  it("all-black, all-white and identical images, batch 2: every step finite or refused, weights finite", async () => {
    await setBackend("wasm");
    const learner = await BYOL.create({ encoder: smallCnn({ inputSize: 12, channels: 1, width: 4, seed: 1 }), imageSize: 12, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1 });
    const sets = [new Uint8Array(2 * 144), new Uint8Array(2 * 144).fill(255), new Uint8Array(8 * 144).map((_, i) => (i % 144) * 7 % 256)];
    const trainers = await Promise.all(sets.map((images) => {
      const data = { images, n: images.length / 144, height: 12, width: 12, channels: 1, classes: [] };
      return Trainer.create({ learner, data, batchSize: data.n, totalSteps: 12, learningRate: 1e-2, seed: 1 });
    }));
    for (let step = 0; step < 12; step++) {
      try {
        expect(Number.isFinite((await trainers[step % 3].step()).loss)).toBe(true);
      } catch (e) {
        expect((e as Error).message).toMatch(/^byol step \d+: .*no weights were updated/);
      }
      const n2 = learner.networks;
      for (const m of [n2.online.encoder!, n2.online.projector, n2.predictor, n2.target!.encoder, n2.target!.projector]) {
        for (const w of m.weights) expect((w.read().dataSync() as Float32Array).every(Number.isFinite), w.name).toBe(true);
      }
    }
    trainers.forEach((t) => t.dispose());
    learner.dispose();
    await setBackend("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });
});
