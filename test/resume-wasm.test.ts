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
import { restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner, createTrainer } from "../src/train/setup";
import type { Trainer } from "../src/train/trainer";
import { byol, checkpointTensors, DATA, haveData, lossCurve } from "./cli-run";

afterAll(async () => {
  await setBackend("cpu");
});

/** Every tensor a step reads or writes, by name: weights and BN statistics of all networks, optimizer slots. */
async function stepState(learner: Learner, trainer: Trainer): Promise<Map<string, Float32Array>> {
  const state = new Map<string, Float32Array>();
  for (const [prefix, m] of learner.models) for (const w of m.weights) state.set(`${prefix}/${w.originalName}`, w.read().dataSync() as Float32Array);
  for (const [k, t] of Object.entries((await trainer.state()).optimizer.slots)) state.set(`optimizer/${k}`, t.data);
  return state;
}

/** Names of the tensors whose bits differ (or that one side lacks). */
function differing(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  const bits = (t: Float32Array) => Buffer.from(t.slice().buffer);
  return [...names].filter((k) => !a.has(k) || !b.has(k) || !bits(a.get(k)!).equals(bits(b.get(k)!)));
}

describe.skipIf(!haveData)("resume on wasm, default network", () => {
  describe.each([1, 2])("%i kernel thread(s)", (threads) => {
    it("a restored learner's next steps leave every tensor as the uninterrupted run's", async () => {
      await setBackend("wasm", { kernelThreads: threads });
      const data = await loadFashionMnist({ path: DATA, split: "train", limit: 512 });
      const config: RunConfig = { ...DEFAULT_RUN, totalSteps: 20, limit: 512 };
      const straight = await buildLearner(config);
      const ts = await createTrainer(config, straight, data);
      for (let i = 0; i < 5; i++) await ts.step();
      const restored = await buildLearner({ ...config, seed: 7 }); // other initial weights: all must come from the file
      const { state } = restoreCheckpoint(restored, await serializeCheckpoint(straight, await ts.state()), "checkpoint");
      const tr = await createTrainer(config, restored, data, { state });
      let [sa, sb] = [await stepState(straight, ts), await stepState(restored, tr)];
      expect(differing(sa, sb), "after restore").toEqual([]);
      for (let i = 0; i < 2; i++) {
        const [ra, rb] = [await ts.step(), await tr.step()];
        expect(rb.loss).toBe(ra.loss);
        [sa, sb] = [await stepState(straight, ts), await stepState(restored, tr)];
        expect([...sa.keys()].filter((k) => k.startsWith("optimizer/"))).toHaveLength(2 * straight.parameters.length); // Adam's m and v
        expect(differing(sa, sb), `after step ${ra.step}`).toEqual([]);
      }
      [ts, tr].forEach((t) => t.dispose());
      [straight, restored].forEach((l) => l.dispose());
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
