// Short quality runs for choosing a recipe: trains a config on the first N Fashion-MNIST training
// images and prints the kNN curve (bank = those images, queries = held-out test images) with the
// images/s, so candidate configs can be compared in minutes.
//
//   npx tsx bench/quality.ts '{"steps":60,"every":20,"limit":2000,"run":{"batchSize":64}}'
//
// The JSON argument: steps, every (kNN every N steps), limit (training images = kNN bank), queries
// (test images), k (list of kNN neighbour counts), backend, and run (overrides of DEFAULT_RUN, merged one level deep).
import { setBackend, type BackendName } from "../src/backend";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { knnAccuracy } from "../src/eval/knn";
import { buildLearner, createTrainer, normalizationOf } from "../src/train/setup";

const arg = JSON.parse(process.argv[2] ?? "{}");
const { steps = 60, every = 20, limit = 2000, queries = 1000, k = [200, 20], backend = "wasm" } = arg;
const run: RunConfig = { ...DEFAULT_RUN, totalSteps: steps, limit };
for (const [key, value] of Object.entries(arg.run ?? {})) {
  const base = (DEFAULT_RUN as unknown as Record<string, unknown>)[key];
  (run as unknown as Record<string, unknown>)[key] = base && typeof base === "object" && !Array.isArray(base) ? { ...base, ...(value as object) } : value;
}

await setBackend(backend as BackendName);
const train = await loadFashionMnist({ split: "train", limit });
const test = await loadFashionMnist({ split: "test", limit: queries });
const learner = await buildLearner(run);
const trainer = await createTrainer(run, learner, train);
const normalization = normalizationOf(run);
/** kNN accuracy for each k (the first is the headline). */
const knn = async (): Promise<number[]> => {
  const size = learner.representationSize;
  const bank = { data: (await learner.embed(train, { normalization })).representation, shape: [train.n, size] as [number, number] };
  const query = { data: (await learner.embed(test, { normalization })).representation, shape: [test.n, size] as [number, number] };
  return (k as number[]).map((kk) => knnAccuracy(bank, train.labels, query, test.labels, { k: kk, temperature: 0.1, numClasses: 10 }));
};
const pct = (a: number[]) => a.map((x) => (100 * x).toFixed(1) + "%").join("/");

const curve: { step: number; knn: number[]; minutes: number }[] = [{ step: 0, knn: await knn(), minutes: 0 }];
const losses: number[] = [];
let trainMs = 0;
console.log(JSON.stringify(arg), `kNN@0 (k ${k.join("/")}) ${pct(curve[0].knn)}`);
const t0 = performance.now();
while (trainer.steps < steps) {
  const r = await trainer.step();
  trainMs += r.milliseconds;
  losses.push(r.loss);
  if (trainer.steps % every === 0 || trainer.steps === steps) {
    curve.push({ step: trainer.steps, knn: await knn(), minutes: (performance.now() - t0) / 60_000 });
    const ips = (trainer.steps * run.batchSize) / (trainMs / 1000);
    console.log(`step ${trainer.steps} loss ${r.loss.toFixed(3)} z-std ${r.zStd.toFixed(3)} kNN ${pct(curve.at(-1)!.knn)} ${ips.toFixed(0)} img/s ${curve.at(-1)!.minutes.toFixed(2)} min`);
  }
}
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
console.log(JSON.stringify({ arg, ips: (steps * run.batchSize) / (trainMs / 1000), lossFirst10: mean(losses.slice(0, 10)), lossLast10: mean(losses.slice(-10)), curve }));
