// The Trainer, the one training loop: a failed step is undone whole (weights, BatchNorm statistics,
// optimizer, step counter, data position) and the next one goes on; the run length binds both
// schedules; every step reports its phases.
import { beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";
import { BYOL } from "../src/byol";
import { syntheticImages } from "../src/bench/step";
import { smallCnn } from "../src/nets/small-cnn";
import { learningRateAt, tauAt } from "../src/train/schedules";
import { Trainer } from "../src/train/trainer";
import { givenViews, randn } from "./helpers";

beforeAll(async () => {
  await setBackend("wasm");
});

const SIZE = 12;
const create = (lossImpl: "kernel" | "tfjs" = "kernel") => BYOL.create({ encoder: smallCnn({ inputSize: SIZE, channels: 1, width: 4, seed: 1 }), imageSize: SIZE, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1, lossImpl });
const everything = (learner: BYOL) => learner.models.flatMap(([, m]) => m.weights.map((w) => Array.from(w.read().dataSync())));

describe("Trainer", () => {
  // the loss kernel refuses a NaN input; tfjs ops give a NaN loss
  it.each([
    ["kernel", /^byol step 1: byolLoss: z2\[0, 0\] is NaN; inputs must be finite; no weights were updated/],
    ["tfjs", /^byol step 1: the loss is NaN; no weights were updated/],
  ] as const)("undoes a failed step whole (%s loss), names it, and goes on with the same batch", async (lossImpl, message) => {
    const learner = await create(lossImpl);
    const n = 8 * SIZE * SIZE;
    const good = randn(n, 1);
    const bad = good.slice();
    bad[3] = NaN;
    const augment = givenViews(good, randn(n, 2));
    let poison = false;
    const trainer = await Trainer.create({
      learner, data: syntheticImages(24, SIZE, 1), batchSize: 8, totalSteps: 10, learningRate: 1e-2,
      augment: (batch) => (poison ? { view1: good, view2: bad } : augment(batch)),
    });
    await trainer.step();
    const [weights, position, state] = [everything(learner), trainer.position, await trainer.state()];
    poison = true;
    await expect(trainer.step()).rejects.toThrow(message);
    expect(everything(learner)).toEqual(weights); // BatchNorm statistics included: the forward had moved them
    expect([trainer.steps, trainer.position]).toEqual([1, position]);
    expect(await trainer.state()).toEqual(state);
    poison = false;
    const r = await trainer.step();
    expect([r.step, Number.isFinite(r.loss)]).toEqual([1, true]);
    expect(trainer.position).toEqual({ epoch: 0, batch: 2 });
    trainer.dispose();
    learner.dispose();
  });

  it("binds both schedules to the run length, which may change mid-run", async () => {
    const learner = await create();
    const o = { base: 1e-2, warmupSteps: 2 };
    const trainer = await Trainer.create({ learner, data: syntheticImages(16, SIZE, 1), batchSize: 8, totalSteps: 10, learningRate: o.base, warmupSteps: o.warmupSteps, tau: { base: 0.9, schedule: "cosine" } });
    const results = [await trainer.step(), await trainer.step(), await trainer.step()];
    results.forEach((r, k) => expect([r.learningRate, r.tau]).toEqual([learningRateAt(k, { ...o, totalSteps: 10 }), tauAt(k, 10, 0.9)]));
    trainer.totalSteps = 4;
    const last = await trainer.step();
    expect([last.learningRate, last.tau]).toEqual([learningRateAt(3, { ...o, totalSteps: 4 }), tauAt(3, 4, 0.9)]);
    expect(() => (trainer.totalSteps = 0)).toThrow(/totalSteps must be a positive integer, got 0/);
    for (const r of [...results, last]) {
      const p = r.phases;
      expect(Object.values(p).every((ms) => ms >= 0)).toBe(true);
      expect(p.augment + p.gradients + p.optimizer + p.afterStep).toBeCloseTo(r.milliseconds, 6);
    }
    trainer.dispose();
    learner.dispose();
  });
});
