// byol-ts as a library, end to end: images made in memory, a BYOL learner around a small CNN, a
// few training steps, the images' representations, then everything freed. Runs as it stands in
// Node (`npx tsx train-in-memory.ts`); in a browser, set tfjs-backend-wasm's paths first (README).
import * as tf from "@tensorflow/tfjs";
import { BYOL, IMAGENET_STATS, setBackend, smallCnn, Trainer, type ImageSet } from "byol-ts";

const backend = await setBackend("auto"); // Node: wasm with byol-ts' kernels; browsers: WebGPU > WebGL > wasm
console.log(`backend: ${backend.name}`);

// 64 RGB images of 32×32: a bright square of a random colour at a random place on dark noise.
// Your own images go in the same way: uint8 RGB(A) pixels, NHWC, one buffer.
const size = 32;
const n = 64;
const pixels = new Uint8Array(n * size * size * 3);
let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
for (let i = 0; i < n; i++) {
  const [x0, y0, colour] = [Math.floor(random() * 20), Math.floor(random() * 20), [0, 1, 2].map(() => 128 + random() * 127)];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = x >= x0 && x < x0 + 12 && y >= y0 && y < y0 + 12;
      for (let c = 0; c < 3; c++) pixels[((i * size + y) * size + x) * 3 + c] = inside ? colour[c] : random() * 60;
    }
  }
}
const images: ImageSet = { images: pixels, n, height: size, width: size, channels: 3, classes: [] };

// the online encoder; BYOL adds the projector, the predictor and the target (a moving average)
const encoder = smallCnn({ inputSize: size, channels: 3, width: 8, seed: 0 });
const learner = await BYOL.create({
  encoder,
  imageSize: size,
  channels: 3,
  hiddenLayer: "avgpool", // the representation the projector reads
  projectionSize: 32,
  projectionHiddenSize: 128,
  seed: 0,
});

// the trainer draws batches, augments two views per sample (3-channel images: ImageNet's
// normalization), steps the optimizer and moves the target; τ rises from 0.99 to 1 over the run
const trainer = await Trainer.create({ learner, data: images, batchSize: 32, totalSteps: 5, learningRate: 2e-3, seed: 0 });
while (trainer.steps < trainer.totalSteps) {
  const { step, loss } = await trainer.step();
  console.log(`step ${step + 1}/${trainer.totalSteps}: loss ${loss.toFixed(4)}`);
}

// the representation of every image (normalized as in training), e.g. for search or clustering
const { representation } = await learner.embed(images, { normalization: { mean: [...IMAGENET_STATS.mean], std: [...IMAGENET_STATS.std] } });
console.log(`representation: ${n} × ${representation.length / n}`);

trainer.dispose(); // the optimizer state and the augmenter's memory
learner.dispose(); // the heads and the target
encoder.dispose(); // the encoder stays the caller's
console.log(`tensors left: ${tf.memory().numTensors}`);
