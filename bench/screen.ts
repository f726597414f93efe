// Recipe screening at a fixed number of images seen (issue "Representations worth having"): trains a
// config on all 60k Fashion-MNIST training images and, every `every` steps, scores the online
// encoder with the CLI's kNN monitor (10k-image bank from the training set, 2k test queries, k 200,
// cosine, T 0.1) at several taps, so recipes compare on what they learn, not on machine load.
//
//   npx tsx bench/screen.ts '{"steps":1500,"every":250,"taps":["avgpool","grid3"],"run":{"tap":"grid3"}}'
//
// JSON: steps, every, taps (default avgpool, grid2, grid3), threads (kernel threads, default 1),
// run (overrides of DEFAULT_RUN, merged one level deep). Prints one JSON line per evaluation and a
// summary line with images/s (load-dependent; quality is not).
import { loadavg } from "node:os";
import { setBackend } from "../src/backend";
import { screenMonitor } from "./screen-monitor";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner, createTrainer, normalizationOf } from "../src/train/setup";

const arg = JSON.parse(process.argv[2] ?? "{}");
const { steps = 1500, every = 250, taps = ["avgpool", "grid2", "grid3"], threads = 1 } = arg;
const run: RunConfig = { ...DEFAULT_RUN, totalSteps: steps };
for (const [key, value] of Object.entries(arg.run ?? {})) {
  const base = (DEFAULT_RUN as unknown as Record<string, unknown>)[key];
  (run as unknown as Record<string, unknown>)[key] = base && typeof base === "object" && !Array.isArray(base) ? { ...base, ...(value as object) } : value;
}

await setBackend("wasm", { kernelThreads: threads });
const train = await loadFashionMnist({ split: "train" });
const test = await loadFashionMnist({ split: "test" });
const learner = await buildLearner(run);
const trainer = await createTrainer(run, learner, train);
const normalization = normalizationOf(run);
const monitor = screenMonitor(learner, train, test, { seed: run.seed, taps: taps as string[], normalization });


console.log(JSON.stringify({ arg, step: 0, images: 0, knn: await monitor() }));
let trainMs = 0;
let lossSum = 0;
while (trainer.steps < steps) {
  const r = await trainer.step();
  trainMs += r.milliseconds;
  lossSum += r.loss;
  if (trainer.steps % every === 0 || trainer.steps === steps) {
    const knn = await monitor();
    console.log(JSON.stringify({ step: trainer.steps, images: trainer.steps * run.batchSize, loss: lossSum / every, zStd: r.zStd, knn }));
    lossSum = 0;
  }
}
console.log(JSON.stringify({ done: true, imagesPerSecond: (steps * run.batchSize) / (trainMs / 1000), load: loadavg() }));
