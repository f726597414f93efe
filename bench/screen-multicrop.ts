// Multi-crop at fixed images seen (issue "Representations worth having", lever 5), an experiment
// beside bench/screen.ts with the same monitor: two full views plus `crops` small crops (`size` px,
// `scale` of the area) through the online encoder and projector and a predictor of their own, each
// scored against the target's projections of both full views. It drives BYOL's pieces by hand
// rather than adding multi-crop to the library, which the result (RESULTS) did not justify.
//
//   npx tsx bench/screen-multicrop.ts '{"steps":500,"every":250,"crops":2,"size":14,"scale":[0.1,0.4]}'
import * as tf from "@tensorflow/tfjs";
import { setBackend } from "../src/backend";
import { screenMonitor } from "./screen-monitor";
import { batchStream } from "../src/data/batches";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { BYOL } from "../src/byol";
import { buildLearner, createTrainer, normalizationOf } from "../src/train/setup";
import { createAugmenter } from "../src/augment/augmenter";
import { byolPaper } from "../src/augment/policy";
import { mlpHead } from "../src/nets/mlp";
import { Optimizer } from "../src/train/optimizers";
import { learningRateAt } from "../src/train/schedules";
import { normalizedCosineLossTf } from "../src/loss";

const arg = JSON.parse(process.argv[2] ?? "{}");
const { steps = 500, every = 250, taps = ["avgpool", "grid3"], crops = 2, size = 14, scale = [0.1, 0.4], weight = 1 } = arg;
const run: RunConfig = { ...DEFAULT_RUN, totalSteps: steps, ...(arg.run ?? {}) };
await setBackend("wasm", { kernelThreads: 1 });
const train = await loadFashionMnist({ split: "train" });
const test = await loadFashionMnist({ split: "test" });
const learner = await buildLearner(run);
if (!(learner instanceof BYOL)) throw new Error("multi-crop screens BYOL");
const trainer = await createTrainer(run, learner, train); // only for its augmenter
const views = trainer.options.views;
const smallAug = await createAugmenter({ policy: byolPaper({ ...run.augment.overrides, cropScale: scale as [number, number] }), outSize: size, channels: 1, seed: run.seed + 1000 });
smallAug.setImages(train.images, train);
const normalization = normalizationOf(run);
const monitor = screenMonitor(learner, train, test, { seed: run.seed, taps: taps as string[], normalization });
const predS = mlpHead({ inputSize: run.projectionSize, hiddenSize: run.projectionHiddenSize, outputSize: run.projectionSize, name: "predictor_small", seed: 77 });
const paramsS = predS.trainableWeights.map((w) => ({ name: "ps." + w.name, variable: w.read() as tf.Variable, adapt: true }));
const optS = new Optimizer(run.optimizer);
const net = learner.networks;
const params = learner.parameters;
const lrSched = { base: run.learningRate, warmupSteps: run.warmupSteps, totalSteps: steps };

const stream = batchStream(train.n, run.batchSize, { seed: run.seed });
const B = run.batchSize;
console.log(JSON.stringify({ arg, step: 0, knn: await monitor() }));
const t0 = performance.now();
let lossSum = 0;
while (learner.steps < steps) {
  const k = learner.steps;
  const batch = stream.next().value!;
  const { view1, view2 } = views.views(batch.indices, k);
  const v1 = tf.tensor4d(view1, [B, 28, 28, 1]), v2 = tf.tensor4d(view2, [B, 28, 28, 1]);
  const smalls: tf.Tensor4D[] = [];
  for (let c = 0; c < crops; c += 2) {
    const s = smallAug.views(batch.indices, k * 16 + c);
    smalls.push(tf.tensor4d(s.view1, [B, size, size, 1]));
    if (c + 1 < crops) smalls.push(tf.tensor4d(s.view2, [B, size, size, 1]));
  }
  const proj = (enc: tf.LayersModel, p: tf.LayersModel, x: tf.Tensor) => p.apply(enc.apply(x, { training: true }) as tf.Tensor, { training: true }) as tf.Tensor2D;
  const [t1, t2] = tf.tidy(() => [proj(net.target!.encoder, net.target!.projector, v1), proj(net.target!.encoder, net.target!.projector, v2)]);
  const all = [...params.map((p) => p.variable), ...paramsS.map((p) => p.variable)];
  const { value, grads } = tf.variableGrads(() => {
    const z1 = proj(net.online.encoder!, net.online.projector, v1), z2 = proj(net.online.encoder!, net.online.projector, v2);
    const q1 = net.predictor.apply(z1, { training: true }) as tf.Tensor2D, q2 = net.predictor.apply(z2, { training: true }) as tf.Tensor2D;
    let total = tf.mean(tf.add(normalizedCosineLossTf(q1, t2), normalizedCosineLossTf(q2, t1)));
    for (const s of smalls) {
      const qs = predS.apply(proj(net.online.encoder!, net.online.projector, s), { training: true }) as tf.Tensor2D;
      total = tf.add(total, tf.mul(weight, tf.mean(tf.add(normalizedCosineLossTf(qs, t1), normalizedCosineLossTf(qs, t2)))));
    }
    return tf.div(total, 1 + weight * smalls.length) as tf.Scalar;
  }, all);
  const lr = learningRateAt(k, lrSched);
  learner.applyGradients(params.map((p) => grads[p.variable.name]), lr);
  optS.apply(paramsS, paramsS.map((p) => grads[p.variable.name]), lr * (run.predictorLrScale ?? 1));
  learner.afterStep();
  (learner as unknown as { stepIndex: number }).stepIndex++; // what stepViews does after afterStep
  lossSum += value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads), v1, v2, ...smalls, t1, t2]);
  if (learner.steps % every === 0 || learner.steps === steps) {
    console.log(JSON.stringify({ step: learner.steps, images: learner.steps * B, loss: lossSum / every, knn: await monitor(), tensors: tf.memory().numTensors, min: (performance.now() - t0) / 60000 }));
    lossSum = 0;
  }
}
