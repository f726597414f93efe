// Evaluation hygiene on a checkpoint (issue "Representations worth having", lever 7): full-protocol
// kNN (60k bank, 10k queries, k 200, cosine, T 0.1) of the online and the target encoder, each with
// the BatchNorm statistics the run left and with statistics recomputed on the un-augmented training
// images (precise BN: the exact mean over batches, not a running average).
//
//   npx tsx bench/eval-variants.ts RUN_DIR [--taps avgpool,grid3] [--threads 1]
import * as tf from "@tensorflow/tfjs";
import { setBackend } from "../src/backend";
import { BYOL } from "../src/byol";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import { knnAccuracy } from "../src/eval/knn";
import { BatchNorm } from "../src/nets/batchnorm";
import { readCheckpointInfo, restoreCheckpoint } from "../src/train/checkpoint";
import { readCheckpointFile } from "../src/train/checkpoint-file";
import type { RunConfig } from "../src/train/config";
import { buildLearner, normalizationOf } from "../src/train/setup";

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dir = process.argv[2];
if (!dir || dir.startsWith("--")) throw new Error("usage: eval-variants.ts RUN_DIR [--taps avgpool,grid3] [--threads 1]");
await setBackend("wasm", { kernelThreads: Number(flag("threads", "1")) });
const train = await loadFashionMnist({ split: "train" });
const test = await loadFashionMnist({ split: "test" });
const { bytes, path } = readCheckpointFile(dir);
const config = readCheckpointInfo(bytes, path).config as RunConfig;
const learner = await buildLearner(config);
restoreCheckpoint(learner, bytes, path);
const normalization = normalizationOf(config);
const online = learner.onlineEncoder!;
const target = learner instanceof BYOL ? learner.networks.target?.encoder : undefined;

/** Sets every BatchNorm layer's running statistics to the mean over clean batches of the training set. */
function preciseBatchNorm(batchSize = 500): void {
  const layers = online.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
  const per = train.height * train.width * train.channels;
  const batches = Math.floor(train.n / batchSize);
  for (let i = 0; i < batches; i++) {
    // running ← (i/(i+1))·running + batch/(i+1): after the loop, the plain mean over the batches
    for (const l of layers) (l as { momentum: number }).momentum = i / (i + 1);
    tf.tidy(() => {
      const u8 = tf.tensor4d(train.images.subarray(i * batchSize * per, (i + 1) * batchSize * per), [batchSize, train.height, train.width, train.channels], "int32");
      online.apply(tf.div(tf.sub(tf.div(u8, 255), normalization.mean), normalization.std), { training: true });
    });
  }
  for (const l of layers) (l as { momentum: number }).momentum = 0.9;
}

async function score(variant: string): Promise<void> {
  for (const tap of flag("taps", "avgpool,grid3").split(",")) {
    const embed = async (set: typeof train) => (await learner.embed(set, { normalization, tap })).representation;
    const [bank, queries] = [await embed(train), await embed(test)];
    const width = bank.length / train.n;
    const knn = knnAccuracy({ data: bank, shape: [train.n, width] }, train.labels, { data: queries, shape: [test.n, width] }, test.labels, { k: 200, temperature: 0.1, numClasses: 10 });
    console.log(JSON.stringify({ checkpoint: dir, variant, tap, knn }));
  }
}

await score("online");
preciseBatchNorm();
await score("online, precise BN");
if (target) {
  // the tapped models share the online encoder's layers: give them the target's weights and statistics
  online.setWeights(target.getWeights());
  await score("target");
  preciseBatchNorm();
  await score("target, precise BN");
}
learner.dispose();
