// Exact resume on wasm, the default backend, with the default network's width and batch: a restored
// learner's next step leaves every tensor as the uninterrupted run's (named when one differs), and
// `byol train` stopped by Ctrl-C or killed after a periodic checkpoint, then `--resume`d, gives the
// uninterrupted run's losses and final weights bit for bit, on one and two kernel threads.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";
import type { Learner } from "../src/learner";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import type { BatchPosition } from "../src/data/batches";
import { restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner, createTrainer } from "../src/train/setup";
import { byol, checkpointTensors, DATA, haveData, lossCurve } from "./cli-run";

afterAll(async () => {
  await setBackend("cpu");
});

/** Every tensor a step reads or writes, by name: weights and BN statistics of all networks, optimizer slots. */
function stepState(learner: Learner): Map<string, tf.Tensor> {
  const state = new Map<string, tf.Tensor>();
  for (const [prefix, m] of learner.models) for (const w of m.weights) state.set(`${prefix}/${w.originalName}`, w.read().clone());
  for (const [k, t] of Object.entries(learner.getOptimizerState().slots)) state.set(`optimizer/${k}`, t);
  return state;
}

/** Names of the tensors whose bits differ (or that one side lacks). */
function differing(a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).slice().buffer);
  return [...names].filter((k) => !a.has(k) || !b.has(k) || !bits(a.get(k)!).equals(bits(b.get(k)!)));
}

describe.skipIf(!haveData)("resume on wasm, default network", () => {
  describe.each([1, 2])("%i kernel thread(s)", (threads) => {
    it("a restored learner's next steps leave every tensor as the uninterrupted run's", async () => {
      await setBackend("wasm", { kernelThreads: threads });
      const data = await loadFashionMnist({ path: DATA, split: "train", limit: 512 });
      const config: RunConfig = { ...DEFAULT_RUN, totalSteps: 20, limit: 512 };
      const trainer = (learner: Learner, position?: BatchPosition) => createTrainer(config, learner, data, position);
      const straight = await buildLearner(config);
      const ts = await trainer(straight);
      for (let i = 0; i < 5; i++) ts.step();
      const restored = await buildLearner({ ...config, seed: 7 }); // other initial weights: all must come from the file
      restoreCheckpoint(restored, await serializeCheckpoint(straight, { step: straight.steps }), "checkpoint");
      const tr = await trainer(restored, ts.position);
      let [sa, sb] = [stepState(straight), stepState(restored)];
      expect(differing(sa, sb), "after restore").toEqual([]);
      for (let i = 0; i < 2; i++) {
        tf.dispose([...sa.values(), ...sb.values()]);
        const [ra, rb] = [ts.step(), tr.step()];
        expect(rb.loss).toBe(ra.loss);
        [sa, sb] = [stepState(straight), stepState(restored)];
        expect([...sa.keys()].filter((k) => k.startsWith("optimizer/"))).toHaveLength(2 * straight.parameters.length); // Adam's m and v
        expect(differing(sa, sb), `after step ${ra.step}`).toEqual([]);
      }
      tf.dispose([...sa.values(), ...sb.values()]);
      straight.dispose();
      restored.dispose();
    });

    const dir = mkdtempSync(join(tmpdir(), `byol-resume-${threads}-`));
    const args = ["--data", DATA, "--limit", "256", "--steps", "14", "--threads", String(threads), "--log-every", "1", "--eval-every", "1000", "--final", "none"];
    const straight = join(dir, "straight");
    const finishedStraight = byolOnce(["train", ...args, "--out", straight]);

    it.each([
      ["Ctrl-C mid-run", "SIGINT", "1000", /step 5\/14/, 130],
      ["SIGKILL after a periodic checkpoint", "SIGKILL", "4", /step 6\/14/, null],
    ] as const)("`byol train` stopped by %s, then --resume, equals the uninterrupted run", async (_, signal, every, when, code) => {
      expect((await finishedStraight()).code).toBe(0);
      const cut = join(dir, signal);
      let sent = false;
      const first = await byol(["train", ...args, "--checkpoint-every", every, "--out", cut], (text, child) => {
        if (!sent && when.test(text)) {
          sent = true;
          child.kill(signal);
        }
      });
      expect(first.code, first.stderr).toBe(code);
      const second = await byol(["train", "--resume", "--out", cut, "--data", DATA, "--threads", String(threads), "--final", "none", "--eval-every", "1000"]);
      expect(second.code, second.stderr).toBe(0);
      const resumedAt = Number(/resuming .* at step (\d+) of 14/.exec(second.stderr)?.[1]);
      expect(resumedAt).toBeGreaterThanOrEqual(signal === "SIGINT" ? 5 : 4);
      expect(resumedAt).toBeLessThan(14);
      expect(lossCurve(cut)).toEqual(lossCurve(straight));
      const [a, b] = [checkpointTensors(straight), checkpointTensors(cut)];
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      for (const k of Object.keys(a)) expect(Buffer.from(b[k].data.buffer).equals(Buffer.from(a[k].data.buffer)), k).toBe(true);
    });
  });
});

/** Starts a run once, on first use, for the tests that compare against it. */
function byolOnce(args: string[]): () => ReturnType<typeof byol> {
  let run: ReturnType<typeof byol> | undefined;
  return () => (run ??= byol(args));
}
